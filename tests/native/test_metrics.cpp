// test_metrics.cpp: classification metrics, ROC-AUC, calibration error and temperature fitting on known cases.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "eval/metrics.h"
#include "genrescope/json.h"

namespace {

// One-hot-ish probability rows whose argmax is `pred` (k classes).
std::vector<float> probs_for(const std::vector<int>& pred, int k) {
    std::vector<float> p;
    for (int c : pred) {
        for (int j = 0; j < k; ++j) p.push_back(j == c ? 0.7f : 0.3f / static_cast<float>(k - 1));
    }
    return p;
}

// Brute-force AUC: the share of (positive, negative) pairs ordered correctly, ties counting 1/2.
double pairwise_auc(const std::vector<float>& s, const std::vector<int>& pos) {
    double wins = 0.0, pairs = 0.0;
    for (size_t i = 0; i < s.size(); ++i) {
        for (size_t j = 0; j < s.size(); ++j) {
            if (!pos[i] || pos[j]) continue;
            pairs += 1.0;
            wins += s[i] > s[j] ? 1.0 : s[i] == s[j] ? 0.5 : 0.0;
        }
    }
    return wins / pairs;
}

// Logits z * t_true with labels drawn from softmax(z): the NLL-optimal temperature is t_true.
void make_tempered(double t_true, int n, int k, unsigned seed, std::vector<float>& logits, std::vector<int>& labels) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> noise(0.0, 2.0);
    std::uniform_real_distribution<double> unif(0.0, 1.0);
    logits.clear();
    labels.clear();
    std::vector<double> z(static_cast<size_t>(k)), p(static_cast<size_t>(k));
    for (int i = 0; i < n; ++i) {
        double sum = 0.0;
        for (int c = 0; c < k; ++c) {
            z[c] = noise(rng);
            p[c] = std::exp(z[c]);
            sum += p[c];
        }
        double u = unif(rng) * sum;
        int y = k - 1;
        for (int c = 0; c < k; ++c) {
            if (u < p[c]) {
                y = c;
                break;
            }
            u -= p[c];
        }
        for (int c = 0; c < k; ++c) logits.push_back(static_cast<float>(z[c] * t_true));
        labels.push_back(y);
    }
}

}  // namespace

TEST(Metrics, ConfusionAndPerClassHandComputed) {
    const std::vector<int> labels = {0, 0, 0, 1, 1, 2, 2, 2, 2};
    const std::vector<int> pred = {0, 0, 1, 1, 2, 2, 2, 0, 2};
    gs::classification_metrics m;
    ASSERT_EQ(gs::compute_metrics(probs_for(pred, 3), 3, labels, m), "");
    const std::vector<int> expected = {2, 1, 0, 0, 1, 1, 1, 0, 3};
    EXPECT_EQ(m.confusion, expected);
    EXPECT_EQ(m.confusion_at(2, 0), 1);
    EXPECT_EQ(m.n_samples, 9);
    EXPECT_NEAR(m.accuracy, 6.0 / 9.0, 1e-12);
    ASSERT_EQ(m.per_class.size(), 3u);
    EXPECT_NEAR(m.per_class[0].precision, 2.0 / 3.0, 1e-12);
    EXPECT_NEAR(m.per_class[0].recall, 2.0 / 3.0, 1e-12);
    EXPECT_NEAR(m.per_class[1].precision, 0.5, 1e-12);
    EXPECT_NEAR(m.per_class[1].recall, 0.5, 1e-12);
    EXPECT_NEAR(m.per_class[2].precision, 0.75, 1e-12);
    EXPECT_NEAR(m.per_class[2].recall, 0.75, 1e-12);
    EXPECT_NEAR(m.per_class[2].f1, 0.75, 1e-12);
    EXPECT_EQ(m.per_class[2].support, 4);
    EXPECT_EQ(m.per_class[0].predicted, 3);
    EXPECT_EQ(m.macro_f1_classes, 3);
    EXPECT_NEAR(m.macro_f1, 23.0 / 36.0, 1e-12);
    EXPECT_EQ(m.reliability.size(), 15u);
    EXPECT_EQ(m.roc.size(), 3u);
}

