// onnx_quant.cpp: Conv/Gemm/MatMul weights -> int8 per output channel behind DequantizeLinear, and back to float.
#include "model/onnx_quant.h"

#include "model/onnx_export.h"
#include "model/onnx_proto.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <set>
#include <unordered_map>

namespace gs {

namespace {

using shape_t = std::vector<int64_t>;
using init_map = std::unordered_map<std::string, const onnx::TensorProto*>;

// The largest element count the reader accepts for one tensor (before comparing it with the stored data).
constexpr int64_t kMaxElements = int64_t(1) << 32;

std::string shape_str(const shape_t& s) {
    std::string r = "[";
    for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
    return r + "]";
}

// The element count of `dims`, or -1 when a dim is negative or the count exceeds kMaxElements.
int64_t checked_numel(const shape_t& dims) {
    int64_t n = 1;
    for (int64_t d : dims) {
        if (d < 0 || (d > 0 && n > kMaxElements / d)) return -1;
        n *= d;
    }
    return n;
}

bool default_domain(const std::string& d) { return d.empty() || d == "ai.onnx"; }

int64_t int_attr(const onnx::NodeProto& n, const std::string& name, int64_t fallback) {
    for (const onnx::AttributeProto& a : n.attribute()) {
        if (a.name() == name && a.type() == onnx::AttributeProto::INT) return a.i();
    }
    return fallback;
}

// The output-channel axis when input `slot` of `n` is a weight we quantise (rank `rank`), else -1.
int64_t weight_axis(const onnx::NodeProto& n, int slot, size_t rank) {
    if (slot != 1 || !default_domain(n.domain())) return -1;
    if (n.op_type() == "Conv" && rank >= 3) return 0;                            // [out, in / group, k...]
    if (n.op_type() == "Gemm" && rank == 2) return int_attr(n, "transB", 0) ? 0 : 1;  // B^T [out, in] or B [in, out]
    if (n.op_type() == "MatMul" && rank == 2) return 1;                         // B [in, out]
    return -1;
}

// Adds every value name used as a node input anywhere inside the subgraphs of `g`'s nodes.
void subgraph_inputs(const onnx::GraphProto& g, bool nested, std::set<std::string>& used) {
    for (const onnx::NodeProto& n : g.node()) {
        if (nested) used.insert(n.input().begin(), n.input().end());
        for (const onnx::AttributeProto& a : n.attribute()) {
            if (a.has_g()) subgraph_inputs(a.g(), true, used);
            for (const onnx::GraphProto& sg : a.graphs()) subgraph_inputs(sg, true, used);
        }
    }
}

// Reads a float initializer that is stored in this file; returns "" or an error.
std::string float_values(const onnx::TensorProto& t, int64_t count, std::vector<float>& out) {
    if (t.data_type() != onnx::TensorProto::FLOAT) return "'" + t.name() + "' is not float";
    if (t.data_location() == onnx::TensorProto::EXTERNAL) return "'" + t.name() + "' is stored outside the file";
    if (t.has_raw_data()) {
        if (t.raw_data().size() != sizeof(float) * static_cast<uint64_t>(count)) {
            return "'" + t.name() + "' has " + std::to_string(t.raw_data().size()) + " bytes for " +
                   std::to_string(count) + " float values";
        }
        out.resize(count);
        if (count) std::memcpy(out.data(), t.raw_data().data(), t.raw_data().size());
        return "";
    }
    if (t.float_data_size() != count) {
        return "'" + t.name() + "' has " + std::to_string(t.float_data_size()) + " values for " + std::to_string(count);
    }
    out.assign(t.float_data().begin(), t.float_data().end());
    return "";
}

// Reads an int8 or uint8 initializer (raw_data, or int32_data as the spec stores small integers) as int32.
std::string int8_values(const onnx::TensorProto& t, int64_t count, std::vector<int32_t>& out) {
    const bool is_signed = t.data_type() == onnx::TensorProto::INT8;
    if (!is_signed && t.data_type() != onnx::TensorProto::UINT8) return "'" + t.name() + "' is not int8 or uint8";
    if (t.data_location() == onnx::TensorProto::EXTERNAL) return "'" + t.name() + "' is stored outside the file";
    if (t.has_raw_data()) {
        if (t.raw_data().size() != static_cast<uint64_t>(count)) {
            return "'" + t.name() + "' has " + std::to_string(t.raw_data().size()) + " bytes for " +
                   std::to_string(count) + " 8-bit values";
        }
        out.resize(count);
        const char* p = t.raw_data().data();
        for (int64_t i = 0; i < count; ++i) {
            out[i] = is_signed ? static_cast<int32_t>(static_cast<int8_t>(p[i])) : static_cast<uint8_t>(p[i]);
        }
        return "";
    }
    if (t.int32_data_size() != count) {
        return "'" + t.name() + "' has " + std::to_string(t.int32_data_size()) + " values for " + std::to_string(count);
    }
    const int32_t lo = is_signed ? -128 : 0, hi = is_signed ? 127 : 255;
    out.assign(t.int32_data().begin(), t.int32_data().end());
    for (int32_t v : out) {
        if (v < lo || v > hi) return "'" + t.name() + "' holds " + std::to_string(v) + ", outside its 8-bit range";
    }
    return "";
}

// ref: ONNX QuantizeLinear rounds half to even (IEEE 754 roundTiesToEven); written out so that it does not
// depend on the floating-point environment's rounding mode.
float round_half_even(float x) {
    const float r = std::round(x);  // half away from zero
    return std::fabs(x - std::trunc(x)) == 0.5f ? 2.0f * std::round(x / 2.0f) : r;
}

// The int8 value of w on the grid of `scale`: round half to even, clamped to [-127, 127].
float to_grid(float w, float scale) { return std::min(127.0f, std::max(-127.0f, round_half_even(w / scale))); }

// Quantises `w` (`dims`, output channels along `axis`) into `q` and `scale` (see onnx_quant.h for the rule);
// `info` gets the max |w - float(q) * scale|, the largest scale and how many channels kept the tensor's grid.
void quantize_channels(const std::vector<float>& w, const shape_t& dims, int64_t axis, std::string& q,
                       std::vector<float>& scale, onnx_quant_tensor& info) {
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < axis; ++i) outer *= dims[i];
    for (size_t i = axis + 1; i < dims.size(); ++i) inner *= dims[i];
    const int64_t channels = dims[axis];
    auto at = [&](int64_t o, int64_t c, int64_t i) { return (o * channels + c) * inner + i; };
    scale.assign(channels, 0.0f);
    for (int64_t o = 0; o < outer; ++o)
        for (int64_t c = 0; c < channels; ++c)
            for (int64_t i = 0; i < inner; ++i) scale[c] = std::max(scale[c], std::fabs(w[at(o, c, i)]));
    const float tensor_scale = *std::max_element(scale.begin(), scale.end()) / 127.0f;
    for (int64_t c = 0; c < channels; ++c) {
        float& s = scale[c];
        s /= 127.0f;
        if (!(s > 0.0f)) s = 1.0f;  // an all-zero channel (or one whose scale underflows): q = 0
        if (!(tensor_scale > s)) continue;
        float off_grid = 0.0f;  // how far the channel lies from the tensor-wide grid
        for (int64_t o = 0; o < outer; ++o)
            for (int64_t i = 0; i < inner; ++i) {
                const float v = w[at(o, c, i)];
                off_grid = std::max(off_grid, std::fabs(v - to_grid(v, tensor_scale) * tensor_scale));
            }
        if (off_grid <= 1e-3f * s) {
            s = tensor_scale;
            ++info.tensor_grid_channels;
        }
    }
    q.resize(w.size());
    for (int64_t o = 0; o < outer; ++o)
        for (int64_t c = 0; c < channels; ++c)
            for (int64_t i = 0; i < inner; ++i) {
                const int64_t k = at(o, c, i);
                const float v = to_grid(w[k], scale[c]);
                q[k] = static_cast<char>(static_cast<int8_t>(v));
                info.max_error = std::max(info.max_error, std::fabs(w[k] - v * scale[c]));
            }
    for (float v : scale) info.max_scale = std::max(info.max_scale, v);
}

// A name not in `names` (base, else base_1, base_2, ...), recorded there.
std::string fresh_name(std::set<std::string>& names, const std::string& base) {
    std::string n = base;
    for (int i = 1; names.count(n); ++i) n = base + "_" + std::to_string(i);
    names.insert(n);
    return n;
}

std::string quantize_model(onnx::ModelProto& m, const onnx_quant_options& opt, onnx_quant_summary& summary) {
    int64_t opset = -1;
    for (const onnx::OperatorSetIdProto& o : m.opset_import()) {
        if (default_domain(o.domain())) opset = o.version();
    }
    if (opset < 13) return "DequantizeLinear with an axis needs opset >= 13; the model imports " + std::to_string(opset);
    onnx::GraphProto& g = *m.mutable_graph();
    std::set<std::string> names, keep_float;  // every value name; names that must stay float tensors
    for (const auto* io : {&g.input(), &g.output()}) {
        for (const onnx::ValueInfoProto& v : *io) {
            names.insert(v.name());
            keep_float.insert(v.name());
        }
    }
    subgraph_inputs(g, false, keep_float);
    std::unordered_map<std::string, int> index;  // float initializer -> its position
    for (int i = 0; i < g.initializer_size(); ++i) {
        const onnx::TensorProto& t = g.initializer(i);
        names.insert(t.name());
        if (t.data_type() == onnx::TensorProto::FLOAT && !keep_float.count(t.name())) index[t.name()] = i;
    }
    for (const onnx::NodeProto& n : g.node()) names.insert(n.output().begin(), n.output().end());
    // The axis each candidate is quantised along: set by its first use, -1 when a use is not a weight or
    // disagrees with another use's axis.
    std::unordered_map<std::string, int64_t> axis_of;
    for (const onnx::NodeProto& n : g.node()) {
        for (int slot = 0; slot < n.input_size(); ++slot) {
            auto it = index.find(n.input(slot));
            if (it == index.end()) continue;
            const int64_t a = weight_axis(n, slot, g.initializer(it->second).dims_size());
            auto [at, first] = axis_of.emplace(n.input(slot), a);
            if (!first && at->second != a) at->second = -1;
        }
    }
    std::vector<onnx::NodeProto> dequantize;
    std::vector<onnx::TensorProto> scales;
    for (int i = 0; i < g.initializer_size(); ++i) {
        onnx::TensorProto& t = *g.mutable_initializer(i);
        auto at = axis_of.find(t.name());
        if (at == axis_of.end() || at->second < 0 || !index.count(t.name())) continue;
        const shape_t dims(t.dims().begin(), t.dims().end());
        const int64_t count = checked_numel(dims);
        if (count < 0) return "initializer '" + t.name() + "' has dims " + shape_str(dims);
        if (count < opt.min_elements || count == 0) continue;
        std::vector<float> w;
        std::string e = float_values(t, count, w);
        if (!e.empty()) return "initializer " + e;
        for (float v : w) {
            if (!std::isfinite(v)) return "initializer '" + t.name() + "' holds a non-finite value";
        }
        onnx_quant_tensor info{t.name(), dims, at->second, 0.0f, 0.0f, 0};
        std::string q;
        std::vector<float> scale;
        quantize_channels(w, dims, info.axis, q, scale, info);

        onnx::TensorProto& sc = scales.emplace_back();
        sc.set_name(fresh_name(names, t.name() + "_scale"));
        sc.set_data_type(onnx::TensorProto::FLOAT);
        sc.add_dims(static_cast<int64_t>(scale.size()));
        // ref: onnx.proto TensorProto.raw_data: fixed-width little-endian values (x86-64 is little-endian).
        sc.set_raw_data(std::string(reinterpret_cast<const char*>(scale.data()), sizeof(float) * scale.size()));
        onnx::NodeProto& n = dequantize.emplace_back();
        n.set_op_type("DequantizeLinear");
        n.set_name(t.name() + "/dequantize");
        n.add_input(fresh_name(names, t.name() + "_quantized"));
        n.add_input(sc.name());
        n.add_output(t.name());
        onnx::AttributeProto* axis = n.add_attribute();  // always written: the spec's default is 1, not 0
        axis->set_name("axis");
        axis->set_type(onnx::AttributeProto::INT);
        axis->set_i(info.axis);

        t.Clear();
        t.set_name(n.input(0));
        t.set_data_type(onnx::TensorProto::INT8);
        for (int64_t d : dims) t.add_dims(d);
        t.set_raw_data(std::move(q));
        summary.float_bytes += count * static_cast<int64_t>(sizeof(float));
        summary.int8_bytes += count;
        summary.scale_bytes += static_cast<int64_t>(sizeof(float) * scale.size());
        summary.tensors.push_back(std::move(info));
    }
    for (onnx::TensorProto& s : scales) g.add_initializer()->Swap(&s);
    // The DequantizeLinear nodes go first, so the node list stays topologically sorted.
    google::protobuf::RepeatedPtrField<onnx::NodeProto> old;
    old.Swap(g.mutable_node());
    for (onnx::NodeProto& n : dequantize) g.add_node()->Swap(&n);
    for (onnx::NodeProto& n : old) g.add_node()->Swap(&n);
    return "";
}

// The float tensor of one DequantizeLinear node whose x is initializer `x`; returns "" or an error.
std::string dequantize_node(const onnx::NodeProto& n, const onnx::TensorProto& x, const init_map& inits,
                            onnx::TensorProto& out) {
    if (n.input_size() < 2 || n.input_size() > 3 || n.output_size() != 1 || n.output(0).empty()) {
        return "needs inputs (x, x_scale[, x_zero_point]) and one output";
    }
    auto find = [&](const std::string& name) -> const onnx::TensorProto* {
        auto it = inits.find(name);
        return it == inits.end() ? nullptr : it->second;
    };
    const onnx::TensorProto* scale = find(n.input(1));
    if (!scale) return "its scale '" + n.input(1) + "' is not an initializer of the model";
    const bool has_zp = n.input_size() == 3 && !n.input(2).empty();
    const onnx::TensorProto* zp = has_zp ? find(n.input(2)) : nullptr;
    if (has_zp && !zp) return "its zero point '" + n.input(2) + "' is not an initializer of the model";

    const shape_t dims(x.dims().begin(), x.dims().end()), sdims(scale->dims().begin(), scale->dims().end());
    const int64_t count = checked_numel(dims), scount = checked_numel(sdims);
    if (count < 0) return "'" + x.name() + "' has dims " + shape_str(dims);
    if (scount < 0 || sdims.size() > 1) return "its scale '" + scale->name() + "' has dims " + shape_str(sdims) + " (a scalar or 1-D)";
    if (has_zp && shape_t(zp->dims().begin(), zp->dims().end()) != sdims) {
        return "its zero point '" + zp->name() + "' does not have the scale's dims " + shape_str(sdims);
    }
    if (has_zp && zp->data_type() != x.data_type()) return "its zero point '" + zp->name() + "' is not of x's type";
    // Per tensor when the scale is a scalar or holds one value (as ONNX Runtime decides), else per axis.
    int64_t axis = 0, channels = 1, inner = count;
    if (scount != 1) {
        const int64_t rank = static_cast<int64_t>(dims.size());
        axis = int_attr(n, "axis", 1);
        if (axis < -rank || axis >= rank) {
            return "axis " + std::to_string(axis) + " is out of range for '" + x.name() + "' of rank " + std::to_string(rank);
        }
        if (axis < 0) axis += rank;
        channels = dims[axis];
        if (scount != channels) {
            return "its scale '" + scale->name() + "' has " + std::to_string(scount) + " values, but '" + x.name() +
                   "' has " + std::to_string(channels) + " along axis " + std::to_string(axis) + " " + shape_str(dims);
        }
        inner = 1;
        for (size_t i = axis + 1; i < dims.size(); ++i) inner *= dims[i];
    }
    std::vector<int32_t> q, z(scount, 0);
    std::vector<float> s;
    std::string e = int8_values(x, count, q);
    if (e.empty()) e = float_values(*scale, scount, s);
    if (e.empty() && has_zp) e = int8_values(*zp, scount, z);
    if (!e.empty()) return e;
    for (float v : s) {
        if (!std::isfinite(v)) return "its scale '" + scale->name() + "' holds a non-finite value";
    }
    std::vector<float> y(count);
    for (int64_t k = 0; k < count; ++k) {
        const int64_t c = (k / inner) % channels;
        // ref: ONNX Runtime's DequantizeLinear kernel: static_cast<float>(int32(x) - int32(zero_point)) * scale.
        y[k] = static_cast<float>(q[k] - z[c]) * s[c];
    }
    out.Clear();
    out.set_name(n.output(0));
    out.set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) out.add_dims(d);
    out.set_raw_data(std::string(reinterpret_cast<const char*>(y.data()), sizeof(float) * y.size()));
    return "";
}

}  // namespace

