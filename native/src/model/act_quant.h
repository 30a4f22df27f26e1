// act_quant.h: 8-bit activations for a trained graph: which tensors, their scales from calibration ranges, the quantize nodes.
//
// ONNX Runtime runs a convolution whose input, weight and output are each behind a DequantizeLinear /
// QuantizeLinear pair as one integer kernel (QLinearConv: uint8 activations, int8 weights, int32 sums). On its
// WebAssembly build that is faster than float for wide layers and slower for narrow ones (ORT-web 1.30, one
// thread, YAMNet at batch 16: the 1x1 convolutions with >= 128 input channels take about half the time, the
// first layers with 1-64 channels up to twice the time; docs/BENCHMARKS.md). So the activations are quantised
// from one tensor on: everything the graph computes after it runs on integers, everything before in float.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/model_ir.h"

namespace gs {

// The tensors to store as uint8, in graph order. `from`: the input of the first conv2d that is not grouped
// (groups == 1) and has at least `min_channels` input channels (1..65536); then every output of a relu or relu6
// whose input is made by a conv2d among the nodes computed from `from` alone (ir_nodes_after). Together these are
// the input and the output of every convolution after `from`, so each one can run as QLinearConv.
// Returns "" or why there is none (no such convolution, none after it followed by a ReLU: nothing would run on
// integers, shapes that do not infer).
std::string choose_activation_tensors(const ir_graph& g, int64_t min_channels, std::string& from,
                                      std::vector<std::string>& tensors);

// The range one tensor took over the calibration data.
struct act_range {
    double lo = 0.0;     // min(0, smallest value seen)
    double hi = 0.0;     // max(0, largest value seen)
};

// The uint8 grid of a range: scale = (hi - lo) / 255 in float (1 / 255 for an all-zero range), zero_point =
// clamp(round(-lo / scale), 0, 255) (0 for a non-negative tensor such as a ReLU's output), so that 0 is exact
// and [lo, hi] is covered. ref: Jacob et al. 2018, "Quantization and Training of Neural Networks for Efficient
// Integer-Arithmetic-Only Inference", eq. 1 and section 2.1 (asymmetric uint8, exact zero).
void act_grid(const act_range& r, float& scale, int64_t& zero_point);

// Inserts a quantize node right after the producer of every tensor in `ranges` (or first, for the graph input)
// and makes every later consumer read its output instead. The node and its output are named "<tensor>_quant".
// The graph's outputs (output, logits, extra outputs) keep naming the float tensors. Returns "" or an error
// (unknown tensor, a name already taken, a graph that already quantises that tensor).
std::string insert_activation_quantizers(ir_graph& g, const std::map<std::string, act_range>& ranges);

// Cross-layer equalisation of activation ranges. ref: Nagel et al. 2019, "Data-Free Quantization Through Weight
// Equalization and Bias Correction", section 4.1 (ReLU(s x) = s ReLU(x) for s > 0, so a channel can be scaled
// down in one layer and up in the next without changing what the graph computes). Here the scales come from
// the activations: one scale per tensor fits badly when some channels span 100 times the range of others.
struct equalize_pair {
    std::string a;     // a conv2d whose output only `relu` reads
    std::string relu;  // a relu (not relu6: its clip at 6 does not commute with scaling) read only by `b`
    std::string b;     // a depthwise conv2d (groups = channels): its channel i reads only channel i
};

// Every A -> relu -> depthwise B chain of `g`, in graph order.
std::vector<equalize_pair> equalizable_pairs(const ir_graph& g);

// Scales one pair in `w` from the relu output's per-channel maxima `channel_max` (one per channel, >= 0):
// s_c = channel_max[c] / max_c channel_max (at least 1e-4; 1 for a channel that never fires), A's weights and
// bias for output channel c divided by s_c, B's weights for channel c multiplied by it. Afterwards every channel
// of the relu's output spans (up to float rounding) the largest channel's range. Both layers are changed along
// their output-channel axis only, so per-channel int8 weights stay per-channel. Returns "" or an error.
std::string equalize_pair_weights(const ir_graph& g, const equalize_pair& p, const std::vector<double>& channel_max,
                                  ir_weights& w);

}  // namespace gs