TEST(Metrics, UnequalPrecisionRecallF1) {
    // Class 0: TP 1, predicted 1, support 3 -> P 1, R 1/3, F1 = 2*(1/3)/(4/3) = 0.5.
    const std::vector<int> labels = {0, 0, 0, 1};
    const std::vector<int> pred = {0, 1, 1, 1};
    gs::classification_metrics m;
    ASSERT_EQ(gs::compute_metrics(probs_for(pred, 2), 2, labels, m), "");
    EXPECT_NEAR(m.per_class[0].precision, 1.0, 1e-12);
    EXPECT_NEAR(m.per_class[0].recall, 1.0 / 3.0, 1e-12);
    EXPECT_NEAR(m.per_class[0].f1, 0.5, 1e-12);
    EXPECT_NEAR(m.per_class[1].precision, 1.0 / 3.0, 1e-12);
    EXPECT_NEAR(m.per_class[1].f1, 0.5, 1e-12);
}

TEST(Metrics, MacroF1LeavesOutAbsentClassButCountsFalseAlarms) {
    // 4 classes; class 3 neither true nor predicted: excluded from the macro average.
    const std::vector<int> labels = {0, 0, 1, 1, 2, 2};
    std::vector<int> pred = {0, 0, 1, 1, 2, 2};
    gs::classification_metrics m;
    ASSERT_EQ(gs::compute_metrics(probs_for(pred, 4), 4, labels, m), "");
    EXPECT_EQ(m.macro_f1_classes, 3);
    EXPECT_FALSE(m.per_class[3].in_macro());
    EXPECT_NEAR(m.macro_f1, 1.0, 1e-12);
    EXPECT_TRUE(std::isnan(m.roc_auc_per_class[3]));  // no positives: AUC undefined
    EXPECT_TRUE(m.roc[3].points.empty());
    // Now class 3 is predicted once but never true: it counts, with F1 = 0.
    pred[5] = 3;
    ASSERT_EQ(gs::compute_metrics(probs_for(pred, 4), 4, labels, m), "");
    EXPECT_EQ(m.macro_f1_classes, 4);
    EXPECT_EQ(m.per_class[3].f1, 0.0);
    // F1: class 0 1, class 1 1, class 2 P 1 R 0.5 -> 2/3, class 3 0.
    EXPECT_NEAR(m.macro_f1, (1.0 + 1.0 + 2.0 / 3.0 + 0.0) / 4.0, 1e-12);
}

TEST(Metrics, ComputeMetricsRejectsBadInput) {
    gs::classification_metrics m;
    EXPECT_NE(gs::compute_metrics({0.5f, 0.5f}, 2, {2}, m), "");          // label out of range
    EXPECT_NE(gs::compute_metrics({0.5f, 0.5f, 0.1f}, 2, {0}, m), "");    // size mismatch
    EXPECT_NE(gs::compute_metrics({NAN, 0.5f}, 2, {0}, m), "");           // non-finite
    EXPECT_NE(gs::compute_metrics({}, 2, {}, m), "");                     // empty
    EXPECT_EQ(m.n_samples, 0);
    EXPECT_TRUE(std::isnan(m.accuracy));
}

