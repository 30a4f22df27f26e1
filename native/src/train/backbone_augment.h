// backbone_augment.h: level-shifted, noisy copies of training tracks through a frozen backbone, so a head learns
// not to depend on recording level or hiss (the robustness conditions of `eval --condition`).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "train/backbone.h"
#include "train/finalize.h"

namespace gs {

struct audio_augment {
    int copies = 0;             // augmented copies per training track, >= 0 (0 = off)
    double gain_db_max = 12.0;  // gain uniform in [-gain_db_max, gain_db_max] dB, valid 0..40
    double snr_min_db = 10.0;   // white Gaussian noise at an SNR uniform in [snr_min_db, snr_max_db] dB
    double snr_max_db = 30.0;   // (of the track's mean power after the gain), valid snr_min_db..100
};

// For each track id in `ids` and each copy c < aug.copies: the track's file decoded at ctx.config's rate, gain
// and noise drawn from (seed, the track's key, c) (the same copies every run), features and normalisation as
// ctx.config, then the backbone's embeddings of its segments (ctx.spec), cached like compute_embeddings. Appends
// one entry per copy to `out` and its label to `labels`; a file that no longer decodes is skipped with a note.
// Returns "" or an error.
std::string augmented_embeddings(backbone_model& b, const train_context& ctx, const std::vector<int>& ids,
                                 const audio_augment& aug, uint64_t seed, const std::string& cache_dir, bool quiet,
                                 std::vector<track_embeddings>& out, std::vector<int>& labels);

}  // namespace gs
