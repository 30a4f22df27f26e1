// test_yamnet_frontend.cpp: the yamnet_log_mel feature kind (TF framing, TF mel weights, libm-free ln) against
// YAMNet's test vector and independent evaluations of its formulas.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "../common/test_support.h"
#include "genrescope/feature_config.h"
#include "genrescope/features.h"
#include "genrescope/json.h"
#include "genrescope/mel.h"
#include "genrescope/stft.h"
#include "genrescope/streaming.h"

namespace {

constexpr size_t kTestSamples = 15600;  // yamnet_test_audio.bin: int16 little-endian, 16 kHz
constexpr size_t kTestFrames = 96;      // yamnet_test_spectra.bin: [96 frames][64 bands] float32
constexpr int kBands = 64;

std::string yamnet_dir() { return gs_test::shared_dir() + "/pretrained/yamnet"; }

// The test audio as floats, scaled by 1/8192 (the scaling the test vector was made with; see the README).
std::vector<float> test_audio() {
    const std::vector<uint8_t> b = gs_test::read_file_bytes(yamnet_dir() + "/yamnet_test_audio.bin");
    std::vector<float> y;
    if (b.size() != 2 * kTestSamples) return y;
    y.resize(kTestSamples);
    for (size_t i = 0; i < kTestSamples; ++i) {
        const int16_t v = static_cast<int16_t>(static_cast<uint16_t>(b[2 * i] | (b[2 * i + 1] << 8)));
        y[i] = static_cast<float>(v) / 8192.0f;
    }
    return y;
}

std::vector<float> test_spectra() {
    const std::vector<uint8_t> b = gs_test::read_file_bytes(yamnet_dir() + "/yamnet_test_spectra.bin");
    std::vector<float> s;
    if (b.size() != 4 * kTestFrames * kBands) return s;
    s.resize(kTestFrames * kBands);
    for (size_t i = 0; i < s.size(); ++i) {
        const uint32_t u = uint32_t(b[4 * i]) | (uint32_t(b[4 * i + 1]) << 8) | (uint32_t(b[4 * i + 2]) << 16) |
                           (uint32_t(b[4 * i + 3]) << 24);
        std::memcpy(&s[i], &u, sizeof u);
    }
    return s;
}

// Batch features, [n_bins][n_frames].
std::vector<float> batch(const gs::feature_config& c, const std::vector<float>& y, size_t& n_frames) {
    gs::feature_extractor fx;
    EXPECT_EQ(fx.init(c), "");
    std::vector<float> out;
    n_frames = 0;
    EXPECT_EQ(fx.compute(y.data(), y.size(), out, n_frames), "");
    return out;
}

// TF's linear_to_mel_weight_matrix entry (band m, FFT bin k), written out in double independently of shared/:
// mel(f) = 1127 ln(1 + f/700) via log1p, edges by direct interpolation, triangle in the mel domain, DC zero.
double tf_weight(int m, int k, int n_mels, int n_fft, double sr, double fmin, double fmax) {
    if (k == 0) return 0.0;
    auto mel = [](double f) { return 1127.0 * std::log1p(f / 700.0); };
    const double lo = mel(fmin), hi = mel(fmax);
    auto edge = [&](int i) { return lo + (hi - lo) * i / (n_mels + 1); };
    const double x = mel(k * sr / n_fft);
    const double l = edge(m), c = edge(m + 1), u = edge(m + 2);
    return std::max(0.0, std::min((x - l) / (c - l), (u - x) / (u - c)));
}

// The Hz centre of band m of YAMNet's filterbank.
double band_centre_hz(int m) {
    const gs::feature_config c = gs::yamnet_feature_config();
    const double lo = gs::hz_to_mel_tf(c.fmin_hz), hi = gs::hz_to_mel_tf(c.fmax_hz);
    const double mel = lo + (hi - lo) * (m + 1) / (c.n_mels + 1);
    return 700.0 * (std::exp(mel / 1127.0) - 1.0);
}

}  // namespace

// ---- the test vector

TEST(YamnetFrontend, FrameCount) {
    const gs::stft_params p = gs::yamnet_feature_config().stft;
    EXPECT_EQ(gs::stft_n_frames(p, kTestSamples), kTestFrames);  // 1 + (15600 - 400) / 160
    EXPECT_EQ(gs::stft_n_frames(p, 0), 0u);
    EXPECT_EQ(gs::stft_n_frames(p, 399), 0u);
    EXPECT_EQ(gs::stft_n_frames(p, 400), 1u);
    EXPECT_EQ(gs::stft_n_frames(p, 559), 1u);
    EXPECT_EQ(gs::stft_n_frames(p, 560), 2u);
}