TEST(Metrics, RocAucMatchesPairwiseCountWithTies) {
    std::mt19937 rng(7);
    for (int trial = 0; trial < 20; ++trial) {
        const int n = 50 + 17 * trial;
        std::uniform_int_distribution<int> level(0, 9);  // 10 score levels: many ties
        std::bernoulli_distribution coin(0.3 + 0.02 * trial);
        std::vector<float> s(static_cast<size_t>(n));
        std::vector<int> pos(static_cast<size_t>(n));
        for (int i = 0; i < n; ++i) {
            pos[i] = coin(rng) ? 1 : 0;
            s[i] = 0.1f * static_cast<float>(level(rng) + (pos[i] ? 2 : 0));
        }
        const double brute = pairwise_auc(s, pos);
        EXPECT_NEAR(gs::roc_auc(s, pos), brute, 1e-12) << "trial " << trial;
        // The trapezoidal area under the full curve equals the same statistic (ties give diagonal steps).
        const gs::roc_curve rc = gs::compute_roc_curve(s, pos, 100000);
        double area = 0.0;
        for (size_t i = 1; i < rc.points.size(); ++i) {
            area += (rc.points[i].fpr - rc.points[i - 1].fpr) * 0.5 * (rc.points[i].tpr + rc.points[i - 1].tpr);
        }
        EXPECT_NEAR(area, brute, 1e-12);
        EXPECT_EQ(rc.points.front().fpr, 0.0);
        EXPECT_EQ(rc.points.front().tpr, 0.0);
        EXPECT_EQ(rc.points.back().fpr, 1.0);
        EXPECT_EQ(rc.points.back().tpr, 1.0);
    }
    EXPECT_TRUE(std::isnan(gs::roc_auc({0.1f, 0.2f}, {1, 1})));
    EXPECT_DOUBLE_EQ(gs::roc_auc({0.1f, 0.9f}, {0, 1}), 1.0);
    EXPECT_DOUBLE_EQ(gs::roc_auc({0.5f, 0.5f}, {0, 1}), 0.5);
}

TEST(Metrics, RocCurveIsDownsampledAndMonotone) {
    std::mt19937 rng(3);
    std::normal_distribution<float> g(0.0f, 1.0f);
    std::vector<float> s;
    std::vector<int> pos;
    for (int i = 0; i < 5000; ++i) {
        pos.push_back(i % 3 == 0);
        s.push_back(g(rng) + (i % 3 == 0 ? 1.0f : 0.0f));
    }
    const gs::roc_curve rc = gs::compute_roc_curve(s, pos);
    EXPECT_LE(rc.points.size(), 200u);
    EXPECT_GE(rc.points.size(), 100u);
    for (size_t i = 1; i < rc.points.size(); ++i) {
        EXPECT_GE(rc.points[i].fpr, rc.points[i - 1].fpr);
        EXPECT_GE(rc.points[i].tpr, rc.points[i - 1].tpr);
    }
    EXPECT_EQ(rc.points.back().fpr, 1.0);
    EXPECT_NEAR(rc.auc, pairwise_auc(s, pos), 1e-9);
    EXPECT_GT(rc.auc, 0.7);
}

TEST(Metrics, EceHandComputed) {
    // Confidence 0.9 (right) and 0.92 (wrong) share bin (13/15, 14/15]; 0.95 wrong, 0.62 right and 0.7 right
    // sit alone. ECE = (2 * |0.5 - 0.91| + |0 - 0.95| + |1 - 0.62| + |1 - 0.7|) / 5 = 0.49.
    const std::vector<float> probs = {0.9f, 0.1f, 0.05f, 0.95f, 0.62f, 0.38f, 0.3f, 0.7f, 0.92f, 0.08f};
    const std::vector<int> labels = {0, 0, 0, 1, 1};
    const gs::calibration_result r = gs::expected_calibration_error(probs, 2, labels, 15);
    EXPECT_NEAR(r.ece, 0.49, 1e-6);
    ASSERT_EQ(r.bins.size(), 15u);
    EXPECT_EQ(r.bins[13].count, 2);
    EXPECT_NEAR(r.bins[13].accuracy, 0.5, 1e-12);
    EXPECT_NEAR(r.bins[13].mean_confidence, 0.91, 1e-6);
    EXPECT_EQ(r.bins[14].count, 1);
    EXPECT_EQ(r.bins[9].count, 1);
    EXPECT_EQ(r.bins[10].count, 1);
    EXPECT_EQ(r.bins[0].count, 0);
    EXPECT_TRUE(std::isnan(r.bins[0].accuracy));
    EXPECT_NEAR(r.bins[13].lower, 13.0 / 15.0, 1e-12);
    // Perfect confidence and perfect accuracy: ECE 0.
    EXPECT_NEAR(gs::expected_calibration_error({1.0f, 0.0f, 0.0f, 1.0f}, 2, {0, 1}).ece, 0.0, 1e-12);
}

