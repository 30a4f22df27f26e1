// Unit tests for gs::resampler / gs::resample: accuracy (SNR, passband, alias/image rejection), lengths, streaming == batch.
#include "genrescope/resample.h"

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

namespace {

constexpr double k_two_pi = 6.28318530717958647692;

struct rate_pair {
    int in;
    int out;
};

std::string name_of(rate_pair r) { return std::to_string(r.in) + "->" + std::to_string(r.out); }

// Sine of frequency f_hz at rate_hz, n samples, amplitude amp (computed in double, stored as float).
std::vector<float> make_sine(double f_hz, double rate_hz, std::size_t n, double amp = 1.0, double phase = 0.0) {
    std::vector<float> x(n);
    for (std::size_t i = 0; i < n; ++i) x[i] = float(amp * std::sin(k_two_pi * f_hz * double(i) / rate_hz + phase));
    return x;
}

// Output samples to ignore at each end: those whose kernel support reaches outside the input.
std::size_t edge_outputs(const gs::resampler& r) {
    const auto& d = r.design();
    return std::size_t(std::ceil(double(d.half_taps + 2) * double(d.out_rate_hz) / double(d.in_rate_hz))) + 2;
}

// Least-squares amplitude of a sinusoid at f_hz (rate_hz) in y[lo, hi): fits a*sin + b*cos exactly
// (2x2 normal equations), so it is unbiased for a pure tone of known frequency.
double fit_amplitude(const std::vector<float>& y, std::size_t lo, std::size_t hi, double f_hz, double rate_hz) {
    double ss = 0, sc = 0, cc = 0, ys = 0, yc = 0;
    for (std::size_t i = lo; i < hi; ++i) {
        const double ph = k_two_pi * f_hz * double(i) / rate_hz;
        const double s = std::sin(ph), c = std::cos(ph);
        ss += s * s;
        sc += s * c;
        cc += c * c;
        ys += y[i] * s;
        yc += y[i] * c;
    }
    const double det = ss * cc - sc * sc;
    const double a = (ys * cc - yc * sc) / det;
    const double b = (yc * ss - ys * sc) / det;
    return std::sqrt(a * a + b * b);
}

// Amplitude of the component at f_hz in y[lo, hi), measured with a 4-term Blackman-Harris window
// (sidelobes < -92 dB) so a strong tone elsewhere does not leak into the estimate.
double windowed_amplitude(const std::vector<float>& y, std::size_t lo, std::size_t hi, double f_hz, double rate_hz) {
    const double n = double(hi - lo);
    double re = 0, im = 0, wsum = 0;
    for (std::size_t i = lo; i < hi; ++i) {
        const double u = k_two_pi * double(i - lo) / (n - 1.0);
        // 4-term Blackman-Harris coefficients (Harris 1978).
        const double w = 0.35875 - 0.48829 * std::cos(u) + 0.14128 * std::cos(2 * u) - 0.01168 * std::cos(3 * u);
        const double ph = k_two_pi * f_hz * double(i) / rate_hz;
        re += w * y[i] * std::cos(ph);
        im += w * y[i] * std::sin(ph);
        wsum += w;
    }
    return 2.0 * std::sqrt(re * re + im * im) / wsum;
}

double rms(const std::vector<float>& y, std::size_t lo, std::size_t hi) {
    double s = 0;
    for (std::size_t i = lo; i < hi; ++i) s += double(y[i]) * double(y[i]);
    return std::sqrt(s / double(hi - lo));
}

double to_db(double amplitude) { return 20.0 * std::log10(std::max(amplitude, 1e-30)); }

std::vector<float> resample_or_fail(const std::vector<float>& x, rate_pair r) {
    std::vector<float> y;
    const std::string err = gs::resample(x.data(), x.size(), r.in, r.out, y);
    EXPECT_EQ(err, "") << name_of(r);
    return y;
}

std::int64_t expected_length(std::int64_t n, rate_pair r) {
    return (n * std::int64_t(r.out) + std::int64_t(r.in) - 1) / std::int64_t(r.in);  // n small: no overflow
}

// Streams x through a resampler in random chunk sizes (0 and 1 included) and flushes.
std::vector<float> stream_random_chunks(gs::resampler& rs, const std::vector<float>& x, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> kind(0, 9);
    std::vector<float> y;
    std::size_t pos = 0;
    while (pos < x.size()) {
        std::size_t chunk = 0;
        switch (kind(rng)) {
            case 0: chunk = 0; break;
            case 1:
            case 2: chunk = 1; break;
            case 3: chunk = std::uniform_int_distribution<std::size_t>(2, 9)(rng); break;
            case 9: chunk = std::uniform_int_distribution<std::size_t>(5000, 25000)(rng); break;  // > history size
            default: chunk = std::uniform_int_distribution<std::size_t>(10, 3000)(rng); break;
        }
        chunk = std::min(chunk, x.size() - pos);
        rs.process(chunk ? x.data() + pos : nullptr, chunk, y);
        pos += chunk;
    }
    rs.flush(y);
    return y;
}

bool bit_equal(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

std::vector<float> noise_plus_tone(std::size_t n, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-0.5f, 0.5f);
    std::vector<float> x = make_sine(997.0, 44100.0, n, 0.4);
    for (auto& v : x) v += u(rng);
    return x;
}

}  // namespace