TEST(YamnetFrontend, MatchesTheTestVector) {
    const std::vector<float> y = test_audio();
    const std::vector<float> want = test_spectra();
    ASSERT_EQ(y.size(), kTestSamples) << "cannot read " << yamnet_dir() << "/yamnet_test_audio.bin";
    ASSERT_EQ(want.size(), kTestFrames * kBands) << "cannot read " << yamnet_dir() << "/yamnet_test_spectra.bin";
    size_t n_frames = 0;
    const std::vector<float> got = batch(gs::yamnet_feature_config(), y, n_frames);
    ASSERT_EQ(n_frames, kTestFrames);
    ASSERT_EQ(got.size(), kTestFrames * kBands);
    std::vector<double> a(want.size()), r(want.size());  // both frame-major
    for (size_t t = 0; t < kTestFrames; ++t) {
        for (int b = 0; b < kBands; ++b) {
            a[t * kBands + b] = got[static_cast<size_t>(b) * kTestFrames + t];  // ours: [bands][frames]
            r[t * kBands + b] = want[t * kBands + b];                          // reference: [frames][bands]
            ASSERT_TRUE(std::isfinite(a[t * kBands + b]));
        }
    }
    const double n = static_cast<double>(a.size());
    double sum_d = 0, max_d = 0, mean_a = 0, mean_r = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        sum_d += std::fabs(a[i] - r[i]);
        max_d = std::max(max_d, std::fabs(a[i] - r[i]));
        mean_a += a[i] / n;
        mean_r += r[i] / n;
    }
    double saa = 0, srr = 0, sar = 0;  // Pearson correlation, two-pass
    for (size_t i = 0; i < a.size(); ++i) {
        saa += (a[i] - mean_a) * (a[i] - mean_a);
        srr += (r[i] - mean_r) * (r[i] - mean_r);
        sar += (a[i] - mean_a) * (r[i] - mean_r);
    }
    const double mean_d = sum_d / n;
    const double corr = sar / std::sqrt(saa * srr);
    std::printf("[ yamnet   ] test vector: mean |d| %.5f, max |d| %.5f, correlation %.7f\n", mean_d, max_d, corr);
    EXPECT_LE(mean_d, 0.05);
    EXPECT_LE(max_d, 0.6);
    EXPECT_GE(corr, 0.9999);
}

// ---- the filterbank

TEST(YamnetFrontend, FilterbankIsTensorFlows) {
    const gs::feature_config c = gs::yamnet_feature_config();
    gs::mel_filterbank fb;
    ASSERT_EQ(fb.init(c.mel()), "");
    const int nb = fb.n_bins();
    ASSERT_EQ(nb, 257);
    ASSERT_EQ(fb.n_mels(), kBands);
    const std::vector<float> w = fb.dense();
    const double bin_hz = 16000.0 / 512.0;
    double max_err = 0;
    for (int m = 0; m < kBands; ++m) {
        const float* row = w.data() + static_cast<size_t>(m) * nb;
        EXPECT_EQ(row[0], 0.0f) << "DC weight of band " << m;
        int peak = 0;
        for (int k = 0; k < nb; ++k) {
            const double f = k * bin_hz;
            if (!(f > 125.0 && f < 7500.0)) {
                EXPECT_EQ(row[k], 0.0f) << "band " << m << " bin " << k << " (" << f << " Hz)";
            }
            EXPECT_GE(row[k], 0.0f);
            EXPECT_LE(row[k], 1.0f);  // no area normalisation: the triangles peak at <= 1
            if (row[k] > row[peak]) peak = k;
            max_err = std::max(max_err, std::fabs(row[k] - tf_weight(m, k, kBands, 512, 16000, 125, 7500)));
        }
        EXPECT_GT(row[peak], 0.0f) << "band " << m << " is empty";
        EXPECT_LE(std::fabs(peak - band_centre_hz(m) / bin_hz), 1.0) << "band " << m << " peaks at bin " << peak;
    }
    EXPECT_LE(max_err, 1e-6);  // float rounding of the double-precision weights
    // A few entries from TF's formula evaluated in float64 (Python, outside this project).
    struct entry { int m, k; double w; };
    for (const entry& e : {entry{0, 5, 0.9476904648443717}, entry{10, 16, 0.6052732786751069},
                           entry{10, 17, 0.6670808314278097}, entry{19, 32, 0.5363006319091831},
                           entry{32, 62, 0.8948493497849259}, entry{40, 90, 0.9961910174966212},
                           entry{63, 236, 0.43478376067715613}, entry{10, 18, 0.0}}) {
        EXPECT_NEAR(w[static_cast<size_t>(e.m) * nb + e.k], e.w, 1e-7) << "band " << e.m << " bin " << e.k;
    }
}

