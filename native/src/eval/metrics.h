// metrics.h: classification metrics (confusion, P/R/F1, ROC-AUC, calibration, temperature) in plain C++.
//
// Conventions used throughout:
//   - probabilities and logits are row-major [n_samples][n_classes] float arrays;
//   - labels are class indices in [0, n_classes);
//   - a value that is undefined for the data (e.g. ROC-AUC of a class without negatives, the accuracy of an
//     empty set) is NaN, and is written to JSON as null. Nothing is silently replaced by 0 except where a
//     function's comment says so (precision/recall/F1 of a class with an empty denominator, as in sklearn's
//     zero_division=0).
//   - functions that can be given inconsistent inputs return "" on success or a one-line error; nothing throws.
#pragma once

#include <string>
#include <vector>

#include "genrescope/json.h"
#include "genrescope/segments.h"

namespace gs {

// Precision, recall, F1 and counts of one class (one-vs-rest).
struct class_metrics {
    int support = 0;         // samples whose true class is this one
    int predicted = 0;       // samples predicted as this one
    int true_positives = 0;
    double precision = 0.0;  // TP / predicted; 0 when nothing was predicted as this class
    double recall = 0.0;     // TP / support; 0 when the class has no support
    double f1 = 0.0;         // 2PR / (P + R); 0 when P + R == 0
    // True when the class has support or predictions; only those count in the macro-F1.
    bool in_macro() const { return support > 0 || predicted > 0; }
    json_value to_json() const;
};

// One point of a ROC curve.
struct roc_point {
    double fpr = 0.0;
    double tpr = 0.0;
};

// A one-vs-rest ROC curve: points from (0,0) to (1,1) at every distinct score threshold, then
// downsampled for plotting. The AUC is computed from all samples, not from the kept points.
struct roc_curve {
    double auc = 0.0;  // NaN when the class has no positives or no negatives (then `points` is empty)
    std::vector<roc_point> points;
    json_value to_json() const;
};

// One bin of a reliability diagram (top-class confidence, equal-width bins over [0, 1]).
struct reliability_bin {
    double lower = 0.0;            // the bin covers (lower, upper]; the first bin also holds 0
    double upper = 0.0;
    int count = 0;                 // samples whose top-class confidence falls in the bin
    double mean_confidence = 0.0;  // NaN when count == 0
    double accuracy = 0.0;         // fraction of those whose top class is right; NaN when count == 0
    json_value to_json() const;
};

// Expected calibration error and the bins it was computed from.
struct calibration_result {
    double ece = 0.0;  // NaN for an empty set
    std::vector<reliability_bin> bins;
};

// All metrics of one labelled set at one level (segments or tracks).
struct classification_metrics {
    int n_classes = 0;
    int n_samples = 0;  // 0 means "not computed"; every number below is then NaN
    double accuracy = 0.0;
    // Mean F1 over the classes with support or predictions (class_metrics::in_macro). A class absent from
    // both the labels and the predictions has no defined F1 and is left out; a class that is predicted but
    // never true counts with F1 = 0. `macro_f1_classes` says how many classes were averaged.
    double macro_f1 = 0.0;
    int macro_f1_classes = 0;
    double log_loss = 0.0;  // mean -ln p(true class), probabilities clipped at 1e-12
    std::vector<class_metrics> per_class;
    std::vector<int> confusion;  // [n_classes][n_classes] row-major, rows = true class, cols = predicted
    // Mean of the defined per-class AUCs (classes with both positives and negatives); NaN if none.
    double roc_auc_macro = 0.0;
    std::vector<double> roc_auc_per_class;  // NaN for a class without positives or negatives
    std::vector<roc_curve> roc;             // per class, for plotting
    double ece = 0.0;                       // 15 bins, top-class confidence
    std::vector<reliability_bin> reliability;

