// report_svg.cpp: the inline SVG charts of the HTML report, drawn from scratch (no plotting library).
#include "eval/report_svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace gs {

namespace {

const double nan_value = std::numeric_limits<double>::quiet_NaN();
const char* const dash_patterns[] = {"", "6 4", "2 3", "8 3 2 3"};
const char* const axis_colour = "#444";
const char* const grid_colour = "#e3e3e3";

// A coordinate with one decimal.
std::string px(double v) { return format_number(v, 1); }

// Cuts `s` to at most `max_chars` bytes on a UTF-8 boundary, adding an ellipsis when cut.
std::string shorten(const std::string& s, size_t max_chars) {
    if (s.size() <= max_chars) return s;
    size_t cut = max_chars > 1 ? max_chars - 1 : 0;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    return s.substr(0, cut) + "\xE2\x80\xA6";
}

// Approximate width in pixels of `s` at 12px (average glyph width of a sans-serif font).
double text_width(const std::string& s) {
    size_t glyphs = 0;
    for (unsigned char c : s) glyphs += (c & 0xC0) != 0x80 ? 1 : 0;
    return 6.8 * static_cast<double>(glyphs);
}

std::string svg_open(double w, double h, const std::string& title) {
    return "<svg class=\"chart\" viewBox=\"0 0 " + px(w) + " " + px(h) + "\" width=\"" + px(w) + "\" height=\"" + px(h) +
           "\" role=\"img\" aria-label=\"" + html_escape(title) + "\">\n";
}

std::string text_el(double x, double y, const std::string& s, const std::string& attrs = "") {
    return "<text x=\"" + px(x) + "\" y=\"" + px(y) + "\"" + (attrs.empty() ? "" : " " + attrs) + ">" + html_escape(s) +
           "</text>\n";
}

std::string line_el(double x1, double y1, double x2, double y2, const std::string& stroke, const std::string& extra = "") {
    return "<line x1=\"" + px(x1) + "\" y1=\"" + px(y1) + "\" x2=\"" + px(x2) + "\" y2=\"" + px(y2) + "\" stroke=\"" +
           stroke + "\"" + (extra.empty() ? "" : " " + extra) + "/>\n";
}

std::string rect_el(double x, double y, double w, double h, const std::string& fill, const std::string& extra = "") {
    return "<rect x=\"" + px(x) + "\" y=\"" + px(y) + "\" width=\"" + px(std::max(0.0, w)) + "\" height=\"" +
           px(std::max(0.0, h)) + "\" fill=\"" + fill + "\"" + (extra.empty() ? "" : " " + extra) + "/>\n";
}

// A "nice" tick step (1, 2 or 5 times a power of ten) giving about `target` intervals over `range`.
double nice_step(double range, int target) {
    const double raw = range / std::max(1, target);
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    const double f = raw / mag;
    return (f < 1.5 ? 1.0 : f < 3.0 ? 2.0 : f < 7.0 ? 5.0 : 10.0) * mag;
}

// A resolved axis: bounds, tick values and how many decimals the labels need.
struct scale {
    double lo = 0.0, hi = 1.0;
    std::vector<double> ticks;
    int decimals = 1;
};

// Resolves `a` against the data range [dmin, dmax] (either may be NaN when there is no data).
scale resolve(const chart_axis& a, double dmin, double dmax) {
    scale s;
    s.lo = std::isfinite(a.lo) ? a.lo : dmin;
    s.hi = std::isfinite(a.hi) ? a.hi : dmax;
    if (!std::isfinite(s.lo)) s.lo = 0.0;
    if (!std::isfinite(s.hi)) s.hi = s.lo + 1.0;
    if (s.hi <= s.lo) {
        const double pad = std::fabs(s.lo) > 0.0 ? std::fabs(s.lo) * 0.1 : 1.0;
        if (!std::isfinite(a.lo)) s.lo -= pad;
        s.hi = s.lo + 2.0 * pad;
    }
    double step = nice_step(s.hi - s.lo, 5);
    if (a.integer) step = std::max(1.0, std::round(step));
    if (!std::isfinite(a.lo)) s.lo = std::floor(s.lo / step + 1e-9) * step;
    if (!std::isfinite(a.hi)) s.hi = std::ceil(s.hi / step - 1e-9) * step;
    for (double t = std::ceil(s.lo / step - 1e-9) * step; t <= s.hi + step * 1e-9; t += step) {
        s.ticks.push_back(std::fabs(t) < step * 1e-9 ? 0.0 : t);
    }
    s.decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
    return s;
}

// Tick label: fixed decimals, or %.0e style for very small steps.
std::string tick_label(double v, int decimals) {
    if (decimals <= 4) return format_number(v, decimals);
    if (v == 0.0) return "0";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0e", v);
    std::string s(buf);
    std::replace(s.begin(), s.end(), ',', '.');
    return s;
}

// Maps data to pixels within the plot rectangle.
struct frame {
    double x0, y0, w, h;
    scale xs, ys;
    double sx(double v) const { return x0 + (v - xs.lo) / (xs.hi - xs.lo) * w; }
    double sy(double v) const { return y0 + h - (v - ys.lo) / (ys.hi - ys.lo) * h; }
};

// Width in pixels of the widest y tick label of `s` (11px font).
double tick_label_width(const scale& s) {
    double w = 0.0;
    for (double t : s.ticks) w = std::max(w, text_width(tick_label(t, s.decimals)) * 11.0 / 12.0);
    return w;
}

// The left margin a plot needs for its y tick labels and the rotated axis title.
double left_margin(const scale& ys) { return std::max(56.0, tick_label_width(ys) + 34.0); }

// Grid, axes, tick labels and axis titles.
std::string draw_axes(const frame& f, const std::string& x_label, const std::string& y_label) {
    std::string s;
    for (double t : f.ys.ticks) {
        const double y = f.sy(t);
        s += line_el(f.x0, y, f.x0 + f.w, y, grid_colour);
        s += text_el(f.x0 - 6, y + 4, tick_label(t, f.ys.decimals), "class=\"tick\" text-anchor=\"end\"");
    }
    for (double t : f.xs.ticks) {
        const double x = f.sx(t);
        s += line_el(x, f.y0, x, f.y0 + f.h, grid_colour);
        s += text_el(x, f.y0 + f.h + 16, tick_label(t, f.xs.decimals), "class=\"tick\" text-anchor=\"middle\"");
    }
    s += line_el(f.x0, f.y0 + f.h, f.x0 + f.w, f.y0 + f.h, axis_colour);
    s += line_el(f.x0, f.y0, f.x0, f.y0 + f.h, axis_colour);
    s += text_el(f.x0 + f.w / 2, f.y0 + f.h + 34, x_label, "class=\"axis\" text-anchor=\"middle\"");
    const double ly = f.y0 + f.h / 2, lx = f.x0 - tick_label_width(f.ys) - 18;
    s += text_el(lx, ly, y_label,
                 "class=\"axis\" text-anchor=\"middle\" transform=\"rotate(-90 " + px(lx) + " " + px(ly) + ")\"");
    return s;
}

// Marker shape `shape` (0 circle, 1 square, 2 triangle up, 3 diamond, 4 triangle down) centred at (x, y).
std::string marker(int shape, double x, double y, double r, const std::string& fill, const std::string& extra) {
    switch (shape % 5) {
        case 1: return rect_el(x - r * 0.9, y - r * 0.9, 1.8 * r, 1.8 * r, fill, extra);
        case 2:
            return "<polygon points=\"" + px(x) + "," + px(y - r * 1.2) + " " + px(x + r * 1.1) + "," + px(y + r * 0.8) + " " +
                   px(x - r * 1.1) + "," + px(y + r * 0.8) + "\" fill=\"" + fill + "\" " + extra + "/>\n";
        case 3:
            return "<polygon points=\"" + px(x) + "," + px(y - r * 1.25) + " " + px(x + r * 1.25) + "," + px(y) + " " + px(x) +
                   "," + px(y + r * 1.25) + " " + px(x - r * 1.25) + "," + px(y) + "\" fill=\"" + fill + "\" " + extra + "/>\n";
        case 4:
            return "<polygon points=\"" + px(x) + "," + px(y + r * 1.2) + " " + px(x + r * 1.1) + "," + px(y - r * 0.8) + " " +
                   px(x - r * 1.1) + "," + px(y - r * 0.8) + "\" fill=\"" + fill + "\" " + extra + "/>\n";
        default:
            return "<circle cx=\"" + px(x) + "\" cy=\"" + px(y) + "\" r=\"" + px(r) + "\" fill=\"" + fill + "\" " + extra + "/>\n";
    }
}

// Vertical legend at (x, y). kind: 0 line (with dash), 1 filled box, 2 marker shape.
struct legend_entry {
    std::string name;
    size_t colour = 0;
    int dash = 0;
    int shape = 0;
};
std::string draw_legend(double x, double y, const std::vector<legend_entry>& entries, int kind) {
    std::string s;
    for (size_t i = 0; i < entries.size(); ++i) {
        const legend_entry& e = entries[i];
        const double ly = y + 18.0 * static_cast<double>(i);
        const std::string c = palette_colour(e.colour);
        if (kind == 0) {
            s += line_el(x, ly - 4, x + 22, ly - 4, c,
                         std::string("stroke-width=\"2.5\"") +
                             (e.dash > 0 ? " stroke-dasharray=\"" + std::string(dash_patterns[e.dash % 4]) + "\"" : ""));
        } else if (kind == 1) {
            s += rect_el(x + 5, ly - 10, 12, 12, c);
        } else {
            s += marker(e.shape, x + 11, ly - 4, 4.5, c, "");
        }
        s += text_el(x + 28, ly, shorten(e.name, 30), "class=\"legend\"");
    }
    return s;
}

double legend_width(const std::vector<legend_entry>& entries) {
    double w = 0.0;
    for (const legend_entry& e : entries) w = std::max(w, text_width(shorten(e.name, 30)));
    return w + 40.0;
}

std::string empty_chart(const std::string& title, const std::string& why) {
    return "<p class=\"note\">" + html_escape(title) + ": " + html_escape(why) + "</p>\n";
}

// The "Blues" sequential scale at t in [0, 1] (light to dark).
std::string blues(double t) {
    static const double stops[3][3] = {{247, 251, 255}, {107, 174, 214}, {8, 48, 107}};
    t = std::min(1.0, std::max(0.0, t));
    const int seg = t < 0.5 ? 0 : 1;
    const double u = (t - 0.5 * seg) * 2.0;
    char buf[16];
    std::snprintf(buf, sizeof buf, "#%02x%02x%02x", static_cast<int>(std::lround(stops[seg][0] + u * (stops[seg + 1][0] - stops[seg][0]))),
                  static_cast<int>(std::lround(stops[seg][1] + u * (stops[seg + 1][1] - stops[seg][1]))),
                  static_cast<int>(std::lround(stops[seg][2] + u * (stops[seg + 1][2] - stops[seg][2]))));
    return buf;
}

}  // namespace