std::string onnx_quantize_weights(onnx::ModelProto& m, const onnx_quant_options& opt, onnx_quant_summary& summary) {
    summary = onnx_quant_summary{};
    try {
        if (opt.min_elements < 1) return "the minimum element count must be >= 1";
        return quantize_model(m, opt, summary);
    } catch (const std::exception& ex) {
        return onnx_error("ONNX quantisation: ", ex.what());
    } catch (...) {
        return "ONNX quantisation: unknown exception";
    }
}

std::string onnx_quantize(const std::string& in, const onnx_quant_options& opt, std::string& out,
                          onnx_quant_summary& summary) {
    out.clear();
    summary = onnx_quant_summary{};
    try {
        onnx::ModelProto m;
        if (!m.ParseFromString(in)) return "not a valid ONNX ModelProto";
        std::string e = onnx_quantize_weights(m, opt, summary);
        if (e.empty() && !m.SerializeToString(&out)) e = "ModelProto serialisation failed";
        if (e.empty()) e = onnx_check(out);
        if (!e.empty()) out.clear();
        return onnx_error("", e.c_str());  // one printable line: messages quote names from the file
    } catch (const std::exception& ex) {
        out.clear();
        return onnx_error("ONNX quantisation: ", ex.what());
    } catch (...) {
        out.clear();
        return "ONNX quantisation: unknown exception";
    }
}

