// test_compact_frontend.cpp: the compact_cnn_melgram feature kind (Choi's compact convnet front end: TF "same"
// framing, power spectrum, explicit or computed mel filterbank, dB relative to the input's maximum) against
// numbers from an independent numpy evaluation of the original network's stored DFT kernels and filterbank.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "genrescope/feature_config.h"
#include "genrescope/features.h"
#include "genrescope/json.h"
#include "genrescope/mel.h"
#include "genrescope/stft.h"
#include "genrescope/streaming.h"

namespace {

constexpr int kBands = 96;

// 0.5 sin(2 pi 1000 t) + 0.1 sin(2 pi 3000 t + 0.3) at 12 kHz, rounded to float (the oracle's input too).
std::vector<float> two_tones(size_t n) {
    std::vector<float> y(n);
    const double pi = 3.14159265358979323846;
    for (size_t i = 0; i < n; ++i) {
        y[i] = static_cast<float>(0.5 * std::sin(2 * pi * 1000.0 * i / 12000.0) +
                                  0.1 * std::sin(2 * pi * 3000.0 * i / 12000.0 + 0.3));
    }
    return y;
}

std::string compute(const gs::feature_config& c, const std::vector<float>& y, std::vector<float>& out,
                    size_t& n_frames) {
    gs::feature_extractor fx;
    std::string err = fx.init(c);
    if (!err.empty()) return err;
    return fx.compute(y.data(), y.size(), out, n_frames);
}

// FNV-1a over the bits of the floats: equal in the native and the wasm build only when every bit is.
uint64_t fnv1a_bits(const std::vector<float>& v) {
    uint64_t h = 1469598103934665603ull;
    for (float x : v) {
        uint32_t b;
        std::memcpy(&b, &x, sizeof b);
        for (int i = 0; i < 4; ++i) {
            h ^= (b >> (8 * i)) & 0xffu;
            h *= 1099511628211ull;
        }
    }
    return h;
}

}  // namespace

TEST(CompactFrontend, SameFramingCountsAndOffsets) {
    gs::stft_params p;
    p.n_fft = 512;
    p.hop_length = 256;
    // ref: TF SAME: n_frames = ceil(n / 256), pad_before = max((n_frames - 1) * 256 + 512 - n, 0) / 2
    EXPECT_EQ(gs::stft_same_n_frames(p, 0), 0u);
    EXPECT_EQ(gs::stft_same_n_frames(p, 1), 1u);
    EXPECT_EQ(gs::stft_same_pad_before(p, 1), 255u);        // pad_total 511
    EXPECT_EQ(gs::stft_same_n_frames(p, 3000), 12u);
    EXPECT_EQ(gs::stft_same_pad_before(p, 3000), 164u);     // pad_total 328
    EXPECT_EQ(gs::stft_same_n_frames(p, 12000), 47u);
    EXPECT_EQ(gs::stft_same_pad_before(p, 12000), 144u);    // pad_total 288
    EXPECT_EQ(gs::stft_same_n_frames(p, 348000), 1360u);    // the original's 29-s input: 96 x 1360
    EXPECT_EQ(gs::stft_same_pad_before(p, 348000), 208u);
    EXPECT_EQ(gs::stft_same_pad_before(p, 1024), 128u);     // a multiple of the hop: pad_total 256
}

TEST(CompactFrontend, ConfigDefaultsFrameLocalityAndJsonRoundTrip) {
    gs::feature_config c = gs::compact_cnn_feature_config();
    EXPECT_EQ(gs::validate(c), "");
    EXPECT_EQ(c.n_bins(), kBands);
    EXPECT_EQ(c.sample_rate_hz, 12000);
    EXPECT_FALSE(c.frame_local());  // as the original: whole-input dB reference and length-dependent framing
    gs::streaming_features s;
    EXPECT_NE(s.init(gs::compact_cnn_feature_config()), "");
    c.db.ref_max = false;
    EXPECT_FALSE(c.frame_local());  // top_db still needs the whole input
    c.db.top_db = -1;
    EXPECT_TRUE(c.frame_local());   // the variant a trainer backbone uses (fixed ref, no floor)
    EXPECT_EQ(s.init(c), "");

    gs::feature_kind k;
    ASSERT_TRUE(gs::parse_feature_kind("compact_cnn_melgram", k));
    EXPECT_EQ(k, gs::feature_kind::compact_cnn_melgram);

    // The kind alone gives the compact convnet's defaults.
    gs::json_value j;
    ASSERT_EQ(gs::json_parse(R"({"kind": "compact_cnn_melgram"})", j), "");
    gs::feature_config d;
    ASSERT_EQ(gs::from_json(j, d), "");
    EXPECT_EQ(d.sample_rate_hz, 12000);
    EXPECT_EQ(d.stft.n_fft, 512);
    EXPECT_EQ(d.stft.hop_length, 256);
    EXPECT_EQ(d.n_mels, 96);
    EXPECT_EQ(d.fmax_hz, 6000.0);
    EXPECT_TRUE(d.db.ref_max);
    EXPECT_EQ(d.db.top_db, 80.0);
    EXPECT_TRUE(d.mel_weights.empty());

    // Configs without an explicit filterbank write no such field (the JSON and cache keys of every other
    // config are as before).
    EXPECT_EQ(gs::to_json(gs::feature_config{}).find("mel_weights"), nullptr);
    EXPECT_EQ(gs::to_json(gs::compact_cnn_feature_config()).find("mel_weights"), nullptr);
}

