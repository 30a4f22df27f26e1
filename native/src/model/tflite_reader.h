// tflite_reader.h: a bounds-checked reader of TensorFlow Lite flatbuffers (untrusted input) and weight dequantisation.
//
// tflite_parse decodes the FlatBuffers binary format by hand (no generated code): every offset, vtable, vector
// length and string is checked against the buffer, the decoded size is capped relative to the file size, and
// every cross reference (tensor -> buffer, operator -> opcode and tensors, subgraph inputs/outputs) is checked.
// The schema is TFLite's schema version 3 (file identifier "TFL3").
//
// Buffers are VIEWS: tflite_buffer holds an offset and a size into the bytes given to tflite_parse; nothing is
// copied. Those bytes must outlive every use of the model's buffers (tflite_dequantize takes them again).
// Alignment is not required: scalars are read with memcpy, little-endian.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace gs {

// TFLite's TensorType values.
enum class tflite_type : int {
    float32 = 0, float16 = 1, int32 = 2, uint8 = 3, int64 = 4, string = 5, boolean = 6, int16 = 7,
    complex64 = 8, int8 = 9, float64 = 10, complex128 = 11, uint64 = 12, resource = 13, variant = 14,
    uint32 = 15, uint16 = 16, int4 = 17, bfloat16 = 18,
};
const char* to_string(tflite_type t);       // "FLOAT32", ...; "TYPE_<n>" is not possible (values are checked)
size_t tflite_type_size(tflite_type t);     // bytes per element; 0 for string/resource/variant/int4

// The BuiltinOperator values of the ops this project meets (others are kept as their number).
namespace tflite_op {
constexpr int add = 0, average_pool_2d = 1, concatenation = 2, conv_2d = 3, depthwise_conv_2d = 4,
              dequantize = 6, fully_connected = 9, logistic = 14, max_pool_2d = 17, mul = 18, relu = 19,
              relu6 = 21, reshape = 22, softmax = 25, custom = 32, pad = 34, gather = 36, transpose = 39,
              mean = 40, sub = 41, div = 42, squeeze = 43, strided_slice = 45, exp = 47, split = 49, cast = 53,
              maximum = 55, minimum = 57, padv2 = 60, slice = 65, expand_dims = 70, log = 73, sum = 74,
              sqrt = 75, rsqrt = 76, shape = 77, pow = 78, reduce_max = 82, pack = 83, unpack = 88, square = 92,
              abs = 101, quantize = 114, batch_matmul = 126, rfft2d = 131, complex_abs = 135;
}
// "CONV_2D", "RFFT2D", ...; "BUILTIN_<n>" for codes without a name here.
std::string tflite_op_name(int builtin_code);

enum class tflite_padding : int { same = 0, valid = 1 };
// Fused activation (ActivationFunctionType): NONE, RELU, RELU_N1_TO_1, RELU6, TANH, SIGN_BIT.
enum class tflite_activation : int { none = 0, relu = 1, relu_n1_to_1 = 2, relu6 = 3, tanh = 4, sign_bit = 5 };
const char* to_string(tflite_padding p);
const char* to_string(tflite_activation a);

// Per-tensor (one scale) or per-channel (scales along quantized_dimension) affine quantisation:
// real = (q - zero_point) * scale. Empty scale: not quantised.
struct tflite_quantization {
    std::vector<float> min, max;        // optional calibration ranges
    std::vector<float> scale;
    std::vector<int64_t> zero_point;    // empty, or as many as scale
    int32_t quantized_dimension = 0;
    bool per_channel() const { return scale.size() > 1; }
};

struct tflite_tensor {
    std::string name;
    std::vector<int32_t> shape;             // every dim >= 0 (dynamic dims are in shape_signature as -1)
    std::vector<int32_t> shape_signature;   // empty when absent
    tflite_type type = tflite_type::float32;
    uint32_t buffer = 0;                    // index into tflite_model::buffers; 0 is the empty sentinel
    bool is_variable = false;
    tflite_quantization quant;
};

// The bytes of one buffer: [offset, offset + size) of the caller's input (a view, see the top of this file).
// size 0: no data (an activation, or buffer 0).
struct tflite_buffer {
    uint64_t offset = 0;
    uint64_t size = 0;
};

