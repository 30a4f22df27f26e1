// cmd_bench.cpp: `genrescope bench features`: log-mel timing of a generated clip, printed as numbers or JSON.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "cli_args.h"
#include "commands.h"
#include "genrescope/features.h"
#include "genrescope/resample.h"

namespace gs {

namespace {

constexpr int kBenchRateHz = 22050;   // the model's analysis rate
constexpr int kBenchNfft = 2048;
constexpr int kBenchHop = 512;
constexpr int kBenchMels = 128;

// A deterministic, music-like test signal: a few harmonic tones with vibrato plus low-level noise.
std::vector<float> make_clip(double seconds) {
    const size_t n = static_cast<size_t>(seconds * kBenchRateHz);
    std::vector<float> y(n);
    uint32_t state = 12345u;
    const double pi = 3.14159265358979323846;
    for (size_t i = 0; i < n; ++i) {
        const double t = static_cast<double>(i) / kBenchRateHz;
        double v = 0.0;
        for (int h = 1; h <= 5; ++h) v += 0.2 / h * std::sin(2 * pi * 220.0 * h * t + 0.3 * std::sin(2 * pi * 5 * t));
        state = state * 1664525u + 1013904223u;  // LCG noise
        v += 0.01 * (static_cast<double>(state >> 8) / 16777216.0 - 0.5);
        y[i] = static_cast<float>(v);
    }
    return y;
}

}  // namespace

double median_of(std::vector<double>& ms) {
    std::sort(ms.begin(), ms.end());
    return ms.size() % 2 ? ms[ms.size() / 2] : 0.5 * (ms[ms.size() / 2 - 1] + ms[ms.size() / 2]);
}

// `bench resample`: batch resampling of a generated clip from --from-hz to --to-hz.
int bench_resample(cli_args& a, double seconds, int repeat) {
    const int from_hz = a.get_int("from-hz", 44100, 1, 768000);
    const int to_hz = a.get_int("to-hz", 22050, 1, 768000);
    if (!a.error().empty()) {
        std::fprintf(stderr, "genrescope bench: %s\n", a.error().c_str());
        return kExitUsage;
    }
    std::vector<float> y(static_cast<size_t>(seconds * from_hz));
    for (size_t i = 0; i < y.size(); ++i) y[i] = static_cast<float>(0.5 * std::sin(0.0313 * static_cast<double>(i)));
    std::vector<float> out;
    std::string err = resample(y.data(), y.size(), from_hz, to_hz, out);
    if (!err.empty()) {
        std::fprintf(stderr, "genrescope bench: %s\n", err.c_str());
        return kExitFailure;
    }
    std::vector<double> ms;
    for (int r = 0; r < repeat; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        resample(y.data(), y.size(), from_hz, to_hz, out);
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    const double median = median_of(ms);
    if (a.has("json")) {
        std::printf("{\"median_ms\":%.4f,\"min_ms\":%.4f,\"input_seconds\":%g,\"from_hz\":%d,\"to_hz\":%d,"
                    "\"output_samples\":%zu,\"repeat\":%d}\n",
                    median, ms.front(), seconds, from_hz, to_hz, out.size(), repeat);
    } else {
        std::printf("resample %g s from %d Hz to %d Hz: median %.3f ms, min %.3f ms over %d runs\n", seconds, from_hz,
                    to_hz, median, ms.front(), repeat);
    }
    return kExitOk;
}

int cmd_bench(int argc, char** argv) {
    cli_args a(argc, argv, 0, {"seconds", "repeat", "from-hz", "to-hz"}, {"json"});
    const double seconds = a.get_double("seconds", 30.0, 0.1, 3600.0);
    const int repeat = a.get_int("repeat", 20, 1, 100000);
    const std::string what = a.positional().empty() ? "" : a.positional()[0];
    if (!a.error().empty() || a.positional().size() != 1 || (what != "features" && what != "resample")) {
        std::fprintf(stderr,
                     "genrescope bench: %s\nusage: genrescope bench features [--seconds S] [--repeat N] [--json]\n"
                     "       genrescope bench resample [--from-hz 44100] [--to-hz 22050] [--seconds S] [--json]\n",
                     a.error().empty() ? "expected 'features' or 'resample'" : a.error().c_str());
        return kExitUsage;
    }
    if (what == "resample") return bench_resample(a, seconds, repeat);
    feature_config c;
    c.kind = feature_kind::mel_db;
    c.sample_rate_hz = kBenchRateHz;
    c.stft.n_fft = kBenchNfft;
    c.stft.hop_length = kBenchHop;
    c.n_mels = kBenchMels;
    c.db.top_db = -1.0;  // frame-local log-mel, as the models use it
    feature_extractor fx;
    std::string err = fx.init(c);
    if (!err.empty()) {
        std::fprintf(stderr, "genrescope bench: %s\n", err.c_str());
        return kExitFailure;
    }
    const std::vector<float> y = make_clip(seconds);
    std::vector<float> out;
    size_t n_frames = 0;
    fx.compute(y.data(), y.size(), out, n_frames);  // warm-up: page in buffers
    std::vector<double> ms;
    for (int r = 0; r < repeat; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        fx.compute(y.data(), y.size(), out, n_frames);
        const auto t1 = std::chrono::steady_clock::now();
        ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    }
    const double median = median_of(ms);
    double checksum = 0.0;
    for (float v : out) checksum += v;
    if (a.has("json")) {
        std::printf("{\"median_ms\":%.4f,\"min_ms\":%.4f,\"input_seconds\":%g,\"sample_rate_hz\":%d,\"n_fft\":%d,"
                    "\"hop_length\":%d,\"n_mels\":%d,\"frames\":%zu,\"repeat\":%d,\"checksum\":%.6g}\n",
                    median, ms.front(), seconds, kBenchRateHz, kBenchNfft, kBenchHop, kBenchMels, n_frames, repeat,
                    checksum);
    } else {
        std::printf("log-mel of %g s at %d Hz (n_fft %d, hop %d, %d mels, %zu frames): median %.3f ms, min %.3f ms "
                    "over %d runs\n",
                    seconds, kBenchRateHz, kBenchNfft, kBenchHop, kBenchMels, n_frames, median, ms.front(), repeat);
    }
    return kExitOk;
}

}  // namespace gs
