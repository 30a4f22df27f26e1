// test_features.cpp: STFT, mel, dB, MFCC and chroma properties, independent of the librosa fixtures.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <cstring>
#include <random>
#include <vector>

#include "genrescope/chroma.h"
#include "genrescope/features.h"
#include "genrescope/mel.h"
#include "genrescope/mfcc.h"
#include "genrescope/stft.h"

namespace {

const double kPi = 3.14159265358979323846;

std::vector<float> random_signal(size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> d(-1.0f, 1.0f);
    std::vector<float> y(n);
    for (float& v : y) v = d(rng);
    return y;
}

// Power spectrum by a direct DFT in double, with the periodic Hann window.
std::vector<double> dft_power(const std::vector<float>& frame) {
    const size_t n = frame.size();
    std::vector<double> out(n / 2 + 1);
    for (size_t k = 0; k <= n / 2; ++k) {
        std::complex<double> acc = 0;
        for (size_t i = 0; i < n; ++i) {
            const double w = 0.5 - 0.5 * std::cos(2 * kPi * i / n);
            acc += w * frame[i] * std::polar(1.0, -2 * kPi * k * i / n);
        }
        out[k] = std::norm(acc);
    }
    return out;
}

}  // namespace

TEST(Stft, FrameCountsFollowLibrosa) {
    gs::stft_params p;
    p.n_fft = 2048;
    p.hop_length = 512;
    EXPECT_EQ(gs::stft_n_frames(p, 0), 1u);  // centred: 1 + n // hop
    EXPECT_EQ(gs::stft_n_frames(p, 511), 1u);
    EXPECT_EQ(gs::stft_n_frames(p, 512), 2u);
    EXPECT_EQ(gs::stft_n_frames(p, 66150), 130u);
    p.center = false;
    EXPECT_EQ(gs::stft_n_frames(p, 2047), 0u);
    EXPECT_EQ(gs::stft_n_frames(p, 2048), 1u);
    EXPECT_EQ(gs::stft_n_frames(p, 2048 + 511), 1u);
    EXPECT_EQ(gs::stft_n_frames(p, 2048 + 512), 2u);
}

TEST(Stft, PowerMatchesDirectDftForEvenAndOddSizes) {
    for (int n_fft : {16, 64, 400, 45, 33}) {
        gs::stft_params p;
        p.n_fft = n_fft;
        p.hop_length = n_fft / 2;
        gs::stft_plan plan;
        ASSERT_EQ(plan.init(p), "");
        const std::vector<float> frame = random_signal(static_cast<size_t>(n_fft), 7u + n_fft);
        std::vector<float> got(static_cast<size_t>(plan.n_bins()));
        plan.power_frame(frame.data(), got.data());
        const std::vector<double> want = dft_power(frame);
        double peak = 0;
        for (double v : want) peak = std::max(peak, v);
        for (size_t k = 0; k < want.size(); ++k) EXPECT_NEAR(got[k], want[k], 1e-5 * peak) << "n_fft " << n_fft << " bin " << k;
    }
}

TEST(Stft, SineAtBinCentreHasExpectedMagnitude) {
    // A unit sine at bin k through a periodic Hann window of length N peaks at |X[k]| = N / 4.
    gs::stft_params p;
    p.n_fft = 1024;
    gs::stft_plan plan;
    ASSERT_EQ(plan.init(p), "");
    std::vector<float> frame(1024);
    for (int i = 0; i < 1024; ++i) frame[i] = static_cast<float>(std::sin(2 * kPi * 37 * i / 1024.0));
    std::vector<float> mag(513);
    plan.magnitude_frame(frame.data(), mag.data());
    EXPECT_NEAR(mag[37], 256.0f, 1e-2f);
    EXPECT_NEAR(mag[36], 128.0f, 1e-2f);  // Hann leaks half into each neighbour
    EXPECT_LT(mag[40], 1e-2f);
}