TEST(CompactFrontend, ExplicitFilterbankJsonRoundTripIsExact) {
    gs::feature_config c = gs::compact_cnn_feature_config();
    gs::mel_filterbank fb;
    ASSERT_EQ(fb.init(c.mel()), "");
    c.mel_weights = fb.dense();
    c.mel_weights[5] = 1.0f / 3.0f;  // a value that needs all of a float's digits
    ASSERT_EQ(gs::validate(c), "");
    const std::string text = gs::json_write(gs::to_json(c), -1);
    gs::json_value j;
    ASSERT_EQ(gs::json_parse(text, j), "");
    ASSERT_NE(j.find("mel_weights"), nullptr);
    EXPECT_EQ(j["mel_weights"]["shape"].as_array().size(), 2u);
    EXPECT_EQ(j["mel_weights"]["shape"].as_array()[0].as_number(), 96.0);
    EXPECT_EQ(j["mel_weights"]["shape"].as_array()[1].as_number(), 257.0);
    gs::feature_config d;
    ASSERT_EQ(gs::from_json(j, d), "");
    ASSERT_EQ(d.mel_weights.size(), c.mel_weights.size());
    EXPECT_EQ(std::memcmp(d.mel_weights.data(), c.mel_weights.data(), c.mel_weights.size() * sizeof(float)), 0);
    EXPECT_EQ(gs::json_write(gs::to_json(d), -1), text);
}