TEST(Resample, ToneSnrAgainstAnalyticSine) {
    const double f = 1000.0;
    const std::vector<float> x = make_sine(f, 44100.0, 44100);
    for (int out_rate : {22050, 16000, 48000, 22051, 8000, 96000}) {
        gs::resampler rs;
        ASSERT_EQ(rs.init(44100, out_rate), "");
        const std::vector<float> y = resample_or_fail(x, {44100, out_rate});
        const std::size_t edge = edge_outputs(rs);
        ASSERT_GT(y.size(), 2 * edge + 1000);
        double sig = 0, err = 0;
        for (std::size_t k = edge; k < y.size() - edge; ++k) {
            const double ref = std::sin(k_two_pi * f * double(k) / double(out_rate));
            sig += ref * ref;
            err += (y[k] - ref) * (y[k] - ref);
        }
        const double snr_db = 10.0 * std::log10(sig / err);
        std::printf("[ measure  ] 1 kHz tone 44100->%d: SNR %.1f dB\n", out_rate, snr_db);
        EXPECT_GE(snr_db, 70.0) << "44100->" << out_rate;
    }
}

TEST(Resample, PassbandFlatWithinPointOneDb) {
    const rate_pair pairs[] = {{44100, 22050}, {48000, 16000}, {44100, 16000}, {48000, 22050},
                               {22050, 44100}, {8000, 22050},  {16000, 44100}, {44100, 22051}};
    const double fractions[] = {0.02, 0.1, 0.25, 0.4, 0.55, 0.7, 0.8, 0.85, 0.88, 0.9};
    double worst_db = 0.0;
    for (const rate_pair r : pairs) {
        gs::resampler rs;
        ASSERT_EQ(rs.init(r.in, r.out), "");
        const double lower_nyquist_hz = 0.5 * std::min(r.in, r.out);
        for (const double frac : fractions) {
            const double f = frac * lower_nyquist_hz;
            const std::vector<float> x = make_sine(f, r.in, 24000, 0.8, 0.3);
            const std::vector<float> y = resample_or_fail(x, r);
            const std::size_t edge = edge_outputs(rs);
            ASSERT_GT(y.size(), 2 * edge + 1000);
            const double gain_db = to_db(fit_amplitude(y, edge, y.size() - edge, f, r.out) / 0.8);
            worst_db = std::max(worst_db, std::fabs(gain_db));
            EXPECT_LE(std::fabs(gain_db), 0.1) << name_of(r) << " f=" << f << " Hz";
        }
    }
    std::printf("[ measure  ] passband (<= 0.9 lower Nyquist) worst |gain| = %.5f dB\n", worst_db);
}

TEST(Resample, DcGainIsUnity) {
    for (const rate_pair r : {rate_pair{44100, 22050}, rate_pair{48000, 22050}, rate_pair{8000, 22050},
                              rate_pair{44100, 22051}, rate_pair{22051, 44100}}) {
        gs::resampler rs;
        ASSERT_EQ(rs.init(r.in, r.out), "");
        const std::vector<float> x(8000, 1.0f);
        const std::vector<float> y = resample_or_fail(x, r);
        const std::size_t edge = edge_outputs(rs);
        ASSERT_GT(y.size(), 2 * edge);
        for (std::size_t k = edge; k < y.size() - edge; ++k) ASSERT_NEAR(y[k], 1.0f, 2e-6f) << name_of(r) << " k=" << k;
    }
}