std::string html_escape(const std::string& s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string format_number(double v, int decimals) {
    if (!std::isfinite(v)) return "n/a";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", std::max(0, std::min(12, decimals)), v);
    std::string s(buf);
    std::replace(s.begin(), s.end(), ',', '.');  // a locale decimal comma; %f never groups thousands
    if (s[0] == '-' && s.find_first_not_of("-0.") == std::string::npos) s.erase(0, 1);  // no "-0.0"
    return s;
}

const char* palette_colour(size_t i) {
    // Tableau 10 (Tableau's 2016 default; designed with colour-vision deficiencies in mind).
    static const char* const colours[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                          "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
    return colours[i % 10];
}

std::string svg_line_chart(const std::string& title, const std::vector<chart_series>& series, const chart_axis& x,
                           const chart_axis& y, int width, int height, bool diagonal) {
    double xmin = nan_value, xmax = nan_value, ymin = nan_value, ymax = nan_value;
    size_t finite = 0;
    for (const chart_series& s : series) {
        for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
            if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
            xmin = finite ? std::min(xmin, s.x[i]) : s.x[i];
            xmax = finite ? std::max(xmax, s.x[i]) : s.x[i];
            ymin = finite ? std::min(ymin, s.y[i]) : s.y[i];
            ymax = finite ? std::max(ymax, s.y[i]) : s.y[i];
            ++finite;
        }
    }
    if (finite == 0) return empty_chart(title, "no data recorded");
    std::vector<legend_entry> legend;
    for (const chart_series& s : series) legend.push_back({s.name, s.colour, s.dash, 0});
    const double lw = legend_width(legend);
    const scale ys = resolve(y, ymin, ymax);
    const double x0 = left_margin(ys);
    frame f{x0, 30.0, std::max(120.0, width - x0 - 16.0 - lw), std::max(80.0, height - 30.0 - 46.0), resolve(x, xmin, xmax), ys};
    std::string out = svg_open(width, height, title);
    out += text_el(f.x0, 16, title, "class=\"title\"");
    out += draw_axes(f, x.label, y.label);
    if (diagonal) {
        out += line_el(f.sx(std::max(f.xs.lo, f.ys.lo)), f.sy(std::max(f.xs.lo, f.ys.lo)), f.sx(std::min(f.xs.hi, f.ys.hi)),
                       f.sy(std::min(f.xs.hi, f.ys.hi)), "#999", "stroke-dasharray=\"4 4\"");
    }
    for (const chart_series& s : series) {
        const std::string c = palette_colour(s.colour);
        std::string d, dots;
        size_t pts = 0;
        for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
            if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;  // unmeasured points are skipped
            const double cx = f.sx(s.x[i]), cy = f.sy(s.y[i]);
            d += (pts == 0 ? "M" : " L") + px(cx) + " " + px(cy);
            if (s.markers) dots += "<circle cx=\"" + px(cx) + "\" cy=\"" + px(cy) + "\" r=\"2.6\" fill=\"" + c + "\"/>\n";
            ++pts;
        }
        if (pts == 0) continue;
        out += "<path d=\"" + d + "\" fill=\"none\" stroke=\"" + c + "\" stroke-width=\"2\" stroke-linejoin=\"round\"" +
               (s.dash > 0 ? " stroke-dasharray=\"" + std::string(dash_patterns[s.dash % 4]) + "\"" : "") + "><title>" +
               html_escape(s.name) + "</title></path>\n" + dots;
    }
    out += draw_legend(f.x0 + f.w + 16, f.y0 + 10, legend, 0);
    out += "</svg>\n";
    return out;
}