TEST(Metrics, SoftmaxWithTemperature) {
    const std::vector<float> logits = {1.0f, 2.0f, 3.0f, 1000.0f, 0.0f, -1000.0f};
    const std::vector<float> p = gs::softmax_with_temperature(logits, 3, 1.0);
    ASSERT_EQ(p.size(), 6u);
    EXPECT_NEAR(p[0] + p[1] + p[2], 1.0, 1e-6);
    EXPECT_NEAR(p[2] / p[1], std::exp(1.0), 1e-4);
    EXPECT_NEAR(p[3], 1.0, 1e-6);  // no overflow
    const std::vector<float> flat = gs::softmax_with_temperature(logits, 3, 1e6);
    EXPECT_NEAR(flat[0], 1.0 / 3.0, 1e-5);
    const std::vector<float> sharp = gs::softmax_with_temperature(logits, 3, 0.5);
    EXPECT_NEAR(sharp[2] / sharp[1], std::exp(2.0), 1e-3);
}

TEST(Metrics, FitTemperatureRecoversKnownTemperature) {
    for (double t_true : {0.5, 1.0, 2.5, 6.0}) {
        std::vector<float> logits;
        std::vector<int> labels;
        make_tempered(t_true, 20000, 5, 11, logits, labels);
        const double t = gs::fit_temperature(logits, 5, labels);
        EXPECT_NEAR(t, t_true, 0.05 * t_true) << "T_true = " << t_true;
        // t is a minimum: nearby temperatures are no better.
        const double f = gs::mean_nll(logits, 5, labels, t);
        EXPECT_LE(f, gs::mean_nll(logits, 5, labels, t * 1.01) + 1e-12);
        EXPECT_LE(f, gs::mean_nll(logits, 5, labels, t * 0.99) + 1e-12);
        EXPECT_EQ(t, gs::fit_temperature(logits, 5, labels));  // deterministic
        // Scaling lowers ECE on these over/under-confident logits.
        if (t_true != 1.0) {
            const double before = gs::expected_calibration_error(gs::softmax_with_temperature(logits, 5, 1.0), 5, labels).ece;
            const double after = gs::expected_calibration_error(gs::softmax_with_temperature(logits, 5, t), 5, labels).ece;
            EXPECT_LT(after, before);
            EXPECT_LT(after, 0.02);
        }
    }
}

TEST(Metrics, FitTemperatureEdgeCases) {
    EXPECT_EQ(gs::fit_temperature({}, 3, {}), 1.0);
    EXPECT_EQ(gs::fit_temperature({1.0f}, 1, {0}), 1.0);
    // Perfectly separated data: the optimum runs to the lower bound of the range.
    const double t = gs::fit_temperature({5.0f, -5.0f, -5.0f, 5.0f}, 2, {0, 1});
    EXPECT_NEAR(t, 0.05, 1e-6);
    // Rows with out-of-range labels or non-finite logits are ignored, not fatal.
    const double t2 = gs::fit_temperature({1.0f, 0.0f, NAN, 1.0f, 0.0f, 1.0f}, 2, {0, 1, 7});
    EXPECT_GE(t2, 0.05);
    EXPECT_LE(t2, 20.0);
}