TEST(Resample, AliasSuppressionWhenDownsampling) {
    const rate_pair pairs[] = {{44100, 22050}, {48000, 22050}, {44100, 16000}, {44100, 22051}, {96000, 44100},
                               {44100, 8000}};
    const double alphas[] = {0.0, 0.002, 0.004, 0.007, 0.01, 0.02, 0.05, 0.1, 0.3, 0.5, 0.8, 0.98};
    double worst_db = -1e9;
    for (const rate_pair r : pairs) {
        gs::resampler rs;
        ASSERT_EQ(rs.init(r.in, r.out), "");
        const double out_nyq = 0.5 * r.out, in_nyq = 0.5 * r.in;
        std::vector<double> freqs;
        for (const double a : alphas) freqs.push_back(out_nyq + a * (in_nyq - out_nyq));
        if (r.in == 44100 && r.out == 22050) freqs.push_back(15000.0);
        for (const double f : freqs) {
            const std::vector<float> x = make_sine(f, r.in, 30000);  // full scale
            const std::vector<float> y = resample_or_fail(x, r);
            const std::size_t edge = edge_outputs(rs);
            ASSERT_GT(y.size(), 2 * edge + 1000);
            const double level_db = to_db(std::sqrt(2.0) * rms(y, edge, y.size() - edge));
            worst_db = std::max(worst_db, level_db);
            EXPECT_LE(level_db, -80.0) << name_of(r) << " f=" << f << " Hz";
        }
    }
    std::printf("[ measure  ] alias (input above output Nyquist) worst level = %.1f dBFS\n", worst_db);
}

TEST(Resample, ImageSuppressionWhenUpsampling) {
    const rate_pair pairs[] = {{22050, 44100}, {8000, 22050}, {16000, 44100}, {22051, 44100}, {44100, 48000}};
    const double fractions[] = {0.1, 0.5, 0.9, 0.93, 0.95, 0.97, 0.99, 0.999};
    double worst_db = -1e9;
    for (const rate_pair r : pairs) {
        gs::resampler rs;
        ASSERT_EQ(rs.init(r.in, r.out), "");
        for (const double frac : fractions) {
            const double f = frac * 0.5 * r.in;
            const std::vector<float> x = make_sine(f, r.in, 30000);
            const std::vector<float> y = resample_or_fail(x, r);
            const std::size_t edge = edge_outputs(rs);
            ASSERT_GT(y.size(), 2 * edge + 1000);
            // Images of the tone sit at m * in_rate +- f; check every one below the output Nyquist.
            for (int m = 1; m * r.in - f < 0.5 * r.out; ++m) {
                for (const double img : {m * double(r.in) - f, m * double(r.in) + f}) {
                    if (img >= 0.5 * r.out) continue;
                    const double level_db = to_db(windowed_amplitude(y, edge, y.size() - edge, img, r.out));
                    worst_db = std::max(worst_db, level_db);
                    EXPECT_LE(level_db, -80.0) << name_of(r) << " tone " << f << " Hz, image " << img << " Hz";
                }
            }
            // Sanity check of the measurement itself: the tone is seen where it should be.
            if (frac <= 0.9) {
                EXPECT_NEAR(windowed_amplitude(y, edge, y.size() - edge, f, r.out), 1.0, 0.01) << name_of(r);
            }
        }
    }
    std::printf("[ measure  ] image (up-sampling) worst level = %.1f dBFS\n", worst_db);
}

TEST(Resample, LengthIsCeilOfScaledInput) {
    const rate_pair pairs[] = {{44100, 22050}, {48000, 22050}, {22050, 44100}, {8000, 22050}, {44100, 22051},
                               {44100, 16000}, {16000, 44100}, {44100, 44100}, {3, 7}, {7, 3}, {1, 2}, {768000, 8000}};
    const std::int64_t lengths[] = {0, 1, 2, 3, 4, 5, 7, 13, 100, 441, 1001, 4096, 44101};
    for (const rate_pair r : pairs) {
        for (const std::int64_t n : lengths) {
            const std::vector<float> x = noise_plus_tone(std::size_t(n), 7);
            std::vector<float> y;
            ASSERT_EQ(gs::resample(x.data(), x.size(), r.in, r.out, y), "");
            EXPECT_EQ(std::int64_t(y.size()), expected_length(n, r)) << name_of(r) << " n=" << n;
            EXPECT_EQ(gs::resampler::output_length(n, r.in, r.out), expected_length(n, r)) << name_of(r);
            gs::resampler rs;
            ASSERT_EQ(rs.init(r.in, r.out), "");
            const std::vector<float> ys = stream_random_chunks(rs, x, 11);
            EXPECT_EQ(std::int64_t(ys.size()), expected_length(n, r)) << name_of(r) << " n=" << n << " (stream)";
        }
    }
}

