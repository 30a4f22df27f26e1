// report.cpp: the run report's JSON form, per-class feature statistics and embedding points.
#include "eval/report.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace gs {

namespace {

const double nan_value = std::numeric_limits<double>::quiet_NaN();

json_value number_or_null(double v) { return std::isfinite(v) ? json_value(v) : json_value(); }

json_value metrics_or_null(const classification_metrics& m, const std::vector<std::string>& labels) {
    return m.n_samples > 0 ? m.to_json(labels) : json_value();
}

}  // namespace

json_value run_info::to_json(const std::vector<std::string>& labels) const {
    json_value j = json_value::object();
    j.set("arch", arch);
    j.set("feature_config", feature_config);
    j.set("data_dir", data_dir);
    j.set("split", split);
    json_value counts_j = json_value::object();
    for (const split_count& sc : counts) {
        json_value per = json_value::object();
        int total = 0;
        for (size_t c = 0; c < sc.per_class.size(); ++c) {
            per.set(c < labels.size() ? labels[c] : "class " + std::to_string(c), sc.per_class[c]);
            total += sc.per_class[c];
        }
        json_value e = json_value::object();
        e.set("total", total);
        e.set("per_class", std::move(per));
        counts_j.set(sc.split, std::move(e));
    }
    j.set("tracks", std::move(counts_j));
    json_value sk = json_value::array();
    for (const skipped_file& s : skipped) {
        json_value e = json_value::object();
        e.set("path", s.path);
        e.set("reason", s.reason);
        sk.push_back(std::move(e));
    }
    j.set("skipped", std::move(sk));
    // Seeds beyond 2^53 would lose digits as a JSON number; they are written as decimal strings.
    if (seed <= (1ull << 53)) j.set("seed", static_cast<unsigned long long>(seed));
    else j.set("seed", std::to_string(seed));
    j.set("device", device);
    if (world_size > 1) j.set("distributed", json_value::object({{"world_size", world_size}, {"backend", dist_backend}}));
    j.set("epochs", epochs);
    j.set("wall_time_s", number_or_null(wall_time_s));
    j.set("segments_per_s", number_or_null(segments_per_s));
    j.set("track_aggregation", track_aggregation);
    j.set("created", created);
    return j;
}

json_value epoch_record::to_json() const {
    json_value j = json_value::object();
    j.set("epoch", epoch);
    j.set("train_loss", number_or_null(train_loss));
    j.set("valid_loss", number_or_null(valid_loss));
    j.set("train_accuracy", number_or_null(train_accuracy));
    j.set("valid_segment_accuracy", number_or_null(valid_segment_accuracy));
    j.set("valid_track_accuracy", number_or_null(valid_track_accuracy));
    j.set("learning_rate", number_or_null(learning_rate));
    j.set("seconds", number_or_null(seconds));
    j.set("segments_per_s", number_or_null(segments_per_s));
    return j;
}

json_value calibration_info::to_json() const {
    json_value j = json_value::object();
    j.set("temperature", number_or_null(temperature));
    j.set("ece_before", number_or_null(ece_before));
    j.set("ece_after", number_or_null(ece_after));
    j.set("fitted_on", fitted_on);
    j.set("measured_on", measured_on);
    json_value rb = json_value::array();
    for (const reliability_bin& b : reliability_before) rb.push_back(b.to_json());
    j.set("reliability_before", std::move(rb));
    return j;
}

