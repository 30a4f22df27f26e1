// fine_tune.h: training a backbone's last layers together with its head, after the head alone (LP-FT).
//
// `train --backbone B --backbone-lr X --fine-tune-from T`: the head is first trained on the frozen backbone (the
// linear probe, backbone_train.cpp); then every layer after tensor T and the head train together at learning
// rate X. The layers before T stay frozen, so their output at T is computed once per segment and cached with
// the embeddings (backbone.h's tap): an epoch runs only the layers after T. T = the graph's input fine-tunes
// the whole network (slow on a CPU).
// ref: Kumar et al. 2022, "Fine-Tuning can Distort Pretrained Features and Underperform Out-of-Distribution":
//      a linear probe first, then fine-tuning, keeps more of the pretrained features than fine-tuning from a
//      random head.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "genrescope/json.h"
#include "model/ir_torch.h"

namespace gs {

struct fine_tune_options {
    std::string from;                // the cut: a tensor of the graph (backbone_model::tap)
    std::vector<int64_t> tap_shape;  // its shape for one segment, without the batch dimension
    double learning_rate = 1e-4;     // AdamW, cosine decay to 0 over all steps, > 0
    double head_weight_decay = 1e-2; // decoupled weight decay of the head's params; the backbone's layers get none
                                     // (decay would pull pretrained weights towards 0, not towards what they were)
    int epochs = 5;                  // >= 1; the epoch kept is chosen on validation (0 = the head alone)
    int bags_per_step = 32;          // bags (runs of a track's consecutive patches) per optimiser step, >= 1
    double label_smoothing = 0.1;
    uint64_t seed = 1;
    bool quiet = false;
};

// Rows are segments (rows of a track consecutive), values the tap's; owner = the row's track, y its label.
struct fine_tune_rows {
    torch::Tensor x;  // [rows, tap_dim] float32
    std::vector<int64_t> y;
    std::vector<int> owner;
    size_t n_tracks = 0;
};

// Fine-tunes `model` (backbone + head, the head already trained; eval mode throughout: batch norm keeps its
// running statistics and dropout is off) on bags of `train` with the loss of the head (label-smoothed,
// `class_weights`, on a bag's mean logits). After each epoch the validation tracks are scored by the geometric
// mean of their patches; the best epoch's weights (epoch 0: as given) are left in `model` (no validation rows:
// the last epoch). `report` gets what was trained and each epoch's numbers. Returns "" or an error.
std::string fine_tune(ir_module& model, const fine_tune_rows& train, const fine_tune_rows& valid,
                      const torch::Tensor& class_weights, const fine_tune_options& o, json_value& report);

}  // namespace gs
