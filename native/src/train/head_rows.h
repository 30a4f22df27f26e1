// head_rows.h: rows of cached backbone values per segment, bags of a track's consecutive patches, and track
// accuracy: what the head (backbone_train.cpp) and the fine-tuning of the last layers (fine_tune.cpp) share.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <random>
#include <vector>

#include "train/backbone.h"

namespace gs {

// Appends values [offset, offset + take) of every segment's row (rows `width` wide) of `te` to x, with the label
// to y and `owner` (the row's track, an index of the caller's choice) to o.
void append_rows(const track_embeddings& te, int64_t width, int64_t offset, int64_t take, int64_t label, int owner,
                 std::vector<float>& x, std::vector<int64_t>& y, std::vector<int>& o);

// append_rows for the tracks in `ids` (labels from `tracks`); owner k for ids[k].
void gather_rows(const std::vector<track_embeddings>& emb, const std::vector<track_matrix>& tracks,
                 const std::vector<int>& ids, int64_t width, int64_t offset, int64_t take, std::vector<float>& x,
                 std::vector<int64_t>& y, std::vector<int>& owner);

// Track accuracy: the mean of each track's segment probabilities (or, given log-probabilities, their mean: the
// geometric mean's argmax), argmax against its label. probs [rows, classes], float32, contiguous.
double track_accuracy(const torch::Tensor& probs, const std::vector<int>& owner, const std::vector<int64_t>& y,
                      size_t n_tracks);

// A run of consecutive patches of one track: (first row in the training rows, length, label).
struct bag {
    int64_t first, length, label;
};

// One epoch's bags: for every training track (rows of a track are consecutive), `per_track` runs, each of a
// length drawn uniformly from 1 to all of the track's patches and a uniformly drawn start; shuffled.
std::vector<bag> draw_bags(const std::vector<int>& owner, const std::vector<int64_t>& y, int per_track, std::mt19937_64& rng);

// The rows of bags [first, last) of `plan`, and for each row its bag (0-based from `first`); the bags' labels
// and 1 / length. A bag's logits are then index_add(bag_of, patch_logits) * inv_length.
struct bag_batch {
    torch::Tensor rows, bag_of, labels, inv_length;
};
bag_batch make_bag_batch(const std::vector<bag>& plan, size_t first, size_t last);

// The bags' logits [bags, classes]: the mean of each bag's patch logits (rows in make_bag_batch order).
torch::Tensor bag_logits(const bag_batch& b, const torch::Tensor& patch_logits);

// ref: Szegedy et al. 2016 (label smoothing): (1 - eps) one-hot + eps / K; each row's loss times its class weight
torch::Tensor smoothed_weighted_loss(const torch::Tensor& logits, const torch::Tensor& y, double eps,
                                     const torch::Tensor& class_weights);

}  // namespace gs