TEST(YamnetFrontend, FilterbankDiffersFromLibrosasHtk) {
    // librosa's HTK triangles are linear in Hz, TF's in mel: the same edges give different weights.
    gs::mel_params tf = gs::yamnet_feature_config().mel();
    gs::mel_params lr = tf;
    lr.tf_weights = false;
    lr.htk = true;
    lr.slaney_norm = false;
    gs::mel_filterbank a, b;
    ASSERT_EQ(a.init(tf), "");
    ASSERT_EQ(b.init(lr), "");
    const std::vector<float> wa = a.dense(), wb = b.dense();
    double max_diff = 0;
    for (size_t i = 0; i < wa.size(); ++i) max_diff = std::max(max_diff, std::fabs(double(wa[i]) - wb[i]));
    EXPECT_GT(max_diff, 1e-3);
}

TEST(YamnetFrontend, TfWeightsNeedFmaxWithinNyquist) {
    gs::mel_params p = gs::yamnet_feature_config().mel();
    p.fmax_hz = 8000.0;
    EXPECT_EQ(gs::validate(p), "");
    p.fmax_hz = 8001.0;
    EXPECT_NE(gs::validate(p), "");
}

// ---- framing and spectrum

TEST(YamnetFrontend, WindowIsPeriodicHann400PaddedAtTheEnd) {
    gs::stft_plan plan;
    ASSERT_EQ(plan.init(gs::yamnet_feature_config().stft), "");
    const std::vector<float>& w = plan.window();
    ASSERT_EQ(w.size(), 512u);
    const double pi = 3.14159265358979323846;
    for (int i = 0; i < 400; ++i) EXPECT_NEAR(w[i], 0.5 - 0.5 * std::cos(2 * pi * i / 400), 1e-7) << i;
    for (int i = 400; i < 512; ++i) EXPECT_EQ(w[i], 0.0f) << i;
}

TEST(YamnetFrontend, MagnitudeMatchesADirectDft) {
    // Frame 3 of the test audio, windowed and zero-padded at the end, through a plain double-precision DFT.
    const std::vector<float> y = test_audio();
    ASSERT_EQ(y.size(), kTestSamples);
    const gs::stft_params p = gs::yamnet_feature_config().stft;
    std::vector<float> frame(512, 123.0f);
    gs::stft_gather_frame(p, y.data(), y.size(), 3, frame.data());
    for (int i = 0; i < 400; ++i) ASSERT_EQ(frame[i], y[3 * 160 + i]);
    for (int i = 400; i < 512; ++i) ASSERT_EQ(frame[i], 0.0f);
    gs::stft_plan plan;
    ASSERT_EQ(plan.init(p), "");
    std::vector<float> mag(257);
    plan.magnitude_frame(frame.data(), mag.data());
    const double pi = 3.14159265358979323846;
    double peak = 0, worst = 0;
    for (int k = 0; k <= 256; ++k) {
        double re = 0, im = 0;
        for (int i = 0; i < 400; ++i) {
            const double v = y[3 * 160 + i] * (0.5 - 0.5 * std::cos(2 * pi * i / 400));
            re += v * std::cos(2 * pi * k * i / 512);
            im -= v * std::sin(2 * pi * k * i / 512);
        }
        const double want = std::sqrt(re * re + im * im);
        peak = std::max(peak, want);
        worst = std::max(worst, std::fabs(mag[k] - want));
    }
    EXPECT_LE(worst, 1e-5 * peak);
}

TEST(YamnetFrontend, FramesStartAtZeroWithoutCentring) {
    // An impulse at sample 420 lies outside frame 0 ([0, 400)) and inside frame 1 ([160, 560)). A librosa-style
    // centred window (or centre padding) would put it into frame 0.
    std::vector<float> y(2000, 0.0f);
    y[420] = 1.0f;
    size_t n_frames = 0;
    const std::vector<float> out = batch(gs::yamnet_feature_config(), y, n_frames);
    ASSERT_EQ(n_frames, 1 + (2000 - 400) / 160u);
    const float silent = gs::natural_log(0.001f);
    for (int b = 0; b < kBands; ++b) EXPECT_EQ(out[static_cast<size_t>(b) * n_frames + 0], silent) << b;
    bool loud = false;
    for (int b = 0; b < kBands; ++b) loud |= out[static_cast<size_t>(b) * n_frames + 1] > silent + 1.0f;
    EXPECT_TRUE(loud);
}