std::string svg_confusion(const std::vector<int>& confusion, const std::vector<std::string>& labels) {
    const size_t k = labels.size();
    if (k == 0 || confusion.size() != k * k) return empty_chart("Confusion matrix", "no data recorded");
    const double cell = k <= 12 ? 42.0 : std::max(14.0, 500.0 / static_cast<double>(k));
    double label_w = 0.0;
    for (const std::string& l : labels) label_w = std::max(label_w, text_width(shorten(l, 18)));
    const double x0 = 36.0 + label_w + 8.0, y0 = 30.0;
    const double grid = cell * static_cast<double>(k);
    const double bottom = label_w * 0.71 + 44.0;  // rotated column labels, then the axis title
    const double width = x0 + grid + 110.0, height = y0 + grid + bottom;
    std::string out = svg_open(width, height, "Confusion matrix");
    out += text_el(x0, 16, "Confusion matrix (count; colour = share of the true class)", "class=\"title\"");
    const int font = cell >= 30 ? 11 : 8;
    for (size_t t = 0; t < k; ++t) {
        long row_sum = 0;
        for (size_t p = 0; p < k; ++p) row_sum += confusion[t * k + p];
        const double cy = y0 + cell * static_cast<double>(t);
        out += text_el(x0 - 6, cy + cell / 2 + 4, shorten(labels[t], 18), "class=\"tick\" text-anchor=\"end\"");
        for (size_t p = 0; p < k; ++p) {
            const int v = confusion[t * k + p];
            const double share = row_sum > 0 ? static_cast<double>(v) / static_cast<double>(row_sum) : 0.0;
            const double cx = x0 + cell * static_cast<double>(p);
            out += "<g>" + rect_el(cx, cy, cell, cell, blues(share), "stroke=\"#fff\"");
            out += "<title>true " + html_escape(labels[t]) + ", predicted " + html_escape(labels[p]) + ": " +
                   std::to_string(v) + " (" + format_number(100.0 * share, 1) + "% of the row)</title></g>\n";
            if (v > 0) {
                out += text_el(cx + cell / 2, cy + cell / 2 + font / 3.0 + 1, std::to_string(v),
                               "text-anchor=\"middle\" font-size=\"" + std::to_string(font) + "\" fill=\"" +
                                   (share > 0.5 ? "#fff" : "#222") + "\"" + (t == p ? " font-weight=\"bold\"" : ""));
            }
        }
    }
    for (size_t p = 0; p < k; ++p) {
        const double cx = x0 + cell * (static_cast<double>(p) + 0.5) + 4, cy = y0 + grid + 10;
        out += text_el(cx, cy, shorten(labels[p], 18),
                       "class=\"tick\" text-anchor=\"end\" transform=\"rotate(-45 " + px(cx) + " " + px(cy) + ")\"");
    }
    out += rect_el(x0, y0, grid, grid, "none", "stroke=\"" + std::string(axis_colour) + "\"");
    out += text_el(x0 + grid / 2, height - 8, "predicted class", "class=\"axis\" text-anchor=\"middle\"");
    const double ay = y0 + grid / 2;
    out += text_el(14, ay, "true class", "class=\"axis\" text-anchor=\"middle\" transform=\"rotate(-90 14 " + px(ay) + ")\"");
    // Discrete colour key.
    const double kx = x0 + grid + 16;
    out += text_el(kx, y0 + 8, "row share", "class=\"legend\"");
    for (int i = 0; i <= 4; ++i) {
        const double ky = y0 + 16 + 20.0 * i;
        out += rect_el(kx, ky, 16, 16, blues(i / 4.0), "stroke=\"#ccc\"");
        out += text_el(kx + 22, ky + 12, std::to_string(25 * i) + "%", "class=\"legend\"");
    }
    out += "</svg>\n";
    return out;
}

