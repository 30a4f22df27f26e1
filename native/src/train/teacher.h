// teacher.h: a trained model's softened predictions on the training crops (knowledge distillation targets).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "genrescope/feature_config.h"
#include "train/train_data.h"

namespace gs {

// What the student is told about its teacher.
struct teacher_options {
    std::string model_path;    // the teacher's model.onnx (its card next to it); "" = no teacher
    double weight = 0.5;       // share of the teacher's distribution in each training target, valid 0..1
    double temperature = 2.0;  // the teacher's logits are divided by this before the softmax, valid 0.1..100
    double grid_hop_s = 0.5;   // crops are scored every this many seconds; a crop takes its nearest, valid > 0
};

// What build_teacher_table measured; recorded in the model card.
struct teacher_summary {
    std::string arch;
    std::string sha256;          // of the teacher's model.onnx
    int64_t crops = 0;           // grid crops scored
    double label_agreement = 0;  // share of them whose teacher top class is the track's label
    double seconds = 0;
};

// Loads the teacher and scores the grid crops of the `train` tracks of `tracks` (normalised with `config`).
// The teacher must have been trained on the same features (same config apart from the normalisation, which
// is converted), the same segment length in frames and the same labels in the same order. Runs on CUDA when
// `cuda`. Returns "" or a one-line error; `out` is filled only on success.
std::string build_teacher_table(const teacher_options& o, const std::vector<track_matrix>& tracks,
                                const std::vector<int>& train, const feature_config& config,
                                const std::vector<std::string>& labels, int segment_frames, bool cuda,
                                soft_target_table& out, teacher_summary& summary);

}  // namespace gs