#ifdef __SIZEOF_INT128__
TEST(Resample, OutputLengthNoOverflowForLongStreams) {
    const std::int64_t n = (std::int64_t(1) << 50) + 12345;  // n * out_rate overflows int64, the result does not
    for (const rate_pair r : {rate_pair{44100, 48000}, rate_pair{44100, 22051}, rate_pair{768000, 1},
                              rate_pair{48000, 44100}, rate_pair{8000, 8001}}) {
        const unsigned __int128 num = static_cast<unsigned __int128>(n) * unsigned(r.out) + unsigned(r.in) - 1;
        const std::int64_t expect = std::int64_t(num / unsigned(r.in));
        EXPECT_EQ(gs::resampler::output_length(n, r.in, r.out), expect) << name_of(r);
    }
    // A length that cannot be represented saturates instead of wrapping.
    EXPECT_EQ(gs::resampler::output_length(std::numeric_limits<std::int64_t>::max() / 2, 1, 768000),
              std::numeric_limits<std::int64_t>::max());
}
#endif

TEST(Resample, StreamingIsBitIdenticalToBatch) {
    const rate_pair pairs[] = {{44100, 22050}, {48000, 22050}, {22050, 44100}, {8000, 22050},
                               {44100, 22051}, {44100, 16000}, {22051, 44100}, {44100, 44100}};
    const std::vector<float> x = noise_plus_tone(60000, 3);
    for (const rate_pair r : pairs) {
        const std::vector<float> batch = resample_or_fail(x, r);
        ASSERT_EQ(std::int64_t(batch.size()), expected_length(std::int64_t(x.size()), r));
        gs::resampler rs;
        ASSERT_EQ(rs.init(r.in, r.out), "");
        for (std::uint32_t seed : {1u, 2u, 3u}) {
            // flush() leaves the resampler reset, so the same object is reused for each stream.
            EXPECT_TRUE(bit_equal(stream_random_chunks(rs, x, seed), batch)) << name_of(r) << " seed " << seed;
        }
        // All 1-sample pushes, interleaved with 0-length pushes.
        std::vector<float> y;
        for (std::size_t i = 0; i < x.size(); ++i) {
            rs.process(x.data() + i, 1, y);
            rs.process(x.data() + i, 0, y);
        }
        rs.flush(y);
        EXPECT_TRUE(bit_equal(y, batch)) << name_of(r) << " 1-sample chunks";
        // reset() mid-stream discards the partial stream completely.
        y.clear();
        rs.process(x.data(), 12345, y);
        rs.reset();
        y.clear();
        rs.process(x.data(), x.size(), y);
        rs.flush(y);
        EXPECT_TRUE(bit_equal(y, batch)) << name_of(r) << " after reset()";
    }
}

TEST(Resample, StreamingIsBitIdenticalForForcedExactTable) {
    // 44100 -> 22051 normally uses the interpolated table; force the exact one and check streaming again.
    const std::vector<float> x = noise_plus_tone(30000, 5);
    gs::resampler a, b;
    ASSERT_EQ(a.init(44100, 22051, std::size_t(1) << 23), "");
    ASSERT_FALSE(a.design().interpolated);
    std::vector<float> ya;
    a.process(x.data(), x.size(), ya);
    a.flush(ya);
    ASSERT_EQ(b.init(44100, 22051, std::size_t(1) << 23), "");
    EXPECT_TRUE(bit_equal(stream_random_chunks(b, x, 9), ya));
}

TEST(Resample, EmitsEachOutputAsSoonAsItsSupportIsKnown) {
    for (const rate_pair r : {rate_pair{44100, 22050}, rate_pair{48000, 22050}, rate_pair{8000, 22050},
                              rate_pair{44100, 22051}}) {
        gs::resampler rs;
        ASSERT_EQ(rs.init(r.in, r.out), "");
        const std::int64_t k_la = rs.latency_samples_in();
        ASSERT_GT(k_la, 0);
        const std::vector<float> x = noise_plus_tone(3000, 1);
        std::vector<float> y;
        for (std::int64_t n = 1; n <= std::int64_t(x.size()); ++n) {
            rs.process(x.data() + (n - 1), 1, y);
            // Output k needs input up to floor(k * in / out) + K.
            std::int64_t ready = 0;
            while ((ready * r.in) / r.out + k_la <= n - 1) ++ready;
            ASSERT_EQ(std::int64_t(y.size()), ready) << name_of(r) << " after " << n << " inputs";
            ASSERT_LE(y.size() + std::size_t(0), std::size_t(gs::resampler::output_length(n, r.in, r.out)));
        }
        const std::size_t before = y.size();
        rs.flush(y);
        EXPECT_LE(y.size() - before, rs.max_output_for(0));
    }
}

