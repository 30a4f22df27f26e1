// test_segments_config.cpp: segment layout, aggregation, and the feature config's validation and JSON form.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "genrescope/feature_config.h"
#include "genrescope/json.h"
#include "genrescope/segments.h"

TEST(Segments, SpecFromSeconds) {
    const gs::segment_spec s = gs::segment_spec_from_seconds(3.0, 1.5, 22050, 512);
    EXPECT_EQ(s.frames, 129);  // 3 * 22050 / 512 = 129.2
    EXPECT_EQ(s.hop_frames, 65);
}

TEST(Segments, StartsCoverTheTrack) {
    gs::segment_spec s;
    s.frames = 10;
    s.hop_frames = 4;
    EXPECT_EQ(gs::segment_starts(0, s), std::vector<size_t>{});
    EXPECT_EQ(gs::segment_starts(3, s), std::vector<size_t>{0});
    EXPECT_EQ(gs::segment_starts(10, s), std::vector<size_t>{0});
    EXPECT_EQ(gs::segment_starts(18, s), (std::vector<size_t>{0, 4, 8}));
    EXPECT_EQ(gs::segment_starts(19, s), (std::vector<size_t>{0, 4, 8, 9}));  // end-aligned tail segment
    s.cover_tail = false;
    EXPECT_EQ(gs::segment_starts(19, s), (std::vector<size_t>{0, 4, 8}));
}

TEST(Segments, ExtractLaysOutNchwAndPads) {
    // features [2 bins][5 frames]: value = 10 * bin + frame
    std::vector<float> f;
    for (int b = 0; b < 2; ++b) {
        for (int t = 0; t < 5; ++t) f.push_back(static_cast<float>(10 * b + t));
    }
    gs::segment_spec s;
    s.frames = 3;
    s.hop_frames = 2;
    std::vector<float> out;
    ASSERT_EQ(gs::extract_segments(f.data(), 2, 5, s, -1.0f, out), 2u);
    EXPECT_EQ(out, (std::vector<float>{0, 1, 2, 10, 11, 12, 2, 3, 4, 12, 13, 14}));
    s.frames = 7;  // longer than the track: one padded segment
    ASSERT_EQ(gs::extract_segments(f.data(), 2, 5, s, -1.0f, out), 1u);
    EXPECT_EQ(out, (std::vector<float>{0, 1, 2, 3, 4, -1, -1, 10, 11, 12, 13, 14, -1, -1}));
}

// A track shorter than one segment under segment_fill::tile: the track again from its first frame (session 17:
// compact_cnn's 27.3-s windows padded a 6-s clip with 0 dB, a loud flat spectrum, and called jazz metal).
TEST(Segments, TileRepeatsAShortTrack) {
    std::vector<float> f;  // [2 bins][3 frames]: value = 10 * bin + frame
    for (int b = 0; b < 2; ++b) {
        for (int t = 0; t < 3; ++t) f.push_back(static_cast<float>(10 * b + t));
    }
    gs::segment_spec s;
    s.frames = 8;
    s.hop_frames = 4;
    s.fill = gs::segment_fill::tile;
    std::vector<float> out;
    ASSERT_EQ(gs::extract_segments(f.data(), 2, 3, s, -1.0f, out), 1u);
    EXPECT_EQ(out, (std::vector<float>{0, 1, 2, 0, 1, 2, 0, 1, 10, 11, 12, 10, 11, 12, 10, 11}));
    // One frame fills the whole segment; a track of exactly one segment is not touched.
    std::vector<float> seg(8);
    gs::copy_segment(f.data(), 1, 1, 0, s, -1.0f, seg.data());
    EXPECT_EQ(seg, std::vector<float>(8, 0.0f));
    s.frames = 3;
    gs::copy_segment(f.data(), 2, 3, 0, s, -1.0f, seg.data());
    EXPECT_EQ(std::vector<float>(seg.begin(), seg.begin() + 6), (std::vector<float>{0, 1, 2, 10, 11, 12}));
    // zeros (the default, and cards without segment.fill) keeps the pad value.
    s.frames = 5;
    s.fill = gs::segment_fill::zeros;
    gs::copy_segment(f.data(), 1, 3, 0, s, -1.0f, seg.data());
    EXPECT_EQ(std::vector<float>(seg.begin(), seg.begin() + 5), (std::vector<float>{0, 1, 2, -1, -1}));
}