TEST(Stft, ReflectPaddingMatchesNumpyIncludingShortSignals) {
    // numpy.pad(y, pad, mode='reflect') built explicitly, repeatedly mirrored when pad > n - 1.
    for (size_t n : {1u, 2u, 3u, 5u, 9u, 300u}) {
        const std::vector<float> y = random_signal(n, 3u + static_cast<unsigned>(n));
        gs::stft_params p;
        p.n_fft = 16;
        p.hop_length = 3;
        p.pad = gs::pad_mode::reflect;
        const long long pad = 8;
        std::vector<float> padded;
        for (long long j = -pad; j < static_cast<long long>(n) + pad; ++j) {
            long long k = j;
            if (n == 1) {
                k = 0;
            } else {
                while (k < 0 || k >= static_cast<long long>(n)) k = k < 0 ? -k : 2 * (static_cast<long long>(n) - 1) - k;
            }
            padded.push_back(y[static_cast<size_t>(k)]);
        }
        std::vector<float> frame(16);
        for (size_t t = 0; t < gs::stft_n_frames(p, n); ++t) {
            gs::stft_gather_frame(p, y.data(), n, t, frame.data());
            for (size_t i = 0; i < 16; ++i) ASSERT_EQ(frame[i], padded[t * 3 + i]) << "n " << n << " t " << t << " i " << i;
        }
    }
}

TEST(Stft, RejectsBadParameters) {
    gs::stft_plan plan;
    gs::stft_params p;
    p.n_fft = 1;
    EXPECT_NE(plan.init(p), "");
    p.n_fft = 2048;
    p.hop_length = 0;
    EXPECT_NE(plan.init(p), "");
}

TEST(Mel, ScalesInvertAndHitKnownValues) {
    EXPECT_NEAR(gs::hz_to_mel(1000.0, false), 15.0, 1e-12);
    EXPECT_NEAR(gs::hz_to_mel(500.0, false), 7.5, 1e-12);
    EXPECT_NEAR(gs::hz_to_mel(1000.0, true), 2595.0 * std::log10(1.0 + 1000.0 / 700.0), 1e-9);
    for (double hz : {0.0, 55.0, 440.0, 999.0, 1000.0, 4000.0, 11025.0}) {
        EXPECT_NEAR(gs::mel_to_hz(gs::hz_to_mel(hz, false), false), hz, 1e-9 * (1 + hz));
        EXPECT_NEAR(gs::mel_to_hz(gs::hz_to_mel(hz, true), true), hz, 1e-9 * (1 + hz));
    }
}

TEST(Mel, HtkUnnormalisedBandsAreTrianglesWithinFminFmax) {
    gs::mel_params p;
    p.sample_rate_hz = 16000;
    p.n_fft = 512;
    p.n_mels = 40;
    p.fmin_hz = 300;
    p.fmax_hz = 6000;
    p.htk = true;
    p.slaney_norm = false;
    gs::mel_filterbank fb;
    ASSERT_EQ(fb.init(p), "");
    const std::vector<float> w = fb.dense();
    const int nb = fb.n_bins();
    for (int m = 0; m < p.n_mels; ++m) {
        float peak = 0;
        for (int k = 0; k < nb; ++k) {
            const float v = w[static_cast<size_t>(m) * nb + k];
            EXPECT_GE(v, 0.0f);
            EXPECT_LE(v, 1.0f);
            const double hz = k * 16000.0 / 512;
            if (hz < 300 - 1e-9 || hz > 6000 + 1e-9) {
                EXPECT_EQ(v, 0.0f) << "band " << m << " bin " << k;
            }
            peak = std::max(peak, v);
        }
        EXPECT_GT(peak, 0.5f) << "band " << m;  // every band catches at least one bin near its centre
    }
}

TEST(Mel, SparseApplyEqualsDenseProduct) {
    gs::mel_params p;
    gs::mel_filterbank fb;
    ASSERT_EQ(fb.init(p), "");
    const std::vector<float> spec = random_signal(static_cast<size_t>(fb.n_bins()), 11);
    std::vector<float> got(static_cast<size_t>(fb.n_mels()));
    fb.apply(spec.data(), got.data());
    const std::vector<float> w = fb.dense();
    for (int m = 0; m < fb.n_mels(); ++m) {
        double acc = 0;
        for (int k = 0; k < fb.n_bins(); ++k) acc += static_cast<double>(w[static_cast<size_t>(m) * fb.n_bins() + k]) * spec[k];
        EXPECT_NEAR(got[m], acc, 1e-5);
    }
}