TEST(Resample, InterpolatedTableMatchesExactTable) {
    const std::vector<float> x = noise_plus_tone(20000, 4);
    for (const rate_pair r : {rate_pair{44100, 22051}, rate_pair{22051, 44100}, rate_pair{44100, 22049}}) {
        gs::resampler interp, exact;
        ASSERT_EQ(interp.init(r.in, r.out), "");
        ASSERT_EQ(exact.init(r.in, r.out, std::size_t(1) << 23), "");
        ASSERT_TRUE(interp.design().interpolated) << name_of(r);
        ASSERT_FALSE(exact.design().interpolated) << name_of(r);
        std::vector<float> yi, ye;
        interp.process(x.data(), x.size(), yi);
        interp.flush(yi);
        exact.process(x.data(), x.size(), ye);
        exact.flush(ye);
        ASSERT_EQ(yi.size(), ye.size());
        double err = 0, sig = 0;
        for (std::size_t i = 0; i < yi.size(); ++i) {
            err += (double(yi[i]) - ye[i]) * (double(yi[i]) - ye[i]);
            sig += double(ye[i]) * ye[i];
        }
        const double rel_db = 10.0 * std::log10(err / sig);
        std::printf("[ measure  ] interpolated vs exact table %s: %.1f dB relative RMS difference\n",
                    name_of(r).c_str(), rel_db);
        EXPECT_LE(rel_db, -110.0) << name_of(r);
    }
}

TEST(Resample, EqualRatesCopy) {
    const std::vector<float> x = noise_plus_tone(5000, 2);
    std::vector<float> y;
    ASSERT_EQ(gs::resample(x.data(), x.size(), 22050, 22050, y), "");
    EXPECT_TRUE(bit_equal(x, y));
    gs::resampler rs;
    ASSERT_EQ(rs.init(22050, 22050), "");
    EXPECT_EQ(rs.latency_samples_in(), 0);
    EXPECT_TRUE(bit_equal(stream_random_chunks(rs, x, 5), x));
}

TEST(Resample, BadRatesReturnErrors) {
    const int bad[] = {0, -1, -44100, 768001, 1000000, std::numeric_limits<int>::min(), std::numeric_limits<int>::max()};
    const float one = 1.0f;
    for (const int b : bad) {
        gs::resampler rs;
        EXPECT_NE(rs.init(b, 22050), "") << b;
        EXPECT_FALSE(rs.initialised());
        EXPECT_NE(rs.init(44100, b), "") << b;
        std::vector<float> y{5.0f};
        rs.process(&one, 1, y);  // uninitialised: no-op
        rs.flush(y);
        EXPECT_EQ(y.size(), 1u);
        EXPECT_NE(gs::resample(&one, 1, b, 22050, y), "") << b;
        EXPECT_TRUE(y.empty());
        EXPECT_NE(gs::resample(&one, 1, 44100, b, y), "") << b;
    }
    // Boundaries of the valid range are accepted.
    gs::resampler rs;
    EXPECT_EQ(rs.init(1, 768000), "");
    EXPECT_EQ(rs.init(768000, 8000), "");
    // A ratio needing more than max_taps taps is refused with a message instead of allocating gigabytes.
    EXPECT_NE(rs.init(768000, 1), "");
    // Null input with a positive length is an error for the batch API.
    std::vector<float> y;
    EXPECT_NE(gs::resample(nullptr, 10, 44100, 22050, y), "");
}

TEST(Resample, DesignMatchesKaiserFormulas) {
    gs::resampler rs;
    ASSERT_EQ(rs.init(44100, 22050), "");
    const auto& d = rs.design();
    EXPECT_EQ(d.up, 1);
    EXPECT_EQ(d.down, 2);
    EXPECT_NEAR(d.stopband_edge, 0.25, 1e-12);   // output Nyquist, cycles per input sample
    EXPECT_NEAR(d.passband_edge, 0.225, 1e-12);
    EXPECT_NEAR(d.beta, 0.1102 * (d.atten_db - 8.7), 1e-12);
    EXPECT_GE(d.atten_db, 80.0);
    EXPECT_EQ(d.taps % 8, 0);
    EXPECT_EQ(d.taps, 2 * d.half_taps);
    // Order from O&S eq. 7.63 for delta_f = 0.025 cycles/sample must fit in the support.
    EXPECT_GE(2.0 * d.half_width, (d.atten_db - 8.0) / (2.285 * k_two_pi * 0.025));
    EXPECT_EQ(rs.latency_samples_in(), d.half_taps);
}