std::string svg_grouped_bars(const std::string& title, const std::vector<std::string>& groups,
                             const std::vector<std::string>& series_names, const std::vector<double>& values) {
    const size_t g = groups.size(), m = series_names.size();
    if (g == 0 || m == 0 || values.size() != g * m) return empty_chart(title, "no data recorded");
    std::vector<legend_entry> legend;
    for (size_t j = 0; j < m; ++j) legend.push_back({series_names[j], j, 0, 0});
    double label_w = 0.0;
    for (const std::string& l : groups) label_w = std::max(label_w, text_width(shorten(l, 18)));
    const double bar = 11.0, group_w = bar * static_cast<double>(m) + 12.0;
    const double plot_w = std::max(300.0, group_w * static_cast<double>(g));
    chart_axis ya;
    ya.lo = 0.0;
    ya.hi = 1.0;
    frame f{62.0, 30.0, plot_w, 240.0, resolve(chart_axis{}, 0, 1), resolve(ya, 0, 1)};
    const double width = f.x0 + plot_w + 16 + legend_width(legend), height = f.y0 + f.h + label_w * 0.71 + 24;
    std::string out = svg_open(width, height, title);
    out += text_el(f.x0, 16, title, "class=\"title\"");
    for (double t : f.ys.ticks) {
        out += line_el(f.x0, f.sy(t), f.x0 + f.w, f.sy(t), grid_colour);
        out += text_el(f.x0 - 6, f.sy(t) + 4, tick_label(t, f.ys.decimals), "class=\"tick\" text-anchor=\"end\"");
    }
    const double gw = plot_w / static_cast<double>(g);
    for (size_t i = 0; i < g; ++i) {
        const double gx = f.x0 + gw * static_cast<double>(i) + (gw - bar * static_cast<double>(m)) / 2;
        for (size_t j = 0; j < m; ++j) {
            const double v = values[i * m + j];
            if (!std::isfinite(v)) continue;
            const double top = f.sy(std::min(1.0, std::max(0.0, v)));
            out += "<g>" + rect_el(gx + bar * static_cast<double>(j), top, bar - 1, f.y0 + f.h - top, palette_colour(j)) +
                   "<title>" + html_escape(groups[i] + ", " + series_names[j]) + ": " + format_number(v, 3) + "</title></g>\n";
        }
        const double cx = f.x0 + gw * (static_cast<double>(i) + 0.5) + 4, cy = f.y0 + f.h + 12;
        out += text_el(cx, cy, shorten(groups[i], 18),
                       "class=\"tick\" text-anchor=\"end\" transform=\"rotate(-45 " + px(cx) + " " + px(cy) + ")\"");
    }
    out += line_el(f.x0, f.y0 + f.h, f.x0 + f.w, f.y0 + f.h, axis_colour);
    out += line_el(f.x0, f.y0, f.x0, f.y0 + f.h, axis_colour);
    const double ly = f.y0 + f.h / 2;
    out += text_el(f.x0 - 44, ly, "score", "class=\"axis\" text-anchor=\"middle\" transform=\"rotate(-90 " + px(f.x0 - 44) +
                                               " " + px(ly) + ")\"");
    out += draw_legend(f.x0 + f.w + 16, f.y0 + 10, legend, 1);
    out += "</svg>\n";
    return out;
}