TEST(Mel, RejectsBadParameters) {
    gs::mel_filterbank fb;
    gs::mel_params p;
    p.fmin_hz = 20000;  // above Nyquist of 22050
    EXPECT_NE(fb.init(p), "");
    p = gs::mel_params{};
    p.n_mels = 0;
    EXPECT_NE(fb.init(p), "");
}

TEST(Db, PowerDbMatchesLog10AcrossTheRange) {
    std::mt19937 rng(5);
    std::uniform_real_distribution<double> expo(-44.0, 38.0);
    double worst = 0;
    for (int i = 0; i < 200000; ++i) {
        const float x = static_cast<float>(std::pow(10.0, expo(rng)));
        if (!(x > 0)) continue;
        worst = std::max(worst, std::fabs(gs::power_db(x) - 10.0 * std::log10(static_cast<double>(x))));
    }
    EXPECT_LT(worst, 1e-4);  // float rounding of values up to ~400 dB
    EXPECT_EQ(gs::power_db(1.0f), 0.0f);
    EXPECT_NEAR(gs::power_db(1e-10f), -100.0f, 1e-4f);
    EXPECT_TRUE(std::isinf(gs::power_db(0.0f)) && gs::power_db(0.0f) < 0);
    EXPECT_TRUE(std::isnan(gs::power_db(NAN)));
}

TEST(Db, RefMaxAndTopDbClampWholeArray) {
    std::vector<float> v = {1.0f, 0.1f, 1e-3f, 1e-12f, 0.0f};
    gs::db_params p;
    p.ref_max = true;
    p.top_db = 25.0;
    gs::power_to_db(v.data(), v.size(), p);
    EXPECT_NEAR(v[0], 0.0f, 1e-5f);
    EXPECT_NEAR(v[1], -10.0f, 1e-4f);
    EXPECT_NEAR(v[2], -25.0f, 1e-4f);  // -30 clamped to max - 25
    EXPECT_NEAR(v[3], -25.0f, 1e-4f);
    EXPECT_NEAR(v[4], -25.0f, 1e-4f);
    std::vector<float> u = {1e-12f, 4.0f};
    gs::db_params q;  // ref 1, amin 1e-10, top_db 80
    q.top_db = -1;    // none
    gs::power_to_db(u.data(), u.size(), q);
    EXPECT_NEAR(u[0], -100.0f, 1e-4f);  // amin floor
    EXPECT_NEAR(u[1], 6.0206f, 1e-3f);
}

TEST(Mfcc, OrthonormalBasisAndLifter) {
    gs::mfcc_params p;
    p.n_mels = 16;
    p.n_mfcc = 16;
    gs::mfcc_transform t;
    ASSERT_EQ(t.init(p), "");
    // Orthonormal: the transform preserves the L2 norm of any frame.
    const std::vector<float> x = random_signal(16, 9);
    std::vector<float> y(16);
    t.apply(x.data(), y.data());
    double nx = 0, ny = 0;
    for (int i = 0; i < 16; ++i) {
        nx += x[i] * x[i];
        ny += y[i] * y[i];
    }
    EXPECT_NEAR(nx, ny, 1e-5);
    // A constant frame has only a DC coefficient, c * sqrt(N).
    std::vector<float> c(16, 2.0f);
    t.apply(c.data(), y.data());
    EXPECT_NEAR(y[0], 2.0f * 4.0f, 1e-5);
    for (int k = 1; k < 16; ++k) EXPECT_NEAR(y[k], 0.0f, 1e-5);
    // Lifter multiplies coefficient k by 1 + (L/2) sin(pi (k+1) / L).
    p.lifter = 22;
    p.n_mfcc = 13;
    gs::mfcc_transform lifted, plain;
    ASSERT_EQ(lifted.init(p), "");
    p.lifter = 0;
    ASSERT_EQ(plain.init(p), "");
    std::vector<float> a(13), b(13);
    lifted.apply(x.data(), a.data());
    plain.apply(x.data(), b.data());
    for (int k = 0; k < 13; ++k) EXPECT_NEAR(a[k], b[k] * (1 + 11.0 * std::sin(kPi * (k + 1) / 22.0)), 1e-4);
}