TEST(YamnetFrontend, UsesMagnitudeNotPower) {
    // Doubling the input doubles mel (= exp(out) - 0.001); a power spectrum would quadruple it.
    const std::vector<float> y = test_audio();
    ASSERT_EQ(y.size(), kTestSamples);
    std::vector<float> y2(y);
    for (float& v : y2) v *= 2.0f;
    size_t n1 = 0, n2 = 0;
    const gs::feature_config c = gs::yamnet_feature_config();
    const std::vector<float> a = batch(c, y, n1), b = batch(c, y2, n2);
    ASSERT_EQ(a.size(), b.size());
    size_t checked = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        const double ma = std::exp(double(a[i])) - 0.001, mb = std::exp(double(b[i])) - 0.001;
        if (ma < 0.1) continue;  // the offset and float rounding dominate tiny values
        EXPECT_NEAR(mb / ma, 2.0, 1e-3) << i;
        ++checked;
    }
    EXPECT_GT(checked, 100u);
}

TEST(YamnetFrontend, PureToneAndSilence) {
    const gs::feature_config c = gs::yamnet_feature_config();
    int want_band = 0;  // the band whose centre is nearest 1 kHz
    for (int m = 1; m < kBands; ++m) {
        if (std::fabs(band_centre_hz(m) - 1000.0) < std::fabs(band_centre_hz(want_band) - 1000.0)) want_band = m;
    }
    std::vector<float> tone(16000);
    const double pi = 3.14159265358979323846;
    for (size_t i = 0; i < tone.size(); ++i) tone[i] = static_cast<float>(0.5 * std::sin(2 * pi * 1000.0 * i / 16000));
    size_t n_frames = 0;
    const std::vector<float> out = batch(c, tone, n_frames);
    ASSERT_EQ(n_frames, 1 + (16000 - 400) / 160u);
    for (size_t t = 0; t < n_frames; ++t) {
        int best = 0;
        for (int b = 1; b < kBands; ++b) {
            if (out[static_cast<size_t>(b) * n_frames + t] > out[static_cast<size_t>(best) * n_frames + t]) best = b;
        }
        ASSERT_EQ(best, want_band) << "frame " << t;
    }
    const std::vector<float> silence(16000, 0.0f);
    const std::vector<float> quiet = batch(c, silence, n_frames);
    const float want = gs::natural_log(0.001f);
    EXPECT_NEAR(want, std::log(0.001), 1e-6);
    for (size_t i = 0; i < quiet.size(); ++i) ASSERT_EQ(std::memcmp(&quiet[i], &want, sizeof want), 0) << i;
}

// ---- the libm-free natural log

TEST(YamnetFrontend, NaturalLogAccuracy) {
    double max_rel = 0, max_ulp = 0;
    float worst_x = 0;
    // Every 97th float from 1e-3 to 1e6 (about 245,000 values), then a band around 1 and some extremes.
    std::vector<float> xs;
    for (float x = 1e-3f; x <= 1e6f;) {
        xs.push_back(x);
        uint32_t u;
        std::memcpy(&u, &x, sizeof u);
        u += 97;
        std::memcpy(&x, &u, sizeof u);
    }
    for (int i = -2000; i <= 2000; ++i) xs.push_back(1.0f + static_cast<float>(i) * 5.96046448e-8f);  // 2^-24 steps
    for (float x : {1e-30f, 1.17549435e-38f, 1e-40f, 1.4e-45f, 3.4e38f, 0.5f, 2.0f, 0.7071067f, 1.4142135f}) {
        xs.push_back(x);
    }
    for (float x : xs) {
        if (!(x > 0.0f) || x == 1.0f) continue;
        const double exact = std::log(static_cast<double>(x));
        const float got = gs::natural_log(x);
        const double err = std::fabs(got - exact);
        const float near = std::fabs(static_cast<float>(exact));
        const double ulp = static_cast<double>(std::nextafter(near, INFINITY)) - near;
        if (err / std::fabs(exact) > max_rel) {
            max_rel = err / std::fabs(exact);
            worst_x = x;
        }
        max_ulp = std::max(max_ulp, err / ulp);
    }
    std::printf("[ yamnet   ] natural_log over %zu values: max relative error %.3g (at %.9g), max %.2f ulp\n",
                xs.size(), max_rel, static_cast<double>(worst_x), max_ulp);
    EXPECT_LE(max_rel, 3e-7);
    EXPECT_LE(max_ulp, 2.0);
    EXPECT_EQ(gs::natural_log(1.0f), 0.0f);
    EXPECT_EQ(gs::natural_log(0.0f), -INFINITY);
    EXPECT_EQ(gs::natural_log(-1.0f), -INFINITY);
    EXPECT_EQ(gs::natural_log(INFINITY), INFINITY);
    EXPECT_TRUE(std::isnan(gs::natural_log(std::numeric_limits<float>::quiet_NaN())));
}

