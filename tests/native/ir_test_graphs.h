// ir_test_graphs.h: a tiny IR graph builder, random weights and the small test graphs covering every ir_op.
//
// Param shapes are written out here independently of model_ir.cpp, so ir_infer_shapes is checked against them.
#pragma once

#include "model/model_ir.h"

#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace gs_test {

using gs::ir_graph;
using gs::ir_node;
using gs::ir_op;
using shape_t = std::vector<int64_t>;

// Appends nodes to a graph, tracking shapes for batch 1 so that params get their shapes. Node names are
// "<kind><index>"; each node's output tensor is named "<node>_out" (so tensor and node names differ).
class test_builder {
public:
    test_builder(int64_t n_bins, int64_t n_frames, int64_t n_classes, const std::string& arch = "test") {
        g.arch = arch;
        g.n_bins = n_bins;
        g.n_frames = n_frames;
        g.n_classes = n_classes;
        shape[g.input] = {1, 1, n_bins, n_frames};
    }
    std::string input() const { return g.input; }

    std::string conv(const std::string& x, int64_t out, int64_t kh, int64_t kw, int64_t sh = 1, int64_t sw = 1,
                     int64_t ph = 0, int64_t pw = 0, int64_t groups = 1) {
        const shape_t& s = shape.at(x);
        ir_node& n = add(ir_op::conv2d, "conv", {x},
                         {1, out, (s[2] + 2 * ph - kh) / sh + 1, (s[3] + 2 * pw - kw) / sw + 1});
        n.ints = {{"out_channels", out}, {"kernel_h", kh}, {"kernel_w", kw}, {"stride_h", sh},
                  {"stride_w", sw},      {"pad_h", ph},    {"pad_w", pw}};
        if (groups != 1) n.ints["groups"] = groups;
        n.params = {{"weight", {out, s[1] / groups, kh, kw}}, {"bias", {out}}};
        return n.output;
    }
    std::string bn(const std::string& x, double eps = 1e-5) {
        const int64_t c = shape.at(x)[1];
        ir_node& n = add(ir_op::batch_norm, "bn", {x}, shape.at(x));
        n.floats = {{"eps", eps}};
        n.params = {{"weight", {c}}, {"bias", {c}}, {"running_mean", {c}}, {"running_var", {c}}};
        return n.output;
    }
    std::string relu(const std::string& x) { return add(ir_op::relu, "relu", {x}, shape.at(x)).output; }
    std::string relu6(const std::string& x) { return add(ir_op::relu6, "relu6_", {x}, shape.at(x)).output; }
    std::string elu(const std::string& x, double alpha) {
        ir_node& n = add(ir_op::elu, "elu", {x}, shape.at(x));
        n.floats = {{"alpha", alpha}};
        return n.output;
    }
    // A convolution with padding that differs before and after (TensorFlow's SAME with stride 2).
    std::string conv_asym(const std::string& x, int64_t out, int64_t k, int64_t stride, int64_t pad_begin,
                          int64_t pad_end, int64_t groups = 1) {
        const shape_t& s = shape.at(x);
        const int64_t oh = (s[2] + pad_begin + pad_end - k) / stride + 1, ow = (s[3] + pad_begin + pad_end - k) / stride + 1;
        ir_node& n = add(ir_op::conv2d, "conv", {x}, {1, out, oh, ow});
        n.ints = {{"out_channels", out}, {"kernel_h", k},         {"kernel_w", k},          {"stride_h", stride},
                  {"stride_w", stride},  {"pad_h", pad_begin},    {"pad_w", pad_begin},     {"pad_h_end", pad_end},
                  {"pad_w_end", pad_end}};
        if (groups != 1) n.ints["groups"] = groups;
        n.params = {{"weight", {out, s[1] / groups, k, k}}, {"bias", {out}}};
        return n.output;
    }
    std::string pool(const std::string& x, bool max, int64_t kh, int64_t kw, int64_t sh, int64_t sw) {
        const shape_t& s = shape.at(x);
        ir_node& n = add(max ? ir_op::max_pool2d : ir_op::avg_pool2d, max ? "maxpool" : "avgpool", {x},
                         {1, s[1], (s[2] - kh) / sh + 1, (s[3] - kw) / sw + 1});
        n.ints = {{"kernel_h", kh}, {"kernel_w", kw}, {"stride_h", sh}, {"stride_w", sw}};
        return n.output;
    }
    std::string global_pool(const std::string& x, bool max) {
        return add(max ? ir_op::global_max_pool : ir_op::global_avg_pool, max ? "gmp" : "gap", {x},
                   {1, shape.at(x)[1]}).output;
    }
    std::string reduce(const std::string& x, int64_t axis, bool max) {
        shape_t s = shape.at(x);
        s.erase(s.begin() + axis);
        ir_node& n = add(max ? ir_op::reduce_max : ir_op::reduce_mean, max ? "rmax" : "rmean", {x}, s);
        n.ints = {{"axis", axis}};
        return n.output;
    }
    std::string flatten(const std::string& x) {
        int64_t p = 1;
        for (size_t i = 1; i < shape.at(x).size(); ++i) p *= shape.at(x)[i];
        return add(ir_op::flatten, "flatten", {x}, {1, p}).output;
    }
    std::string linear(const std::string& x, int64_t out) {
        const int64_t in = shape.at(x)[1];
        ir_node& n = add(ir_op::linear, "fc", {x}, {1, out});
        n.ints = {{"out_features", out}};
        n.params = {{"weight", {out, in}}, {"bias", {out}}};
        return n.output;
    }
    std::string dropout(const std::string& x, double p = 0.3) {
        ir_node& n = add(ir_op::dropout, "dropout", {x}, shape.at(x));
        n.floats = {{"p", p}};
        return n.output;
    }
    std::string sum(const std::string& a, const std::string& b) {
        return add(ir_op::add, "add", {a, b}, shape.at(a)).output;
    }
    std::string concat(const std::vector<std::string>& xs, int64_t axis) {
        shape_t s = shape.at(xs.at(0));
        for (size_t i = 1; i < xs.size(); ++i) s[axis] += shape.at(xs[i])[axis];
        ir_node& n = add(ir_op::concat, "concat", xs, s);
        n.ints = {{"axis", axis}};
        return n.output;
    }
    std::string to_sequence(const std::string& x) {
        const shape_t& s = shape.at(x);
        return add(ir_op::to_sequence, "seq", {x}, {s[3], 1, s[2]}).output;
    }
    std::string recurrent(const std::string& x, bool lstm, int64_t hidden, bool bidirectional) {
        const int64_t in = shape.at(x)[2], gates = lstm ? 4 : 3;
        ir_node& n = add(lstm ? ir_op::lstm : ir_op::gru, lstm ? "lstm" : "gru", {x},
                         {1, hidden * (bidirectional ? 2 : 1)});
        n.ints = {{"hidden_size", hidden}, {"bidirectional", bidirectional ? 1 : 0}};
        for (const std::string d : {"", "_reverse"}) {
            if (!d.empty() && !bidirectional) break;
            n.params.push_back({"weight_ih" + d, {gates * hidden, in}});
            n.params.push_back({"weight_hh" + d, {gates * hidden, hidden}});
            n.params.push_back({"bias_ih" + d, {gates * hidden}});
            n.params.push_back({"bias_hh" + d, {gates * hidden}});
        }
        return n.output;
    }
    std::string level_align(const std::string& x) {
        ir_node& n = add(ir_op::level_align, "level", {x}, shape.at(x));
        n.params = {{"db_per_unit", {1, 1, shape.at(x)[2], 1}}};
        return n.output;
    }
    std::string scale(const std::string& x, double factor) {
        ir_node& n = add(ir_op::scale, "scale", {x}, shape.at(x));
        n.floats = {{"factor", factor}};
        return n.output;
    }
    // Ends the graph: logits -> softmax (or sigmoid: independent per-class scores) -> g.output.
    ir_graph finish(const std::string& logits, bool sigmoid = false) {
        g.logits = logits;
        ir_node n;
        n.name = sigmoid ? "sigmoid" : "softmax";
        n.op = sigmoid ? ir_op::sigmoid : ir_op::softmax;
        n.inputs = {logits};
        n.output = g.output;
        g.nodes.push_back(n);
        return g;
    }

