// ir_reference.h: a naive, obviously-correct C++ forward pass of an ir_graph (the oracle for ir_torch and ONNX).
#pragma once

#include "model_ir.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace gs {

// Checks that `w` holds, for every param of every node of `g`, a vector named "<node>.<param>" with exactly
// product(shape) values. Extra entries in `w` are allowed. Returns "" or the first missing/mis-sized name.
std::string ir_check_weights(const ir_graph& g, const ir_weights& w);

// Runs `g` in inference mode (batch_norm with running statistics, dropout = identity) on a batch.
// Takes: `input`, batch * 1 * n_bins * n_frames floats, row-major [N, 1, F, T]; `w`, the weights (see
// ir_check_weights); `batch` >= 1. Every value is computed in double and rounded to float once per tensor.
// Fills `tensors_out` (cleared first; owned by the caller) with every tensor by name, the graph input and
// g.output included, each row-major with the shape ir_infer_shapes gives; `shapes_out`, when not null, gets
// those shapes. Returns "" or an error (bad graph, missing weights, wrong input size); on error the outputs
// may be partly filled. Throws nothing.
std::string ir_reference_forward(const ir_graph& g, const ir_weights& w, const std::vector<float>& input,
                                 int64_t batch, std::map<std::string, std::vector<float>>& tensors_out,
                                 std::map<std::string, std::vector<int64_t>>* shapes_out = nullptr);

}  // namespace gs
