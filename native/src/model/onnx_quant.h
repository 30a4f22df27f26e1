// onnx_quant.h: int8 weights in ONNX models: per-channel quantisation behind DequantizeLinear, and reading it back.
//
// The rewrite keeps the graph as it was: a float Conv/Gemm/MatMul weight initializer W (with enough elements)
// becomes an int8 initializer "W_quantized" plus a float scale initializer "W_scale" (one scale per output
// channel), and a DequantizeLinear node (first in the graph) outputs the float tensor under the name W, so every
// consumer still reads W. Symmetric: zero point 0 (the optional zero-point input is left out), values in
// [-127, 127]. ONNX Runtime computes DequantizeLinear as float(q - zero_point) * scale; the reader here does the
// same, so our libtorch/reference forward pass of a quantised file uses exactly the weights ONNX Runtime uses.
// No ONNX header is needed for the byte-level functions; the proto-level ones take libonnx's classes
// (include "model/onnx_proto.h" to call them). Link as onnx_export.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace onnx {
class ModelProto;
class GraphProto;
class TensorProto;
}  // namespace onnx

namespace gs {

struct onnx_quant_options {
    int64_t min_elements = 1024;  // smaller weights (and every bias, batch-norm parameter, ...) stay float
};

// One quantised weight.
struct onnx_quant_tensor {
    std::string name;           // the float tensor's name (the DequantizeLinear output)
    std::vector<int64_t> dims;
    int64_t axis = 0;           // the output-channel axis the scales run along
    float max_error = 0.0f;     // max |w - float(q) * scale| over the tensor
    float max_scale = 0.0f;     // the largest of its scales (max_error <= max_scale / 2, up to float rounding)
    int64_t tensor_grid_channels = 0;  // channels stored with the whole tensor's scale (already on its int8 grid)
};

struct onnx_quant_summary {
    std::vector<onnx_quant_tensor> tensors;
    int64_t float_bytes = 0;  // bytes of the quantised weights as float32 before
    int64_t int8_bytes = 0;   // bytes of their int8 values after
    int64_t scale_bytes = 0;  // bytes of their float32 scales after
};

// Rewrites `m` in place: every float initializer of at least opt.min_elements values whose every use in the
// top-level graph is the weight of a Conv (input 1, [out, in / group, k...]: axis 0), a Gemm (input 1, rank 2:
// axis 0 with transB = 1, as onnx_export writes PyTorch's [out, in], else axis 1) or a MatMul (input 1, rank 2
// [in, out]: axis 1), and that is not a graph input or output, is stored as int8 per output channel:
//   scale[c] = max_i |w[c, i]| / 127 (float; 1 when the channel is all zeros),
//   q = clamp(round_half_to_even(w / scale[c]), -127, 127)  (w / scale in float, as ONNX QuantizeLinear),
// except that a channel whose values already lie on the int8 grid of the whole tensor (scale_t = max |w| / 127;
// every |w - q_t * scale_t| <= scale[c] / 1000) is stored with scale_t: weights that were int8 per tensor before
// (YAMNet's TFLite export with float activations, its dense layer in both exports) then come back exactly.
// Trained or random float weights are in practice never that close to a coarser grid: they get their own scale.
// ref: ONNX docs/Operators.md QuantizeLinear (opset 13): y = saturate(round(x / y_scale) + y_zero_point), rounding
//      half to even; DequantizeLinear: y = (x - x_zero_point) * x_scale, per axis when x_scale is 1-D.
// Needs a default-domain opset >= 13 (DequantizeLinear's axis). Non-finite weights are an error.
// Returns "" or an error (then `m` may be partly rewritten: discard it). Throws nothing.
std::string onnx_quantize_weights(onnx::ModelProto& m, const onnx_quant_options& opt, onnx_quant_summary& summary);

// The same on serialised models: parses `in`, rewrites it, serialises it into `out` and runs the ONNX checker
// with strict shape inference on the result (onnx_check). `out` is empty on error. Throws nothing.
std::string onnx_quantize(const std::string& in, const onnx_quant_options& opt, std::string& out,
                          onnx_quant_summary& summary);

// The reader's half: for every DequantizeLinear node of `graph` whose input x is an initializer, the float
// tensor it produces, named after its output, computed as ONNX Runtime does: float(int32(q) - int32(zp)) *
// scale (float multiply). Accepts x int8 or uint8 (raw_data or int32_data), x_scale float (raw_data or
// float_data) as a scalar or a 1-D tensor of dims(x)[axis] values, an optional x_zero_point of x's type and
// x_scale's shape, and axis in [-rank, rank) (default 1, as the spec says). Everything is checked (the file is
// untrusted): sizes, types, axis, duplicate names, external data. `out` is replaced. Returns "" or an error
// naming the node. Throws nothing.
std::string onnx_dequantize_initializers(const onnx::GraphProto& graph, std::map<std::string, onnx::TensorProto>& out);

}  // namespace gs