TEST(YamnetFrontend, NaturalLogLanesEqualScalar) {
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> e(-40.0f, 40.0f);
    const float specials[] = {0.0f, -1.0f, 1e-40f, INFINITY, 1.0f, 0.001f};
    for (int i = 0; i < 20000; ++i) {
        gs::float4 x;
        for (int l = 0; l < gs::kLanes; ++l) x[l] = std::exp2(e(rng));
        if (i % 50 == 0) x[i / 50 % gs::kLanes] = specials[(i / 200) % 6];  // mixed lanes take the scalar path
        const gs::float4 got = gs::natural_log(x);
        for (int l = 0; l < gs::kLanes; ++l) {
            const float want = gs::natural_log(static_cast<float>(x[l]));
            const float g = got[l];
            ASSERT_EQ(std::memcmp(&g, &want, sizeof g), 0) << x[l];
        }
    }
}

// ---- streaming

TEST(YamnetFrontend, StreamingEqualsBatchBitForBit) {
    const std::vector<float> y = test_audio();
    ASSERT_EQ(y.size(), kTestSamples);
    const gs::feature_config c = gs::yamnet_feature_config();
    ASSERT_TRUE(c.frame_local());
    for (size_t n : {size_t{0}, size_t{399}, size_t{400}, size_t{401}, size_t{559}, size_t{560}, size_t{1234},
                     kTestSamples}) {
        const std::vector<float> part(y.begin(), y.begin() + static_cast<std::ptrdiff_t>(n));
        gs::feature_extractor fx;
        ASSERT_EQ(fx.init(c), "");
        std::vector<float> want;
        size_t want_frames = 0;
        if (!fx.compute(part.data(), part.size(), want, want_frames).empty()) want_frames = 0;
        for (const std::vector<size_t>& chunks : std::vector<std::vector<size_t>>{
                 {1}, {7}, {333}, {7, 1, 300}, {160}, {400}, {399, 161, 2}, {100000}}) {
            gs::streaming_features s;
            ASSERT_EQ(s.init(c), "");
            std::vector<float> got;
            size_t pos = 0, i = 0;
            while (pos < part.size()) {
                const size_t k = std::min(chunks[i++ % chunks.size()], part.size() - pos);
                s.push(part.data() + pos, k, got);
                pos += k;
            }
            s.finish(got);
            ASSERT_EQ(s.frames_emitted(), want_frames) << "n=" << n;
            ASSERT_EQ(got.size(), want_frames * kBands);
            for (size_t t = 0; t < want_frames; ++t) {
                for (int b = 0; b < kBands; ++b) {
                    const float w = want[static_cast<size_t>(b) * want_frames + t];
                    const float g = got[t * kBands + static_cast<size_t>(b)];
                    ASSERT_EQ(std::memcmp(&w, &g, sizeof w), 0) << "n=" << n << " frame " << t << " band " << b;
                }
            }
        }
    }
}

TEST(YamnetFrontend, SingleFrameEqualsBatch) {
    const std::vector<float> y = test_audio();
    ASSERT_EQ(y.size(), kTestSamples);
    const gs::feature_config c = gs::yamnet_feature_config();
    size_t n_frames = 0;
    const std::vector<float> want = batch(c, y, n_frames);
    gs::feature_extractor fx;
    ASSERT_EQ(fx.init(c), "");
    std::vector<float> col(kBands);
    for (size_t t : {size_t{0}, size_t{1}, size_t{50}, n_frames - 1}) {
        fx.compute_frame(y.data() + t * 160, col.data());  // only 400 samples are read
        for (int b = 0; b < kBands; ++b) ASSERT_EQ(col[b], want[static_cast<size_t>(b) * n_frames + t]) << t;
    }
}