std::string svg_reliability(const std::vector<reliability_bin>& bins, const std::vector<reliability_bin>& before) {
    int max_count = 0;
    for (const reliability_bin& b : bins) max_count = std::max(max_count, b.count);
    if (bins.empty() || max_count == 0) return empty_chart("Reliability diagram", "no data recorded");
    chart_axis unit;
    unit.lo = 0.0;
    unit.hi = 1.0;
    frame f{62.0, 30.0, 300.0, 300.0, resolve(unit, 0, 1), resolve(unit, 0, 1)};
    const double hist_y = f.y0 + f.h + 66, hist_h = 50;
    std::vector<legend_entry> legend = {{"accuracy in bin", 0, 0, 0}, {"gap to mean confidence", 2, 0, 0}};
    if (!before.empty()) legend.push_back({"before temperature scaling", 9, 0, 0});
    const double width = f.x0 + f.w + 16 + legend_width(legend) + 20, height = hist_y + hist_h + 30;
    std::string out = svg_open(width, height, "Reliability diagram");
    out += text_el(f.x0, 16, "Reliability diagram (top-class confidence)", "class=\"title\"");
    out += draw_axes(f, "confidence", "accuracy");
    for (const reliability_bin& b : bins) {
        if (b.count == 0) continue;
        const double x = f.sx(b.lower) + 1, w = f.sx(b.upper) - f.sx(b.lower) - 2;
        out += "<g>" + rect_el(x, f.sy(b.accuracy), w, f.sy(0) - f.sy(b.accuracy), palette_colour(0), "fill-opacity=\"0.85\"");
        const double lo = std::min(b.accuracy, b.mean_confidence), hi = std::max(b.accuracy, b.mean_confidence);
        out += rect_el(x, f.sy(hi), w, f.sy(lo) - f.sy(hi), palette_colour(2), "fill-opacity=\"0.35\" stroke=\"" +
                                                                                   std::string(palette_colour(2)) + "\"");
        out += "<title>confidence " + format_number(b.lower, 2) + "-" + format_number(b.upper, 2) + ": " +
               std::to_string(b.count) + " samples, accuracy " + format_number(b.accuracy, 3) + ", mean confidence " +
               format_number(b.mean_confidence, 3) + "</title></g>\n";
    }
    for (const reliability_bin& b : before) {
        if (b.count == 0) continue;
        out += "<circle cx=\"" + px(f.sx(b.mean_confidence)) + "\" cy=\"" + px(f.sy(b.accuracy)) +
               "\" r=\"4\" fill=\"none\" stroke=\"#555\" stroke-width=\"1.5\"/>\n";
    }
    out += line_el(f.sx(0), f.sy(0), f.sx(1), f.sy(1), "#333", "stroke-dasharray=\"4 4\"");
    // Histogram of samples per bin.
    out += text_el(f.x0, hist_y - 6, "samples per bin (max " + std::to_string(max_count) + ")", "class=\"legend\"");
    for (const reliability_bin& b : bins) {
        const double hgt = hist_h * static_cast<double>(b.count) / max_count;
        out += rect_el(f.sx(b.lower) + 1, hist_y + hist_h - hgt, f.sx(b.upper) - f.sx(b.lower) - 2, hgt, "#9c9c9c");
    }
    out += line_el(f.x0, hist_y + hist_h, f.x0 + f.w, hist_y + hist_h, axis_colour);
    out += draw_legend(f.x0 + f.w + 16, f.y0 + 10, legend, 1);
    if (!before.empty()) {
        const double ly = f.y0 + 10 + 18.0 * 2 - 4;
        out += rect_el(f.x0 + f.w + 18, ly - 8, 16, 16, "#fff");
        out += "<circle cx=\"" + px(f.x0 + f.w + 27) + "\" cy=\"" + px(ly) + "\" r=\"4\" fill=\"none\" stroke=\"#555\" stroke-width=\"1.5\"/>\n";
    }
    out += "</svg>\n";
    return out;
}

