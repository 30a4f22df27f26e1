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
    double gain_db = 12.0;        // mel_db inputs: a random level change in [-gain_db, gain_db] dB
    double noise_prob = 0.5;      // mel_db inputs: probability of adding broadband noise to a segment
    double noise_snr_min_db = 10; // its level below the segment's mean mel power, dB, uniform in [min, max]
    double noise_snr_max_db = 40;
    bool noise_texture = false;   // the noise is white noise's own mel spectrogram, which fluctuates from bin
                                  // to bin and frame to frame as real hiss does; false: a flat, constant floor
    double band_limit_prob = 0;   // mel_db inputs: probability of a low-pass, valid 0..1: the bins from a
                                  // random cut up are set to the segment's lowest value (MP3 encoders, old
                                  // recordings and phones remove the top of the spectrum)
    double band_limit_lowest = 0.8; // lowest cut as a fraction of the bins, valid 0..1 (0.8 of 128 Slaney mel
                                    // bands up to 11.025 kHz: ~5.4 kHz; the cut is uniform in [lowest, 1))
    double mixup_alpha = 0.2;     // Beta(alpha, alpha) mixing of pairs of segments and their targets; 0 = off
    double label_smoothing = 0.1; // target = (1 - e) one-hot + e / n_classes
};

// Every random decision behind one training batch, drawn on the host from a seeded generator (so a run is
// reproducible and resumable), then materialised by device_batcher on the CPU or the GPU.
struct batch_plan {
    int n = 0;
    std::vector<int> track;            // dataset track index of each sample
    std::vector<int64_t> start;        // first frame of its crop (frames past the track's end read as 0)
    std::vector<float> gain_db;        // level change in dB (mel_db inputs only)
    std::vector<float> noise_snr_db;   // noise this many dB below the segment's mean mel power; +inf: none
    std::vector<float> noise_pos;      // textured noise: where its crop starts in the texture, fraction in [0, 1)
    std::vector<int> band_cut;         // first bin of the low-pass (set to the segment's floor); n_bins: none
    std::vector<int> freq_start, freq_width, time_start, time_width;  // 2 SpecAugment masks per sample
    std::vector<int> mix_with;         // mixup partner (the sample itself when off)
    std::vector<float> mix_lambda;     // weight of the sample itself, in [0.5, 1]
    std::vector<int> labels;           // hard labels (the dominant one under mixup)
    std::vector<float> targets;        // soft targets [n][n_classes]: smoothing and mixup applied
};

// A teacher's distribution for crops of every training track, on a grid of crop starts. Built once before
// training by build_teacher_table (teacher.h) on clean crops (the student then sees them augmented), read by
// segment_sampler.
struct soft_target_table {
    int n_classes = 0;
    int hop_frames = 1;              // grid spacing, frames
    std::vector<int64_t> first_row;  // per dataset track: its first row in probs, -1 when not scored
    std::vector<int64_t> n_rows;     // per dataset track: grid starts scored (0, hop, 2 hop, ...)
    std::vector<float> probs;        // [row][n_classes], each row sums to 1

    // The distribution of the grid crop nearest to `start` (clamped to the track's grid); nullptr when the
    // track was not scored.
    const float* at(int track, int64_t start) const;
};

// Sets `out` to n samples of track 0 from frame 0 with every augmentation off (no gain, noise, low-pass,
// masks or mixup; zero targets): the starting point of every plan.
void plain_batch_plan(int n_samples, int n_bins, int n_classes, batch_plan& out);

// Per-bin mean and standard deviation over every frame of the given tracks (raw features, [n_bins][n_frames]
// each). std has a floor of 1e-3 so constant bins do not explode.
void fit_normalisation(const std::vector<const std::vector<float>*>& tracks, const std::vector<size_t>& n_frames,
                       int n_bins, std::vector<float>& mean, std::vector<float>& std_dev);

// Plans training batches: class-balanced track sampling (each class equally likely, then a track uniformly
// within it), a random crop of `spec.frames` frames (zero-padded, i.e. at the mean, when a track is
// shorter), then the augmentations. Deterministic for a given rng state.
class segment_sampler {
public:
    segment_sampler(const std::vector<track_matrix>* tracks, const std::vector<int>* train_indices, int n_bins,
                    int n_classes, const segment_spec& spec, const augment_options& aug, const feature_config& config);

    void plan(int batch_size, std::mt19937_64& rng, batch_plan& out) const;

    // Distillation: each target becomes (1 - weight) x its smoothed label + weight x the teacher's distribution
    // for the crop (before mixup). `teacher` must outlive the sampler; nullptr or weight 0 = off. Draws no
    // random numbers, so the plans are otherwise those of a run without a teacher.
    void set_teacher(const soft_target_table* teacher, double weight);

private:
    const std::vector<track_matrix>* tracks_;
    std::vector<std::vector<int>> by_class_;
    int n_bins_;
    int n_classes_;
    segment_spec spec_;
    augment_options aug_;
    bool is_db_ = false;  // log-mel dB inputs: noise floors are drawn
    const soft_target_table* teacher_ = nullptr;
    float teacher_weight_ = 0;
};

// Every evaluation segment of a track (starts from gs::segment_starts), as inputs [n][1][n_bins][frames].
void track_segments(const track_matrix& t, int n_bins, const segment_spec& spec, std::vector<float>& inputs,
                    std::vector<size_t>& starts);

}  // namespace gs
