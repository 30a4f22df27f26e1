// test_report.cpp: 2-D maps (Jacobi, PCA, LDA), feature statistics, and the report's JSON and HTML output.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "genrescope/projection.h"
#include "eval/metrics.h"
#include "eval/report.h"
#include "eval/report_svg.h"
#include "genrescope/json.h"

namespace {

const std::vector<std::string> gtzan = {"blues", "classical", "country", "disco", "hiphop",
                                        "jazz",  "metal",     "pop",     "reggae", "rock"};

// Synthetic segment logits for `tracks_per_class` tracks per class with `segs` segments each: the true class gets a
// bonus, one "neighbour" class a smaller one, everything is scaled by 2 (over-confident).
void synth_logits(int k, int tracks_per_class, int segs, unsigned seed, std::vector<float>& logits,
                  std::vector<int>& labels, std::vector<int>& tracks) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> g(0.0f, 1.0f);
    int track = 0;
    for (int c = 0; c < k; ++c) {
        for (int t = 0; t < tracks_per_class; ++t, ++track) {
            const float track_effect = g(rng);
            for (int s = 0; s < segs; ++s) {
                for (int j = 0; j < k; ++j) {
                    float z = g(rng);
                    if (j == c) z += 1.6f + track_effect;
                    if (j == (c + 3) % k) z += 0.9f;
                    logits.push_back(2.0f * z);
                }
                labels.push_back(c);
                tracks.push_back(track);
            }
        }
    }
}

// A report filled with synthetic data of every kind.
gs::run_report make_report(const std::vector<std::string>& labels) {
    const int k = static_cast<int>(labels.size());
    gs::run_report r;
    r.labels = labels;
    r.info.arch = "cnn_small (4 conv blocks, 0.3 M parameters)";
    gs::json_value fc = gs::json_value::object();
    fc.set("sample_rate", 22050);
    fc.set("n_fft", 2048);
    fc.set("hop_length", 512);
    fc.set("n_mels", 128);
    fc.set("kind", "log-mel");
    r.info.feature_config = fc;
    r.info.data_dir = "../shared/gtzan";
    r.info.split = "synthetic split for the report test";
    for (const char* split : {"train", "valid", "test"}) {
        gs::split_count sc;
        sc.split = split;
        sc.per_class.assign(labels.size(), std::string(split) == "train" ? 70 : 10);
        r.info.counts.push_back(sc);
    }
    r.info.counts[0].per_class[5] = 69;
    r.info.skipped.push_back({"jazz/jazz.00054.wav", "unreadable: truncated RIFF chunk"});
    r.info.seed = 42;
    r.info.device = "cpu";
    r.info.epochs = 30;
    r.info.wall_time_s = 123.4;
    r.info.segments_per_s = 850.2;
    r.info.created = "2024-01-01T00:00:00Z";
    for (int e = 1; e <= 30; ++e) {
        gs::epoch_record er;
        er.epoch = e;
        er.train_loss = 2.0 * std::exp(-e / 8.0) + 0.25 + 0.02 * std::sin(e);
        er.valid_loss = 2.0 * std::exp(-e / 7.0) + 0.7 + 0.01 * e;
        er.train_accuracy = 0.95 - 0.8 * std::exp(-e / 7.0);
        er.valid_segment_accuracy = 0.68 - 0.55 * std::exp(-e / 6.0);
        if (e % 2 == 0) er.valid_track_accuracy = 0.8 - 0.6 * std::exp(-e / 6.0);  // measured every other epoch
        er.learning_rate = 0.5e-3 * (1 + std::cos(3.14159265 * (e - 1) / 30.0));
        if (e > 1) {  // epoch 1: not timed
            er.seconds = 20.0 + e;
            er.segments_per_s = 1912.0 / er.seconds;
        }
        r.curve.push_back(er);
    }
    // Validation: fit the temperature; test: evaluate calibrated and raw.
    std::vector<float> vl, tl;
    std::vector<int> vy, vt, ty, tt;
    synth_logits(k, 10, 10, 1, vl, vy, vt);
    synth_logits(k, 10, 10, 2, tl, ty, tt);
    const double t = gs::fit_temperature(vl, k, vy);
    gs::level_metrics valid, test;
    EXPECT_EQ(gs::evaluate_segments_and_tracks(gs::softmax_with_temperature(vl, k, t), k, vy, vt, gs::aggregation::mean, valid), "");
    EXPECT_EQ(gs::evaluate_segments_and_tracks(gs::softmax_with_temperature(tl, k, t), k, ty, tt, gs::aggregation::mean, test), "");
    r.valid_segment = valid.segment;
    r.valid_track = valid.track;
    r.test_segment = test.segment;
    r.test_track = test.track;
    const gs::calibration_result raw = gs::expected_calibration_error(gs::softmax_with_temperature(tl, k, 1.0), k, ty);
    r.calibration.temperature = t;
    r.calibration.fitted_on = "valid segments";
    r.calibration.measured_on = "test segments";
    r.calibration.ece_before = raw.ece;
    r.calibration.ece_after = test.segment.ece;
    r.calibration.reliability_before = raw.bins;
    // Filters: oriented cosine patterns.
    for (int f = 0; f < 24; ++f) {
        gs::conv_filter cf;
        cf.kh = 5;
        cf.kw = 5;
        const double ang = 3.14159265 * f / 12.0;
        for (int y = 0; y < 5; ++y) {
            for (int x = 0; x < 5; ++x) {
                cf.weights.push_back(static_cast<float>(std::cos(1.3 * ((x - 2) * std::cos(ang) + (y - 2) * std::sin(ang)))));
            }
        }
        r.filters.push_back(cf);
    }
    // Embedding: LDA of 16-d class clusters; feature statistics from 4 named features.
    std::mt19937 rng(5);
    std::normal_distribution<float> g(0.0f, 1.0f);
    const int d = 16, per = 30;
    std::vector<float> means(static_cast<size_t>(k * d));
    for (float& m : means) m = 1.5f * g(rng);
    std::vector<float> X, feats;
    std::vector<int> y;
    for (int c = 0; c < k; ++c) {
        for (int i = 0; i < per; ++i) {
            for (int j = 0; j < d; ++j) X.push_back(means[static_cast<size_t>(c * d + j)] + g(rng));
            y.push_back(c);
            feats.push_back(80.0f + 8.0f * c + 6.0f * g(rng));
            feats.push_back(1200.0f + 150.0f * c + 200.0f * g(rng));
            feats.push_back(0.05f + 0.01f * c + 0.01f * g(rng));
            feats.push_back(0.1f + 0.02f * g(rng));
        }
    }
    r.embedding_method = "LDA of synthetic 16-d embeddings";
    r.embedding = gs::make_embedding_points(gs::lda_2d(X, k * per, d, y, k), y);
    r.feature_stats = gs::feature_stats_by_class(
        feats, {"tempo (BPM)", "spectral centroid (Hz)", "zero-crossing rate", "RMS"}, y, labels);
    return r;
}