TEST(CompactFrontend, ExplicitFilterbankIsValidatedAsUntrusted) {
    gs::feature_config c = gs::compact_cnn_feature_config();
    gs::mel_filterbank fb;
    ASSERT_EQ(fb.init(c.mel()), "");
    c.mel_weights = fb.dense();
    const gs::json_value good = gs::to_json(c);

    auto expect_error = [&](const char* what, auto edit, const char* needle) {
        gs::json_value j = good;
        edit(j);
        gs::feature_config d;
        d.n_mels = 7;  // untouched on failure
        const std::string err = gs::from_json(j, d);
        EXPECT_NE(err.find(needle), std::string::npos) << what << ": " << err;
        EXPECT_EQ(d.n_mels, 7) << what;
    };
    expect_error("too few values", [](gs::json_value& j) {
        gs::json_value v = j["mel_weights"]["values"];
        gs::json_value shorter = gs::json_value::array();
        for (size_t i = 0; i + 1 < v.as_array().size(); ++i) shorter.push_back(v.as_array()[i]);
        j.find("mel_weights")->set("values", shorter);
    }, "values, its shape says");
    expect_error("wrong shape", [](gs::json_value& j) {
        gs::json_value shape = gs::json_value::array();
        shape.push_back(257);
        shape.push_back(96);
        j.find("mel_weights")->set("shape", shape);
    }, "is not [n_mels, n_fft/2+1]");
    expect_error("shape of one dimension", [](gs::json_value& j) {
        gs::json_value shape = gs::json_value::array();
        shape.push_back(96 * 257);
        j.find("mel_weights")->set("shape", shape);
    }, "'mel_weights' must be");
    expect_error("fractional shape", [](gs::json_value& j) {
        gs::json_value shape = gs::json_value::array();
        shape.push_back(96.5);
        shape.push_back(257);
        j.find("mel_weights")->set("shape", shape);
    }, "'mel_weights' must be");
    expect_error("not an object", [](gs::json_value& j) { j.set("mel_weights", gs::json_value::array()); },
                 "'mel_weights' must be");
    auto set_value = [](gs::json_value& j, gs::json_value v) {
        gs::json_value values = j["mel_weights"]["values"];
        gs::json_value edited = gs::json_value::array();
        for (size_t i = 0; i < values.as_array().size(); ++i) edited.push_back(i == 300 ? v : values.as_array()[i]);
        j.find("mel_weights")->set("values", edited);
    };
    expect_error("overflows a float", [&](gs::json_value& j) { set_value(j, gs::json_value(1e39)); }, "finite");
    expect_error("negative", [&](gs::json_value& j) { set_value(j, gs::json_value(-0.5)); }, "finite");
    expect_error("string", [&](gs::json_value& j) { set_value(j, gs::json_value(std::string("0.1"))); }, "finite");
    expect_error("fewer mels than the shape", [](gs::json_value& j) { j.set("n_mels", 64); }, "is not [n_mels");

    // In memory: validate() catches what JSON cannot carry (NaN, infinity) and a wrong size.
    gs::feature_config nan_cfg = c;
    nan_cfg.mel_weights[10] = std::numeric_limits<float>::quiet_NaN();
    EXPECT_NE(gs::validate(nan_cfg), "");
    gs::feature_extractor fx;
    EXPECT_NE(fx.init(nan_cfg), "");
    gs::feature_config inf_cfg = c;
    inf_cfg.mel_weights[10] = std::numeric_limits<float>::infinity();
    EXPECT_NE(gs::validate(inf_cfg), "");
    gs::feature_config short_cfg = c;
    short_cfg.mel_weights.pop_back();
    EXPECT_NE(gs::validate(short_cfg).find("n_mels x (n_fft/2+1)"), std::string::npos);
    gs::feature_config other_kind = gs::feature_config{};
    other_kind.mel_weights.assign(static_cast<size_t>(other_kind.n_mels) * 1025, 0.0f);
    EXPECT_NE(gs::validate(other_kind).find("only for compact_cnn_melgram"), std::string::npos);
    // The filterbank class checks on its own too.
    gs::mel_filterbank direct;
    std::vector<float> w = c.mel_weights;
    w[3] = -1.0f;
    EXPECT_NE(direct.init_explicit(c.mel(), w), "");
    w.pop_back();
    EXPECT_NE(direct.init_explicit(c.mel(), w), "");
}

TEST(CompactFrontend, ExplicitFilterbankEqualsComputedOneWhenGivenIt) {
    // The same weights explicit or computed give the same bits (the sparse application is the same).
    gs::feature_config computed = gs::compact_cnn_feature_config();
    gs::feature_config explicit_cfg = computed;
    gs::mel_filterbank fb;
    ASSERT_EQ(fb.init(computed.mel()), "");
    explicit_cfg.mel_weights = fb.dense();
    gs::mel_filterbank fb2;
    ASSERT_EQ(fb2.init_explicit(explicit_cfg.mel(), explicit_cfg.mel_weights), "");
    EXPECT_EQ(fb2.dense(), explicit_cfg.mel_weights);
    const std::vector<float> y = two_tones(5000);
    std::vector<float> a, b;
    size_t na = 0, nb = 0;
    ASSERT_EQ(compute(computed, y, a, na), "");
    ASSERT_EQ(compute(explicit_cfg, y, b, nb), "");
    ASSERT_EQ(na, nb);
    EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0);

    // A filterbank that is not the computed one changes the output (the explicit weights are really used).
    explicit_cfg.mel_weights[static_cast<size_t>(34) * 257 + 43] *= 4.0f;
    ASSERT_EQ(compute(explicit_cfg, y, b, nb), "");
    EXPECT_NE(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0);
}

TEST(CompactFrontend, FilterbankFacts) {
    // The computed filterbank is what the original stored (checked against the file in native_tests): 96 Slaney
    // bands over 0-6000 Hz; the DC and Nyquist bins carry no weight.
    gs::mel_filterbank fb;
    ASSERT_EQ(fb.init(gs::compact_cnn_feature_config().mel()), "");
    const std::vector<float> w = fb.dense();
    ASSERT_EQ(w.size(), 96u * 257u);
    int n_nonzero = 0;
    for (int m = 0; m < 96; ++m) {
        EXPECT_EQ(w[static_cast<size_t>(m) * 257 + 0], 0.0f) << m;
        EXPECT_EQ(w[static_cast<size_t>(m) * 257 + 256], 0.0f) << m;
        for (int k = 0; k < 257; ++k) n_nonzero += w[static_cast<size_t>(m) * 257 + k] != 0.0f;
    }
    EXPECT_EQ(n_nonzero, 502);  // numpy on melgram/Variable_2:0: 502 non-zero weights
    // numpy on the file: the first band's weights sum to 0.0414409, the largest weight is 0.03483332.
    double band0 = 0.0;
    for (int k = 0; k < 257; ++k) band0 += w[k];
    EXPECT_NEAR(band0, 0.0414409, 1e-6);
    EXPECT_NEAR(*std::max_element(w.begin(), w.end()), 0.03483332, 1e-7);
}