    ir_graph g;
    std::map<std::string, shape_t> shape;  // batch 1

private:
    ir_node& add(ir_op op, const std::string& kind, const std::vector<std::string>& inputs, const shape_t& out) {
        ir_node n;
        n.name = kind + std::to_string(counter_++);
        n.op = op;
        n.inputs = inputs;
        n.output = n.name + "_out";
        shape[n.output] = out;
        g.nodes.push_back(n);
        return g.nodes.back();
    }
    int counter_ = 0;
};

// Random weights for every param (fixed seed): uniform(-0.5, 0.5), except batch_norm weight in [0.5, 1.5],
// running_var in [0.3, 2] and running_mean in [-0.5, 0.5] (non-trivial running statistics), and level_align's
// dB per unit in [5, 20] (a feature std in dB).
inline gs::ir_weights random_weights(const ir_graph& g, uint32_t seed) {
    std::mt19937 rng(seed);
    gs::ir_weights w;
    for (const ir_node& n : g.nodes)
        for (const gs::ir_param& p : n.params) {
            int64_t count = 1;
            for (int64_t d : p.shape) count *= d;
            double lo = -0.5, hi = 0.5;
            if (n.op == ir_op::batch_norm && p.name == "weight") lo = 0.5, hi = 1.5;
            if (n.op == ir_op::batch_norm && p.name == "running_var") lo = 0.3, hi = 2.0;
            if (n.op == ir_op::level_align) lo = 5.0, hi = 20.0;
            std::uniform_real_distribution<double> u(lo, hi);
            std::vector<float>& v = w[n.name + "." + p.name];
            for (int64_t i = 0; i < count; ++i) v.push_back(static_cast<float>(u(rng)));
        }
    return w;
}