// Builtin options of the ops listed in tflite_op (fields that the op's options table does not have keep their
// defaults; `present` says whether the file had an options table for the op).
struct tflite_options {
    bool present = false;
    int type = 0;                                   // the BuiltinOptions union type stored in the file
    tflite_padding padding = tflite_padding::same;  // conv, depthwise, pools
    int32_t stride_w = 1, stride_h = 1;             // conv, depthwise, pools
    int32_t dilation_w = 1, dilation_h = 1;         // conv, depthwise
    int32_t filter_w = 1, filter_h = 1;             // pools
    int32_t depth_multiplier = 1;                   // depthwise
    tflite_activation activation = tflite_activation::none;  // conv, depthwise, pools, FC, add, mul, sub, div, concat
    bool keep_num_dims = false;                     // fully connected
    int32_t weights_format = 0;                     // fully connected: 0 DEFAULT (others are rejected)
    float beta = 1.0f;                              // softmax
    int32_t axis = 0;                               // concatenation, gather, pack, unpack
    int32_t batch_dims = 0;                         // gather
    int32_t count = 0;                              // pack: values_count; unpack: num; split: num_splits
    std::vector<int32_t> new_shape;                 // reshape (optional; the shape input wins in TFLite)
    std::vector<int32_t> squeeze_dims;              // squeeze
    bool keep_dims = false;                         // mean, sum, reduce_max (ReducerOptions)
    int32_t begin_mask = 0, end_mask = 0, ellipsis_mask = 0, new_axis_mask = 0, shrink_axis_mask = 0;  // strided slice
    bool offset = false;                            // strided slice
    int32_t in_type = 0, out_type = 0;              // cast (TensorType values; 0 when absent)
    bool adj_x = false, adj_y = false;              // batch matmul
};

struct tflite_operator {
    int opcode_index = 0;                   // into tflite_model::operator_codes
    int builtin_code = 0;                   // resolved: max(deprecated_builtin_code, builtin_code)
    std::string custom_code;                // for CUSTOM ops
    std::vector<int32_t> inputs, outputs;   // tensor indices; -1 = optional input absent
    tflite_options options;
    tflite_buffer custom_options;           // a view (CUSTOM ops); size 0 when absent
};

struct tflite_operator_code {
    int builtin_code = 0;                   // max(deprecated_builtin_code, builtin_code), as TFLite resolves it
    std::string custom_code;
    int32_t version = 1;
};

struct tflite_subgraph {
    std::string name;
    std::vector<tflite_tensor> tensors;
    std::vector<int32_t> inputs, outputs;   // tensor indices
    std::vector<tflite_operator> operators; // in execution order
};

struct tflite_model {
    uint32_t version = 0;                   // schema version (3)
    std::string description;
    std::vector<tflite_operator_code> operator_codes;
    std::vector<tflite_subgraph> subgraphs; // [0] is the main graph
    std::vector<tflite_buffer> buffers;     // views into the parsed bytes
};

// Decodes `size` bytes at `data` (untrusted) into `out` (replaced). Returns "" or a one-line error starting
// with "tflite: ". On error `out` is left empty. Throws nothing. Accepts sizes below 2^32 only for the
// flatbuffer itself; buffers may point beyond 2 GiB through Buffer.offset/size (>2 GB models) when those bytes
// are part of `data`.
std::string tflite_parse(const uint8_t* data, size_t size, tflite_model& out);

// Number of elements of a shape (1 for a scalar); -1 on a negative dim or overflow past 2^62.
int64_t tflite_element_count(const std::vector<int32_t>& shape);

// The constant values of tensor `tensor` of the main subgraph (subgraphs[0]) as float, row-major in the
// tensor's shape (returned in `shape`). `data`/`size` must be the bytes `m` was parsed from. FLOAT32 copied,
// FLOAT16 converted; INT8/UINT8/INT16/INT32/INT64 via (q - zero_point) * scale when quantised (per channel
// along quantized_dimension), as plain values otherwise. Errors: index out of range, no buffer (an activation),
// buffer size != elements * element size, scale/zero-point counts that do not match the channel count, a
// non-finite scale, an unsupported type. Returns "" or the error; `out` and `shape` are empty on error.
std::string tflite_dequantize(const tflite_model& m, const uint8_t* data, size_t size, int tensor,
                              std::vector<float>& out, std::vector<int64_t>& shape);

}  // namespace gs