TEST(Segments, SpreadIndicesKeepTheEndsAndStayDistinct) {
    EXPECT_EQ(gs::spread_indices(5, 8), (std::vector<size_t>{0, 1, 2, 3, 4}));  // fewer than asked: all
    EXPECT_EQ(gs::spread_indices(10, 4), (std::vector<size_t>{0, 3, 6, 9}));
    EXPECT_EQ(gs::spread_indices(313, 64).front(), 0u);
    EXPECT_EQ(gs::spread_indices(313, 64).back(), 312u);
    EXPECT_EQ(gs::spread_indices(313, 64).size(), 64u);
    EXPECT_EQ(gs::spread_indices(7, 1), (std::vector<size_t>{0}));
    EXPECT_TRUE(gs::spread_indices(7, 0).empty());
    for (size_t n = 2; n < 200; n += 7) {
        for (size_t k = 2; k < n; k += 5) {
            const std::vector<size_t> v = gs::spread_indices(n, k);
            ASSERT_EQ(v.size(), k);
            EXPECT_EQ(v.back(), n - 1);
            for (size_t i = 1; i < v.size(); ++i) EXPECT_LT(v[i - 1], v[i]) << n << " " << k;
        }
    }
}

TEST(Segments, FillNamesRoundTrip) {
    for (gs::segment_fill f : {gs::segment_fill::zeros, gs::segment_fill::tile}) {
        gs::segment_fill back = f == gs::segment_fill::tile ? gs::segment_fill::zeros : gs::segment_fill::tile;
        ASSERT_TRUE(gs::parse_segment_fill(gs::to_string(f), back));
        EXPECT_EQ(back, f);
    }
    gs::segment_fill out = gs::segment_fill::zeros;
    EXPECT_FALSE(gs::parse_segment_fill("Tile", out));
    EXPECT_FALSE(gs::parse_segment_fill("", out));
}

TEST(Segments, Aggregations) {
    const std::vector<float> p = {0.7f, 0.2f, 0.1f,  //
                                  0.1f, 0.5f, 0.4f,  //
                                  0.6f, 0.3f, 0.1f};
    std::vector<float> mean = gs::aggregate(p.data(), 3, 3, gs::aggregation::mean);
    EXPECT_NEAR(mean[0], 1.4f / 3, 1e-6f);
    EXPECT_NEAR(mean[1], 1.0f / 3, 1e-6f);
    std::vector<float> vote = gs::aggregate(p.data(), 3, 3, gs::aggregation::vote);
    EXPECT_NEAR(vote[0], 2.0f / 3, 1e-6f);
    EXPECT_NEAR(vote[1], 1.0f / 3, 1e-6f);
    EXPECT_EQ(vote[2], 0.0f);
    std::vector<float> mx = gs::aggregate(p.data(), 3, 3, gs::aggregation::max);
    EXPECT_NEAR(mx[0], 0.7f / 1.6f, 1e-6f);
    std::vector<float> geo = gs::aggregate(p.data(), 3, 3, gs::aggregation::geometric_mean);
    const double g0 = std::cbrt(0.7 * 0.1 * 0.6), g1 = std::cbrt(0.2 * 0.5 * 0.3), g2 = std::cbrt(0.1 * 0.4 * 0.1);
    EXPECT_NEAR(geo[0], g0 / (g0 + g1 + g2), 1e-5);
    for (const auto& v : {mean, vote, mx, geo}) {
        float sum = 0;
        for (float x : v) sum += x;
        EXPECT_NEAR(sum, 1.0f, 1e-5f);
    }
    EXPECT_EQ(gs::aggregate(p.data(), 0, 3, gs::aggregation::mean), (std::vector<float>{0, 0, 0}));
    gs::aggregation a;
    EXPECT_TRUE(gs::parse_aggregation("geometric_mean", a));
    EXPECT_EQ(a, gs::aggregation::geometric_mean);
    EXPECT_FALSE(gs::parse_aggregation("median", a));
}

