// train_data.h: normalised track features in memory, and the segment batches the trainer and evaluator draw.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "genrescope/feature_config.h"
#include "genrescope/segments.h"

namespace gs {

// One track's features, [n_bins][n_frames] row-major, already normalised with the config's mean/std.
struct track_matrix {
    std::vector<float> data;
    size_t n_frames = 0;
    int label = -1;
};

// Augmentations applied to training segments. Values are in normalised units unless stated.
struct augment_options {
    bool spec_augment = true;     // two frequency and two time masks, each up to 1/8 of the axis
    double gain_db = 6.0;         // mel_db inputs: a random level change in [-gain_db, gain_db] dB
    double mixup_alpha = 0.2;     // Beta(alpha, alpha) mixing of pairs of segments and their targets; 0 = off
    double label_smoothing = 0.1; // target = (1 - e) one-hot + e / n_classes
};

// A batch in host memory: inputs [n][1][n_bins][n_frames], soft targets [n][n_classes].
struct segment_batch {
    std::vector<float> inputs;
    std::vector<float> targets;
    std::vector<int> labels;   // hard labels (the dominant one under mixup)
    int n = 0;
};

// Per-bin mean and standard deviation over every frame of the given tracks (raw features, [n_bins][n_frames]
// each). std has a floor of 1e-3 so constant bins do not explode.
void fit_normalisation(const std::vector<const std::vector<float>*>& tracks, const std::vector<size_t>& n_frames,
                       int n_bins, std::vector<float>& mean, std::vector<float>& std_dev);

// Draws training batches: class-balanced track sampling (each class equally likely, then a track uniformly
// within it), a random crop of `spec.frames` frames (zero-padded, i.e. at the mean, when a track is shorter),
// then the augmentations. Deterministic for a given rng state.
class segment_sampler {
public:
    segment_sampler(const std::vector<track_matrix>* tracks, const std::vector<int>* train_indices, int n_bins,
                    int n_classes, const segment_spec& spec, const augment_options& aug, const feature_config& config);

    void draw(int batch_size, std::mt19937_64& rng, segment_batch& out) const;

private:
    void crop(const track_matrix& t, size_t start, float* dst) const;

    const std::vector<track_matrix>* tracks_;
    std::vector<std::vector<int>> by_class_;
    int n_bins_;
    int n_classes_;
    segment_spec spec_;
    augment_options aug_;
    std::vector<float> gain_per_db_;  // normalised units per dB, per bin (0 for kinds where gain is no-op)
};

// Every evaluation segment of a track (starts from gs::segment_starts), as inputs [n][1][n_bins][frames].
void track_segments(const track_matrix& t, int n_bins, const segment_spec& spec, std::vector<float>& inputs,
                    std::vector<size_t>& starts);

}  // namespace gs