TEST(Chroma, PureTonesLandOnTheirPitchClass) {
    gs::chroma_params p;
    gs::chroma_filterbank fb;
    ASSERT_EQ(fb.init(p), "");
    gs::stft_params sp;
    gs::stft_plan plan;
    ASSERT_EQ(plan.init(sp), "");
    const struct {
        double hz;
        int pitch_class;  // C = 0
    } tones[] = {{440.0, 9}, {261.63, 0}, {392.0, 7}, {329.63, 4}, {493.88, 11}};
    for (const auto& tone : tones) {
        std::vector<float> frame(2048);
        for (int i = 0; i < 2048; ++i) frame[i] = static_cast<float>(std::sin(2 * kPi * tone.hz * i / 22050.0));
        std::vector<float> power(1025), chroma(12);
        plan.power_frame(frame.data(), power.data());
        fb.apply(power.data(), chroma.data());
        const int top = static_cast<int>(std::max_element(chroma.begin(), chroma.end()) - chroma.begin());
        EXPECT_EQ(top, tone.pitch_class) << tone.hz << " Hz";
        EXPECT_FLOAT_EQ(chroma[top], 1.0f);  // inf-norm
    }
    std::vector<float> silence(1025, 0.0f), out(12, -1.0f);
    fb.apply(silence.data(), out.data());
    for (float v : out) EXPECT_EQ(v, 0.0f);
}

TEST(Features, ShortInputWithoutCentringIsAnError) {
    gs::feature_config c;
    c.stft.center = false;
    gs::feature_extractor fx;
    ASSERT_EQ(fx.init(c), "");
    std::vector<float> y(100, 0.1f), out;
    size_t n_frames = 99;
    EXPECT_NE(fx.compute(y.data(), y.size(), out, n_frames), "");
    EXPECT_EQ(n_frames, 0u);
}

TEST(Features, EmptyInputGivesOneSilentFrameWhenCentred) {
    gs::feature_config c;  // mel_db, top_db 80
    gs::feature_extractor fx;
    ASSERT_EQ(fx.init(c), "");
    std::vector<float> out;
    size_t n_frames = 0;
    ASSERT_EQ(fx.compute(nullptr, 0, out, n_frames), "");
    ASSERT_EQ(n_frames, 1u);
    for (float v : out) EXPECT_NEAR(v, -100.0f, 1e-4f);  // 10 log10(amin)
}

TEST(Features, ShapesPerKind) {
    const std::vector<float> y = random_signal(22050, 1);
    const struct {
        gs::feature_kind kind;
        int bins;
    } kinds[] = {{gs::feature_kind::stft_mag, 1025}, {gs::feature_kind::stft_power, 1025},
                 {gs::feature_kind::mel_power, 128}, {gs::feature_kind::mel_db, 128},
                 {gs::feature_kind::mfcc, 20},       {gs::feature_kind::chroma, 12}};
    for (const auto& k : kinds) {
        gs::feature_config c;
        c.kind = k.kind;
        gs::feature_extractor fx;
        ASSERT_EQ(fx.init(c), "");
        std::vector<float> out;
        size_t n_frames = 0;
        ASSERT_EQ(fx.compute(y.data(), y.size(), out, n_frames), "");
        EXPECT_EQ(n_frames, 44u);
        EXPECT_EQ(fx.n_bins(), k.bins);
        EXPECT_EQ(out.size(), static_cast<size_t>(k.bins) * 44u);
        for (float v : out) ASSERT_TRUE(std::isfinite(v));
    }
}

TEST(Db, BlockPowerDbEqualsScalarBitForBit) {
    std::mt19937 rng(17);
    std::uniform_real_distribution<double> expo(-45.0, 38.5);
    const float specials[] = {0.0f, -1.0f, 1e-45f, 1e-39f, NAN, INFINITY, 1.41421356f, 1.41421368f, 1.0f, 2.0f};
    for (int i = 0; i < 100000; ++i) {
        gs::float4 v;
        for (int l = 0; l < gs::kLanes; ++l) {
            v[l] = (i % 10 == 0 && l == i % 4) ? specials[(i / 10) % 10] : static_cast<float>(std::pow(10.0, expo(rng)));
        }
        const gs::float4 got = gs::power_db(v);
        for (int l = 0; l < gs::kLanes; ++l) {
            const float want = gs::power_db(static_cast<float>(v[l]));
            const float g = got[l];
            ASSERT_TRUE(std::memcmp(&g, &want, sizeof g) == 0) << "x=" << v[l] << " got " << g << " want " << want;
        }
    }
}
