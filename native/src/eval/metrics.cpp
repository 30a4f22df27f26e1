// metrics.cpp: confusion matrix, per-class and macro scores, ROC curves/AUC, track-level and fold summaries.
#include "eval/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>
#include <unordered_map>

namespace gs {

namespace {

const double nan_value = std::numeric_limits<double>::quiet_NaN();

// A JSON number, or null for NaN/infinity (the writer would do the same; being explicit keeps
// the DOM honest for callers that inspect it before writing).
json_value number_or_null(double v) {
    if (!std::isfinite(v)) return json_value();
    return json_value(v);
}

// Sort key of a score: NaN ranks lowest.
double score_key(float s) {
    return std::isnan(s) ? -std::numeric_limits<double>::infinity() : static_cast<double>(s);
}

// Indices 0..n-1 sorted by score_key ascending; equal keys keep index order (stable, deterministic).
std::vector<size_t> order_by_score(const std::vector<float>& scores, size_t n) {
    std::vector<size_t> idx(n);
    std::iota(idx.begin(), idx.end(), size_t{0});
    std::stable_sort(idx.begin(), idx.end(),
                     [&](size_t a, size_t b) { return score_key(scores[a]) < score_key(scores[b]); });
    return idx;
}

}  // namespace

json_value class_metrics::to_json() const {
    json_value j = json_value::object();
    j.set("support", support);
    j.set("predicted", predicted);
    j.set("true_positives", true_positives);
    j.set("precision", number_or_null(precision));
    j.set("recall", number_or_null(recall));
    j.set("f1", number_or_null(f1));
    j.set("in_macro", in_macro());
    return j;
}

json_value roc_curve::to_json() const {
    json_value j = json_value::object();
    j.set("auc", number_or_null(auc));
    json_value fpr = json_value::array();
    json_value tpr = json_value::array();
    for (const roc_point& p : points) {
        fpr.push_back(p.fpr);
        tpr.push_back(p.tpr);
    }
    j.set("fpr", std::move(fpr));
    j.set("tpr", std::move(tpr));
    return j;
}

json_value reliability_bin::to_json() const {
    json_value j = json_value::object();
    j.set("lower", lower);
    j.set("upper", upper);
    j.set("count", count);
    j.set("mean_confidence", number_or_null(mean_confidence));
    j.set("accuracy", number_or_null(accuracy));
    return j;
}

classification_metrics::classification_metrics()
    : accuracy(nan_value), macro_f1(nan_value), log_loss(nan_value), roc_auc_macro(nan_value), ece(nan_value) {}

int classification_metrics::confusion_at(int true_class, int predicted_class) const {
    if (true_class < 0 || predicted_class < 0 || true_class >= n_classes || predicted_class >= n_classes) return 0;
    const size_t i = static_cast<size_t>(true_class) * static_cast<size_t>(n_classes) + static_cast<size_t>(predicted_class);
    return i < confusion.size() ? confusion[i] : 0;
}

json_value classification_metrics::to_json(const std::vector<std::string>& labels) const {
    json_value j = json_value::object();
    j.set("n_classes", n_classes);
    j.set("n_samples", n_samples);
    j.set("accuracy", number_or_null(accuracy));
    j.set("macro_f1", number_or_null(macro_f1));
    j.set("macro_f1_classes", macro_f1_classes);
    j.set("log_loss", number_or_null(log_loss));
    j.set("roc_auc_macro", number_or_null(roc_auc_macro));
    j.set("ece", number_or_null(ece));
    json_value pc = json_value::array();
    for (size_t c = 0; c < per_class.size(); ++c) {
        json_value e = per_class[c].to_json();
        e.set("class", static_cast<int>(c));
        if (c < labels.size()) e.set("label", labels[c]);
        e.set("roc_auc", number_or_null(c < roc_auc_per_class.size() ? roc_auc_per_class[c] : nan_value));
        pc.push_back(std::move(e));
    }
    j.set("per_class", std::move(pc));
    json_value conf = json_value::array();
    for (int t = 0; t < n_classes; ++t) {
        json_value row = json_value::array();
        for (int p = 0; p < n_classes; ++p) row.push_back(confusion_at(t, p));
        conf.push_back(std::move(row));
    }
    j.set("confusion", std::move(conf));
    json_value auc = json_value::array();
    for (double a : roc_auc_per_class) auc.push_back(number_or_null(a));
    j.set("roc_auc_per_class", std::move(auc));
    json_value curves = json_value::array();
    for (const roc_curve& r : roc) curves.push_back(r.to_json());
    j.set("roc", std::move(curves));
    json_value rel = json_value::array();
    for (const reliability_bin& b : reliability) rel.push_back(b.to_json());
    j.set("reliability", std::move(rel));
    return j;
}

std::vector<int> argmax_rows(const std::vector<float>& scores, int n_classes) {
    std::vector<int> out;
    if (n_classes < 1) return out;
    const size_t k = static_cast<size_t>(n_classes);
    const size_t n = scores.size() / k;
    out.resize(n, 0);
    for (size_t i = 0; i < n; ++i) {
        const float* row = scores.data() + i * k;
        int best = 0;
        double best_v = score_key(row[0]);
        for (size_t c = 1; c < k; ++c) {
            if (score_key(row[c]) > best_v) {
                best_v = score_key(row[c]);
                best = static_cast<int>(c);
            }
        }
        out[i] = best;
    }
    return out;
}

std::vector<int> confusion_matrix(const std::vector<int>& labels, const std::vector<int>& predicted, int n_classes) {
    if (n_classes < 1) return {};
    const size_t k = static_cast<size_t>(n_classes);
    std::vector<int> m(k * k, 0);
    const size_t n = std::min(labels.size(), predicted.size());
    for (size_t i = 0; i < n; ++i) {
        const int t = labels[i];
        const int p = predicted[i];
        if (t < 0 || p < 0 || t >= n_classes || p >= n_classes) continue;
        ++m[static_cast<size_t>(t) * k + static_cast<size_t>(p)];
    }
    return m;
}

std::vector<class_metrics> per_class_metrics(const std::vector<int>& confusion, int n_classes) {
    if (n_classes < 1) return {};
    const size_t k = static_cast<size_t>(n_classes);
    if (confusion.size() != k * k) return {};
    std::vector<class_metrics> out(k);
    for (size_t t = 0; t < k; ++t) {
        for (size_t p = 0; p < k; ++p) {
            const int v = confusion[t * k + p];
            out[t].support += v;
            out[p].predicted += v;
            if (t == p) out[t].true_positives = v;
        }
    }
    for (class_metrics& m : out) {
        m.precision = m.predicted > 0 ? static_cast<double>(m.true_positives) / m.predicted : 0.0;
        m.recall = m.support > 0 ? static_cast<double>(m.true_positives) / m.support : 0.0;
        const double s = m.precision + m.recall;
        m.f1 = s > 0.0 ? 2.0 * m.precision * m.recall / s : 0.0;
    }
    return out;
}

double roc_auc(const std::vector<float>& scores, const std::vector<int>& positive) {
    const size_t n = std::min(scores.size(), positive.size());
    const std::vector<size_t> idx = order_by_score(scores, n);
    // ref: Fawcett 2006, "An introduction to ROC analysis", sec. 7: the AUC equals the Wilcoxon-Mann-Whitney
    // statistic. AUC = (R_pos - P(P+1)/2) / (P N), R_pos = sum of the (1-based, tie-averaged) ranks of positives.
    double rank_sum = 0.0;
    double n_pos = 0.0;
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j + 1 < n && score_key(scores[idx[j + 1]]) == score_key(scores[idx[i]])) ++j;
        const double avg_rank = 0.5 * static_cast<double>(i + 1 + j + 1);
        for (size_t q = i; q <= j; ++q) {
            if (positive[idx[q]] != 0) {
                rank_sum += avg_rank;
                n_pos += 1.0;
            }
        }
        i = j + 1;
    }
    const double n_neg = static_cast<double>(n) - n_pos;
    if (n_pos == 0.0 || n_neg == 0.0) return nan_value;
    return (rank_sum - n_pos * (n_pos + 1.0) / 2.0) / (n_pos * n_neg);
}

