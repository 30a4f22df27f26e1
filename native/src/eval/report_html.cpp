// report_html.cpp: renders a run_report as one self-contained HTML page (inline CSS and SVG, no scripts).
#include <algorithm>
#include <cmath>
#include <cstddef>

#include "eval/report.h"
#include "eval/report_svg.h"

namespace gs {

namespace {

const char* const page_css = R"(
body{margin:0;background:#f5f6f8;color:#1f2328;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1180px;margin:0 auto;padding:20px 24px 40px}
h1{font-size:24px;margin:4px 0}
h2{font-size:18px;margin:0 0 4px}
h3{font-size:14px;margin:14px 0 6px}
.sub{color:#57606a;margin:0 0 12px}
section{background:#fff;border:1px solid #dfe2e6;border-radius:8px;padding:14px 18px;margin:14px 0}
.how{color:#57606a;font-size:13px;margin:0 0 10px;max-width:900px}
.kpis{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}
.kpi{flex:1 1 150px;background:#fff;border:1px solid #dfe2e6;border-radius:8px;padding:10px 14px}
.kpi .v{font-size:26px;font-weight:600;font-variant-numeric:tabular-nums}
.kpi .v.small{font-size:20px;line-height:39px;white-space:nowrap}
.kpi .k{color:#57606a;font-size:12px}
.row{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start}
svg.chart{max-width:100%;height:auto;display:block}
svg text{font-family:inherit}
svg .title{font-size:13px;font-weight:600;fill:#1f2328}
svg .tick{font-size:11px;fill:#444}
svg .axis{font-size:12px;fill:#333}
svg .legend{font-size:12px;fill:#333}
table{border-collapse:collapse;font-size:13px;font-variant-numeric:tabular-nums;margin:4px 0}
th,td{padding:4px 10px;border-bottom:1px solid #eceef1;text-align:right;vertical-align:top}
th:first-child,td:first-child{text-align:left}
thead th{background:#f0f2f5;font-weight:600}
td.l{text-align:left}
pre{background:#f6f8fa;border:1px solid #eceef1;padding:10px;overflow:auto;font-size:12px;max-height:320px}
.note{color:#6e7781;font-style:italic}
details summary{cursor:pointer;color:#333}
)";

const double nan_value = std::numeric_limits<double>::quiet_NaN();

std::string pct(double v) { return std::isfinite(v) ? format_number(100.0 * v, 1) + "%" : "n/a"; }

// A number with about three significant digits (for feature statistics of any scale).
std::string sig3(double v) {
    if (!std::isfinite(v)) return "n/a";
    const double a = std::fabs(v);
    return format_number(v, a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3);
}

std::string td(const std::string& s, bool left = false) { return std::string(left ? "<td class=\"l\">" : "<td>") + s + "</td>"; }

std::string section_open(const std::string& title, const std::string& how) {
    return "<section>\n<h2>" + html_escape(title) + "</h2>\n" + (how.empty() ? "" : "<p class=\"how\">" + how + "</p>\n");
}

// A named set of metrics, for picking what the charts show.
struct named_metrics {
    const classification_metrics* m;
    const char* name;
};

// The first evaluated set of `order`, or {nullptr, ""}.
named_metrics first_evaluated(const std::vector<named_metrics>& order) {
    for (const named_metrics& nm : order) {
        if (nm.m->n_samples > 0) return nm;
    }
    return {nullptr, ""};
}

std::string kpi(const std::string& value, const std::string& key) {
    return std::string("<div class=\"kpi\"><div class=\"v") + (value.size() > 8 ? " small" : "") + "\">" + value +
           "</div><div class=\"k\">" + key + "</div></div>\n";
}

int split_total(const run_info& info, const std::string& split) {
    for (const split_count& sc : info.counts) {
        if (sc.split != split) continue;
        int t = 0;
        for (int v : sc.per_class) t += v;
        return t;
    }
    return -1;
}

std::string curves_section(const run_report& r) {
    std::string s = section_open("Learning curves",
                                 "Training loss should fall and level off. A growing gap between training and validation "
                                 "accuracy means over-fitting; track accuracy averages the predictions of all segments of a "
                                 "track, so it is usually above segment accuracy.");
    if (r.curve.empty()) return s + "<p class=\"note\">No epochs recorded.</p>\n</section>\n";
    chart_series train_loss{"train loss", {}, {}, 0, 0, r.curve.size() <= 40};
    chart_series valid_loss{"valid loss", {}, {}, 1, 1, r.curve.size() <= 40};
    chart_series tr_acc{"train (segments)", {}, {}, 0, 0, r.curve.size() <= 40};
    chart_series va_seg{"valid (segments)", {}, {}, 1, 1, r.curve.size() <= 40};
    chart_series va_trk{"valid (tracks)", {}, {}, 2, 3, r.curve.size() <= 40};
    chart_series lr{"learning rate", {}, {}, 4, 0, r.curve.size() <= 40};
    for (const epoch_record& e : r.curve) {
        const double x = e.epoch;
        for (chart_series* c : {&train_loss, &valid_loss, &tr_acc, &va_seg, &va_trk, &lr}) c->x.push_back(x);
        train_loss.y.push_back(e.train_loss);
        valid_loss.y.push_back(e.valid_loss);
        tr_acc.y.push_back(e.train_accuracy);
        va_seg.y.push_back(e.valid_segment_accuracy);
        va_trk.y.push_back(e.valid_track_accuracy);
        lr.y.push_back(e.learning_rate);
    }
    chart_axis epoch_axis;
    epoch_axis.label = "epoch";
    epoch_axis.integer = true;
    chart_axis loss_axis;
    loss_axis.label = "cross-entropy";
    loss_axis.lo = 0.0;
    chart_axis acc_axis;
    acc_axis.label = "accuracy";
    acc_axis.lo = 0.0;
    acc_axis.hi = 1.0;
    chart_axis lr_axis;
    lr_axis.label = "learning rate";
    lr_axis.lo = 0.0;
    std::vector<chart_series> losses = {train_loss};
    if (std::any_of(valid_loss.y.begin(), valid_loss.y.end(), [](double v) { return std::isfinite(v); })) {
        losses.push_back(valid_loss);
    }
    s += "<div class=\"row\">\n";
    s += svg_line_chart("Loss", losses, epoch_axis, loss_axis, 520, 300);
    s += svg_line_chart("Accuracy", {tr_acc, va_seg, va_trk}, epoch_axis, acc_axis, 560, 300);
    s += svg_line_chart("Learning rate", {lr}, epoch_axis, lr_axis, 480, 240);
    s += "</div>\n</section>\n";
    return s;
}

std::string summary_section(const std::vector<named_metrics>& sets) {
    std::string s = section_open("Summary of all evaluations",
                                 "Macro-F1 averages the per-genre F1 over the genres present in the labels or the "
                                 "predictions (the count is in brackets). ROC-AUC is the mean one-vs-rest AUC over genres "
                                 "with both positives and negatives. ECE: expected calibration error, 15 bins.");
    s += "<table>\n<thead><tr><th>set</th><th>samples</th><th>accuracy</th><th>macro-F1</th><th>ROC-AUC</th>"
         "<th>ECE</th><th>log loss</th></tr></thead>\n<tbody>\n";
    for (const named_metrics& nm : sets) {
        const classification_metrics& m = *nm.m;
        if (m.n_samples == 0) {
            s += "<tr>" + td(nm.name, true) + "<td colspan=\"6\" class=\"l note\">not evaluated</td></tr>\n";
            continue;
        }
        s += "<tr>" + td(nm.name, true) + td(std::to_string(m.n_samples)) + td(pct(m.accuracy)) +
             td(format_number(m.macro_f1, 3) + " (" + std::to_string(m.macro_f1_classes) + ")") +
             td(format_number(m.roc_auc_macro, 3)) + td(format_number(m.ece, 3)) + td(format_number(m.log_loss, 3)) +
             "</tr>\n";
    }
    return s + "</tbody></table>\n</section>\n";
}

std::string per_class_section(const named_metrics& nm, const std::vector<std::string>& labels) {
    const classification_metrics& m = *nm.m;
    std::string s = section_open("Per-genre precision, recall and F1 (" + std::string(nm.name) + ")",
                                 "Precision: of the items predicted as this genre, the share that truly are. Recall: of "
                                 "the items of this genre, the share found. F1 is their harmonic mean.");
    std::vector<double> values;
    for (const class_metrics& c : m.per_class) {
        values.push_back(c.precision);
        values.push_back(c.recall);
        values.push_back(c.f1);
    }
    s += "<div class=\"row\">\n" + svg_grouped_bars("Precision / recall / F1", labels, {"precision", "recall", "F1"}, values);
    s += "<table>\n<thead><tr><th>genre</th><th>support</th><th>predicted</th><th>precision</th><th>recall</th>"
         "<th>F1</th><th>ROC-AUC</th></tr></thead>\n<tbody>\n";
    for (size_t c = 0; c < m.per_class.size(); ++c) {
        const class_metrics& cm = m.per_class[c];
        const double auc = c < m.roc_auc_per_class.size() ? m.roc_auc_per_class[c] : nan_value;
        s += "<tr>" + td(html_escape(labels[c]), true) + td(std::to_string(cm.support)) + td(std::to_string(cm.predicted)) +
             td(format_number(cm.precision, 3)) + td(format_number(cm.recall, 3)) +
             td(cm.in_macro() ? format_number(cm.f1, 3) : "n/a") + td(format_number(auc, 3)) + "</tr>\n";
    }
    return s + "</tbody></table>\n</div>\n</section>\n";
}

std::string roc_section(const named_metrics& nm, const std::vector<std::string>& labels) {
    const classification_metrics& m = *nm.m;
    std::string s = section_open("ROC curves (" + std::string(nm.name) + ")",
                                 "Each curve ranks the items by the predicted probability of one genre against all the "
                                 "others: the true-positive rate against the false-positive rate as the threshold falls. "
                                 "Closer to the top-left corner is better; the dashed diagonal (AUC 0.5) is chance.");
    std::vector<chart_series> series;
    for (size_t c = 0; c < m.roc.size() && c < labels.size(); ++c) {
        if (m.roc[c].points.empty()) continue;
        chart_series cs{labels[c] + " (AUC " + format_number(m.roc[c].auc, 3) + ")", {}, {}, c, static_cast<int>(c % 4), false};
        for (const roc_point& p : m.roc[c].points) {
            cs.x.push_back(p.fpr);
            cs.y.push_back(p.tpr);
        }
        series.push_back(std::move(cs));
    }
    chart_axis fpr, tpr;
    fpr.label = "false-positive rate";
    tpr.label = "true-positive rate";
    fpr.lo = tpr.lo = 0.0;
    fpr.hi = tpr.hi = 1.0;
    s += svg_line_chart("ROC, one genre vs rest; macro AUC " + format_number(m.roc_auc_macro, 3), series, fpr, tpr, 670, 480, true);
    return s + "</section>\n";
}

std::string calibration_section(const run_report& r, const named_metrics& rel) {
    const calibration_info& c = r.calibration;
    std::string s = section_open("Calibration",
                                 "Bars show how often the top prediction is right among predictions made with that "
                                 "confidence. On the dashed diagonal the model is calibrated; bars below it mean "
                                 "over-confidence. ECE is the sample-weighted mean gap (red) over the 15 bins.");
    s += "<p>Temperature <b>T = " + format_number(c.temperature, 3) + "</b>" +
         (c.fitted_on.empty() ? "" : " fitted on " + html_escape(c.fitted_on)) + ". ECE " +
         (c.measured_on.empty() ? "" : "on " + html_escape(c.measured_on) + " ") + "before scaling <b>" +
         format_number(c.ece_before, 3) + "</b>, after <b>" + format_number(c.ece_after, 3) + "</b>.</p>\n";
    if (!rel.m) return s + "<p class=\"note\">No evaluation recorded.</p>\n</section>\n";
    s += "<h3>" + html_escape(std::string("Reliability diagram (") + rel.name + ", ECE " + format_number(rel.m->ece, 3) + ")") +
         "</h3>\n";
    s += svg_reliability(rel.m->reliability, c.reliability_before);
    return s + "</section>\n";
}

std::string info_section(const run_report& r) {
    const run_info& in = r.info;
    std::string s = section_open("Run", "");
    auto kv = [](const std::string& k, const std::string& v) { return "<tr>" + td(html_escape(k), true) + td(v, true) + "</tr>\n"; };
    s += "<table>\n<tbody>\n";
    s += kv("architecture", html_escape(in.arch.empty() ? "not recorded" : in.arch));
    s += kv("data directory", html_escape(in.data_dir));
    s += kv("split", html_escape(in.split));
    s += kv("seed", std::to_string(in.seed));
    s += kv("device", html_escape(in.device));
    s += kv("epochs", std::to_string(in.epochs));
    s += kv("wall time", std::isfinite(in.wall_time_s) ? format_number(in.wall_time_s, 1) + " s" : "n/a");
    s += kv("training throughput", std::isfinite(in.segments_per_s) ? format_number(in.segments_per_s, 1) + " segments/s" : "n/a");
    s += kv("track aggregation", html_escape(in.track_aggregation));
    s += kv("created", html_escape(in.created));
    s += "</tbody></table>\n";
    if (!in.counts.empty()) {
        s += "<h3>Tracks per split and genre</h3>\n<table>\n<thead><tr><th>genre</th>";
        for (const split_count& sc : in.counts) s += "<th>" + html_escape(sc.split) + "</th>";
        s += "</tr></thead>\n<tbody>\n";
        std::vector<int> totals(in.counts.size(), 0);
        for (size_t c = 0; c < r.labels.size(); ++c) {
            s += "<tr>" + td(html_escape(r.labels[c]), true);
            for (size_t k = 0; k < in.counts.size(); ++k) {
                const int v = c < in.counts[k].per_class.size() ? in.counts[k].per_class[c] : 0;
                totals[k] += v;
                s += td(std::to_string(v));
            }
            s += "</tr>\n";
        }
        s += "<tr><th>total</th>";
        for (int t : totals) s += "<th>" + std::to_string(t) + "</th>";
        s += "</tr>\n</tbody></table>\n";
    }
    s += "<h3>Skipped files</h3>\n";
    if (in.skipped.empty()) {
        s += "<p>None: every listed file was read.</p>\n";
    } else {
        s += std::string(in.skipped.size() <= 10 ? "<details open>" : "<details>") + "<summary>" + std::to_string(in.skipped.size()) + " file(s) could not be used</summary>\n<table>\n"
             "<thead><tr><th>file</th><th>reason</th></tr></thead>\n<tbody>\n";
        for (const skipped_file& f : in.skipped) s += "<tr>" + td(html_escape(f.path), true) + td(html_escape(f.reason), true) + "</tr>\n";
        s += "</tbody></table>\n</details>\n";
    }
    s += "<h3>Feature configuration</h3>\n";
    if (in.feature_config.is_null()) s += "<p class=\"note\">Not recorded.</p>\n";
    else s += "<pre>" + html_escape(json_write(in.feature_config, 2)) + "</pre>\n";
    return s + "</section>\n";
}

std::string feature_stats_section(const run_report& r) {
    std::string s = section_open("Per-genre feature statistics",
                                 "Mean &#177; standard deviation of each feature over the items of each genre: genres whose "
                                 "ranges barely overlap are easy to tell apart on that feature alone.");
    if (r.feature_stats.empty()) return s + "<p class=\"note\">None recorded.</p>\n</section>\n";
    s += "<table>\n<thead><tr><th>genre</th>";
    for (const feature_stat& f : r.feature_stats[0].stats) s += "<th>" + html_escape(f.name) + "</th>";
    s += "</tr></thead>\n<tbody>\n";
    for (const feature_stats_row& row : r.feature_stats) {
        s += "<tr>" + td(html_escape(row.label), true);
        for (const feature_stat& f : row.stats) s += td(sig3(f.mean) + " &#177; " + sig3(f.std));
        s += "</tr>\n";
    }
    return s + "</tbody></table>\n</section>\n";
}

}  // namespace

std::string write_report_html(const run_report& r, std::string& html) {
    html.clear();
    const std::vector<named_metrics> sets = {{&r.valid_segment, "validation, segment level"},
                                             {&r.valid_track, "validation, track level"},
                                             {&r.test_segment, "test, segment level"},
                                             {&r.test_track, "test, track level"}};
    // Class names: the given labels, or "class i" when none were given.
    int k = static_cast<int>(r.labels.size());
    for (const named_metrics& nm : sets) {
        if (nm.m->n_samples == 0) continue;
        if (!r.labels.empty() && nm.m->n_classes != k) {
            return std::string(nm.name) + " metrics have " + std::to_string(nm.m->n_classes) + " classes but the report has " +
                   std::to_string(k) + " labels";
        }
        if (nm.m->confusion.size() != static_cast<size_t>(nm.m->n_classes) * static_cast<size_t>(nm.m->n_classes) ||
            nm.m->per_class.size() != static_cast<size_t>(nm.m->n_classes)) {
            return std::string(nm.name) + " metrics are inconsistent (confusion or per-class size)";
        }
        k = std::max(k, nm.m->n_classes);
    }
    std::vector<std::string> labels = r.labels;
    for (int c = static_cast<int>(labels.size()); c < k; ++c) labels.push_back("class " + std::to_string(c));
    const named_metrics main_set = first_evaluated({sets[3], sets[1], sets[2], sets[0]});
    const named_metrics rel_set = first_evaluated({sets[2], sets[3], sets[0], sets[1]});

    std::string& h = html;
    h += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" + html_escape(r.title) +
         "</title>\n<style>" + page_css + "</style>\n</head>\n<body>\n<main>\n";
    h += "<h1>" + html_escape(r.title) + "</h1>\n<p class=\"sub\">" +
         html_escape((r.info.arch.empty() ? "architecture not recorded" : r.info.arch) +
                     (r.info.device.empty() ? "" : " \xC2\xB7 " + r.info.device) +
                     (r.info.created.empty() ? "" : " \xC2\xB7 " + r.info.created)) + "</p>\n";
    // Headline numbers.
    const classification_metrics* head = main_set.m;
    h += "<div class=\"kpis\">\n";
    const std::string where = head ? std::string(" (") + main_set.name + ")" : "";
    h += kpi(head ? pct(head->accuracy) : "n/a", "accuracy" + html_escape(where));
    h += kpi(head ? format_number(head->macro_f1, 3) : "n/a", "macro-F1" + html_escape(where));
    h += kpi(head ? format_number(head->roc_auc_macro, 3) : "n/a", "macro ROC-AUC" + html_escape(where));
    const std::string ece_where = r.calibration.measured_on.empty() ? "" : " on " + html_escape(r.calibration.measured_on);
    h += kpi(format_number(r.calibration.ece_after, 3), "ECE" + ece_where + " after temperature scaling (before: " +
                                                            format_number(r.calibration.ece_before, 3) + ")");
    std::string counts;
    for (const char* split : {"train", "valid", "test"}) {
        const int t = split_total(r.info, split);
        counts += (counts.empty() ? "" : " / ") + (t >= 0 ? std::to_string(t) : std::string("?"));
    }
    h += kpi(counts, "tracks train / valid / test");
    h += kpi(std::to_string(r.labels.size()), "genres");
    h += "</div>\n";
    h += summary_section(sets);
    h += curves_section(r);
    if (main_set.m) {
        h += section_open("Confusion matrix (" + std::string(main_set.name) + ")",
                          "Rows are the true genre, columns the predicted one; the diagonal holds the correct items. "
                          "Colour is the share of the row, so a dark cell off the diagonal is a systematic confusion.");
        h += svg_confusion(main_set.m->confusion, labels) + "</section>\n";
        h += per_class_section(main_set, labels);
        h += roc_section(main_set, labels);
    } else {
        h += "<section><h2>Test results</h2><p class=\"note\">No evaluation recorded.</p></section>\n";
    }
    h += calibration_section(r, rel_set);
    h += section_open("First-layer filters",
                      "Each tile is one kernel of the first convolution: vertical is frequency (low at the bottom), "
                      "horizontal is time. Light is a positive weight, dark a negative one, mid-grey zero; each tile is "
                      "scaled by its own largest weight.");
    h += svg_filters(r.filters, 96);
    if (r.filters.size() > 96) h += "<p class=\"note\">First 96 of " + std::to_string(r.filters.size()) + " filters shown.</p>\n";
    h += "</section>\n";
    h += section_open("Embedding map",
                      "Each point is one item placed in two dimensions" +
                          (r.embedding_method.empty() ? std::string() : " by " + html_escape(r.embedding_method)) +
                          ". Points the model finds alike lie close together; compact, separate clusters of one "
                          "colour (and marker shape) mean the genre is distinct in that space.");
    h += svg_scatter(r.embedding, labels, 5000) + "</section>\n";
    h += feature_stats_section(r);
    h += info_section(r);
    h += "</main>\n</body>\n</html>\n";
    return "";
}

}  // namespace gs