inline std::vector<float> random_input(int64_t count, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> nd(0.0, 1.0);
    std::vector<float> x(count);
    for (float& v : x) v = static_cast<float>(nd(rng));
    return x;
}

// The test graphs, by name. Together they use every ir_op; n_bins 8, n_frames 10.
inline std::vector<std::pair<std::string, ir_graph>> test_graphs() {
    std::vector<std::pair<std::string, ir_graph>> out;
    {   // level alignment, conv (padding, strides), batch norm, both 2-D pools, dropout, global average pool, scale
        test_builder b(8, 10, 5);
        std::string x = b.relu(b.bn(b.conv(b.level_align(b.input()), 4, 3, 3, 1, 1, 1, 1)));
        x = b.pool(x, true, 2, 2, 2, 2);                         // [4, 4, 5]
        x = b.relu(b.bn(b.conv(x, 6, 3, 2, 2, 1, 1, 0)));        // [6, 2, 4]
        x = b.pool(x, false, 2, 3, 1, 1);                        // [6, 1, 2]
        x = b.global_pool(b.dropout(x), false);
        out.emplace_back("cnn_pools", b.finish(b.scale(b.linear(x, 5), 0.7)));
    }
    {   // residual add, reduce_mean / reduce_max over time and frequency, global max pool, concat of 3
        test_builder b(8, 10, 4);
        const std::string x = b.relu(b.bn(b.conv(b.input(), 4, 3, 3, 1, 1, 1, 1)));
        const std::string r = b.relu(b.sum(b.bn(b.conv(x, 4, 3, 3, 1, 1, 1, 1)), x));
        const std::string a = b.reduce(b.reduce(r, 3, false), 2, true);  // mean over time, max over freq
        const std::string m = b.reduce(b.reduce(r, 2, true), 2, false);  // max over freq, mean over time
        out.emplace_back("residual_reduce", b.finish(b.linear(b.concat({a, m, b.global_pool(r, true)}, 1), 4)));
    }
    {   // flatten, an MLP with batch norm on [N, C], concat along a spatial axis
        test_builder b(8, 10, 3);
        const std::string p = b.pool(b.input(), false, 2, 2, 2, 2);                 // [1, 4, 5]
        const std::string c = b.concat({p, b.pool(b.input(), true, 2, 2, 2, 2)}, 3);  // [1, 4, 10]
        std::string x = b.dropout(b.relu(b.bn(b.linear(b.flatten(c), 16))));
        out.emplace_back("flatten_mlp", b.finish(b.linear(x, 3)));
    }
    {   // grouped convolutions: depthwise (groups = channels, with stride), 2 groups, then a 1x1 pointwise
        test_builder b(8, 10, 4);
        std::string x = b.relu(b.bn(b.conv(b.input(), 4, 3, 3, 1, 1, 1, 1)));  // [4, 8, 10]
        x = b.relu(b.bn(b.conv(x, 4, 3, 3, 2, 1, 1, 1, 4)));                   // depthwise: [4, 4, 10]
        x = b.relu(b.conv(x, 6, 3, 3, 1, 1, 1, 1, 2));                          // 2 groups of 2 -> 3
        x = b.relu(b.bn(b.conv(x, 8, 1, 1)));                                   // pointwise: [8, 4, 10]
        out.emplace_back("grouped_conv", b.finish(b.linear(b.global_pool(x, false), 4)));
    }
    {   // MobileNet and TensorFlow pieces: SAME padding with stride 2 (one more row/column at the end), ReLU6,
        // a depthwise conv with asymmetric padding, ELU, and a sigmoid output (multi-label scores)
        test_builder b(8, 10, 5);
        std::string x = b.relu6(b.bn(b.conv_asym(b.input(), 4, 3, 2, 0, 1)));  // [4, 4, 5]
        x = b.relu6(b.conv_asym(x, 4, 3, 2, 0, 1, 4));                          // depthwise: [4, 2, 3]
        x = b.elu(b.bn(b.conv(x, 6, 1, 1)), 0.7);                               // pointwise: [6, 2, 3]
        out.emplace_back("mobilenet_sigmoid", b.finish(b.linear(b.global_pool(x, false), 5), true));
    }
    {   // bidirectional GRU over the frames
        test_builder b(8, 10, 4);
        const std::string h = b.recurrent(b.to_sequence(b.input()), false, 5, true);
        out.emplace_back("bigru", b.finish(b.linear(h, 4)));
    }
    {   // unidirectional LSTM
        test_builder b(8, 10, 3);
        const std::string h = b.recurrent(b.to_sequence(b.input()), true, 6, false);
        out.emplace_back("lstm", b.finish(b.linear(b.dropout(h), 3)));
    }
    {   // bidirectional LSTM
        test_builder b(8, 10, 3);
        const std::string h = b.recurrent(b.to_sequence(b.input()), true, 4, true);
        out.emplace_back("bilstm", b.finish(b.linear(h, 3)));
    }
    {   // CNN branch and GRU branch concatenated (CRNN-style fusion)
        test_builder b(8, 10, 5);
        const std::string cnn = b.global_pool(b.relu(b.bn(b.conv(b.input(), 6, 3, 3, 1, 1, 1, 1))), false);
        const std::string rnn = b.recurrent(b.to_sequence(b.input()), false, 4, false);
        const std::string x = b.relu(b.linear(b.concat({cnn, rnn}, 1), 8));
        out.emplace_back("cnn_rnn_concat", b.finish(b.scale(b.linear(x, 5), 1.3)));
    }
    return out;
}

}  // namespace gs_test