roc_curve compute_roc_curve(const std::vector<float>& scores, const std::vector<int>& positive, int max_points) {
    roc_curve out;
    out.auc = roc_auc(scores, positive);
    if (std::isnan(out.auc)) return out;
    const size_t n = std::min(scores.size(), positive.size());
    std::vector<size_t> idx = order_by_score(scores, n);
    std::reverse(idx.begin(), idx.end());  // descending score
    double n_pos = 0.0;
    for (size_t i = 0; i < n; ++i) n_pos += positive[i] != 0 ? 1.0 : 0.0;
    const double n_neg = static_cast<double>(n) - n_pos;
    // ref: Fawcett 2006, Algorithm 1 (efficient ROC point generation): one point per distinct threshold,
    // emitted before the samples at that threshold are counted, so tied scores give a diagonal segment.
    std::vector<roc_point> pts;
    double tp = 0.0, fp = 0.0;
    for (size_t q = 0; q < n; ++q) {
        if (q == 0 || score_key(scores[idx[q]]) != score_key(scores[idx[q - 1]])) pts.push_back({fp / n_neg, tp / n_pos});
        if (positive[idx[q]] != 0) tp += 1.0;
        else fp += 1.0;
    }
    pts.push_back({fp / n_neg, tp / n_pos});
    const size_t keep = static_cast<size_t>(std::max(2, max_points));
    if (pts.size() <= keep) {
        out.points = std::move(pts);
        return out;
    }
    out.points.reserve(keep);
    const double step = static_cast<double>(pts.size() - 1) / static_cast<double>(keep - 1);
    for (size_t k = 0; k < keep; ++k) {
        out.points.push_back(pts[static_cast<size_t>(std::lround(step * static_cast<double>(k)))]);
    }
    return out;
}

