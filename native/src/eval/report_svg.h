// report_svg.h: inline SVG charts for the HTML report (line charts, heatmap, bars, reliability, filters, scatter).
//
// Every function returns one <svg> element as text, sized in CSS pixels and scalable (viewBox). Text drawn from
// data is HTML-escaped. No xmlns attribute: the SVG is meant to sit inline in an HTML5 page, which needs none.
// Colours come from the Tableau 10 palette; series are also told apart by dash patterns and marker shapes, so the
// charts stay readable with colour-vision deficiencies and in greyscale print.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "eval/metrics.h"
#include "eval/report.h"

namespace gs {

// Escapes & < > " ' for HTML text and attribute values.
std::string html_escape(const std::string& s);

// `v` with `decimals` digits after the point, always with '.', whatever the locale; "n/a" for NaN/inf.
std::string format_number(double v, int decimals);

// Colour i (wrapping) of the Tableau 10 palette, as "#rrggbb".
const char* palette_colour(size_t i);

// One line of a line chart. Points with a NaN coordinate break the line.
struct chart_series {
    std::string name;
    std::vector<double> x, y;
    size_t colour = 0;     // palette index
    int dash = 0;          // 0 solid, 1 dashed, 2 dotted, 3 dash-dot
    bool markers = false;  // draw a small circle at each point
};

// An axis. A NaN bound is taken from the data (widened to "nice" tick values).
struct chart_axis {
    std::string label;
    double lo = std::numeric_limits<double>::quiet_NaN();
    double hi = std::numeric_limits<double>::quiet_NaN();
    bool integer = false;  // integer ticks only (epochs)
};

// Line chart with grid, ticks, axis labels and a legend on the right. `diagonal` adds the dashed y = x
// reference (ROC). Returns an empty-chart note when no series has a finite point.
std::string svg_line_chart(const std::string& title, const std::vector<chart_series>& series, const chart_axis& x,
                           const chart_axis& y, int width, int height, bool diagonal = false);

// Confusion matrix heatmap: rows = true, cols = predicted; cell colour = row-normalised share, text = count.
// `confusion` is [k][k] with k = labels.size().
std::string svg_confusion(const std::vector<int>& confusion, const std::vector<std::string>& labels);

// Grouped bar chart, y in [0, 1]: one group per entry of `groups`, one bar per entry of `series_names`;
// values are [group][series].
std::string svg_grouped_bars(const std::string& title, const std::vector<std::string>& groups,
                             const std::vector<std::string>& series_names, const std::vector<double>& values);

// Reliability diagram: accuracy per confidence bin (bars) against the diagonal, the "before" bins as hollow
// markers when given, and a histogram of the bin counts underneath.
std::string svg_reliability(const std::vector<reliability_bin>& bins, const std::vector<reliability_bin>& before);

// First-layer filters as small greyscale images (mid grey = 0, each filter scaled by its own max |w|).
// At most `max_filters` are drawn; filters whose weights do not match kh x kw are skipped.
std::string svg_filters(const std::vector<conv_filter>& filters, size_t max_filters);

// Scatter of the embedding map coloured (and shaped) by class, with a legend. At most `max_points` are drawn
// (an even stride through the points when there are more).
std::string svg_scatter(const std::vector<embedding_point>& points, const std::vector<std::string>& labels,
                        size_t max_points);

}  // namespace gs