// Checks that every element is closed in order (void elements and "/>" aside). Returns "" or the problem.
std::string check_tag_balance(const std::string& html, std::multiset<std::string>& seen) {
    static const std::set<std::string> void_tags = {"meta", "br", "hr", "img", "input", "link"};
    std::vector<std::string> stack;
    size_t i = 0;
    while ((i = html.find('<', i)) != std::string::npos) {
        const size_t gt = html.find('>', i);
        if (gt == std::string::npos) return "unterminated tag at " + std::to_string(i);
        if (html[i + 1] == '!') {
            i = gt + 1;
            continue;
        }
        const bool closing = html[i + 1] == '/';
        size_t p = i + (closing ? 2 : 1);
        std::string name;
        while (p < gt && (std::isalnum(static_cast<unsigned char>(html[p])) != 0)) name += html[p++];
        if (name.empty()) return "bad tag at " + std::to_string(i);
        if (closing) {
            if (stack.empty() || stack.back() != name) {
                return "</" + name + "> at " + std::to_string(i) + " closes <" + (stack.empty() ? "" : stack.back()) + ">";
            }
            stack.pop_back();
        } else {
            seen.insert(name);
            if (html[gt - 1] != '/' && void_tags.count(name) == 0) stack.push_back(name);
            if (name == "style") {  // raw text: jump to its end tag
                const size_t end = html.find("</style>", gt);
                if (end == std::string::npos) return "unterminated style";
                i = end;
                continue;
            }
        }
        i = gt + 1;
    }
    if (!stack.empty()) return "unclosed <" + stack.back() + ">";
    return "";
}

}  // namespace

