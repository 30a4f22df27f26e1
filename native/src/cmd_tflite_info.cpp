// cmd_tflite_info.cpp: `genrescope tflite-info FILE`: a TFLite model's ops, tensors, quantisation and totals.
#include <cinttypes>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "commands.h"
#include "file_io.h"
#include "model/tflite_reader.h"

namespace gs {

namespace {

constexpr uint64_t kMaxTfliteBytes = uint64_t(1) << 31;  // 2 GiB

std::string shape_text(const std::vector<int32_t>& s) {
    std::string r = "[";
    for (size_t i = 0; i < s.size(); ++i) r += (i ? "," : "") + std::to_string(s[i]);
    return r + "]";
}

std::string num(double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.6g", v);
    return b;
}

// One tensor: index, type and shape, constant or not, quantisation (per-tensor scale/zero point, or per-channel).
std::string tensor_text(const tflite_model& m, const tflite_subgraph& g, int32_t i) {
    if (i < 0) return "(absent)";
    const tflite_tensor& t = g.tensors[size_t(i)];
    std::string r = "t" + std::to_string(i) + " " + to_string(t.type) + shape_text(t.shape);
    if (m.buffers[t.buffer].size > 0) r += " const";
    const tflite_quantization& q = t.quant;
    if (q.scale.size() == 1) {
        r += " q(scale " + num(q.scale[0]) + ", zp " + std::to_string(q.zero_point.empty() ? 0 : q.zero_point[0]) + ")";
    } else if (q.scale.size() > 1) {
        float lo = q.scale[0], hi = q.scale[0];
        bool zero_zp = true;
        for (float s : q.scale) lo = s < lo ? s : lo, hi = s > hi ? s : hi;
        for (int64_t z : q.zero_point) zero_zp = zero_zp && z == 0;
        r += " per-channel(" + std::to_string(q.scale.size()) + " along dim " + std::to_string(q.quantized_dimension) +
             ", scale " + num(lo) + ".." + num(hi) + (zero_zp ? ", zp 0" : ", zp varies") + ")";
    }
    r += " \"" + t.name + "\"";
    return r;
}

std::string options_text(const tflite_operator& op) {
    const tflite_options& o = op.options;
    if (!o.present) return "";
    using namespace tflite_op;
    const std::string act = std::string(", ") + to_string(o.activation);
    switch (op.builtin_code) {
        case conv_2d:
            return std::string(to_string(o.padding)) + ", stride " + std::to_string(o.stride_h) + "x" +
                   std::to_string(o.stride_w) + ", dilation " + std::to_string(o.dilation_h) + "x" +
                   std::to_string(o.dilation_w) + act;
        case depthwise_conv_2d:
            return std::string(to_string(o.padding)) + ", stride " + std::to_string(o.stride_h) + "x" +
                   std::to_string(o.stride_w) + ", dilation " + std::to_string(o.dilation_h) + "x" +
                   std::to_string(o.dilation_w) + ", depth_multiplier " + std::to_string(o.depth_multiplier) + act;
        case average_pool_2d: case max_pool_2d:
            return std::string(to_string(o.padding)) + ", filter " + std::to_string(o.filter_h) + "x" +
                   std::to_string(o.filter_w) + ", stride " + std::to_string(o.stride_h) + "x" +
                   std::to_string(o.stride_w) + act;
        case fully_connected: return std::string(to_string(o.activation)) + (o.keep_num_dims ? ", keep_num_dims" : "");
        case softmax: return "beta " + num(o.beta);
        case concatenation: return "axis " + std::to_string(o.axis) + act;
        case add: case mul: case sub: case div: return to_string(o.activation);
        case reshape: return o.new_shape.empty() ? "" : "new_shape " + shape_text(o.new_shape);
        case squeeze: return "squeeze_dims " + shape_text(o.squeeze_dims);
        case mean: case sum: case reduce_max: return o.keep_dims ? "keep_dims" : "";
        case strided_slice:
            return "masks begin " + std::to_string(o.begin_mask) + " end " + std::to_string(o.end_mask) + " ellipsis " +
                   std::to_string(o.ellipsis_mask) + " new_axis " + std::to_string(o.new_axis_mask) + " shrink " +
                   std::to_string(o.shrink_axis_mask) + (o.offset ? ", offset" : "");
        case gather: return "axis " + std::to_string(o.axis) + ", batch_dims " + std::to_string(o.batch_dims);
        case cast:
            return std::string(to_string(tflite_type(o.in_type))) + " -> " + to_string(tflite_type(o.out_type));
        case pack: case unpack: return "count " + std::to_string(o.count) + ", axis " + std::to_string(o.axis);
        case split: return "num_splits " + std::to_string(o.count);
        case batch_matmul: return std::string(o.adj_x ? "adj_x " : "") + (o.adj_y ? "adj_y" : "");
        default: return "";
    }
}

}  // namespace

int cmd_tflite_info(int argc, char** argv) {
    if (argc != 1 || argv[0][0] == '-') {
        std::fprintf(stderr, "usage: genrescope tflite-info FILE.tflite\n");
        return kExitUsage;
    }
    const std::string path = argv[0];
    std::vector<uint8_t> bytes;
    std::string err = read_whole_file(path, kMaxTfliteBytes, bytes);
    if (!err.empty()) {
        std::fprintf(stderr, "genrescope: %s: %s\n", path.c_str(), err.c_str());
        return kExitFailure;
    }
    tflite_model m;
    err = tflite_parse(bytes.data(), bytes.size(), m);
    if (!err.empty()) {
        std::fprintf(stderr, "genrescope: %s: %s\n", path.c_str(), err.c_str());
        return kExitFailure;
    }
    std::printf("%s: TFLite schema %u, %zu bytes, %zu subgraph(s), %zu operator codes, %zu buffers, description \"%s\"\n",
                path.c_str(), m.version, bytes.size(), m.subgraphs.size(), m.operator_codes.size(), m.buffers.size(),
                m.description.c_str());
    for (size_t s = 0; s < m.subgraphs.size(); ++s) {
        const tflite_subgraph& g = m.subgraphs[s];
        std::printf("subgraph %zu \"%s\": %zu tensors, %zu operators\n", s, g.name.c_str(), g.tensors.size(),
                    g.operators.size());
        for (int32_t i : g.inputs) std::printf("  input  %s\n", tensor_text(m, g, i).c_str());
        for (int32_t i : g.outputs) std::printf("  output %s\n", tensor_text(m, g, i).c_str());
        std::map<std::string, int> op_counts;
        std::map<std::string, int> activation_types;
        std::set<uint32_t> const_buffers;
        int64_t params = 0;
        uint64_t param_bytes = 0;
        for (size_t k = 0; k < g.operators.size(); ++k) {
            const tflite_operator& op = g.operators[k];
            std::string name = tflite_op_name(op.builtin_code);
            if (op.builtin_code == tflite_op::custom) name += "(" + op.custom_code + ")";
            ++op_counts[name];
            const std::string opts = options_text(op);
            std::printf("  op %3zu %s%s%s\n", k, name.c_str(), opts.empty() ? "" : ": ", opts.c_str());
            for (int32_t i : op.inputs) std::printf("         in  %s\n", tensor_text(m, g, i).c_str());
            for (int32_t i : op.outputs) std::printf("         out %s\n", tensor_text(m, g, i).c_str());
        }
        for (const tflite_tensor& t : g.tensors) {
            if (m.buffers[t.buffer].size > 0) {
                if (const_buffers.insert(t.buffer).second) {
                    params += tflite_element_count(t.shape);
                    param_bytes += m.buffers[t.buffer].size;
                }
            } else {
                ++activation_types[to_string(t.type)];
            }
        }
        std::string ops_line, act_line;
        for (const auto& kv : op_counts) ops_line += (ops_line.empty() ? "" : ", ") + kv.first + " x" + std::to_string(kv.second);
        for (const auto& kv : activation_types) act_line += (act_line.empty() ? "" : ", ") + kv.first + " x" + std::to_string(kv.second);
        std::printf("summary: %zu ops (%s); %" PRId64 " parameters (constant elements) in %" PRIu64
                    " bytes; non-constant tensors: %s\n",
                    g.operators.size(), ops_line.c_str(), params, param_bytes, act_line.c_str());
    }
    return kExitOk;
}

}  // namespace gs