// ---- configuration

TEST(YamnetFrontend, ConfigDefaultsAndJsonRoundTrip) {
    const gs::feature_config c = gs::yamnet_feature_config();
    EXPECT_EQ(gs::validate(c), "");
    EXPECT_EQ(c.n_bins(), kBands);
    EXPECT_EQ(c.sample_rate_hz, 16000);
    EXPECT_EQ(c.stft.frame_length(), 400);
    EXPECT_STREQ(gs::to_string(c.kind), "yamnet_log_mel");
    gs::feature_kind k;
    ASSERT_TRUE(gs::parse_feature_kind("yamnet_log_mel", k));
    EXPECT_EQ(k, gs::feature_kind::yamnet_log_mel);

    const std::string text = gs::json_write(gs::to_json(c));
    gs::json_value j;
    ASSERT_EQ(gs::json_parse(text, j), "");
    EXPECT_EQ(j["win_length"].as_number(), 400.0);
    gs::feature_config d;
    ASSERT_EQ(gs::from_json(j, d), "");
    EXPECT_EQ(gs::json_write(gs::to_json(d)), text);
    EXPECT_EQ(d.kind, gs::feature_kind::yamnet_log_mel);
    EXPECT_EQ(d.stft.win_length, 400);
    EXPECT_FALSE(d.stft.center);

    // The kind alone gives YAMNet's defaults; other fields override them.
    ASSERT_EQ(gs::json_parse(R"({"kind": "yamnet_log_mel", "n_mels": 32})", j), "");
    ASSERT_EQ(gs::from_json(j, d), "");
    EXPECT_EQ(d.n_mels, 32);
    EXPECT_EQ(d.stft.n_fft, 512);
    EXPECT_EQ(d.stft.hop_length, 160);
    EXPECT_EQ(d.fmax_hz, 7500.0);

    // Configs without win_length write no such field (their JSON, and the cache keys hashed from it, are as before).
    EXPECT_EQ(gs::to_json(gs::feature_config{}).find("win_length"), nullptr);
}

TEST(YamnetFrontend, ValidateRejectsBadWinLengthAndInconsistentYamnetConfigs) {
    auto bad = [](const char* what, auto edit) {
        gs::feature_config c = gs::yamnet_feature_config();
        edit(c);
        EXPECT_NE(gs::validate(c), "") << what;
    };
    bad("win_length > n_fft", [](gs::feature_config& c) { c.stft.win_length = 513; });
    bad("negative win_length", [](gs::feature_config& c) { c.stft.win_length = -1; });
    bad("centred", [](gs::feature_config& c) { c.stft.center = true; });
    bad("centred, win_length = n_fft", [](gs::feature_config& c) { c.stft.center = true, c.stft.win_length = 0; });
    bad("not htk", [](gs::feature_config& c) { c.htk = false; });
    bad("slaney norm", [](gs::feature_config& c) { c.mel_norm_slaney = true; });
    bad("fmax above Nyquist", [](gs::feature_config& c) { c.fmax_hz = 9000; });
    bad("fmin >= fmax", [](gs::feature_config& c) { c.fmin_hz = 7500; });
    bad("no mels", [](gs::feature_config& c) { c.n_mels = 0; });
    gs::feature_config ok = gs::yamnet_feature_config();
    ok.stft.win_length = 512;  // a whole-FFT frame is fine too
    EXPECT_EQ(gs::validate(ok), "");
    // librosa kinds take win_length 0 or n_fft only.
    gs::feature_config lib;
    lib.stft.win_length = 2048;
    EXPECT_EQ(gs::validate(lib), "");
    lib.stft.win_length = 1024;
    EXPECT_NE(gs::validate(lib), "");
    lib.stft.center = false;
    EXPECT_NE(gs::validate(lib), "");
    // From JSON.
    for (const char* text : {R"({"kind": "yamnet_log_mel", "win_length": 600})",
                             R"({"kind": "yamnet_log_mel", "center": true})",
                             R"({"kind": "yamnet_log_mel", "win_length": 400.5})",
                             R"({"kind": "yamnet_log_mel", "mel_norm": "slaney"})",
                             R"({"win_length": 1000})"}) {
        gs::json_value j;
        ASSERT_EQ(gs::json_parse(text, j), "") << text;
        gs::feature_config c;
        EXPECT_NE(gs::from_json(j, c), "") << text;
    }
}