TEST(Metrics, FitTemperatureTracks) {
    std::vector<float> logits;
    std::vector<int> labels;
    make_tempered(2.5, 6000, 5, 17, logits, labels);
    // One segment per track: the track verdict is the segment's, so both fits agree.
    std::vector<int> ids(labels.size());
    for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int>(i);
    const double t1 = gs::fit_temperature_tracks(logits, 5, labels, ids);
    EXPECT_NEAR(t1, gs::fit_temperature(logits, 5, labels), 0.01 * t1);
    // Three segments per track (same label): the fitted T is a minimum of the track NLL and differs from the
    // segment fit (averaging flattens the verdict, so a smaller T compensates).
    std::vector<int> grouped_labels(labels.size());
    for (size_t i = 0; i < ids.size(); ++i) {
        ids[i] = static_cast<int>(i / 3);
        grouped_labels[i] = labels[i - i % 3];
    }
    const double t3 = gs::fit_temperature_tracks(logits, 5, grouped_labels, ids);
    const double f = gs::track_nll(logits, 5, grouped_labels, ids, t3);
    EXPECT_LE(f, gs::track_nll(logits, 5, grouped_labels, ids, t3 * 1.02) + 1e-12);
    EXPECT_LE(f, gs::track_nll(logits, 5, grouped_labels, ids, t3 * 0.98) + 1e-12);
    EXPECT_EQ(t3, gs::fit_temperature_tracks(logits, 5, grouped_labels, ids));
    // Geometric mean of the segments' softmax(z / T) is softmax(mean z / T): the track fit must equal the plain
    // fit on each track's mean logits.
    std::vector<float> mean_logits(logits.size() / 3, 0.0f);
    std::vector<int> track_labels(labels.size() / 3);
    for (size_t i = 0; i < labels.size(); ++i) {
        for (int c = 0; c < 5; ++c) mean_logits[(i / 3) * 5 + c] += logits[i * 5 + c] / 3.0f;
        track_labels[i / 3] = grouped_labels[i];
    }
    const double tg = gs::fit_temperature_tracks(logits, 5, grouped_labels, ids, gs::aggregation::geometric_mean);
    EXPECT_NEAR(tg, gs::fit_temperature(mean_logits, 5, track_labels), 0.005 * tg);
    EXPECT_NE(tg, t3);
    // Nothing to fit, or ungroupable input: 1.
    EXPECT_EQ(gs::fit_temperature_tracks({}, 3, {}, {}), 1.0);
    EXPECT_EQ(gs::fit_temperature_tracks({1.0f, 0.0f}, 2, {0}, {}), 1.0);
}

TEST(Metrics, TrackLevelAggregation) {
    // Track 7: segments 0, 2 (label 1); track 3: segments 1, 3, 4 (label 0). Interleaved on purpose.
    const std::vector<float> probs = {0.2f, 0.8f, 0.6f, 0.4f, 0.6f, 0.4f, 0.3f, 0.7f, 0.9f, 0.1f};
    const std::vector<int> labels = {1, 0, 1, 0, 0};
    const std::vector<int> tracks = {7, 3, 7, 3, 3};
    gs::track_probs tp;
    ASSERT_EQ(gs::aggregate_tracks(probs, 2, labels, tracks, gs::aggregation::mean, tp), "");
    ASSERT_EQ(tp.track_ids, (std::vector<int>{7, 3}));
    EXPECT_EQ(tp.labels, (std::vector<int>{1, 0}));
    EXPECT_EQ(tp.n_segments, (std::vector<int>{2, 3}));
    ASSERT_EQ(tp.probs.size(), 4u);
    EXPECT_NEAR(tp.probs[0], 0.4, 1e-6);   // (0.2 + 0.6) / 2
    EXPECT_NEAR(tp.probs[2], 0.6, 1e-6);   // (0.6 + 0.3 + 0.9) / 3
    gs::level_metrics lm;
    ASSERT_EQ(gs::evaluate_segments_and_tracks(probs, 2, labels, tracks, gs::aggregation::mean, lm), "");
    EXPECT_EQ(lm.segment.n_samples, 5);
    // Segments: seg0 -> 1 right, seg1 -> 0 right, seg2 -> 0 wrong, seg3 -> 1 wrong, seg4 -> 0 right.
    EXPECT_NEAR(lm.segment.accuracy, 3.0 / 5.0, 1e-12);
    EXPECT_EQ(lm.track.n_samples, 2);
    // Track 7 -> [0.4, 0.6] right (label 1); track 3 -> [0.6, 0.4] right (label 0).
    EXPECT_NEAR(lm.track.accuracy, 1.0, 1e-12);
    gs::level_metrics vote;
    ASSERT_EQ(gs::evaluate_segments_and_tracks(probs, 2, labels, tracks, gs::aggregation::vote, vote), "");
    EXPECT_EQ(vote.track.n_samples, 2);
    // Disagreeing labels within a track are an error.
    EXPECT_NE(gs::aggregate_tracks(probs, 2, {1, 0, 0, 0, 0}, tracks, gs::aggregation::mean, tp), "");
    EXPECT_NE(gs::aggregate_tracks(probs, 2, labels, {1, 2}, gs::aggregation::mean, tp), "");
}

