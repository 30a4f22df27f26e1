// tflite_reader.cpp: TFLite's schema (version 3) decoded with the bounds-checked FlatBuffers reader.
#include "tflite_reader.h"

#include "flatbuffer_reader.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <new>
#include <utility>

namespace gs {

namespace {

using fb::fb_reader;
using fb::fb_table;
using fb::fb_vector;
using fb::load;

// ---- TFLite schema constants (schema version 3) ----
constexpr uint32_t kSchemaVersion = 3;
constexpr int kMaxTypeValue = 18;   // BFLOAT16
constexpr size_t kMaxRank = 16;

// Field ids (vtable slots) of the tables we read. A union takes two slots: its type, then its value.
namespace model_f { constexpr int version = 0, operator_codes = 1, subgraphs = 2, description = 3, buffers = 4; }
namespace subgraph_f { constexpr int tensors = 0, inputs = 1, outputs = 2, operators = 3, name = 4; }
namespace tensor_f {
constexpr int shape = 0, type = 1, buffer = 2, name = 3, quantization = 4, is_variable = 5, sparsity = 6,
              shape_signature = 7;
}
namespace quant_f {
constexpr int min = 0, max = 1, scale = 2, zero_point = 3, details_type = 4, quantized_dimension = 6;  // 5: details
}
namespace operator_f {
constexpr int opcode_index = 0, inputs = 1, outputs = 2, builtin_options_type = 3, builtin_options = 4,
              custom_options = 5, large_custom_options_offset = 9, large_custom_options_size = 10;
}
namespace opcode_f { constexpr int deprecated_builtin_code = 0, custom_code = 1, version = 2, builtin_code = 3; }
namespace buffer_f { constexpr int data = 0, offset = 1, size = 2; }

// BuiltinOptions union type ids.
namespace opt_t {
constexpr int none = 0, conv2d = 1, depthwise_conv2d = 2, pool2d = 5, fully_connected = 8, softmax = 9,
              concatenation = 10, add = 11, reshape = 17, mul = 21, pad = 22, gather = 23, transpose = 26,
              reducer = 27, sub = 28, div = 29, squeeze = 30, strided_slice = 32, exp = 33, split = 35, cast = 37,
              dequantize = 38, maximum_minimum = 39, padv2 = 43, slice = 48, expand_dims = 52, shape = 55,
              pow = 56, pack = 59, unpack = 64, square = 66, abs = 78, quantize = 89, batch_matmul = 101,
              rfft2d = 105;
}

std::string tensor_label(size_t sg, size_t i) {
    return (sg == 0 ? std::string() : "subgraph " + std::to_string(sg) + " ") + "tensor " + std::to_string(i);
}
std::string operator_label(size_t sg, size_t i, int code) {
    return (sg == 0 ? std::string() : "subgraph " + std::to_string(sg) + " ") + "operator " + std::to_string(i) +
           " (" + tflite_op_name(code) + ")";
}

// The options union type each known op must carry (or NONE); -1: not checked (unknown to this reader).
int expected_options_type(int code) {
    using namespace tflite_op;
    switch (code) {
        case conv_2d: return opt_t::conv2d;
        case depthwise_conv_2d: return opt_t::depthwise_conv2d;
        case average_pool_2d: case max_pool_2d: return opt_t::pool2d;
        case fully_connected: return opt_t::fully_connected;
        case softmax: return opt_t::softmax;
        case concatenation: return opt_t::concatenation;
        case add: return opt_t::add;
        case reshape: return opt_t::reshape;
        case mul: return opt_t::mul;
        case pad: return opt_t::pad;
        case gather: return opt_t::gather;
        case transpose: return opt_t::transpose;
        case mean: case sum: case reduce_max: return opt_t::reducer;
        case sub: return opt_t::sub;
        case div: return opt_t::div;
        case squeeze: return opt_t::squeeze;
        case strided_slice: return opt_t::strided_slice;
        case exp: return opt_t::exp;
        case split: return opt_t::split;
        case cast: return opt_t::cast;
        case dequantize: return opt_t::dequantize;
        case maximum: case minimum: return opt_t::maximum_minimum;
        case padv2: return opt_t::padv2;
        case slice: return opt_t::slice;
        case expand_dims: return opt_t::expand_dims;
        case shape: return opt_t::shape;
        case pow: return opt_t::pow;
        case pack: return opt_t::pack;
        case unpack: return opt_t::unpack;
        case square: return opt_t::square;
        case abs: return opt_t::abs;
        case quantize: return opt_t::quantize;
        case batch_matmul: return opt_t::batch_matmul;
        case rfft2d: return opt_t::rfft2d;
        // Ops without an options table in the schema.
        case logistic: case relu: case relu6: case log: case sqrt: case rsqrt: case complex_abs: return opt_t::none;
        default: return -1;
    }
}

bool read_padding(fb_reader& r, const fb_table& t, int id, tflite_options& o, const std::string& what) {
    int8_t v = 0;
    if (!r.scalar<int8_t>(t, id, 0, v, what)) return false;
    if (v != 0 && v != 1) return r.fail(what + ": padding " + std::to_string(v) + " is neither SAME nor VALID");
    o.padding = tflite_padding(v);
    return true;
}

bool read_activation(fb_reader& r, const fb_table& t, int id, tflite_options& o, const std::string& what) {
    int8_t v = 0;
    if (!r.scalar<int8_t>(t, id, 0, v, what)) return false;
    if (v < 0 || v > 5) return r.fail(what + ": unknown fused activation " + std::to_string(v));
    o.activation = tflite_activation(v);
    return true;
}

bool read_positive(fb_reader& r, const fb_table& t, int id, int32_t fallback, int32_t& out, const char* name,
                   const std::string& what) {
    if (!r.scalar<int32_t>(t, id, fallback, out, what)) return false;
    if (out < 1) return r.fail(what + ": " + name + " " + std::to_string(out) + " must be >= 1");
    return true;
}

bool read_bool(fb_reader& r, const fb_table& t, int id, bool& out, const std::string& what) {
    uint8_t v = 0;
    if (!r.scalar<uint8_t>(t, id, 0, v, what)) return false;
    out = v != 0;
    return true;
}

// Fills o from the options table t of an op with builtin code `code` (the union type is already checked).
bool read_options(fb_reader& r, const fb_table& t, int code, tflite_options& o, const std::string& what) {
    using namespace tflite_op;
    switch (code) {
        case conv_2d:
            return read_padding(r, t, 0, o, what) && read_positive(r, t, 1, 1, o.stride_w, "stride_w", what) &&
                   read_positive(r, t, 2, 1, o.stride_h, "stride_h", what) && read_activation(r, t, 3, o, what) &&
                   read_positive(r, t, 4, 1, o.dilation_w, "dilation_w", what) &&
                   read_positive(r, t, 5, 1, o.dilation_h, "dilation_h", what);
        case depthwise_conv_2d:
            return read_padding(r, t, 0, o, what) && read_positive(r, t, 1, 1, o.stride_w, "stride_w", what) &&
                   read_positive(r, t, 2, 1, o.stride_h, "stride_h", what) &&
                   r.scalar<int32_t>(t, 3, 0, o.depth_multiplier, what) && read_activation(r, t, 4, o, what) &&
                   read_positive(r, t, 5, 1, o.dilation_w, "dilation_w", what) &&
                   read_positive(r, t, 6, 1, o.dilation_h, "dilation_h", what) &&
                   (o.depth_multiplier >= 0 ||
                    r.fail(what + ": depth_multiplier " + std::to_string(o.depth_multiplier) + " is negative"));
        case average_pool_2d: case max_pool_2d:
            return read_padding(r, t, 0, o, what) && read_positive(r, t, 1, 1, o.stride_w, "stride_w", what) &&
                   read_positive(r, t, 2, 1, o.stride_h, "stride_h", what) &&
                   read_positive(r, t, 3, 1, o.filter_w, "filter_width", what) &&
                   read_positive(r, t, 4, 1, o.filter_h, "filter_height", what) && read_activation(r, t, 5, o, what);
        case fully_connected: {
            int8_t wf = 0;
            if (!read_activation(r, t, 0, o, what) || !r.scalar<int8_t>(t, 1, 0, wf, what) ||
                !read_bool(r, t, 2, o.keep_num_dims, what)) {
                return false;
            }
            o.weights_format = wf;
            if (wf != 0) return r.fail(what + ": weights format " + std::to_string(wf) + " (shuffled) is not supported");
            return true;
        }
        case softmax: return r.scalar<float>(t, 0, 0.0f, o.beta, what);
        case concatenation: return r.scalar<int32_t>(t, 0, 0, o.axis, what) && read_activation(r, t, 1, o, what);
        case add: case mul: case sub: case div: return read_activation(r, t, 0, o, what);
        case reshape: return r.scalar_vector<int32_t>(t, 0, o.new_shape, what + " new_shape");
        case gather: return r.scalar<int32_t>(t, 0, 0, o.axis, what) && r.scalar<int32_t>(t, 1, 0, o.batch_dims, what);
        case mean: case sum: case reduce_max: return read_bool(r, t, 0, o.keep_dims, what);
        case squeeze: return r.scalar_vector<int32_t>(t, 0, o.squeeze_dims, what + " squeeze_dims");
        case strided_slice:
            return r.scalar<int32_t>(t, 0, 0, o.begin_mask, what) && r.scalar<int32_t>(t, 1, 0, o.end_mask, what) &&
                   r.scalar<int32_t>(t, 2, 0, o.ellipsis_mask, what) &&
                   r.scalar<int32_t>(t, 3, 0, o.new_axis_mask, what) &&
                   r.scalar<int32_t>(t, 4, 0, o.shrink_axis_mask, what) && read_bool(r, t, 5, o.offset, what);
        case split: return r.scalar<int32_t>(t, 0, 0, o.count, what);
        case cast: {
            int8_t in = 0, out = 0;
            if (!r.scalar<int8_t>(t, 0, 0, in, what) || !r.scalar<int8_t>(t, 1, 0, out, what)) return false;
            if (in < 0 || in > kMaxTypeValue || out < 0 || out > kMaxTypeValue) {
                return r.fail(what + ": unknown cast types " + std::to_string(in) + " -> " + std::to_string(out));
            }
            o.in_type = in;
            o.out_type = out;
            return true;
        }
        case pack: case unpack:
            return r.scalar<int32_t>(t, 0, 0, o.count, what) && r.scalar<int32_t>(t, 1, 0, o.axis, what);
        case batch_matmul: return read_bool(r, t, 0, o.adj_x, what) && read_bool(r, t, 1, o.adj_y, what);
        default: return true;  // empty options tables (PAD, TRANSPOSE, RFFT2D, ...) or ops not decoded here
    }
}

bool parse_quantization(fb_reader& r, const fb_table& q, tflite_tensor& t, const std::string& what) {
    tflite_quantization& qp = t.quant;
    if (!r.scalar_vector<float>(q, quant_f::min, qp.min, what + " quantization min") ||
        !r.scalar_vector<float>(q, quant_f::max, qp.max, what + " quantization max") ||
        !r.scalar_vector<float>(q, quant_f::scale, qp.scale, what + " quantization scale") ||
        !r.scalar_vector<int64_t>(q, quant_f::zero_point, qp.zero_point, what + " quantization zero_point")) {
        return false;
    }
    uint8_t details_type = 0;
    if (!r.scalar<uint8_t>(q, quant_f::details_type, 0, details_type, what)) return false;
    if (details_type != 0) return r.fail(what + ": custom quantization details are not supported");
    if (!r.scalar<int32_t>(q, quant_f::quantized_dimension, 0, qp.quantized_dimension, what)) return false;
    if (!qp.zero_point.empty() && qp.zero_point.size() != qp.scale.size()) {
        return r.fail(what + ": " + std::to_string(qp.scale.size()) + " scales but " +
                      std::to_string(qp.zero_point.size()) + " zero points");
    }
    if (qp.quantized_dimension < 0) {
        return r.fail(what + ": quantized_dimension " + std::to_string(qp.quantized_dimension) + " is negative");
    }
    if (qp.scale.size() > 1) {
        if (size_t(qp.quantized_dimension) >= t.shape.size()) {
            return r.fail(what + ": quantized_dimension " + std::to_string(qp.quantized_dimension) +
                          " is not a dim of a rank-" + std::to_string(t.shape.size()) + " tensor");
        }
        const int32_t channels = t.shape[size_t(qp.quantized_dimension)];
        if (int64_t(channels) != int64_t(qp.scale.size())) {
            return r.fail(what + ": " + std::to_string(qp.scale.size()) + " scales for " + std::to_string(channels) +
                          " channels along dim " + std::to_string(qp.quantized_dimension));
        }
    }
    return true;
}

bool parse_tensor(fb_reader& r, const fb_table& tt, const std::vector<tflite_buffer>& buffers, tflite_tensor& t,
                  const std::string& what) {
    if (!r.charge(sizeof(tflite_tensor), what)) return false;
    if (!r.scalar_vector<int32_t>(tt, tensor_f::shape, t.shape, what + " shape") ||
        !r.scalar_vector<int32_t>(tt, tensor_f::shape_signature, t.shape_signature, what + " shape_signature")) {
        return false;
    }
    if (t.shape.size() > kMaxRank) {
        return r.fail(what + " has rank " + std::to_string(t.shape.size()) + " (at most " + std::to_string(kMaxRank) + ")");
    }
    for (int32_t dim : t.shape) {
        if (dim < 0) return r.fail(what + " has a negative dim " + std::to_string(dim));
    }
    if (tflite_element_count(t.shape) < 0) return r.fail(what + " has too many elements");
    int8_t type = 0;
    if (!r.scalar<int8_t>(tt, tensor_f::type, 0, type, what)) return false;
    if (type < 0 || type > kMaxTypeValue) return r.fail(what + " has unknown type " + std::to_string(type));
    t.type = tflite_type(type);
    if (!r.scalar<uint32_t>(tt, tensor_f::buffer, 0, t.buffer, what)) return false;
    if (t.buffer >= buffers.size()) {
        return r.fail(what + " names buffer " + std::to_string(t.buffer) + " of " + std::to_string(buffers.size()));
    }
    if (!r.string_field(tt, tensor_f::name, t.name, what + " name") ||
        !read_bool(r, tt, tensor_f::is_variable, t.is_variable, what)) {
        return false;
    }
    uint64_t sparsity = 0;
    if (!r.offset_field(tt, tensor_f::sparsity, sparsity, what)) return false;
    if (sparsity) return r.fail(what + " is sparse (not supported)");
    fb_table q;
    bool has_q = false;
    if (!r.sub_table(tt, tensor_f::quantization, q, has_q, what + " quantization")) return false;
    if (has_q && !parse_quantization(r, q, t, what)) return false;
    // A constant's bytes must match its shape (string and packed int4 tensors have their own layouts).
    const uint64_t bytes = buffers[t.buffer].size;
    const size_t esize = tflite_type_size(t.type);
    if (bytes > 0 && esize > 0) {
        const uint64_t count = uint64_t(tflite_element_count(t.shape));  // < 2^62, checked above
        if (count > std::numeric_limits<uint64_t>::max() / esize || count * esize != bytes) {
            return r.fail(what + " (" + to_string(t.type) + ", " + std::to_string(tflite_element_count(t.shape)) +
                          " elements) has a buffer of " + std::to_string(bytes) + " bytes");
        }
    }
    return true;
}

bool check_index_list(fb_reader& r, const std::vector<int32_t>& idx, size_t n_tensors, bool allow_absent,
                      const std::string& what) {
    for (size_t i = 0; i < idx.size(); ++i) {
        const int32_t v = idx[i];
        if ((v == -1 && allow_absent)) continue;
        if (v < 0 || size_t(v) >= n_tensors) {
            return r.fail(what + " " + std::to_string(i) + " is tensor " + std::to_string(v) + " of " +
                          std::to_string(n_tensors));
        }
    }
    return true;
}

bool parse_operator(fb_reader& r, const fb_table& ot, const tflite_model& m, size_t sg, size_t index,
                    size_t n_tensors, tflite_operator& op) {
    const std::string what0 = (sg == 0 ? std::string() : "subgraph " + std::to_string(sg) + " ") + "operator " +
                              std::to_string(index);
    if (!r.charge(sizeof(tflite_operator), what0)) return false;
    uint32_t opcode = 0;
    if (!r.scalar<uint32_t>(ot, operator_f::opcode_index, 0, opcode, what0)) return false;
    if (opcode >= m.operator_codes.size()) {
        return r.fail(what0 + " names operator code " + std::to_string(opcode) + " of " +
                      std::to_string(m.operator_codes.size()));
    }
    op.opcode_index = int(opcode);
    op.builtin_code = m.operator_codes[opcode].builtin_code;
    op.custom_code = m.operator_codes[opcode].custom_code;
    const std::string what = operator_label(sg, index, op.builtin_code);
    if (!r.scalar_vector<int32_t>(ot, operator_f::inputs, op.inputs, what + " inputs") ||
        !r.scalar_vector<int32_t>(ot, operator_f::outputs, op.outputs, what + " outputs") ||
        !check_index_list(r, op.inputs, n_tensors, true, what + " input") ||
        !check_index_list(r, op.outputs, n_tensors, false, what + " output")) {
        return false;
    }
    uint8_t otype = 0;
    if (!r.scalar<uint8_t>(ot, operator_f::builtin_options_type, 0, otype, what)) return false;
    op.options.type = otype;
    fb_table opt;
    bool has_opt = false;
    if (!r.sub_table(ot, operator_f::builtin_options, opt, has_opt, what + " options")) return false;
    if (otype != opt_t::none && !has_opt) {
        return r.fail(what + " has options of type " + std::to_string(otype) + " but no options table");
    }
    const int expected = expected_options_type(op.builtin_code);
    if (otype != opt_t::none && expected >= 0 && otype != expected) {
        return r.fail(what + " has options of type " + std::to_string(otype) + ", expected " +
                      std::to_string(expected));
    }
    if (otype != opt_t::none) {
        op.options.present = true;
        if (expected >= 0 && !read_options(r, opt, op.builtin_code, op.options, what + " options")) return false;
    }
    fb_vector custom;
    if (!r.vector_field(ot, operator_f::custom_options, 1, custom, what + " custom options")) return false;
    op.custom_options.offset = custom.count ? custom.first : 0;
    op.custom_options.size = custom.count;
    uint64_t large_off = 0, large_size = 0;
    if (!r.scalar<uint64_t>(ot, operator_f::large_custom_options_offset, 0, large_off, what) ||
        !r.scalar<uint64_t>(ot, operator_f::large_custom_options_size, 0, large_size, what)) {
        return false;
    }
    if (large_off > 1) {
        if (custom.count) return r.fail(what + " has both inline and large custom options");
        if (!r.in_bounds(large_off, large_size)) {
            return r.fail(what + " custom options at " + std::to_string(large_off) + " (+" + std::to_string(large_size) +
                          ") lie past the end of the file");
        }
        op.custom_options.offset = large_off;
        op.custom_options.size = large_size;
    }
    return true;
}

bool parse_subgraph(fb_reader& r, const fb_table& st, const tflite_model& m, size_t sg, tflite_subgraph& g) {
    const std::string what = "subgraph " + std::to_string(sg);
    if (!r.string_field(st, subgraph_f::name, g.name, what + " name")) return false;
    fb_vector tv;
    if (!r.vector_field(st, subgraph_f::tensors, 4, tv, what + " tensors")) return false;
    if (!r.charge(uint64_t(tv.count) * sizeof(tflite_tensor), what + " tensors")) return false;
    g.tensors.resize(tv.count);
    for (uint32_t i = 0; i < tv.count; ++i) {
        const std::string tw = tensor_label(sg, i);
        fb_table tt;
        if (!r.table_element(tv, i, tt, tw) || !parse_tensor(r, tt, m.buffers, g.tensors[i], tw)) return false;
    }
    const size_t nt = g.tensors.size();
    if (!r.scalar_vector<int32_t>(st, subgraph_f::inputs, g.inputs, what + " inputs") ||
        !r.scalar_vector<int32_t>(st, subgraph_f::outputs, g.outputs, what + " outputs") ||
        !check_index_list(r, g.inputs, nt, false, what + " input") ||
        !check_index_list(r, g.outputs, nt, false, what + " output")) {
        return false;
    }
    fb_vector ov;
    if (!r.vector_field(st, subgraph_f::operators, 4, ov, what + " operators")) return false;
    if (!r.charge(uint64_t(ov.count) * sizeof(tflite_operator), what + " operators")) return false;
    g.operators.resize(ov.count);
    for (uint32_t i = 0; i < ov.count; ++i) {
        fb_table ot;
        if (!r.table_element(ov, i, ot, what + " operator " + std::to_string(i)) ||
            !parse_operator(r, ot, m, sg, i, nt, g.operators[i])) {
            return false;
        }
    }
    return true;
}

bool parse_model(fb_reader& r, const uint8_t* data, tflite_model& m) {
    const uint64_t n = r.size();
    if (n == 0) return r.fail("empty file");
    if (n < 8) return r.fail("file of " + std::to_string(n) + " bytes is too short for a TFLite model");
    if (std::memcmp(data + 4, "TFL3", 4) != 0) return r.fail("not a TFLite model (no TFL3 file identifier)");
    uint64_t root = 0;
    fb_table mt;
    if (!r.follow(0, root, "root") || !r.table_at(root, mt, "model")) return false;
    if (!r.scalar<uint32_t>(mt, model_f::version, 0, m.version, "model")) return false;
    if (m.version != kSchemaVersion) {
        return r.fail("schema version " + std::to_string(m.version) + " is not supported (expected 3)");
    }
    if (!r.string_field(mt, model_f::description, m.description, "model description")) return false;

    fb_vector bv;
    if (!r.vector_field(mt, model_f::buffers, 4, bv, "buffers")) return false;
    if (!r.charge(uint64_t(bv.count) * sizeof(tflite_buffer), "buffers")) return false;
    m.buffers.resize(bv.count);
    for (uint32_t i = 0; i < bv.count; ++i) {
        const std::string what = "buffer " + std::to_string(i);
        fb_table bt;
        fb_vector dv;
        uint64_t off = 0, size = 0;
        if (!r.table_element(bv, i, bt, what) || !r.vector_field(bt, buffer_f::data, 1, dv, what + " data") ||
            !r.scalar<uint64_t>(bt, buffer_f::offset, 0, off, what) ||
            !r.scalar<uint64_t>(bt, buffer_f::size, 0, size, what)) {
            return false;
        }
        if (off > 1) {
            // Data outside the flatbuffer (models over 2 GB): an absolute offset from the start of the file.
            if (dv.count) return r.fail(what + " has both inline data and an offset");
            if (!r.in_bounds(off, size)) {
                return r.fail(what + " at offset " + std::to_string(off) + " (+" + std::to_string(size) +
                              " bytes) lies past the end of the file (" + std::to_string(n) + " bytes)");
            }
            m.buffers[i].offset = off;
            m.buffers[i].size = size;
        } else {
            if (size != 0 && size != dv.count) {
                return r.fail(what + " declares " + std::to_string(size) + " bytes without an offset");
            }
            m.buffers[i].offset = dv.count ? dv.first : 0;
            m.buffers[i].size = dv.count;
        }
    }

    fb_vector cv;
    if (!r.vector_field(mt, model_f::operator_codes, 4, cv, "operator codes")) return false;
    if (!r.charge(uint64_t(cv.count) * sizeof(tflite_operator_code), "operator codes")) return false;
    m.operator_codes.resize(cv.count);
    for (uint32_t i = 0; i < cv.count; ++i) {
        const std::string what = "operator code " + std::to_string(i);
        fb_table ct;
        int8_t deprecated = 0;
        int32_t code = 0;
        tflite_operator_code& c = m.operator_codes[i];
        if (!r.table_element(cv, i, ct, what) ||
            !r.scalar<int8_t>(ct, opcode_f::deprecated_builtin_code, 0, deprecated, what) ||
            !r.string_field(ct, opcode_f::custom_code, c.custom_code, what + " custom code") ||
            !r.scalar<int32_t>(ct, opcode_f::version, 1, c.version, what) ||
            !r.scalar<int32_t>(ct, opcode_f::builtin_code, 0, code, what)) {
            return false;
        }
        if (deprecated < 0 || code < 0) {
            return r.fail(what + " has a negative builtin code (" + std::to_string(deprecated) + ", " +
                          std::to_string(code) + ")");
        }
        // TFLite: the larger of the two (the int8 field saturates at 127 for newer ops).
        c.builtin_code = std::max<int32_t>(deprecated, code);
    }

    fb_vector sv;
    if (!r.vector_field(mt, model_f::subgraphs, 4, sv, "subgraphs")) return false;
    if (sv.count == 0) return r.fail("the model has no subgraph");
    if (!r.charge(uint64_t(sv.count) * sizeof(tflite_subgraph), "subgraphs")) return false;
    m.subgraphs.resize(sv.count);
    for (uint32_t i = 0; i < sv.count; ++i) {
        fb_table st;
        if (!r.table_element(sv, i, st, "subgraph " + std::to_string(i)) ||
            !parse_subgraph(r, st, m, i, m.subgraphs[i])) {
            return false;
        }
    }
    return true;
}

}  // namespace

const char* to_string(tflite_type t) {
    switch (t) {
        case tflite_type::float32: return "FLOAT32";
        case tflite_type::float16: return "FLOAT16";
        case tflite_type::int32: return "INT32";
        case tflite_type::uint8: return "UINT8";
        case tflite_type::int64: return "INT64";
        case tflite_type::string: return "STRING";
        case tflite_type::boolean: return "BOOL";
        case tflite_type::int16: return "INT16";
        case tflite_type::complex64: return "COMPLEX64";
        case tflite_type::int8: return "INT8";
        case tflite_type::float64: return "FLOAT64";
        case tflite_type::complex128: return "COMPLEX128";
        case tflite_type::uint64: return "UINT64";
        case tflite_type::resource: return "RESOURCE";
        case tflite_type::variant: return "VARIANT";
        case tflite_type::uint32: return "UINT32";
        case tflite_type::uint16: return "UINT16";
        case tflite_type::int4: return "INT4";
        case tflite_type::bfloat16: return "BFLOAT16";
    }
    return "UNKNOWN";
}

size_t tflite_type_size(tflite_type t) {
    switch (t) {
        case tflite_type::boolean: case tflite_type::uint8: case tflite_type::int8: return 1;
        case tflite_type::float16: case tflite_type::int16: case tflite_type::uint16: case tflite_type::bfloat16: return 2;
        case tflite_type::float32: case tflite_type::int32: case tflite_type::uint32: return 4;
        case tflite_type::int64: case tflite_type::float64: case tflite_type::uint64: case tflite_type::complex64: return 8;
        case tflite_type::complex128: return 16;
        default: return 0;
    }
}

std::string tflite_op_name(int code) {
    using namespace tflite_op;
    switch (code) {
        case add: return "ADD";
        case average_pool_2d: return "AVERAGE_POOL_2D";
        case concatenation: return "CONCATENATION";
        case conv_2d: return "CONV_2D";
        case depthwise_conv_2d: return "DEPTHWISE_CONV_2D";
        case dequantize: return "DEQUANTIZE";
        case fully_connected: return "FULLY_CONNECTED";
        case logistic: return "LOGISTIC";
        case max_pool_2d: return "MAX_POOL_2D";
        case mul: return "MUL";
        case relu: return "RELU";
        case relu6: return "RELU6";
        case reshape: return "RESHAPE";
        case softmax: return "SOFTMAX";
        case custom: return "CUSTOM";
        case pad: return "PAD";
        case gather: return "GATHER";
        case transpose: return "TRANSPOSE";
        case mean: return "MEAN";
        case sub: return "SUB";
        case div: return "DIV";
        case squeeze: return "SQUEEZE";
        case strided_slice: return "STRIDED_SLICE";
        case exp: return "EXP";
        case split: return "SPLIT";
        case cast: return "CAST";
        case maximum: return "MAXIMUM";
        case minimum: return "MINIMUM";
        case padv2: return "PADV2";
        case slice: return "SLICE";
        case expand_dims: return "EXPAND_DIMS";
        case log: return "LOG";
        case sum: return "SUM";
        case sqrt: return "SQRT";
        case rsqrt: return "RSQRT";
        case shape: return "SHAPE";
        case pow: return "POW";
        case reduce_max: return "REDUCE_MAX";
        case pack: return "PACK";
        case unpack: return "UNPACK";
        case square: return "SQUARE";
        case abs: return "ABS";
        case quantize: return "QUANTIZE";
        case batch_matmul: return "BATCH_MATMUL";
        case rfft2d: return "RFFT2D";
        case complex_abs: return "COMPLEX_ABS";
        default: return "BUILTIN_" + std::to_string(code);
    }
}

const char* to_string(tflite_padding p) { return p == tflite_padding::same ? "SAME" : "VALID"; }

const char* to_string(tflite_activation a) {
    switch (a) {
        case tflite_activation::none: return "NONE";
        case tflite_activation::relu: return "RELU";
        case tflite_activation::relu_n1_to_1: return "RELU_N1_TO_1";
        case tflite_activation::relu6: return "RELU6";
        case tflite_activation::tanh: return "TANH";
        case tflite_activation::sign_bit: return "SIGN_BIT";
    }
    return "UNKNOWN";
}

int64_t tflite_element_count(const std::vector<int32_t>& shape) {
    int64_t n = 1;
    for (int32_t d : shape) {
        if (d < 0) return -1;
        if (d != 0 && n > (int64_t(1) << 62) / d) return -1;
        n *= d;
    }
    return n;
}

std::string tflite_parse(const uint8_t* data, size_t size, tflite_model& out) {
    out = tflite_model{};
    if (!data && size) return "tflite: no data";
    try {
        fb_reader r(data, size);
        tflite_model m;
        if (!parse_model(r, data, m)) return r.error();
        out = std::move(m);
        return "";
    } catch (const std::bad_alloc&) {
        out = tflite_model{};
        return "tflite: out of memory";
    } catch (...) {
        out = tflite_model{};
        return "tflite: unexpected error";
    }
}

}  // namespace gs
