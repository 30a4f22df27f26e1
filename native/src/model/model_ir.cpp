// model_ir.cpp: op names, shape inference (with parameter-shape checks) and parameter counting for ir_graph.
#include "model_ir.h"

#include <cmath>
#include <set>

namespace gs {

const char* to_string(ir_op op) {
    switch (op) {
    case ir_op::conv2d: return "conv2d";
    case ir_op::batch_norm: return "batch_norm";
    case ir_op::relu: return "relu";
    case ir_op::relu6: return "relu6";
    case ir_op::elu: return "elu";
    case ir_op::sigmoid: return "sigmoid";
    case ir_op::max_pool2d: return "max_pool2d";
    case ir_op::avg_pool2d: return "avg_pool2d";
    case ir_op::global_avg_pool: return "global_avg_pool";
    case ir_op::global_max_pool: return "global_max_pool";
    case ir_op::reduce_mean: return "reduce_mean";
    case ir_op::reduce_max: return "reduce_max";
    case ir_op::flatten: return "flatten";
    case ir_op::linear: return "linear";
    case ir_op::dropout: return "dropout";
    case ir_op::add: return "add";
    case ir_op::concat: return "concat";
    case ir_op::to_sequence: return "to_sequence";
    case ir_op::gru: return "gru";
    case ir_op::lstm: return "lstm";
    case ir_op::scale: return "scale";
    case ir_op::level_align: return "level_align";
    case ir_op::quantize: return "quantize";
    case ir_op::softmax: return "softmax";
    }
    return "unknown";
}

namespace {

using shape_t = std::vector<int64_t>;
using shape_map = std::map<std::string, shape_t>;

std::string shape_str(const shape_t& s) {
    std::string r = "[";
    for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
    return r + "]";
}

// Output length of a sliding window without dilation (floor mode); <= 0 when the window does not fit.
// ref: PyTorch Conv2d / MaxPool2d docs: out = floor((in + 2*pad - kernel) / stride) + 1 (pad_begin + pad_end
// in place of 2*pad when they differ, as ONNX Conv's pads allow)
int64_t window_out(int64_t in, int64_t kernel, int64_t stride, int64_t pad, int64_t pad_end) {
    const int64_t span = in + pad + pad_end - kernel;
    return span < 0 ? 0 : span / stride + 1;
}
int64_t window_out(int64_t in, int64_t kernel, int64_t stride, int64_t pad) {
    return window_out(in, kernel, stride, pad, pad);
}

// Checks that `n.params` holds exactly the expected names with the expected shapes (any order).
std::string check_params(const ir_node& n, const std::vector<ir_param>& expected) {
    std::set<std::string> seen;
    for (const ir_param& p : n.params) {
        if (!seen.insert(p.name).second) return "duplicate param '" + p.name + "'";
        bool known = false;
        for (const ir_param& e : expected) {
            if (e.name != p.name) continue;
            known = true;
            if (e.shape != p.shape) {
                return "param '" + p.name + "' has shape " + shape_str(p.shape) + ", expected " + shape_str(e.shape);
            }
        }
        if (!known) return "unexpected param '" + p.name + "'";
    }
    for (const ir_param& e : expected) {
        if (!seen.count(e.name)) return "missing param '" + e.name + "' " + shape_str(e.shape);
    }
    return "";
}

std::string need_inputs(const ir_node& n, size_t lo, size_t hi) {
    if (n.inputs.size() < lo || n.inputs.size() > hi) {
        return "has " + std::to_string(n.inputs.size()) + " inputs, expected " +
               (lo == hi ? std::to_string(lo) : std::to_string(lo) + ".." + (hi > 1000 ? "n" : std::to_string(hi)));
    }
    return "";
}

std::string need_rank(const shape_t& s, size_t lo, size_t hi) {
    if (s.size() < lo || s.size() > hi) {
        return "input " + shape_str(s) + " has rank " + std::to_string(s.size()) + ", expected " +
               (lo == hi ? std::to_string(lo) : ">= " + std::to_string(lo));
    }
    return "";
}

// Infers one node's output shape from its input shapes `in` and lists the params it must have.
std::string infer_node(const ir_node& n, const std::vector<shape_t>& in, shape_t& out, std::vector<ir_param>& params) {
    std::string e;
    const shape_t& x = in.empty() ? shape_t{} : in[0];
    switch (n.op) {
    case ir_op::conv2d: {
        if (!(e = need_inputs(n, 1, 1)).empty() || !(e = need_rank(x, 4, 4)).empty()) return e;
        const int64_t o = n.get_int("out_channels"), kh = n.get_int("kernel_h"), kw = n.get_int("kernel_w");
        const int64_t sh = n.get_int("stride_h", 1), sw = n.get_int("stride_w", 1);
        const int64_t ph = n.get_int("pad_h", 0), pw = n.get_int("pad_w", 0);
        const int64_t phe = n.get_int("pad_h_end", ph), pwe = n.get_int("pad_w_end", pw);
        const int64_t groups = n.get_int("groups", 1);
        if (o < 1 || kh < 1 || kw < 1 || sh < 1 || sw < 1 || ph < 0 || pw < 0 || phe < 0 || pwe < 0 || groups < 1) {
            return "bad attributes (need out_channels, kernel_h, kernel_w, stride_h, stride_w, groups >= 1, "
                   "pad_h, pad_w, pad_h_end, pad_w_end >= 0)";
        }
        if (x[1] % groups != 0 || o % groups != 0) {
            return "groups " + std::to_string(groups) + " must divide the input channels (" + std::to_string(x[1]) +
                   ") and out_channels (" + std::to_string(o) + ")";
        }
        out = {x[0], o, window_out(x[2], kh, sh, ph, phe), window_out(x[3], kw, sw, pw, pwe)};
        if (out[2] < 1 || out[3] < 1) return "kernel larger than padded input " + shape_str(x);
        params = {{"weight", {o, x[1] / groups, kh, kw}}, {"bias", {o}}};
        return "";
    }
    case ir_op::batch_norm: {
        if (!(e = need_inputs(n, 1, 1)).empty() || !(e = need_rank(x, 2, 8)).empty()) return e;
        if (!(n.get_float("eps", 1e-5) > 0.0)) return "eps must be > 0";
        out = x;
        params = {{"weight", {x[1]}}, {"bias", {x[1]}}, {"running_mean", {x[1]}}, {"running_var", {x[1]}}};
        return "";
    }
    case ir_op::relu:
    case ir_op::relu6:
    case ir_op::elu:
    case ir_op::sigmoid:
    case ir_op::dropout:
    case ir_op::scale:
        if (!(e = need_inputs(n, 1, 1)).empty()) return e;
        if (n.op == ir_op::elu && !(std::isfinite(n.get_float("alpha", 1.0)) && n.get_float("alpha", 1.0) >= 0.0)) {
            return "alpha must be finite and >= 0";
        }
        if (n.op == ir_op::dropout) {
            const double p = n.get_float("p", 0.0);
            if (!(p >= 0.0 && p < 1.0)) return "p must be in [0, 1)";
        }
        out = x;
        return "";
    case ir_op::quantize: {
        if (!(e = need_inputs(n, 1, 1)).empty()) return e;
        const double s = n.get_float("scale", 0.0);
        const float s32 = static_cast<float>(s);
        if (!(std::isfinite(s) && s32 > 0.0f && std::isfinite(s32))) return "scale must be finite and > 0";
        const int64_t zp = n.get_int("zero_point", 0);
        if (zp < 0 || zp > 255) return "zero_point must be in [0, 255]";
        out = x;
        return "";
    }
    case ir_op::level_align:
        if (!(e = need_inputs(n, 1, 1)).empty() || !(e = need_rank(x, 4, 4)).empty()) return e;
        if (x[1] != 1) return "needs one channel, got " + shape_str(x);
        out = x;
        params = {{"db_per_unit", {1, 1, x[2], 1}}};
        return "";
    case ir_op::max_pool2d:
    case ir_op::avg_pool2d: {
        if (!(e = need_inputs(n, 1, 1)).empty() || !(e = need_rank(x, 4, 4)).empty()) return e;
        const int64_t kh = n.get_int("kernel_h"), kw = n.get_int("kernel_w");
        const int64_t sh = n.get_int("stride_h", kh), sw = n.get_int("stride_w", kw);
        if (kh < 1 || kw < 1 || sh < 1 || sw < 1) {
            return "bad attributes (need kernel_h, kernel_w, stride_h, stride_w >= 1)";
        }
        out = {x[0], x[1], window_out(x[2], kh, sh, 0), window_out(x[3], kw, sw, 0)};
        if (out[2] < 1 || out[3] < 1) return "kernel larger than input " + shape_str(x);
        return "";
    }
    case ir_op::global_avg_pool:
    case ir_op::global_max_pool:
        if (!(e = need_inputs(n, 1, 1)).empty() || !(e = need_rank(x, 4, 4)).empty()) return e;
        out = {x[0], x[1]};
        return "";
    case ir_op::reduce_mean:
    case ir_op::reduce_max: {
        if (!(e = need_inputs(n, 1, 1)).empty() || !(e = need_rank(x, 2, 8)).empty()) return e;
        const int64_t axis = n.get_int("axis", -1);
        if (axis < 1 || axis >= static_cast<int64_t>(x.size())) {
            return "axis " + std::to_string(axis) + " out of range [1, " + std::to_string(x.size() - 1) + "]";
        }
        out = x;
        out.erase(out.begin() + axis);
        return "";
    }
    case ir_op::flatten: {
        if (!(e = need_inputs(n, 1, 1)).empty() || !(e = need_rank(x, 2, 8)).empty()) return e;
        int64_t prod = 1;
        for (size_t i = 1; i < x.size(); ++i) prod *= x[i];
        out = {x[0], prod};
        return "";
    }
    case ir_op::linear: {
        if (!(e = need_inputs(n, 1, 1)).empty() || !(e = need_rank(x, 2, 2)).empty()) return e;
        const int64_t o = n.get_int("out_features");
        if (o < 1) return "out_features must be >= 1";
        out = {x[0], o};
        params = {{"weight", {o, x[1]}}, {"bias", {o}}};
        return "";
    }
    case ir_op::add:
        if (!(e = need_inputs(n, 2, 2)).empty()) return e;
        if (in[0] != in[1]) return "input shapes differ: " + shape_str(in[0]) + " vs " + shape_str(in[1]);
        out = x;
        return "";
    case ir_op::concat: {
        if (!(e = need_inputs(n, 2, 1u << 20)).empty() || !(e = need_rank(x, 2, 8)).empty()) return e;
        const int64_t axis = n.get_int("axis", 1);
        if (axis < 1 || axis >= static_cast<int64_t>(x.size())) {
            return "axis " + std::to_string(axis) + " out of range [1, " + std::to_string(x.size() - 1) + "]";
        }
        out = x;
        for (size_t k = 1; k < in.size(); ++k) {
            bool ok = in[k].size() == x.size();
            for (size_t d = 0; ok && d < x.size(); ++d) ok = static_cast<int64_t>(d) == axis || in[k][d] == x[d];
            if (!ok) return "input shapes " + shape_str(x) + " and " + shape_str(in[k]) + " differ off the axis";
            out[axis] += in[k][axis];
        }
        return "";
    }
    case ir_op::to_sequence:
        if (!(e = need_inputs(n, 1, 1)).empty() || !(e = need_rank(x, 4, 4)).empty()) return e;
        if (x[1] != 1) return "input " + shape_str(x) + " must have 1 channel";
        out = {x[3], x[0], x[2]};
        return "";
    case ir_op::gru:
    case ir_op::lstm: {
        if (!(e = need_inputs(n, 1, 1)).empty() || !(e = need_rank(x, 3, 3)).empty()) return e;
        const int64_t h = n.get_int("hidden_size"), bidir = n.get_int("bidirectional", 0);
        if (h < 1 || (bidir != 0 && bidir != 1)) return "bad attributes (need hidden_size >= 1, bidirectional 0/1)";
        const int64_t g = n.op == ir_op::gru ? 3 : 4;
        out = {x[1], (bidir + 1) * h};
        for (const char* d : {"", "_reverse"}) {
            if (*d && !bidir) break;
            const std::string s = d;
            params.push_back({"weight_ih" + s, {g * h, x[2]}});
            params.push_back({"weight_hh" + s, {g * h, h}});
            params.push_back({"bias_ih" + s, {g * h}});
            params.push_back({"bias_hh" + s, {g * h}});
        }
        return "";
    }
    case ir_op::softmax:
        if (!(e = need_inputs(n, 1, 1)).empty() || !(e = need_rank(x, 2, 2)).empty()) return e;
        out = x;
        return "";
    }
    return "unknown op";
}

}  // namespace

std::string ir_infer_shapes(const ir_graph& g, int64_t batch, std::map<std::string, std::vector<int64_t>>& shapes) {
    shapes.clear();
    if (batch < 1) return "batch must be >= 1";
    if (g.input.empty()) return "graph has no input name";
    if (g.n_bins < 1 || g.n_frames < 1) return "graph needs n_bins >= 1 and n_frames >= 1";
    if (g.n_classes < 1) return "graph needs n_classes >= 1";
    if (g.nodes.empty()) return "graph has no nodes";
    shapes[g.input] = {batch, 1, g.n_bins, g.n_frames};
    std::set<std::string> node_names;
    for (const ir_node& n : g.nodes) {
        const std::string where = "node '" + n.name + "' (" + to_string(n.op) + "): ";
        if (n.name.empty()) return "a node has no name";
        if (!node_names.insert(n.name).second) return "duplicate node name '" + n.name + "'";
        if (n.output.empty()) return where + "no output name";
        if (shapes.count(n.output)) return where + "output '" + n.output + "' already exists";
        std::vector<shape_t> in;
        for (const std::string& i : n.inputs) {
            auto it = shapes.find(i);
            if (it == shapes.end()) return where + "unknown input '" + i + "'";
            in.push_back(it->second);
        }
        shape_t out;
        std::vector<ir_param> expected;
        std::string e = infer_node(n, in, out, expected);
        if (e.empty()) e = check_params(n, expected);
        if (!e.empty()) return where + e;
        shapes[n.output] = out;
    }
    const ir_node& last = g.nodes.back();
    if ((last.op != ir_op::softmax && last.op != ir_op::sigmoid) || last.output != g.output) {
        return "the last node must be a softmax or sigmoid producing the graph output '" + g.output + "'";
    }
    const shape_t want = {batch, g.n_classes};
    if (shapes[g.output] != want) {
        return "output '" + g.output + "' has shape " + shape_str(shapes[g.output]) + ", expected " + shape_str(want);
    }
    for (const std::string& x : g.extra_outputs) {
        auto it = shapes.find(x);
        if (it == shapes.end() || x == g.input || x == g.output) return "extra output '" + x + "' is not a tensor of the graph";
        if (it->second.size() != 2) return "extra output '" + x + "' has shape " + shape_str(it->second) + ", not [N, D]";
    }
    if (!g.logits.empty()) {
        auto it = shapes.find(g.logits);
        if (it == shapes.end()) return "unknown logits tensor '" + g.logits + "'";
        if (it->second != want) return "logits '" + g.logits + "' has shape " + shape_str(it->second);
    }
    return "";
}

bool ir_param_is_buffer(const ir_node& n, const std::string& param) {
    return (n.op == ir_op::batch_norm && (param == "running_mean" || param == "running_var")) ||
           ir_param_is_constant(n, param);
}

bool ir_param_is_constant(const ir_node& n, const std::string& /*param*/) {
    return n.op == ir_op::level_align;
}

std::vector<size_t> ir_nodes_after(const ir_graph& g, const std::string& start) {
    std::set<std::string> known = {start};
    std::vector<size_t> out;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        bool all = !g.nodes[i].inputs.empty();
        for (const std::string& x : g.nodes[i].inputs) all = all && known.count(x) > 0;
        if (!all) continue;
        known.insert(g.nodes[i].output);
        out.push_back(i);
    }
    return out;
}

int64_t ir_count_parameters(const ir_graph& g) {
    int64_t total = 0;
    for (const ir_node& n : g.nodes) {
        for (const ir_param& p : n.params) {
            if (ir_param_is_buffer(n, p.name)) continue;
            int64_t count = 1;
            for (int64_t d : p.shape) count *= d;
            total += count;
        }
    }
    return total;
}

std::string ir_penultimate(const ir_graph& g) {
    if (g.logits.empty()) return "";
    const ir_node* maker = nullptr;
    for (const ir_node& n : g.nodes) {
        if (n.output == g.logits) maker = &n;
    }
    if (maker == nullptr || maker->inputs.empty()) return "";
    const std::string& x = maker->inputs[0];
    if (x == g.input) return "";
    std::map<std::string, std::vector<int64_t>> shapes;
    if (!ir_infer_shapes(g, 1, shapes).empty()) return "";
    auto it = shapes.find(x);
    return it != shapes.end() && it->second.size() == 2 && it->second[1] > 0 ? x : "";
}

}  // namespace gs