TEST(FeatureConfig, JsonRoundTripKeepsEveryField) {
    gs::feature_config c;
    c.kind = gs::feature_kind::mfcc;
    c.sample_rate_hz = 16000;
    c.stft.n_fft = 1024;
    c.stft.hop_length = 160;
    c.stft.center = false;
    c.stft.pad = gs::pad_mode::reflect;
    c.n_mels = 64;
    c.fmin_hz = 30;
    c.fmax_hz = 7600;
    c.htk = true;
    c.mel_norm_slaney = false;
    c.db.ref_max = true;
    c.db.amin = 1e-8;
    c.db.top_db = -1;
    c.n_mfcc = 13;
    c.lifter = 22;
    c.n_chroma = 24;
    c.tuning = -0.25;
    c.norm_mean = std::vector<float>(13, 0.5f);
    c.norm_std = std::vector<float>(13, 2.0f);
    const std::string text = gs::json_write(gs::to_json(c));
    gs::json_value j;
    ASSERT_EQ(gs::json_parse(text, j), "");
    gs::feature_config d;
    ASSERT_EQ(gs::from_json(j, d), "");
    EXPECT_EQ(gs::json_write(gs::to_json(d)), text);
    EXPECT_EQ(d.kind, gs::feature_kind::mfcc);
    EXPECT_EQ(d.stft.pad, gs::pad_mode::reflect);
    EXPECT_TRUE(d.db.ref_max);
    EXPECT_LT(d.db.top_db, 0);
    EXPECT_EQ(d.norm_std.size(), 13u);
}

TEST(FeatureConfig, RejectsBadJson) {
    const char* bad[] = {
        R"({"kind": "cqt"})",
        R"({"n_fft": 1})",
        R"({"n_fft": 2048.5})",
        R"({"hop_length": "512"})",
        R"({"pad_mode": "wrap"})",
        R"({"window": "hamming"})",
        R"({"db_ref": "min"})",
        R"({"kind": "mfcc", "n_mfcc": 200, "n_mels": 128})",
        R"({"norm_mean": [1, 2], "norm_std": [1]})",
        R"({"kind": "mel_db", "norm_mean": [0], "norm_std": [0]})",
        R"({"sample_rate_hz": 8000, "fmin_hz": 5000})",
        R"([1, 2])",
    };
    for (const char* text : bad) {
        gs::json_value j;
        ASSERT_EQ(gs::json_parse(text, j), "") << text;
        gs::feature_config c;
        c.n_mels = 77;  // untouched on error
        EXPECT_NE(gs::from_json(j, c), "") << text;
        EXPECT_EQ(c.n_mels, 77) << text;
    }
}

TEST(FeatureConfig, MissingFieldsKeepLibrosaDefaults) {
    gs::json_value j;
    ASSERT_EQ(gs::json_parse("{}", j), "");
    gs::feature_config c;
    ASSERT_EQ(gs::from_json(j, c), "");
    EXPECT_EQ(c.kind, gs::feature_kind::mel_db);
    EXPECT_EQ(c.sample_rate_hz, 22050);
    EXPECT_EQ(c.stft.n_fft, 2048);
    EXPECT_EQ(c.stft.hop_length, 512);
    EXPECT_EQ(c.n_mels, 128);
    EXPECT_EQ(c.db.top_db, 80.0);
    EXPECT_FALSE(c.frame_local());
}

TEST(FeatureConfig, NormalisationPerBinAndScalar) {
    gs::feature_config c;
    c.kind = gs::feature_kind::chroma;
    c.n_chroma = 2;
    c.norm_mean = {1.0f, 2.0f};
    c.norm_std = {2.0f, 4.0f};
    ASSERT_EQ(gs::validate(c), "");
    std::vector<float> v = {3, 5, 6, 10};  // [2 bins][2 frames]
    gs::apply_normalisation(c, v.data(), 2, 2, 1);
    EXPECT_EQ(v, (std::vector<float>{1, 2, 1, 2}));
    c.norm_mean = {1.0f};
    c.norm_std = {2.0f};
    std::vector<float> w = {3, 5};  // frame-major, 1 frame
    gs::apply_normalisation(c, w.data(), 1, 1, 2);
    EXPECT_EQ(w, (std::vector<float>{1, 2}));
}

TEST(FeatureConfig, NormalisationAtBin) {
    gs::feature_config c;
    c.kind = gs::feature_kind::chroma;
    c.n_chroma = 3;
    EXPECT_EQ(c.norm_mean_at(2), 0.0f);  // empty: the identity
    EXPECT_EQ(c.norm_std_at(2), 1.0f);
    c.norm_mean = {-5.0f};
    c.norm_std = {4.0f};
    EXPECT_EQ(c.norm_mean_at(0), -5.0f);  // one value for every bin
    EXPECT_EQ(c.norm_std_at(2), 4.0f);
    c.norm_mean = {1.0f, 2.0f, 3.0f};
    c.norm_std = {0.5f, 0.25f, 0.125f};
    for (int b = 0; b < 3; ++b) {  // one value per bin
        EXPECT_EQ(c.norm_mean_at(b), c.norm_mean[static_cast<size_t>(b)]);
        EXPECT_EQ(c.norm_std_at(b), c.norm_std[static_cast<size_t>(b)]);
    }
}