std::string svg_filters(const std::vector<conv_filter>& filters, size_t max_filters) {
    std::vector<const conv_filter*> ok;
    for (const conv_filter& f : filters) {
        if (f.kh > 0 && f.kw > 0 && f.weights.size() == static_cast<size_t>(f.kh) * static_cast<size_t>(f.kw)) ok.push_back(&f);
        if (ok.size() >= max_filters) break;
    }
    if (ok.empty()) return empty_chart("First-layer filters", "none recorded");
    int max_h = 0, max_w = 0;
    for (const conv_filter* f : ok) {
        max_h = std::max(max_h, f->kh);
        max_w = std::max(max_w, f->kw);
    }
    const double pix = std::min(12.0, std::max(2.0, std::round(42.0 / std::max(max_h, max_w))));
    const double cw = pix * max_w + 8, ch = pix * max_h + 8;
    const size_t cols = std::min<size_t>(ok.size(), std::max<size_t>(1, static_cast<size_t>(720.0 / cw)));
    const size_t rows = (ok.size() + cols - 1) / cols;
    const double width = cw * static_cast<double>(cols) + 8, height = ch * static_cast<double>(rows) + 8;
    std::string out = svg_open(width, height, "First-layer filters");
    for (size_t i = 0; i < ok.size(); ++i) {
        const conv_filter& f = *ok[i];
        float peak = 0.0f;
        for (float w : f.weights) peak = std::max(peak, std::isfinite(w) ? std::fabs(w) : 0.0f);
        const double ox = 8 + cw * static_cast<double>(i % cols), oy = 8 + ch * static_cast<double>(i / cols);
        out += "<g><title>filter " + std::to_string(i) + " (" + std::to_string(f.kh) + "x" + std::to_string(f.kw) +
               "), max |w| = " + format_number(peak, 4) + "</title>\n";
        for (int r = 0; r < f.kh; ++r) {
            for (int c = 0; c < f.kw; ++c) {
                const float w = f.weights[static_cast<size_t>(r) * static_cast<size_t>(f.kw) + static_cast<size_t>(c)];
                const double t = peak > 0.0f && std::isfinite(w) ? w / peak : 0.0;
                const int g = static_cast<int>(std::lround(127.5 + 127.5 * t));
                out += rect_el(ox + pix * c, oy + pix * (f.kh - 1 - r), pix, pix,
                               "rgb(" + std::to_string(g) + "," + std::to_string(g) + "," + std::to_string(g) + ")");
            }
        }
        out += rect_el(ox, oy, pix * f.kw, pix * f.kh, "none", "stroke=\"#888\" stroke-width=\"0.5\"") + "</g>\n";
    }
    out += "</svg>\n";
    return out;
}