TEST(Metrics, MeanStdOverFolds) {
    const gs::mean_std s = gs::summarize_folds(std::vector<double>{1.0, 2.0, 3.0, 4.0});
    EXPECT_EQ(s.n, 4);
    EXPECT_DOUBLE_EQ(s.mean, 2.5);
    EXPECT_NEAR(s.std, std::sqrt(5.0 / 3.0), 1e-12);  // sample std
    const gs::mean_std one = gs::summarize_folds(std::vector<double>{0.7});
    EXPECT_DOUBLE_EQ(one.mean, 0.7);
    EXPECT_TRUE(std::isnan(one.std));
    const gs::mean_std skip = gs::summarize_folds(std::vector<double>{1.0, NAN, 3.0});
    EXPECT_EQ(skip.n, 2);
    EXPECT_DOUBLE_EQ(skip.mean, 2.0);
    EXPECT_TRUE(std::isnan(gs::summarize_folds(std::vector<double>{}).mean));
    gs::classification_metrics a, b;
    a.accuracy = 0.8;
    b.accuracy = 0.9;
    const gs::json_value j = gs::summarize_folds(std::vector<gs::classification_metrics>{a, b});
    EXPECT_NEAR(j["accuracy"]["mean"].as_number(), 0.85, 1e-12);
    EXPECT_NEAR(j["accuracy"]["std"].as_number(), std::sqrt(0.005), 1e-12);
    EXPECT_EQ(j["accuracy"]["n"].as_int(), 2);
}

TEST(Metrics, JsonRoundTrip) {
    const std::vector<int> labels = {0, 0, 1, 1, 2, 2};
    gs::classification_metrics m;
    ASSERT_EQ(gs::compute_metrics(probs_for({0, 1, 1, 1, 2, 0}, 4), 4, labels, m), "");
    const std::string text = gs::json_write(m.to_json({"blues", "jazz", "rock"}), 2);
    gs::json_value back;
    ASSERT_EQ(gs::json_parse(text, back), "");
    EXPECT_NEAR(back["accuracy"].as_number(), 4.0 / 6.0, 1e-12);
    EXPECT_EQ(back["per_class"][size_t{1}]["label"].as_string(), "jazz");
    EXPECT_TRUE(back["per_class"][size_t{3}]["roc_auc"].is_null());  // class 3 has no positives
    EXPECT_EQ(back["confusion"][size_t{2}][size_t{0}].as_int(), 1);
    EXPECT_EQ(back["reliability"].size(), 15u);
    EXPECT_EQ(back["roc"].size(), 4u);
}
