// make_synth_dataset.cpp: writes a small labelled dataset of clearly separable synthetic "genres" for trainer tests.
//
// usage: make_synth_dataset OUT_DIR [--tracks-per-class N] [--seconds S] [--seed N] [--bad]
//        make_synth_dataset --long FILE.wav MINUTES   (one long 44.1 kHz stereo file, for memory tests)
// Writes OUT_DIR/<label>/<label>.NNNNN.wav (22050 Hz, 16-bit mono) for three labels:
//   drone:  low harmonic tones (100-300 Hz fundamentals) with slow tremolo
//   clicks: band-passed noise bursts at 3-6 per second
//   chirps: high sweeping tones (2-6 kHz)
// Each track draws its own frequencies, rates and levels, so tracks of a class differ. --bad adds a text
// file named drone/broken.wav that the trainer must skip with a warning.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "genrescope/audio_io.h"

namespace {

constexpr int kRate = 22050;
const double kPi = 3.14159265358979323846;

std::vector<float> drone(size_t n, std::mt19937& rng) {
    std::uniform_real_distribution<double> f0(100, 300), trem(0.2, 1.0), amp(0.2, 0.5);
    const double f = f0(rng), tr = trem(rng), a = amp(rng);
    std::vector<float> y(n);
    for (size_t i = 0; i < n; ++i) {
        const double t = static_cast<double>(i) / kRate;
        double v = 0;
        for (int h = 1; h <= 4; ++h) v += std::sin(2 * kPi * f * h * t) / h;
        y[i] = static_cast<float>(a * v * (0.7 + 0.3 * std::sin(2 * kPi * tr * t)) / 2);
    }
    return y;
}

std::vector<float> clicks(size_t n, std::mt19937& rng) {
    std::uniform_real_distribution<double> rate(3, 6), amp(0.3, 0.6);
    std::normal_distribution<double> noise(0, 1);
    const double r = rate(rng), a = amp(rng);
    std::vector<float> y(n);
    double lp = 0, prev = 0;
    for (size_t i = 0; i < n; ++i) {
        const double t = static_cast<double>(i) / kRate;
        const double phase = std::fmod(t * r, 1.0);
        const double env = std::exp(-phase * 40.0);
        const double w = noise(rng);
        lp = 0.7 * lp + 0.3 * w;          // crude band-pass: low-pass, then difference
        const double bp = lp - prev;
        prev = lp;
        y[i] = static_cast<float>(a * env * bp * 2);
    }
    return y;
}

std::vector<float> chirps(size_t n, std::mt19937& rng) {
    std::uniform_real_distribution<double> lo(2000, 3000), hi(4000, 6000), period(0.3, 0.8), amp(0.1, 0.3);
    const double f_lo = lo(rng), f_hi = hi(rng), p = period(rng), a = amp(rng);
    std::vector<float> y(n);
    double phase = 0;
    for (size_t i = 0; i < n; ++i) {
        const double t = static_cast<double>(i) / kRate;
        const double u = std::fmod(t, p) / p;
        phase += 2 * kPi * (f_lo + (f_hi - f_lo) * u) / kRate;
        y[i] = static_cast<float>(a * std::sin(phase));
    }
    return y;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: make_synth_dataset OUT_DIR [--tracks-per-class N] [--seconds S] [--seed N] [--bad]\n");
        return 2;
    }
    if (std::string(argv[1]) == "--long" && argc == 4) {
        const double minutes = std::atof(argv[3]);
        const size_t frames = static_cast<size_t>(minutes * 60 * 44100);
        std::vector<float> y(2 * frames);
        std::mt19937 rng(1);
        std::normal_distribution<float> noise(0.0f, 0.05f);
        for (size_t i = 0; i < frames; ++i) {
            const float tone = 0.2f * static_cast<float>(std::sin(2 * kPi * 220.0 * static_cast<double>(i) / 44100));
            y[2 * i] = tone + noise(rng);
            y[2 * i + 1] = tone + noise(rng);
        }
        const std::vector<uint8_t> wav = gs::encode_wav(y.data(), frames, 2, 44100, gs::wav_sample_format::pcm_s16);
        std::ofstream f(argv[2], std::ios::binary);
        f.write(reinterpret_cast<const char*>(wav.data()), static_cast<std::streamsize>(wav.size()));
        return f ? 0 : 1;
    }
    const std::string out = argv[1];
    int per_class = 12;
    double seconds = 4.0;
    unsigned seed = 7;
    bool bad = false;
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--tracks-per-class" && i + 1 < argc) per_class = std::atoi(argv[++i]);
        else if (a == "--seconds" && i + 1 < argc) seconds = std::atof(argv[++i]);
        else if (a == "--seed" && i + 1 < argc) seed = static_cast<unsigned>(std::atoi(argv[++i]));
        else if (a == "--bad") bad = true;
        else {
            std::fprintf(stderr, "make_synth_dataset: unknown argument %s\n", a.c_str());
            return 2;
        }
    }
    std::mt19937 rng(seed);
    const size_t n = static_cast<size_t>(seconds * kRate);
    const char* labels[] = {"drone", "clicks", "chirps"};
    for (int c = 0; c < 3; ++c) {
        std::filesystem::create_directories(out + "/" + labels[c]);
        for (int k = 0; k < per_class; ++k) {
            const std::vector<float> y = c == 0 ? drone(n, rng) : c == 1 ? clicks(n, rng) : chirps(n, rng);
            const std::vector<uint8_t> wav = gs::encode_wav(y.data(), y.size(), 1, kRate, gs::wav_sample_format::pcm_s16);
            char name[64];
            std::snprintf(name, sizeof name, "%s.%05d.wav", labels[c], k);
            std::ofstream f(out + "/" + labels[c] + "/" + name, std::ios::binary);
            f.write(reinterpret_cast<const char*>(wav.data()), static_cast<std::streamsize>(wav.size()));
            if (!f) {
                std::fprintf(stderr, "make_synth_dataset: cannot write %s\n", name);
                return 1;
            }
        }
    }
    if (bad) std::ofstream(out + "/drone/broken.wav") << "this is not audio\n";
    return 0;
}
