// backbone_augment.cpp: augmented training copies through the backbone (backbone_augment.h).
#include "train/backbone_augment.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>

#include "audio_load.h"
#include "data/sha256.h"
#include "genrescope/features.h"

namespace gs {

std::string augmented_embeddings(backbone_model& b, const train_context& ctx, const std::vector<int>& ids,
                                 const audio_augment& aug, uint64_t seed, const std::string& cache_dir, bool quiet,
                                 std::vector<track_embeddings>& out, std::vector<int>& labels) {
    if (aug.copies <= 0 || ids.empty()) return "";
    feature_extractor fx;
    std::string err = fx.init(ctx.config);
    if (!err.empty()) return "augment: " + err;
    const int n_bins = ctx.config.n_bins();
    const auto t0 = std::chrono::steady_clock::now();
    size_t done = 0, skipped = 0;
    for (int id : ids) {
        const track& t = ctx.data.tracks[static_cast<size_t>(id)];
        audio_buffer clean;
        if (!(err = load_audio_file(t.path, ctx.config.sample_rate_hz, clean)).empty() || clean.samples.empty()) {
            ++skipped;
            continue;
        }
        double power = 0;
        for (float v : clean.samples) power += static_cast<double>(v) * v;
        power /= static_cast<double>(clean.samples.size());
        // The draws depend on the track's identity and the copy, not on the order of the split's lists.
        const std::string h = sha256_hex(t.key + "|" + std::to_string(seed));
        std::mt19937_64 rng(std::stoull(h.substr(0, 15), nullptr, 16));
        std::vector<float> y(clean.samples.size());
        for (int c = 0; c < aug.copies; ++c) {
            const double gain_db = std::uniform_real_distribution<double>(-aug.gain_db_max, aug.gain_db_max)(rng);
            const double snr_db = std::uniform_real_distribution<double>(aug.snr_min_db, aug.snr_max_db)(rng);
            const double g = std::pow(10.0, gain_db / 20.0);
            // ref: SNR_dB = 10 log10(P_signal / P_noise)  ->  sigma = sqrt(P_signal / 10^(SNR/10))
            const double sigma = std::sqrt(power * g * g / std::pow(10.0, snr_db / 10.0));
            std::normal_distribution<double> noise(0.0, sigma > 0 ? sigma : 1e-12);
            for (size_t i = 0; i < y.size(); ++i) y[i] = static_cast<float>(clean.samples[i] * g + noise(rng));
            std::vector<track_matrix> one(1);
            if (!(err = fx.compute(y.data(), y.size(), one[0].data, one[0].n_frames)).empty()) return "augment: " + t.path + ": " + err;
            if (one[0].n_frames == 0) continue;
            apply_normalisation(ctx.config, one[0].data.data(), static_cast<int>(one[0].n_frames), one[0].n_frames, 1);
            one[0].label = ctx.tracks[static_cast<size_t>(id)].label;
            std::vector<track_embeddings> e;
            if (!(err = compute_embeddings(b, one, n_bins, ctx.spec, cache_dir, true, e)).empty()) return err;
            out.push_back(std::move(e[0]));
            labels.push_back(one[0].label);
        }
        if (!quiet && ++done % 50 == 0) {
            const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            std::fprintf(stderr, "augment: %zu of %zu tracks (%d copies each), %.1f s\n", done, ids.size(), aug.copies, secs);
        }
    }
    if (!quiet) {
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::fprintf(stderr, "augment: %zu copies of %zu training tracks (gain +-%g dB, noise %g-%g dB SNR), %zu unreadable, %.1f s\n",
                     out.size(), ids.size() - skipped, aug.gain_db_max, aug.snr_min_db, aug.snr_max_db, skipped, secs);
    }
    return "";
}

}  // namespace gs
