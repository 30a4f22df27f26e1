// ir_json.h: an ir_graph as JSON (the model card's "graph"), so any graph, imported or trained, can be rebuilt.
//
// The card of a model that is not one of archs.h's architectures (an imported network such as YAMNet, or a
// head trained on a backbone) carries its graph; model_loader rebuilds the module from it and takes the
// weights from model.onnx. The JSON comes from a user's file: it is read with limits and validated by
// ir_infer_shapes before anything is allocated from it.
#pragma once

#include <string>

#include "genrescope/json.h"
#include "model/model_ir.h"

namespace gs {

// Limits on a graph read from JSON (a real graph is far below them).
constexpr size_t kIrJsonMaxNodes = 4096;
constexpr size_t kIrJsonMaxInputs = 64;      // per node
constexpr size_t kIrJsonMaxName = 256;       // characters in a node, tensor or param name
constexpr int64_t kIrJsonMaxDim = 1 << 24;   // any dimension, attribute or class count

// {"arch", "input", "n_bins", "n_frames", "logits", "output", "n_classes", "nodes": [{"name", "op", "inputs",
// "output", "ints": {...}, "floats": {...}, "params": [{"name", "shape"}]}]}
json_value ir_graph_to_json(const ir_graph& g);

// Parses and validates (limits above, op names, integral attributes, then ir_infer_shapes with batch 1).
// Returns "" or the first problem; `out` is only written on success.
std::string ir_graph_from_json(const json_value& j, ir_graph& out);

// The op named `name` (to_string's names); false when unknown.
bool parse_ir_op(const std::string& name, ir_op& out);

}  // namespace gs