TEST(Embedding, JacobiDecomposesSymmetricMatrix) {
    std::mt19937 rng(1);
    std::normal_distribution<double> g(0.0, 1.0);
    const int d = 9;
    std::vector<double> a(d * d);
    for (int i = 0; i < d; ++i) {
        for (int j = i; j < d; ++j) a[i * d + j] = a[j * d + i] = g(rng);
    }
    std::vector<double> vals, vecs;
    gs::symmetric_eigen(a, d, vals, vecs);
    ASSERT_EQ(vals.size(), static_cast<size_t>(d));
    for (int k = 0; k < d; ++k) {
        if (k > 0) {
            EXPECT_GE(vals[k - 1], vals[k]);
        }
        for (int r = 0; r < d; ++r) {  // A v = lambda v
            double av = 0.0;
            for (int c = 0; c < d; ++c) av += a[r * d + c] * vecs[k * d + c];
            EXPECT_NEAR(av, vals[k] * vecs[k * d + r], 1e-9);
        }
        for (int l = 0; l < d; ++l) {  // orthonormal
            double dot = 0.0;
            for (int r = 0; r < d; ++r) dot += vecs[k * d + r] * vecs[l * d + r];
            EXPECT_NEAR(dot, k == l ? 1.0 : 0.0, 1e-9);
        }
    }
}

TEST(Embedding, PcaFindsDominantDirection) {
    std::mt19937 rng(2);
    std::normal_distribution<double> g(0.0, 1.0);
    const int n = 500, d = 6;
    const double dir[d] = {1.0, 2.0, 0.0, -1.0, 0.5, 0.0};
    double norm = 0.0;
    for (double v : dir) norm += v * v;
    norm = std::sqrt(norm);
    std::vector<float> X;
    std::vector<double> t(n);
    for (int i = 0; i < n; ++i) {
        t[i] = 5.0 * g(rng);
        for (int j = 0; j < d; ++j) X.push_back(static_cast<float>(3.0 + t[i] * dir[j] / norm + 0.5 * g(rng)));
    }
    const std::vector<float> pc = gs::pca_2d(X, n, d);
    ASSERT_EQ(pc.size(), static_cast<size_t>(2 * n));
    // The first coordinate tracks the latent t (up to sign), and carries far more variance than the second.
    double sxy = 0, sxx = 0, syy = 0, v2 = 0, m1 = 0, m2 = 0;
    for (int i = 0; i < n; ++i) {
        m1 += pc[2 * i];
        m2 += pc[2 * i + 1];
    }
    EXPECT_NEAR(m1 / n, 0.0, 1e-4);  // centred
    EXPECT_NEAR(m2 / n, 0.0, 1e-4);
    for (int i = 0; i < n; ++i) {
        sxy += pc[2 * i] * t[i];
        sxx += pc[2 * i] * pc[2 * i];
        syy += t[i] * t[i];
        v2 += pc[2 * i + 1] * pc[2 * i + 1];
    }
    EXPECT_GT(std::fabs(sxy) / std::sqrt(sxx * syy), 0.99);
    EXPECT_GT(sxx, 20.0 * v2);
    EXPECT_EQ(pc, gs::pca_2d(X, n, d));  // deterministic
    EXPECT_TRUE(gs::pca_2d(X, n, d + 1).empty());
}

TEST(Embedding, LdaSeparatesThreeClusters) {
    // Three classes whose means differ along low-variance axes, hidden under a high-variance nuisance axis
    // that PCA would pick first.
    std::mt19937 rng(3);
    std::normal_distribution<double> g(0.0, 1.0);
    const int n_per = 150, d = 8, k = 3;
    std::vector<float> X;
    std::vector<int> y;
    for (int c = 0; c < k; ++c) {
        for (int i = 0; i < n_per; ++i) {
            for (int j = 0; j < d; ++j) {
                double v = g(rng) * (j == 0 ? 20.0 : 1.0);
                if (j == 1) v += 1.5 * (c == 1) - 1.5 * (c == 2);
                if (j == 2) v += 1.5 * (c == 0);
                X.push_back(static_cast<float>(v));
            }
            y.push_back(c);
        }
    }
    const int n = k * n_per;
    auto centroid_accuracy = [&](const std::vector<float>& z) {
        double cx[k] = {0}, cy[k] = {0};
        for (int i = 0; i < n; ++i) {
            cx[y[i]] += z[2 * i] / n_per;
            cy[y[i]] += z[2 * i + 1] / n_per;
        }
        int ok = 0;
        for (int i = 0; i < n; ++i) {
            int best = 0;
            double bd = 1e300;
            for (int c = 0; c < k; ++c) {
                const double dd = std::pow(z[2 * i] - cx[c], 2) + std::pow(z[2 * i + 1] - cy[c], 2);
                if (dd < bd) {
                    bd = dd;
                    best = c;
                }
            }
            ok += best == y[i];
        }
        return static_cast<double>(ok) / n;
    };
    const std::vector<float> lda = gs::lda_2d(X, n, d, y, k);
    ASSERT_EQ(lda.size(), static_cast<size_t>(2 * n));
    const double acc_lda = centroid_accuracy(lda);
    const double acc_pca = centroid_accuracy(gs::pca_2d(X, n, d));
    EXPECT_GT(acc_lda, 0.8);  // chance is 1/3
    EXPECT_GT(acc_lda, acc_pca + 0.1);
    EXPECT_EQ(lda, gs::lda_2d(X, n, d, y, k));
    EXPECT_TRUE(gs::lda_2d(X, n, d, std::vector<int>(n, -1), k).empty());  // no labelled rows
}

