// ir_torch.h: runs an ir_graph with libtorch: the trainable module behind every architecture.
#pragma once

#include <torch/torch.h>

#include <map>
#include <string>

#include "model/model_ir.h"

namespace gs {

// A torch module whose parameters and buffers are the graph's node params. Parameter p of node n is
// registered as "n__p" (torch names may not contain '.'); weights()/set_weights() use the IR's "n.p" names.
class ir_module_impl : public torch::nn::Module {
public:
    // Registers every param with its initial value (He-normal for conv/linear weights, zero biases, unit
    // batch-norm scale, PyTorch's U(-1/sqrt(H), 1/sqrt(H)) for recurrent weights), drawn from torch's default
    // generator (seed it first). The graph must pass ir_infer_shapes.
    explicit ir_module_impl(const ir_graph& g);

    // Logits [N, n_classes] (the tensor named g.logits) for input [N, 1, n_bins, n_frames].
    torch::Tensor forward(const torch::Tensor& input);

    // The tensor `name` (e.g. graph().output), releasing every intermediate tensor after its last use, so
    // inference memory stays at a few activations rather than the whole graph's.
    torch::Tensor forward_to(const torch::Tensor& input, const std::string& name);

    // Runs only the nodes after tensor `start` (its value given, e.g. cached activations of a frozen prefix) up
    // to tensor `name`; nodes that need anything computed before `start` are skipped. Throws
    // std::invalid_argument if `name` cannot be computed from `start` alone.
    torch::Tensor forward_from(const std::string& start, const torch::Tensor& value, const std::string& name);

    // Runs the whole graph; returns every tensor by name (logits, probabilities, intermediate ones).
    std::map<std::string, torch::Tensor> forward_all(const torch::Tensor& input);

    const ir_graph& graph() const { return graph_; }

    // Copies every param (and batch-norm running statistics) out, as float32 on the CPU.
    ir_weights weights() const;
    // Loads weights by IR name; every param must be present with the right number of values.
    std::string set_weights(const ir_weights& w);
    // The live tensor of one param by IR full name ("<node>.<param>"); throws std::out_of_range if unknown.
    const torch::Tensor& tensor(const std::string& ir_name) const { return params_.at(ir_name); }

    // The name of the tensor that feeds the final classifier layer (penultimate embedding), or "".
    std::string embedding_tensor() const;

    // On CUDA with cuDNN: moves each GRU/LSTM node's weights into one contiguous buffer (the parameters become
    // views of it), so cuDNN does not copy them into one at every call. Call after to(device), before the
    // optimizer sees the parameters; a later to() undoes it (harmless, only slower). A no-op on the CPU.
    // Returns "", or why a node could not be compacted (training goes on without it).
    std::string compact_recurrent_weights();

    // Data-parallel training: this process's input is rows [first_row, first_row + N) of a global batch of
    // `global_rows`. Dropout then draws its mask for the whole global batch and keeps its rows, so every rank
    // draws what one process would (same seed, same number of draws) and the ranks' masks are that process's.
    // global_rows 0 (the default): torch::dropout on the input as it is.
    void set_batch_slice(int64_t global_rows, int64_t first_row) {
        slice_rows_ = global_rows;
        slice_first_ = first_row;
    }

private:
    torch::Tensor run_node(const ir_node& n, const std::vector<torch::Tensor>& in);
    const torch::Tensor& param(const ir_node& n, const char* name) const;
    std::vector<torch::Tensor> recurrent_weights(const ir_node& n, bool bidirectional) const;

    ir_graph graph_;
    std::map<std::string, torch::Tensor> params_;  // by IR full name
    std::map<std::string, std::vector<int64_t>> shapes_;
    int64_t slice_rows_ = 0, slice_first_ = 0;
};
TORCH_MODULE_IMPL(ir_module, ir_module_impl);

}  // namespace gs