std::string compute_metrics(const std::vector<float>& probs, int n_classes, const std::vector<int>& labels,
                            classification_metrics& out) {
    out = classification_metrics();
    if (n_classes < 1) return "n_classes must be >= 1";
    const size_t k = static_cast<size_t>(n_classes);
    const size_t n = labels.size();
    if (n == 0) return "no samples";
    if (probs.size() != n * k) {
        return "probabilities hold " + std::to_string(probs.size()) + " values, expected " + std::to_string(n) +
               " samples x " + std::to_string(k) + " classes";
    }
    for (size_t i = 0; i < n; ++i) {
        if (labels[i] < 0 || labels[i] >= n_classes) {
            return "label " + std::to_string(labels[i]) + " of sample " + std::to_string(i) + " is outside [0, " +
                   std::to_string(n_classes) + ")";
        }
    }
    for (size_t i = 0; i < probs.size(); ++i) {
        if (!std::isfinite(probs[i])) return "non-finite probability at sample " + std::to_string(i / k);
    }
    out.n_classes = n_classes;
    out.n_samples = static_cast<int>(n);
    const std::vector<int> predicted = argmax_rows(probs, n_classes);
    out.confusion = confusion_matrix(labels, predicted, n_classes);
    out.per_class = per_class_metrics(out.confusion, n_classes);
    int correct = 0;
    for (size_t c = 0; c < k; ++c) correct += out.confusion[c * k + c];
    out.accuracy = static_cast<double>(correct) / static_cast<double>(n);
    double f1_sum = 0.0;
    for (const class_metrics& m : out.per_class) {
        if (!m.in_macro()) continue;
        f1_sum += m.f1;
        ++out.macro_f1_classes;
    }
    out.macro_f1 = out.macro_f1_classes > 0 ? f1_sum / out.macro_f1_classes : nan_value;
    double nll = 0.0;
    for (size_t i = 0; i < n; ++i) {
        const double p = std::max(static_cast<double>(probs[i * k + static_cast<size_t>(labels[i])]), 1e-12);
        nll -= std::log(p);
    }
    out.log_loss = nll / static_cast<double>(n);
    std::vector<float> scores(n);
    std::vector<int> positive(n);
    double auc_sum = 0.0;
    int auc_count = 0;
    for (size_t c = 0; c < k; ++c) {
        for (size_t i = 0; i < n; ++i) {
            scores[i] = probs[i * k + c];
            positive[i] = labels[i] == static_cast<int>(c) ? 1 : 0;
        }
        out.roc.push_back(compute_roc_curve(scores, positive, 200));
        out.roc_auc_per_class.push_back(out.roc.back().auc);
        if (!std::isnan(out.roc.back().auc)) {
            auc_sum += out.roc.back().auc;
            ++auc_count;
        }
    }
    out.roc_auc_macro = auc_count > 0 ? auc_sum / auc_count : nan_value;
    calibration_result cal = expected_calibration_error(probs, n_classes, labels, 15);
    out.ece = cal.ece;
    out.reliability = std::move(cal.bins);
    return "";
}

