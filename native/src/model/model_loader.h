// model_loader.h: loads model.onnx + its card into a runnable libtorch module (the .onnx is the one artifact).
#pragma once

#include <string>
#include <vector>

#include "model/ir_torch.h"
#include "model/model_card.h"

namespace gs {

struct loaded_model {
    model_card card;
    ir_graph graph;
    ir_module module{nullptr};
};

// An inference-mode (eval) module for graph g with weights w: "" or a one-line error (bad graph, weights).
std::string make_module(const ir_graph& g, const ir_weights& w, ir_module& out);

// The card path that belongs to a model path: "dir/name.onnx" -> "dir/name.json".
std::string card_path_for(const std::string& onnx_path);

// Reads onnx_path and its card, checks the card's sha256 against the file, rebuilds the card's architecture
// and loads the weights from the ONNX initializers. Returns "" or a one-line error.
std::string load_model(const std::string& onnx_path, loaded_model& out);

// What-if without retraining: rebuilds m with a level_align node (archs.h) in front of its first layer, the
// trained weights unchanged, so that input gain no longer matters. Log-mel models only. Returns "" or an error.
std::string insert_level_align(loaded_model& m);

// Runs the model over every segment (gs::segment_starts with the card's frames and hop) of a normalised
// feature matrix `features` ([n_bins][n_frames] row-major), a few segments per forward pass so memory stays
// bounded, and appends [n_segments][n_classes] probabilities (the graph's output, temperature applied) to
// `probs`. Returns the segments' start frames.
// With `extra_name` (a tensor of the graph, [N, D]) its values are appended to `extra` as well, [n_segments][D].
std::vector<size_t> segment_probabilities(loaded_model& m, const float* features, size_t n_frames,
                                          std::vector<float>& probs, const std::string& extra_name = "",
                                          std::vector<float>* extra = nullptr);

// The same with any number of extra tensors: extras[i] gets extra_names[i]'s values, [n_segments][D_i]
// (extras is resized to extra_names.size()). Without extra names only the output is computed.
std::vector<size_t> segment_outputs(loaded_model& m, const float* features, size_t n_frames, std::vector<float>& probs,
                                    const std::vector<std::string>& extra_names,
                                    std::vector<std::vector<float>>& extras);

}  // namespace gs