TEST(CompactFrontend, MatchesTheOriginalsFormulasOnTwoTones) {
    // Golden values: numpy (float64) on the stored DFT kernels (melgram/Variable:0, Variable_1:0) and filterbank
    // (Variable_2:0) of weights_tensorflow.hdf5, TF SAME framing (pad_before 164 for 3000 samples), power, mel,
    // 10 log10(max(x, 1e-10)) minus the maximum, floored at -80. With pad_before 163 or 165 instead, band 0 of
    // frame 0 moves by 0.07 dB, with librosa's centring (256) by 2.9 dB: the 0.01 dB tolerance tells them apart.
    const std::vector<float> y = two_tones(3000);
    std::vector<float> out;
    size_t n_frames = 0;
    ASSERT_EQ(compute(gs::compact_cnn_feature_config(), y, out, n_frames), "");
    ASSERT_EQ(n_frames, 12u);
    ASSERT_EQ(out.size(), 96u * 12u);
    auto at = [&](int band, int frame) { return out[static_cast<size_t>(band) * n_frames + frame]; };
    const struct { int band, frame; double db; } golden[] = {
        {34, 5, 0.0},       {33, 5, -10.0132}, {35, 5, -0.8430},  {72, 5, -16.8357}, {32, 5, -34.9576},
        {0, 0, -37.1155},   {20, 0, -33.4307}, {72, 0, -17.6024}, {34, 0, -0.9224},  {60, 11, -51.7192},
        {95, 11, -56.9427}, {20, 5, -80.0},    {50, 5, -80.0},    {95, 5, -80.0},
    };
    for (const auto& g : golden) EXPECT_NEAR(at(g.band, g.frame), g.db, 0.01) << g.band << "," << g.frame;
    // Max-relative dB: 0 at the maximum, nothing below -80, nothing above 0.
    EXPECT_EQ(*std::max_element(out.begin(), out.end()), 0.0f);
    EXPECT_GE(*std::min_element(out.begin(), out.end()), -80.0f);
    // numpy: 690 of the 1152 values are at the -80 dB floor; allow a few at the edge of the floor.
    const long n_floor = std::count_if(out.begin(), out.end(), [](float v) { return v <= -80.0f + 1e-4f; });
    EXPECT_NEAR(static_cast<double>(n_floor), 690.0, 6.0);
}

TEST(CompactFrontend, ToneEnergyInTheRightBandAndGainInvariance) {
    // A 1 kHz tone, 1 s: every interior frame peaks in band 34 (numpy: band 34 is the one whose triangle holds
    // 1 kHz; frame 10 is -51.43 dB in band 30), and a gain changes nothing but rounding (max-relative dB).
    std::vector<float> y(12000);
    for (size_t i = 0; i < y.size(); ++i) y[i] = static_cast<float>(0.5 * std::sin(2 * 3.14159265358979323846 * 1000.0 * i / 12000.0));
    std::vector<float> out;
    size_t n = 0;
    ASSERT_EQ(compute(gs::compact_cnn_feature_config(), y, out, n), "");
    ASSERT_EQ(n, 47u);
    for (size_t t = 2; t + 2 < n; ++t) {
        int best = 0;
        for (int m = 1; m < kBands; ++m) {
            if (out[static_cast<size_t>(m) * n + t] > out[static_cast<size_t>(best) * n + t]) best = m;
        }
        EXPECT_EQ(best, 34) << "frame " << t;
    }
    EXPECT_NEAR(out[30 * n + 10], -51.43164, 0.01);
    EXPECT_EQ(out[10 * n + 10], -80.0f);
    std::vector<float> quiet = y;
    for (float& v : quiet) v *= 0.01f;
    std::vector<float> out_quiet;
    ASSERT_EQ(compute(gs::compact_cnn_feature_config(), quiet, out_quiet, n), "");
    for (size_t i = 0; i < out.size(); ++i) ASSERT_NEAR(out_quiet[i], out[i], 2e-3) << i;
}