std::string svg_scatter(const std::vector<embedding_point>& points, const std::vector<std::string>& labels,
                        size_t max_points) {
    std::vector<const embedding_point*> shown;
    const size_t stride = points.size() > max_points && max_points > 0 ? (points.size() + max_points - 1) / max_points : 1;
    for (size_t i = 0; i < points.size(); i += stride) {
        if (std::isfinite(points[i].x) && std::isfinite(points[i].y)) shown.push_back(&points[i]);
    }
    if (shown.empty()) return empty_chart("Embedding map", "none recorded");
    double xmin = shown[0]->x, xmax = xmin, ymin = shown[0]->y, ymax = ymin;
    int max_label = 0;
    for (const embedding_point* p : shown) {
        xmin = std::min(xmin, static_cast<double>(p->x));
        xmax = std::max(xmax, static_cast<double>(p->x));
        ymin = std::min(ymin, static_cast<double>(p->y));
        ymax = std::max(ymax, static_cast<double>(p->y));
        max_label = std::max(max_label, p->label);
    }
    std::vector<legend_entry> legend;
    const size_t n_leg = std::max(labels.size(), static_cast<size_t>(max_label) + 1);
    for (size_t c = 0; c < n_leg; ++c) {
        legend.push_back({c < labels.size() ? labels[c] : "class " + std::to_string(c), c, 0, static_cast<int>(c % 5)});
    }
    const scale ys = resolve(chart_axis{}, ymin, ymax);
    frame f{left_margin(ys), 30.0, 460.0, 400.0, resolve(chart_axis{}, xmin, xmax), ys};
    const double width = f.x0 + f.w + 16 + legend_width(legend), height = f.y0 + f.h + 46;
    std::string out = svg_open(width, height, "Embedding map");
    out += text_el(f.x0, 16, "2-D embedding map (" + std::to_string(shown.size()) + " points)", "class=\"title\"");
    out += draw_axes(f, "axis 1", "axis 2");
    for (const embedding_point* p : shown) {
        const size_t c = static_cast<size_t>(std::max(0, p->label));
        out += marker(static_cast<int>(c % 5), f.sx(p->x), f.sy(p->y), 3.4, palette_colour(c),
                      "fill-opacity=\"0.8\" stroke=\"#fff\" stroke-width=\"0.4\"");
    }
    out += draw_legend(f.x0 + f.w + 16, f.y0 + 10, legend, 2);
    out += "</svg>\n";
    return out;
}

}  // namespace gs