    classification_metrics();
    // Count at row `true_class`, column `predicted_class` (0 when out of range).
    int confusion_at(int true_class, int predicted_class) const;
    // JSON object; per-class entries carry a "label" when `labels` names that class.
    json_value to_json(const std::vector<std::string>& labels = {}) const;
};

// Index of the largest value of each row of `scores` ([n][n_classes]); ties go to the lowest index,
// NaN never wins.
std::vector<int> argmax_rows(const std::vector<float>& scores, int n_classes);

// Confusion counts [n_classes][n_classes] (rows = true, cols = predicted). Pairs with an index outside
// [0, n_classes) are not counted. Only the first min(sizes) pairs are used.
std::vector<int> confusion_matrix(const std::vector<int>& labels, const std::vector<int>& predicted, int n_classes);

// Per-class precision/recall/F1/support from a confusion matrix as returned by confusion_matrix.
std::vector<class_metrics> per_class_metrics(const std::vector<int>& confusion, int n_classes);

// One-vs-rest ROC-AUC from scores and binary truth (nonzero = positive): the Mann-Whitney statistic,
// i.e. the probability that a random positive scores above a random negative, ties counting 1/2.
// NaN scores rank lowest. Returns NaN when there are no positives or no negatives.
double roc_auc(const std::vector<float>& scores, const std::vector<int>& positive);

// The ROC curve (and AUC) of the same data; at most `max_points` (>= 2) points are kept, evenly spaced
// along the full curve, always including (0,0) and (1,1).
roc_curve compute_roc_curve(const std::vector<float>& scores, const std::vector<int>& positive, int max_points = 200);

// Expected calibration error of `probs` ([n][n_classes]) against `labels` with `n_bins` equal-width bins
// of the top-class confidence (Guo et al. 2017). Samples with an out-of-range label are skipped.
calibration_result expected_calibration_error(const std::vector<float>& probs, int n_classes,
                                              const std::vector<int>& labels, int n_bins = 15);

// Row-wise softmax of logits / temperature ([n][n_classes]), computed in double with the max subtracted.
// temperature must be > 0 (a non-positive or non-finite value is treated as 1).
std::vector<float> softmax_with_temperature(const std::vector<float>& logits, int n_classes, double temperature);

// Mean negative log-likelihood of softmax(logits / temperature) at the true labels (natural log).
// Samples with an out-of-range label or non-finite logits are skipped; NaN when none is left.
double mean_nll(const std::vector<float>& logits, int n_classes, const std::vector<int>& labels, double temperature);

// Temperature scaling (Guo et al. 2017): the T in [0.05, 20] minimising mean_nll(logits, T). Golden-section
// search on log T, then Newton steps on 1/T (the NLL is convex in 1/T), clamped to the range. Deterministic.
// Returns 1 when there is nothing to fit (no usable samples, n_classes < 2).
double fit_temperature(const std::vector<float>& logits, int n_classes, const std::vector<int>& labels);

// Track-level negative log-likelihood (mean over tracks, natural log) when each track's probabilities are its
// segments' softmax(logits / temperature) aggregated with `how`. NaN when the segments cannot be grouped.
double track_nll(const std::vector<float>& logits, int n_classes, const std::vector<int>& labels,
                 const std::vector<int>& track_ids, double temperature, aggregation how = aggregation::mean);

// The temperature that minimises track_nll: calibrates the aggregated track verdict (what the app and
// `classify` show) rather than single segments. Grid scan then golden-section search on ln T in [0.05, 20].
// Returns 1 when there is nothing to fit.
double fit_temperature_tracks(const std::vector<float>& logits, int n_classes, const std::vector<int>& labels,
                              const std::vector<int>& track_ids, aggregation how = aggregation::mean);

// Every metric of one set from per-sample probabilities ([n][n_classes], rows need not sum exactly to 1).
// Errors: n_classes < 1, size mismatch, no samples, a label out of range, a non-finite probability.
std::string compute_metrics(const std::vector<float>& probs, int n_classes, const std::vector<int>& labels,
                            classification_metrics& out);

// Segment probabilities grouped and aggregated per track.
struct track_probs {
    std::vector<int> track_ids;  // in order of first appearance among the segments
    std::vector<int> labels;     // one per track
    std::vector<int> n_segments; // segments per track
    std::vector<float> probs;    // [n_tracks][n_classes], each row from gs::aggregate
};

// Groups segments by `track_ids` (segments of one track need not be adjacent) and aggregates each track's
// probabilities with gs::aggregate(`how`). Errors: size mismatches, a track whose segments disagree on the
// label, a label out of range.
std::string aggregate_tracks(const std::vector<float>& segment_probs, int n_classes,
                             const std::vector<int>& segment_labels, const std::vector<int>& track_ids,
                             aggregation how, track_probs& out);

// Track verdicts at `temperature`: softmax(logits / T) per segment, then aggregate_tracks(`how`) over each
// track's segments. Returns "" or aggregate_tracks' error.
std::string track_probs_at(const std::vector<float>& logits, int n_classes, const std::vector<int>& labels,
                           const std::vector<int>& track_ids, double temperature, track_probs& out,
                           aggregation how = aggregation::mean);

// Metrics at both levels: `segment` directly from the segment probabilities, `track` after aggregate_tracks.
struct level_metrics {
    classification_metrics segment;
    classification_metrics track;
    json_value to_json(const std::vector<std::string>& labels = {}) const;
};
std::string evaluate_segments_and_tracks(const std::vector<float>& segment_probs, int n_classes,
                                         const std::vector<int>& segment_labels, const std::vector<int>& track_ids,
                                         aggregation how, level_metrics& out);

// Mean and sample standard deviation (n - 1 denominator) of a scalar over folds.
struct mean_std {
    double mean = 0.0;  // NaN when n == 0
    double std = 0.0;   // NaN when n < 2
    int n = 0;          // values used (NaN values are skipped)
    json_value to_json() const;
};
mean_std summarize_folds(const std::vector<double>& values);

// Mean +- std over folds of the headline scalars (accuracy, macro_f1, roc_auc_macro, ece, log_loss):
// a JSON object name -> {mean, std, n}.
json_value summarize_folds(const std::vector<classification_metrics>& folds);

}  // namespace gs