std::string onnx_dequantize_initializers(const onnx::GraphProto& graph, std::map<std::string, onnx::TensorProto>& out) {
    out.clear();
    try {
        init_map inits;
        for (const onnx::TensorProto& t : graph.initializer()) inits[t.name()] = &t;
        for (const onnx::NodeProto& n : graph.node()) {
            if (n.op_type() != "DequantizeLinear" || !default_domain(n.domain()) || n.input_size() < 1) continue;
            auto x = inits.find(n.input(0));
            if (x == inits.end()) continue;  // dequantises a computed value, not a stored weight
            const std::string what = "DequantizeLinear '" + n.name() + "' of '" + n.input(0) + "': ";
            onnx::TensorProto t;
            std::string e = dequantize_node(n, *x->second, inits, t);
            if (e.empty() && (inits.count(t.name()) || out.count(t.name()))) e = "its output '" + t.name() + "' is defined twice";
            if (!e.empty()) {
                out.clear();
                return what + e;
            }
            out[t.name()].Swap(&t);
        }
        return "";
    } catch (const std::exception& ex) {
        out.clear();
        return onnx_error("ONNX dequantisation: ", ex.what());
    } catch (...) {
        out.clear();
        return "ONNX dequantisation: unknown exception";
    }
}

}  // namespace gs