TEST(Report, FeatureStatsByClass) {
    const std::vector<float> v = {1, 10, 3, 30, 5, 50, 100, 7};
    const std::vector<gs::feature_stats_row> rows = gs::feature_stats_by_class(v, {"a", "b"}, {0, 0, 0, 1}, {"x", "y", "z"});
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0].label, "x");
    EXPECT_DOUBLE_EQ(rows[0].stats[0].mean, 3.0);
    EXPECT_DOUBLE_EQ(rows[0].stats[0].std, 2.0);
    EXPECT_DOUBLE_EQ(rows[0].stats[1].mean, 30.0);
    EXPECT_EQ(rows[1].stats[1].name, "b");
    EXPECT_DOUBLE_EQ(rows[1].stats[1].mean, 7.0);
    EXPECT_TRUE(std::isnan(rows[1].stats[1].std));
    EXPECT_TRUE(std::isnan(rows[2].stats[0].mean));
}

TEST(Report, HelpersEscapeAndFormat) {
    EXPECT_EQ(gs::html_escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
    EXPECT_EQ(gs::format_number(0.5, 2), "0.50");
    EXPECT_EQ(gs::format_number(-0.0001, 2), "0.00");
    EXPECT_EQ(gs::format_number(NAN, 2), "n/a");
}

TEST(Report, HtmlIsSelfContainedBalancedAndEscaped) {
    std::vector<std::string> labels = gtzan;
    labels[9] = "<script>alert(1)</script> & roll";
    const gs::run_report r = make_report(labels);
    std::string html;
    ASSERT_EQ(gs::write_report_html(r, html), "");
    std::multiset<std::string> seen;
    EXPECT_EQ(check_tag_balance(html, seen), "");
    EXPECT_GE(seen.count("svg"), 8u);  // loss, accuracy, lr, confusion, bars, roc, reliability, filters, scatter
    EXPECT_GT(seen.count("table"), 3u);
    EXPECT_EQ(html.find("http://"), std::string::npos);
    EXPECT_EQ(html.find("https://"), std::string::npos);
    EXPECT_EQ(html.find("<script"), std::string::npos);
    EXPECT_EQ(html.find("<link"), std::string::npos);
    EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; roll"), std::string::npos);
    for (const std::string& l : labels) EXPECT_NE(html.find(gs::html_escape(l)), std::string::npos) << l;
    EXPECT_NE(html.find("jazz/jazz.00054.wav"), std::string::npos);
    EXPECT_NE(html.find("tempo (BPM)"), std::string::npos);
    EXPECT_NE(html.find(gs::format_number(100.0 * r.test_track.accuracy, 1) + "%"), std::string::npos);
    EXPECT_EQ(html.find("=\"n/a\""), std::string::npos);
}

TEST(Report, HtmlRefusesMismatchedLabels) {
    gs::run_report r = make_report(gtzan);
    r.labels.pop_back();
    std::string html;
    EXPECT_NE(gs::write_report_html(r, html), "");
}

TEST(Report, EmptyReportStillRenders) {
    gs::run_report r;
    std::string html, json;
    ASSERT_EQ(gs::write_report_html(r, html), "");
    std::multiset<std::string> seen;
    EXPECT_EQ(check_tag_balance(html, seen), "");
    EXPECT_NE(html.find("No evaluation recorded"), std::string::npos);
    ASSERT_EQ(gs::write_report_json(r, json), "");
    gs::json_value back;
    EXPECT_EQ(gs::json_parse(json, back), "");
    EXPECT_TRUE(back["metrics"]["test"]["track"].is_null());
}

TEST(Report, JsonParsesBack) {
    const gs::run_report r = make_report(gtzan);
    std::string text;
    ASSERT_EQ(gs::write_report_json(r, text), "");
    gs::json_value back;
    ASSERT_EQ(gs::json_parse(text, back), "");
    EXPECT_EQ(back["labels"].size(), 10u);
    EXPECT_EQ(back["labels"][size_t{9}].as_string(), "rock");
    EXPECT_NEAR(back["metrics"]["test"]["track"]["accuracy"].as_number(), r.test_track.accuracy, 1e-12);
    EXPECT_EQ(back["metrics"]["test"]["track"]["n_samples"].as_int(), 100);
    EXPECT_EQ(back["metrics"]["test"]["segment"]["n_samples"].as_int(), 1000);
    EXPECT_EQ(back["info"]["seed"].as_int(), 42);
    EXPECT_EQ(back["info"]["tracks"]["train"]["total"].as_int(), 699);
    EXPECT_EQ(back["info"]["skipped"][size_t{0}]["reason"].as_string(), "unreadable: truncated RIFF chunk");
    EXPECT_EQ(back["curve"].size(), 30u);
    EXPECT_TRUE(back["curve"][size_t{0}]["valid_track_accuracy"].is_null());  // not measured at epoch 1
    EXPECT_TRUE(back["curve"][size_t{0}]["seconds"].is_null());
    EXPECT_NEAR(back["curve"][size_t{9}]["seconds"].as_number(), 30.0, 1e-12);
    EXPECT_NEAR(back["curve"][size_t{9}]["segments_per_s"].as_number(), 1912.0 / 30.0, 1e-9);
    EXPECT_NEAR(back["calibration"]["temperature"].as_number(), r.calibration.temperature, 1e-12);
    EXPECT_EQ(back["filters"].size(), 24u);
    EXPECT_EQ(back["embedding"]["points"].size(), 300u);
    EXPECT_EQ(back["feature_stats"][size_t{0}]["stats"]["RMS"].size(), 2u);
    // Calibration helped on this over-confident synthetic model.
    EXPECT_GT(r.calibration.temperature, 1.2);
    EXPECT_LT(r.calibration.ece_after, r.calibration.ece_before);
}

TEST(Report, WritesSampleReport) {
    // A sample page for eyeballing: GS_SAMPLE_REPORT names the file, else it goes to the test temp dir.
    const gs::run_report r = make_report(gtzan);
    std::string html;
    ASSERT_EQ(gs::write_report_html(r, html), "");
    const char* env = std::getenv("GS_SAMPLE_REPORT");
    const std::string path = env && *env ? env : ::testing::TempDir() + "genrescope_sample_report.html";
    std::ofstream out(path, std::ios::binary);
    ASSERT_TRUE(out.good()) << path;
    out << html;
    EXPECT_TRUE(out.good());
}

TEST(Report, PartialReportWithoutLabelsRenders) {
    // Only validation tracks, no label names, one epoch, a malformed filter and a NaN map point.
    gs::run_report r;
    gs::epoch_record e;
    e.epoch = 1;
    e.train_loss = 1.5;
    r.curve.push_back(e);
    gs::classification_metrics m;
    ASSERT_EQ(gs::compute_metrics({0.9f, 0.1f, 0.2f, 0.8f, 0.6f, 0.4f}, 2, {0, 1, 1}, m), "");
    r.valid_track = m;
    r.filters.push_back({3, 3, {1.0f, 2.0f}});  // 2 weights for 3x3: skipped
    r.embedding.push_back({NAN, 1.0f, 0});
    r.embedding.push_back({0.5f, 1.0f, 1});
    std::string html;
    ASSERT_EQ(gs::write_report_html(r, html), "");
    std::multiset<std::string> seen;
    EXPECT_EQ(check_tag_balance(html, seen), "");
    EXPECT_NE(html.find("class 1"), std::string::npos);
    EXPECT_NE(html.find("validation, track level"), std::string::npos);
    EXPECT_NE(html.find("66.7%"), std::string::npos);
    // Non-finite values never reach SVG coordinates (format_number would write "n/a" there).
    EXPECT_EQ(html.find("=\"n/a\""), std::string::npos);
    EXPECT_EQ(html.find("nan"), std::string::npos);
}