TEST(CompactFrontend, SilenceShortAndEmptyInputs) {
    std::vector<float> out;
    size_t n = 0;
    // Silence: every value is the reference itself, 0 dB.
    ASSERT_EQ(compute(gs::compact_cnn_feature_config(), std::vector<float>(1000, 0.0f), out, n), "");
    EXPECT_EQ(n, 4u);
    for (float v : out) ASSERT_EQ(v, 0.0f);
    // Shorter than one frame: TF SAME still gives one frame.
    ASSERT_EQ(compute(gs::compact_cnn_feature_config(), two_tones(100), out, n), "");
    EXPECT_EQ(n, 1u);
    EXPECT_EQ(*std::max_element(out.begin(), out.end()), 0.0f);
    // Empty input: an error, not a crash.
    EXPECT_NE(compute(gs::compact_cnn_feature_config(), std::vector<float>(), out, n), "");
}

TEST(CompactFrontend, BitExactGolden) {
    // The same bits in every build: this hash was recorded from the native build and is checked again when
    // the unit tests run as wasm under Node.
    std::vector<float> out;
    size_t n = 0;
    ASSERT_EQ(compute(gs::compact_cnn_feature_config(), two_tones(10001), out, n), "");
    ASSERT_EQ(n, 40u);
    EXPECT_EQ(fnv1a_bits(out), 0xd1debfac39eeb6caull) << std::hex << fnv1a_bits(out);
}

// The frame-local variant (fixed dB ref, no top_db): frames at t * hop with no "same" padding, streaming in
// uneven chunks equals batch bit for bit, and a frame does not change when the input grows.
TEST(CompactFrontend, FrameLocalVariantFramesPlainlyAndStreamsLikeBatch) {
    gs::feature_config c = gs::compact_cnn_feature_config();
    c.db.ref_max = false;
    c.db.ref = 1.0;
    c.db.top_db = -1;
    ASSERT_EQ(gs::validate(c), "");
    // Its JSON (as a model card carries it) reads back as the same frame-local config: before session 16's
    // fix the kind's defaults (ref = max) survived a numeric db_ref and the card of every model trained on
    // this backbone was refused by classify as "not frame-local".
    gs::feature_config back;
    ASSERT_EQ(gs::from_json(gs::to_json(c), back), "");
    EXPECT_FALSE(back.db.ref_max);
    EXPECT_EQ(back.db.ref, 1.0);
    EXPECT_LT(back.db.top_db, 0.0);
    EXPECT_TRUE(back.frame_local());
    const std::vector<float> y = two_tones(12000);
    std::vector<float> batch;
    size_t n_frames = 0;
    ASSERT_EQ(compute(c, y, batch, n_frames), "");
    EXPECT_EQ(n_frames, (12000u - 512u) / 256u + 1u);  // uncentred framing, as stft_n_frames
    // A longer input changes no earlier frame (with "same" padding every frame would move).
    std::vector<float> longer = y;
    longer.resize(15000, 0.25f);
    std::vector<float> batch2;
    size_t n2 = 0;
    ASSERT_EQ(compute(c, longer, batch2, n2), "");
    ASSERT_GT(n2, n_frames);
    for (int b = 0; b < kBands; ++b) {
        for (size_t t = 0; t < n_frames; ++t) {
            ASSERT_EQ(batch[b * n_frames + t], batch2[b * n2 + t]) << b << " " << t;
        }
    }
    // Streaming, pushed in chunks of 1, 7, 300, 4096, ... samples.
    gs::streaming_features s;
    ASSERT_EQ(s.init(c), "");
    std::vector<float> frames;  // frame-major [frame][bin]
    const size_t chunks[] = {1, 7, 300, 4096, 255, 2000};
    size_t at = 0;
    for (size_t k = 0; at < y.size(); ++k) {
        const size_t n = std::min(chunks[k % 6], y.size() - at);
        s.push(y.data() + at, n, frames);
        at += n;
    }
    s.finish(frames);
    ASSERT_GE(frames.size() / kBands, n_frames);
    for (size_t t = 0; t < n_frames; ++t) {
        for (int b = 0; b < kBands; ++b) ASSERT_EQ(frames[t * kBands + b], batch[b * n_frames + t]) << b << " " << t;
    }
}