std::string aggregate_tracks(const std::vector<float>& segment_probs, int n_classes,
                             const std::vector<int>& segment_labels, const std::vector<int>& track_ids,
                             aggregation how, track_probs& out) {
    out = track_probs();
    if (n_classes < 1) return "n_classes must be >= 1";
    const size_t k = static_cast<size_t>(n_classes);
    const size_t n = segment_labels.size();
    if (track_ids.size() != n) return "segment labels and track ids differ in length";
    if (segment_probs.size() != n * k) return "segment probabilities do not match segments x classes";
    std::unordered_map<int, size_t> slot;
    std::vector<std::vector<size_t>> members;
    for (size_t i = 0; i < n; ++i) {
        if (segment_labels[i] < 0 || segment_labels[i] >= n_classes) {
            return "label " + std::to_string(segment_labels[i]) + " of segment " + std::to_string(i) + " out of range";
        }
        auto it = slot.find(track_ids[i]);
        if (it == slot.end()) {
            slot.emplace(track_ids[i], members.size());
            members.push_back({i});
            out.track_ids.push_back(track_ids[i]);
            out.labels.push_back(segment_labels[i]);
        } else {
            if (out.labels[it->second] != segment_labels[i]) {
                return "track " + std::to_string(track_ids[i]) + " has segments labelled " +
                       std::to_string(out.labels[it->second]) + " and " + std::to_string(segment_labels[i]);
            }
            members[it->second].push_back(i);
        }
    }
    out.probs.reserve(members.size() * k);
    std::vector<float> buf;
    for (const std::vector<size_t>& m : members) {
        buf.resize(m.size() * k);
        for (size_t s = 0; s < m.size(); ++s) {
            std::copy(segment_probs.begin() + static_cast<std::ptrdiff_t>(m[s] * k),
                      segment_probs.begin() + static_cast<std::ptrdiff_t>((m[s] + 1) * k), buf.begin() + static_cast<std::ptrdiff_t>(s * k));
        }
        const std::vector<float> agg = aggregate(buf.data(), m.size(), n_classes, how);
        out.probs.insert(out.probs.end(), agg.begin(), agg.end());
        out.n_segments.push_back(static_cast<int>(m.size()));
    }
    return "";
}

json_value level_metrics::to_json(const std::vector<std::string>& labels) const {
    json_value j = json_value::object();
    j.set("segment", segment.to_json(labels));
    j.set("track", track.to_json(labels));
    return j;
}

std::string evaluate_segments_and_tracks(const std::vector<float>& segment_probs, int n_classes,
                                         const std::vector<int>& segment_labels, const std::vector<int>& track_ids,
                                         aggregation how, level_metrics& out) {
    out = level_metrics();
    std::string err = compute_metrics(segment_probs, n_classes, segment_labels, out.segment);
    if (!err.empty()) return "segments: " + err;
    track_probs tracks;
    err = aggregate_tracks(segment_probs, n_classes, segment_labels, track_ids, how, tracks);
    if (!err.empty()) return "tracks: " + err;
    err = compute_metrics(tracks.probs, n_classes, tracks.labels, out.track);
    if (!err.empty()) return "tracks: " + err;
    return "";
}

json_value mean_std::to_json() const {
    json_value j = json_value::object();
    j.set("mean", number_or_null(mean));
    j.set("std", number_or_null(std));
    j.set("n", n);
    return j;
}

mean_std summarize_folds(const std::vector<double>& values) {
    mean_std r;
    double sum = 0.0;
    for (double v : values) {
        if (std::isnan(v)) continue;
        sum += v;
        ++r.n;
    }
    r.mean = r.n > 0 ? sum / r.n : nan_value;
    if (r.n < 2) {
        r.std = nan_value;
        return r;
    }
    double ss = 0.0;
    for (double v : values) {
        if (!std::isnan(v)) ss += (v - r.mean) * (v - r.mean);
    }
    r.std = std::sqrt(ss / (r.n - 1));  // sample standard deviation (Bessel's correction)
    return r;
}

json_value summarize_folds(const std::vector<classification_metrics>& folds) {
    struct field {
        const char* name;
        double classification_metrics::*ptr;
    };
    const field fields[] = {{"accuracy", &classification_metrics::accuracy},
                            {"macro_f1", &classification_metrics::macro_f1},
                            {"roc_auc_macro", &classification_metrics::roc_auc_macro},
                            {"ece", &classification_metrics::ece},
                            {"log_loss", &classification_metrics::log_loss}};
    json_value j = json_value::object();
    for (const field& f : fields) {
        std::vector<double> v;
        for (const classification_metrics& m : folds) v.push_back(m.*(f.ptr));
        j.set(f.name, summarize_folds(v).to_json());
    }
    return j;
}

}  // namespace gs
