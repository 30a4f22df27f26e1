// model_ir.h: a small layer graph that defines each architecture once: libtorch trains it, ONNX exports it.
//
// Every architecture (see archs.h) is a builder returning an ir_graph. Three walkers interpret the same graph:
//   - ir_torch (ir_torch.h): a torch::nn::Module whose parameters are the nodes' params, for training;
//   - onnx_export (onnx_export.h): writes the graph as an ONNX ModelProto with the trained weights;
//   - ir_reference (ir_reference.h): a naive float C++ forward pass, the oracle the other two are tested against.
// Tensor layout is NCHW; the model input is a batch of feature segments [N, 1, n_bins, n_frames].
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace gs {

enum class ir_op {
    // [N,C,H,W] -> [N,O,H',W']. ints: out_channels, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w
    // (zero padding before the first row / column), pad_h_end, pad_w_end (after the last; default pad_h,
    // pad_w: symmetric; TensorFlow's SAME padding with stride 2 pads one more at the end), groups (default 1;
    // C and O divisible by it; groups = C = O is a depthwise convolution); dilation 1.
    // params: weight [O,C/groups,kh,kw], bias [O].
    conv2d,
    // [N,C,...] -> same. floats: eps. params: weight [C], bias [C], running_mean [C], running_var [C].
    // In training mode it normalises with batch statistics and updates the running ones (momentum 0.1).
    batch_norm,
    relu,  // element-wise max(x, 0)
    relu6, // element-wise min(max(x, 0), 6) (MobileNet's activation)
    elu,   // element-wise x > 0 ? x : alpha (exp(x) - 1). floats: alpha (default 1)
    // element-wise 1 / (1 + exp(-x)). As the graph's output node: independent per-class probabilities
    // (multi-label, e.g. AudioSet's 521 classes) instead of softmax's distribution.
    sigmoid,
    // [N,C,H,W] -> [N,C,H',W'], no padding, floor mode. ints: kernel_h, kernel_w, stride_h, stride_w.
    max_pool2d,
    avg_pool2d,
    // [N,C,H,W] -> [N,C]: mean (resp. max) over H and W.
    global_avg_pool,
    global_max_pool,
    // Mean or max over one axis, which is removed. ints: axis (>= 1).
    reduce_mean,
    reduce_max,
    flatten,  // [N, ...] -> [N, prod(...)]
    // [N,I] -> [N,O]. ints: out_features. params: weight [O,I], bias [O].
    linear,
    // floats: p. Identity at inference; not exported (its input name is forwarded).
    dropout,
    add,      // two inputs of the same shape
    concat,   // ints: axis; two or more inputs
    // [N,1,F,T] -> [T,N,F]: a spectrogram segment as a sequence of frames for a recurrent layer.
    to_sequence,
    // [T,N,I] -> [N, D*H]: the final hidden state of each direction (D = 2 when bidirectional, forward first).
    // ints: hidden_size, bidirectional (0/1). params for each direction d in {"", "_reverse"}:
    //   weight_ih<d> [G*H, I], weight_hh<d> [G*H, H], bias_ih<d> [G*H], bias_hh<d> [G*H]
    // with PyTorch's gate order: GRU (G=3) r, z, n; LSTM (G=4) i, f, g, o. The exporter reorders the gates
    // for ONNX (GRU z, r, h with linear_before_reset=1; LSTM i, o, f, c).
    gru,
    lstm,
    // [N,1,F,T] -> same: moves each segment to the training data's mean level, so a gain applied to the audio
    // does not change the output. With s_f the dB per normalised unit of bin f (the normalisation's std), the
    // segment's level relative to the training mean is L = mean_{f,t}(x * s_f) dB, and y = x - L / s_f.
    // params: db_per_unit [1,1,F,1], a constant (not trained, not counted as a parameter).
    level_align,
    // Multiplies by a constant. floats: factor. (Used for the calibration temperature: logits / T.)
    scale,
    // Element-wise 8-bit fake quantisation: the tensor as an unsigned 8-bit activation would hold it,
    //   q = clamp(round_half_even(x / scale) + zero_point, 0, 255), y = (q - zero_point) * scale (in float32).
    // floats: scale (finite, > 0). ints: zero_point (0..255). Exported as ONNX QuantizeLinear + DequantizeLinear
    // (uint8), which ONNX Runtime fuses with the convolutions on either side into integer kernels (QLinearConv).
    // Gradient: straight through (identity), so a graph holding it can still be fine-tuned.
    // `genrescope quantize --activations` inserts it into a trained graph (act_quant.h).
    quantize,
    // [N,K] -> [N,K], softmax over axis 1. The graph's output node (or sigmoid, above).
    softmax,
};

const char* to_string(ir_op op);

struct ir_param {
    std::string name;              // unique within its node; the full name is "<node name>.<name>"
    std::vector<int64_t> shape;
};

struct ir_node {
    std::string name;                   // unique in the graph
    ir_op op = ir_op::relu;
    std::vector<std::string> inputs;    // names of tensors produced earlier (or the graph input)
    std::string output;                 // name of the tensor this node produces (unique)
    std::map<std::string, int64_t> ints;
    std::map<std::string, double> floats;
    std::vector<ir_param> params;

    int64_t get_int(const std::string& key, int64_t fallback = 0) const {
        auto it = ints.find(key);
        return it == ints.end() ? fallback : it->second;
    }
    double get_float(const std::string& key, double fallback = 0.0) const {
        auto it = floats.find(key);
        return it == floats.end() ? fallback : it->second;
    }
};

struct ir_graph {
    std::string arch;                       // architecture name, e.g. "genrescope_cnn"
    std::string input = "input";            // [N, 1, n_bins, n_frames]
    int64_t n_bins = 0;
    int64_t n_frames = 0;
    std::string logits;                     // the tensor the loss is computed on (input of the final softmax)
    std::string output = "probabilities";   // [N, n_classes], produced by the last node (softmax or sigmoid)
    int64_t n_classes = 0;
    // Further tensors exported as ONNX outputs after `output`, each [N, D] (e.g. an embedding for similarity
    // maps, a backbone's own class scores for tags). Empty for most models.
    std::vector<std::string> extra_outputs;
    std::vector<ir_node> nodes;             // in topological order
};

// Trained weights by full parameter name ("<node>.<param>"), row-major float32 values.
using ir_weights = std::map<std::string, std::vector<float>>;

// Shapes of every tensor for a batch of `batch` segments, by tensor name (the graph input included).
// Returns "" or the first problem (unknown input, duplicate names, wrong arity, shape mismatch, bad attribute).
std::string ir_infer_shapes(const ir_graph& g, int64_t batch, std::map<std::string, std::vector<int64_t>>& shapes);

// True for params that training does not update: batch_norm running statistics (updated by the forward pass)
// and level_align's constant.
bool ir_param_is_buffer(const ir_node& n, const std::string& param);

// True for params that nothing in training changes: level_align's constant (set from the feature
// normalisation before training). A subset of the buffers above.
bool ir_param_is_constant(const ir_node& n, const std::string& param);

// Indices of the nodes computable from tensor `start` alone (every input is `start` or made by such a node), in
// graph order: the part of the graph after a cut at `start` (fine-tuning a backbone's last layers).
std::vector<size_t> ir_nodes_after(const ir_graph& g, const std::string& start);

// Number of trainable values (all params except the buffers above).
int64_t ir_count_parameters(const ir_graph& g);

// The tensor the logits are computed from when it is [N, D] (the penultimate layer: the input of the node
// producing g.logits, e.g. the pooled features before the classifier), else "" (a recurrent or convolutional
// classifier, or no logits tensor). Used as the embedding output of models trained from scratch.
std::string ir_penultimate(const ir_graph& g);

}  // namespace gs