std::vector<feature_stats_row> feature_stats_by_class(const std::vector<float>& values, const std::vector<std::string>& names,
                                                      const std::vector<int>& labels,
                                                      const std::vector<std::string>& class_names) {
    std::vector<feature_stats_row> rows;
    const size_t d = names.size();
    if (d == 0) return rows;
    const size_t n = std::min(labels.size(), values.size() / d);
    const size_t k = class_names.size();
    std::vector<double> sum(k * d, 0.0), count(k * d, 0.0);
    for (size_t i = 0; i < n; ++i) {
        if (labels[i] < 0 || static_cast<size_t>(labels[i]) >= k) continue;
        const size_t c = static_cast<size_t>(labels[i]);
        for (size_t j = 0; j < d; ++j) {
            const float v = values[i * d + j];
            if (!std::isfinite(v)) continue;
            sum[c * d + j] += v;
            count[c * d + j] += 1.0;
        }
    }
    std::vector<double> ss(k * d, 0.0);
    for (size_t i = 0; i < n; ++i) {  // two passes: the sum of squared deviations, not E[x^2] - E[x]^2
        if (labels[i] < 0 || static_cast<size_t>(labels[i]) >= k) continue;
        const size_t c = static_cast<size_t>(labels[i]);
        for (size_t j = 0; j < d; ++j) {
            const float v = values[i * d + j];
            if (!std::isfinite(v)) continue;
            const double dev = v - sum[c * d + j] / count[c * d + j];
            ss[c * d + j] += dev * dev;
        }
    }
    for (size_t c = 0; c < k; ++c) {
        feature_stats_row row;
        row.label = class_names[c];
        for (size_t j = 0; j < d; ++j) {
            const double m = count[c * d + j];
            feature_stat s;
            s.name = names[j];
            s.mean = m > 0 ? sum[c * d + j] / m : nan_value;
            s.std = m > 1 ? std::sqrt(ss[c * d + j] / (m - 1)) : nan_value;
            row.stats.push_back(s);
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

std::vector<embedding_point> make_embedding_points(const std::vector<float>& xy, const std::vector<int>& labels) {
    std::vector<embedding_point> out;
    const size_t n = std::min(labels.size(), xy.size() / 2);
    out.reserve(n);
    for (size_t i = 0; i < n; ++i) out.push_back({xy[2 * i], xy[2 * i + 1], labels[i]});
    return out;
}

json_value run_report::to_json() const {
    json_value j = json_value::object();
    j.set("title", title);
    json_value lj = json_value::array();
    for (const std::string& l : labels) lj.push_back(l);
    j.set("labels", std::move(lj));
    j.set("info", info.to_json(labels));
    json_value cj = json_value::array();
    for (const epoch_record& e : curve) cj.push_back(e.to_json());
    j.set("curve", std::move(cj));
    json_value mj = json_value::object();
    json_value valid = json_value::object();
    valid.set("segment", metrics_or_null(valid_segment, labels));
    valid.set("track", metrics_or_null(valid_track, labels));
    json_value test = json_value::object();
    test.set("segment", metrics_or_null(test_segment, labels));
    test.set("track", metrics_or_null(test_track, labels));
    mj.set("valid", std::move(valid));
    mj.set("test", std::move(test));
    j.set("metrics", std::move(mj));
    j.set("calibration", calibration.to_json());
    json_value fj = json_value::array();
    for (const conv_filter& f : filters) {
        json_value e = json_value::object();
        e.set("kh", f.kh);
        e.set("kw", f.kw);
        json_value w = json_value::array();
        for (float v : f.weights) w.push_back(number_or_null(v));
        e.set("weights", std::move(w));
        fj.push_back(std::move(e));
    }
    j.set("filters", std::move(fj));
    json_value ej = json_value::object();
    ej.set("method", embedding_method);
    json_value pts = json_value::array();
    for (const embedding_point& p : embedding) {
        pts.push_back(json_value::array({number_or_null(p.x), number_or_null(p.y), json_value(p.label)}));
    }
    ej.set("points", std::move(pts));
    j.set("embedding", std::move(ej));
    json_value sj = json_value::array();
    for (const feature_stats_row& r : feature_stats) {
        json_value e = json_value::object();
        e.set("label", r.label);
        json_value st = json_value::object();
        for (const feature_stat& s : r.stats) {
            json_value v = json_value::object();
            v.set("mean", number_or_null(s.mean));
            v.set("std", number_or_null(s.std));
            st.set(s.name, std::move(v));
        }
        e.set("stats", std::move(st));
        sj.push_back(std::move(e));
    }
    j.set("feature_stats", std::move(sj));
    return j;
}

std::string write_report_json(const run_report& report, std::string& text) {
    text = json_write(report.to_json(), 2);
    text += '\n';
    return "";
}

}  // namespace gs
