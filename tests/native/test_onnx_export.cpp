// Tests of the IR walkers without a runtime: shape inference, parameter count, the reference forward pass
// against hand-computed values, ONNX export (checker, attributes) and export -> import weight round trips.
#include "ir_test_graphs.h"
#include "model/ir_reference.h"
#include "model/model_ir.h"
#include "model/onnx_export.h"

#include "model/onnx_proto.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <set>

namespace {

using gs::ir_graph;
using gs::ir_node;
using gs::ir_op;
using gs::ir_weights;
using gs_test::shape_t;
using gs_test::test_builder;
using tensor_map = std::map<std::string, std::vector<float>>;

// Runs the reference pass and returns tensor `name` (fails the test on error).
std::vector<float> run_ref(const ir_graph& g, const ir_weights& w, const std::vector<float>& x, int64_t batch,
                           const std::string& name) {
    tensor_map t;
    const std::string e = gs::ir_reference_forward(g, w, x, batch, t);
    EXPECT_EQ(e, "");
    return t.count(name) ? t[name] : std::vector<float>{};
}

void expect_near_all(const std::vector<float>& got, const std::vector<double>& want, double tol = 1e-6) {
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "index " << i;
}

onnx::ModelProto parse(const std::string& bytes) {
    onnx::ModelProto m;
    EXPECT_TRUE(m.ParseFromString(bytes));
    return m;
}

TEST(ModelIr, OpNames) {
    EXPECT_STREQ(gs::to_string(ir_op::conv2d), "conv2d");
    EXPECT_STREQ(gs::to_string(ir_op::global_max_pool), "global_max_pool");
    EXPECT_STREQ(gs::to_string(ir_op::to_sequence), "to_sequence");
    EXPECT_STREQ(gs::to_string(ir_op::softmax), "softmax");
    std::set<std::string> names;
    for (int op = 0; op <= static_cast<int>(ir_op::softmax); ++op) names.insert(gs::to_string(static_cast<ir_op>(op)));
    EXPECT_EQ(names.size(), static_cast<size_t>(ir_op::softmax) + 1);
    EXPECT_EQ(names.count("unknown"), 0u);
}

TEST(ModelIr, ShapesOfEveryTestGraph) {
    for (const auto& [name, g] : gs_test::test_graphs()) {
        SCOPED_TRACE(name);
        std::map<std::string, shape_t> s1, s3;
        ASSERT_EQ(gs::ir_infer_shapes(g, 1, s1), "");
        ASSERT_EQ(gs::ir_infer_shapes(g, 3, s3), "");
        test_builder ref(g.n_bins, g.n_frames, g.n_classes);
        for (const ir_node& n : g.nodes) {
            if (n.op == ir_op::softmax || n.op == ir_op::sigmoid) continue;
            // The builder's independent batch-1 shapes; batch 3 scales the batch axis (axis 1 for sequences).
            shape_t want = s1.at(n.output);
            const size_t batch_axis = n.op == ir_op::to_sequence ? 1 : 0;
            want[batch_axis] = 3;
            EXPECT_EQ(s3.at(n.output), want) << n.name;
        }
        EXPECT_EQ(s3.at(g.output), (shape_t{3, g.n_classes}));
    }
    // And against the builder's own bookkeeping for one graph.
    test_builder b(8, 10, 2);
    const std::string c = b.conv(b.input(), 3, 3, 2, 2, 1, 1, 0);  // H: (8 + 2 - 3) / 2 + 1 = 4, W: 10 - 2 + 1 = 9
    const std::string p = b.pool(c, true, 2, 3, 2, 2);              // H: (4 - 2) / 2 + 1 = 2, W: (9 - 3) / 2 + 1 = 4
    const std::string r = b.reduce(p, 3, false);                    // [N, 3, 2]
    const std::string s = b.to_sequence(b.input());                 // [10, N, 8]
    const std::string h = b.recurrent(s, true, 5, true);            // [N, 10]
    const ir_graph g = b.finish(b.linear(b.concat({b.flatten(r), h}, 1), 2));
    std::map<std::string, shape_t> sh;
    ASSERT_EQ(gs::ir_infer_shapes(g, 2, sh), "");
    EXPECT_EQ(sh.at(c), (shape_t{2, 3, 4, 9}));
    EXPECT_EQ(sh.at(p), (shape_t{2, 3, 2, 4}));
    EXPECT_EQ(sh.at(r), (shape_t{2, 3, 2}));
    EXPECT_EQ(sh.at(s), (shape_t{10, 2, 8}));
    EXPECT_EQ(sh.at(h), (shape_t{2, 10}));
    EXPECT_EQ(sh.at(g.input), (shape_t{2, 1, 8, 10}));
    for (const auto& [t, shp] : b.shape) {
        shape_t want = shp;
        want[t == s ? 1 : 0] = 2;
        EXPECT_EQ(sh.at(t), want) << t;
    }
}

// A valid base graph that the error cases below break one way each.
ir_graph small_graph() {
    test_builder b(4, 6, 3);
    const std::string x = b.relu(b.conv(b.input(), 2, 3, 3, 1, 1, 1, 1));
    return b.finish(b.linear(b.global_pool(x, false), 3));
}

std::string shapes_error(const ir_graph& g) {
    std::map<std::string, shape_t> s;
    return gs::ir_infer_shapes(g, 2, s);
}

TEST(ModelIr, ShapeErrors) {
    ASSERT_EQ(shapes_error(small_graph()), "");
    std::map<std::string, shape_t> s;
    EXPECT_NE(gs::ir_infer_shapes(small_graph(), 0, s), "");
    const std::vector<std::pair<std::string, std::function<void(ir_graph&)>>> cases = {
        {"unknown input", [](ir_graph& g) { g.nodes[1].inputs = {"nope"}; }},
        {"duplicate node", [](ir_graph& g) { g.nodes[1].name = g.nodes[0].name; }},
        {"duplicate output", [](ir_graph& g) { g.nodes[1].output = g.nodes[0].output; }},
        {"output is input", [](ir_graph& g) { g.nodes[0].output = g.input; }},
        {"arity", [](ir_graph& g) { g.nodes[1].inputs.push_back(g.input); }},
        {"kernel 0", [](ir_graph& g) { g.nodes[0].ints["kernel_h"] = 0; }},
        {"groups 0", [](ir_graph& g) { g.nodes[0].ints["groups"] = 0; }},
        {"negative end padding", [](ir_graph& g) { g.nodes[0].ints["pad_w_end"] = -1; }},
        {"elu alpha", [](ir_graph& g) { g.nodes[1].op = ir_op::elu; g.nodes[1].floats["alpha"] = -1.0; }},
        {"groups not dividing", [](ir_graph& g) { g.nodes[0].ints["groups"] = 2; }},
        {"kernel too big", [](ir_graph& g) { g.nodes[0].ints["kernel_w"] = 9; }},
        {"param shape", [](ir_graph& g) { g.nodes[0].params[0].shape[1] = 2; }},
        {"missing param", [](ir_graph& g) { g.nodes[3].params.pop_back(); }},
        {"extra param", [](ir_graph& g) { g.nodes[1].params.push_back({"weight", {1}}); }},
        {"not softmax last", [](ir_graph& g) { g.nodes.pop_back(); }},
        {"n_classes", [](ir_graph& g) { g.n_classes = 4; }},
        {"logits", [](ir_graph& g) { g.logits = "nope"; }},
        {"no bins", [](ir_graph& g) { g.n_bins = 0; }},
        {"linear on 4-D", [](ir_graph& g) { g.nodes[3].inputs = {g.nodes[1].output}; }},
    };
    for (const auto& [what, edit] : cases) {
        ir_graph g = small_graph();
        edit(g);
        EXPECT_NE(shapes_error(g), "") << what;
    }
    {   // add of different shapes, reduce over the batch axis, to_sequence of 2 channels, concat mismatch
        test_builder b(4, 6, 2);
        const std::string c = b.conv(b.input(), 2, 1, 1);
        b.sum(c, b.input());
        EXPECT_NE(shapes_error(b.finish(c)), "");
    }
    {
        test_builder b(4, 6, 2);
        const std::string r = b.reduce(b.conv(b.input(), 2, 1, 1), 1, true);
        ir_graph g = b.finish(b.linear(b.flatten(r), 2));
        g.nodes[1].ints["axis"] = 0;
        EXPECT_NE(shapes_error(g), "");
    }
    {
        test_builder b(4, 6, 2);
        const std::string seq = b.to_sequence(b.conv(b.input(), 2, 1, 1));
        EXPECT_NE(shapes_error(b.finish(b.linear(b.recurrent(seq, false, 2, false), 2))), "");
    }
    {
        test_builder b(4, 6, 2);
        const std::string c = b.concat({b.input(), b.pool(b.input(), true, 2, 2, 2, 2)}, 1);
        EXPECT_NE(shapes_error(b.finish(b.linear(b.flatten(c), 2))), "");
    }
}

TEST(ModelIr, CountParameters) {
    test_builder b(4, 6, 3);
    const std::string x = b.relu(b.bn(b.conv(b.input(), 2, 3, 3, 1, 1, 1, 1)));
    const std::string h = b.recurrent(b.to_sequence(b.input()), false, 2, true);
    const ir_graph g = b.finish(b.linear(b.concat({b.global_pool(x, false), h}, 1), 3));
    // conv 2*1*3*3 + 2; bn 2 + 2 (running stats excluded); GRU 2 * (6*4 + 6*2 + 6 + 6); linear 3*6 + 3
    EXPECT_EQ(gs::ir_count_parameters(g), 20 + 4 + 96 + 21);
}

TEST(Reference, Conv2d) {
    test_builder b(3, 3, 16);
    const std::string c = b.conv(b.input(), 1, 2, 2, 1, 1, 1, 1);  // [1, 1, 4, 4]
    const ir_graph g = b.finish(b.flatten(c));
    const ir_weights w = {{"conv0.weight", {1, 2, 3, 4}}, {"conv0.bias", {0.5f}}};
    // x(r, c) = 3r + c + 1; out(i, j) = 0.5 + sum_uv k(u, v) x(i + u - 1, j + v - 1), zero outside
    // e.g. out(1, 1) = 0.5 + 1*1 + 2*2 + 3*4 + 4*5, out(0, 0) = 0.5 + 4*1, out(3, 3) = 0.5 + 1*9
    expect_near_all(run_ref(g, w, {1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, c),
                    {4.5, 11.5, 18.5, 9.5, 18.5, 37.5, 47.5, 21.5, 36.5, 67.5, 77.5, 33.5, 14.5, 23.5, 26.5, 9.5});
    // Stride 2, no padding, 2 channels in: out = 0.5 + sum over both channels of the 2x2 window at (0, 0)
    test_builder b2(3, 3, 2);
    const std::string c1 = b2.conv(b2.input(), 2, 1, 1);  // [N, 2, 3, 3]: channel o = (o + 1) x
    const std::string c2 = b2.conv(c1, 1, 2, 2, 2, 2);    // [N, 1, 1, 1]
    const ir_graph g2 = b2.finish(b2.linear(b2.flatten(c2), 2));
    const ir_weights w2 = {{"conv0.weight", {1, 2}}, {"conv0.bias", {0, 0}},
                           {"conv1.weight", {1, 1, 1, 1, 1, 0, 0, -1}}, {"conv1.bias", {0.5f}},
                           {"fc3.weight", {0, 0}}, {"fc3.bias", {0, 0}}};
    // channel 0 window [1 2; 4 5] sums to 12; channel 1 = 2x: 2*1 - 2*5 = -8 -> 0.5 + 12 - 8
    expect_near_all(run_ref(g2, w2, {1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, c2), {4.5});
}

TEST(Reference, PoolsReduceConcatSequence) {
    test_builder b(2, 4, 8);
    const std::string mp = b.pool(b.input(), true, 2, 2, 1, 2);   // [1, 1, 1, 2]
    const std::string ap = b.pool(b.input(), false, 1, 3, 1, 1);  // [1, 1, 2, 2]
    const std::string gm = b.global_pool(b.input(), true);        // [1, 1]
    const std::string ga = b.global_pool(b.input(), false);
    const std::string rm = b.reduce(b.input(), 3, false);         // [1, 1, 2]
    const std::string rx = b.reduce(rm, 2, true);                 // [1, 1]
    const std::string seq = b.to_sequence(b.input());             // [4, 1, 2]
    const std::string cat = b.concat({b.flatten(mp), gm, ga, rx, b.flatten(ap)}, 1);  // [1, 9]
    const std::string sc = b.scale(cat, 2.0);
    const ir_graph g = b.finish(b.linear(sc, 8));
    ir_weights w = gs_test::random_weights(g, 1);
    const std::vector<float> x = {1, -2, 3, 0, 5, 6, -7, 8};  // rows [1 -2 3 0], [5 6 -7 8]
    tensor_map t;
    ASSERT_EQ(gs::ir_reference_forward(g, w, x, 1, t), "");
    expect_near_all(t.at(mp), {6, 8});
    expect_near_all(t.at(ap), {2.0 / 3, 1.0 / 3, 4.0 / 3, 7.0 / 3});
    expect_near_all(t.at(gm), {8});
    expect_near_all(t.at(ga), {14.0 / 8});
    expect_near_all(t.at(rm), {0.5, 3.0});
    expect_near_all(t.at(rx), {3.0});
    expect_near_all(t.at(seq), {1, 5, -2, 6, 3, -7, 0, 8});
    expect_near_all(t.at(cat), {6, 8, 8, 14.0 / 8, 3.0, 2.0 / 3, 1.0 / 3, 4.0 / 3, 7.0 / 3});
    expect_near_all(t.at(sc), {12, 16, 16, 3.5, 6.0, 4.0 / 3, 2.0 / 3, 8.0 / 3, 14.0 / 3}, 1e-5);
}

TEST(Reference, LevelAlign) {
    // s = 10, 20 dB per unit: the level is mean(x * s) = (10 + 20 + 60 + 80) / 4 = 42.5 dB; y = x - 42.5 / s.
    test_builder b(2, 2, 2);
    const std::string l = b.level_align(b.input());
    const ir_graph g = b.finish(b.linear(b.flatten(l), 2));
    ir_weights w = {{"level0.db_per_unit", {10, 20}}, {"fc2.weight", {1, 0, 0, 0, 0, 1, 0, 0}}, {"fc2.bias", {0, 0}}};
    const std::vector<float> x = {1, 2, 3, 4};
    expect_near_all(run_ref(g, w, x, 1, l), {1 - 4.25, 2 - 4.25, 3 - 2.125, 4 - 2.125});
    // A gain of g dB moves bin f by g / s_f normalised units; the output does not move.
    const std::vector<float> louder = {1 - 1.2f, 2 - 1.2f, 3 - 0.6f, 4 - 0.6f};  // -12 dB
    expect_near_all(run_ref(g, w, louder, 1, l), {1 - 4.25, 2 - 4.25, 3 - 2.125, 4 - 2.125}, 1e-5);
    // Its constant is not a trainable parameter.
    EXPECT_EQ(gs::ir_count_parameters(g), 2 * 4 + 2);
}

TEST(Reference, LinearBatchNormReluSoftmax) {
    test_builder b(1, 2, 3);
    const std::string f = b.flatten(b.input());
    const std::string l = b.linear(f, 3);
    const std::string n = b.bn(l, 0.01);
    const std::string r = b.relu(n);
    const ir_graph g = b.finish(b.sum(b.dropout(r), l));
    ir_weights w = {{"fc1.weight", {1, 2, 3, 4, 5, 6}}, {"fc1.bias", {0.1f, 0.2f, 0.3f}},
                    {"bn2.weight", {2, 1, 1}}, {"bn2.bias", {0, 1, 0}},
                    {"bn2.running_mean", {-1, 0, 0}}, {"bn2.running_var", {0.24f, 3.99f, 1}}};
    tensor_map t;
    ASSERT_EQ(gs::ir_reference_forward(g, w, {1, -1, 0.5f, 0.25f}, 2, t), "");
    // linear: [1, -1] -> [-0.9, -0.8, -0.7]; [0.5, 0.25] -> [1.1, 2.7, 4.3]
    expect_near_all(t.at(l), {-0.9, -0.8, -0.7, 1.1, 2.7, 4.3}, 1e-6);
    // bn: (x - m) / sqrt(v + 0.01) * w + b with sqrt(0.25) = 0.5, sqrt(4) = 2, sqrt(1.01)
    const double s3 = 1.0 / std::sqrt(1.01);
    expect_near_all(t.at(n), {0.1 / 0.5 * 2, -0.8 / 2 + 1, -0.7 * s3, 2.1 / 0.5 * 2, 2.7 / 2 + 1, 4.3 * s3}, 1e-6);
    expect_near_all(t.at(r), {0.4, 0.6, 0, 8.4, 2.35, 4.3 * s3}, 1e-6);
    const std::vector<float> sum = t.at(g.logits);
    // softmax rows of (relu + linear)
    for (int row = 0; row < 2; ++row) {
        double z = 0;
        for (int k = 0; k < 3; ++k) z += std::exp(sum[row * 3 + k]);
        for (int k = 0; k < 3; ++k) {
            EXPECT_NEAR(t.at(g.output)[row * 3 + k], std::exp(sum[row * 3 + k]) / z, 1e-7);
        }
    }
    // And one softmax by hand: logits [0, ln 2, ln 3] -> [1/6, 2/6, 3/6].
    test_builder sb(1, 3, 3);
    const ir_graph sg = sb.finish(sb.flatten(sb.input()));
    expect_near_all(run_ref(sg, {}, {0.0f, std::log(2.0f), std::log(3.0f)}, 1, sg.output), {1.0 / 6, 2.0 / 6, 0.5});
}

TEST(Reference, GruTwoStepsBothDirections) {
    test_builder b(1, 2, 2);
    const std::string h = b.recurrent(b.to_sequence(b.input()), false, 1, true);
    const ir_graph g = b.finish(h);
    // PyTorch rows r, z, n; the same weights for both directions.
    ir_weights w;
    for (const std::string d : {"", "_reverse"}) {
        w["gru1.weight_ih" + d] = {0.5f, -0.5f, 1.0f};
        w["gru1.weight_hh" + d] = {0.2f, 0.4f, -0.6f};
        w["gru1.bias_ih" + d] = {0, 0, 0};
        w["gru1.bias_hh" + d] = {0.1f, 0.2f, 0.3f};
    }
    // Hand-computed (Python, double) with r = s(W_ir x + W_hr h + b_hr), z = s(...),
    // n = tanh(W_in x + r (W_hn h + b_hn)), h' = (1 - z) n + z h:
    // forward x = 1 then -1 -> 0.11796186465050898; reverse x = -1 then 1 -> 0.41703824951517204.
    expect_near_all(run_ref(g, w, {1, -1}, 1, h), {0.11796186465050898, 0.41703824951517204});
    // One step (x = 1, h0 = 0): r = s(0.6), z = s(-0.3), n = tanh(1 + 0.3 r), h = (1 - z) n.
    test_builder b1(1, 1, 1);
    const std::string h1 = b1.recurrent(b1.to_sequence(b1.input()), false, 1, false);
    const ir_graph g1 = b1.finish(h1);
    ir_weights w1 = {{"gru1.weight_ih", {0.5f, -0.5f, 1.0f}}, {"gru1.weight_hh", {0.2f, 0.4f, -0.6f}},
                     {"gru1.bias_ih", {0, 0, 0}}, {"gru1.bias_hh", {0.1f, 0.2f, 0.3f}}};
    expect_near_all(run_ref(g1, w1, {1}, 1, h1), {0.477776423230909});
}

TEST(Reference, LstmOneStep) {
    test_builder b(1, 1, 1);
    const std::string h = b.recurrent(b.to_sequence(b.input()), true, 1, false);
    const ir_graph g = b.finish(h);
    // rows i, f, g, o: i = s(0.6), f = s(-0.3), g = tanh(1.3), o = s(1.2); c = i g; h = o tanh(c)
    ir_weights w = {{"lstm1.weight_ih", {0.5f, -0.5f, 1.0f, 0.8f}}, {"lstm1.weight_hh", {1, 1, 1, 1}},
                    {"lstm1.bias_ih", {0, 0, 0, 0}}, {"lstm1.bias_hh", {0.1f, 0.2f, 0.3f, 0.4f}}};
    expect_near_all(run_ref(g, w, {1}, 1, h), {0.38832355739781516});
}

TEST(Reference, Errors) {
    const ir_graph g = small_graph();
    ir_weights w = gs_test::random_weights(g, 1);
    tensor_map t;
    EXPECT_EQ(gs::ir_reference_forward(g, w, std::vector<float>(2 * 24), 2, t), "");
    EXPECT_NE(gs::ir_reference_forward(g, w, std::vector<float>(2 * 24 - 1), 2, t), "");
    ir_weights missing = w;
    missing.erase("conv0.bias");
    EXPECT_NE(gs::ir_reference_forward(g, missing, std::vector<float>(24), 1, t), "");
    ir_weights short_w = w;
    short_w["fc3.weight"].pop_back();
    EXPECT_NE(gs::ir_check_weights(g, short_w), "");
}

// The attributes every exported op must carry, exactly (ONNX Runtime Web's WebGPU kernels need them explicit).
const std::map<std::string, std::set<std::string>>& required_attributes() {
    static const std::map<std::string, std::set<std::string>> table = {
        {"Conv", {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"}},
        {"MaxPool", {"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"}},
        {"AveragePool", {"auto_pad", "ceil_mode", "count_include_pad", "kernel_shape", "pads", "strides"}},
        {"BatchNormalization", {"epsilon", "momentum", "training_mode"}},
        {"Relu", {}}, {"Clip", {}}, {"Elu", {"alpha"}}, {"Sigmoid", {}}, {"Add", {}}, {"Mul", {}}, {"Sub", {}}, {"Div", {}}, {"Squeeze", {}},
        {"GlobalAveragePool", {}}, {"GlobalMaxPool", {}},
        {"Softmax", {"axis"}}, {"Concat", {"axis"}}, {"Flatten", {"axis"}}, {"Transpose", {"perm"}},
        {"Gemm", {"alpha", "beta", "transA", "transB"}}, {"Reshape", {"allowzero"}},
        {"ReduceMean", {"axes", "keepdims"}}, {"ReduceMax", {"axes", "keepdims"}},
        {"GRU", {"direction", "hidden_size", "layout", "linear_before_reset"}},
        {"LSTM", {"direction", "hidden_size", "input_forget", "layout"}},
    };
    return table;
}

TEST(OnnxExport, CheckerAndAttributes) {
    std::set<std::string> seen_ops;
    for (const auto& [name, g] : gs_test::test_graphs()) {
        SCOPED_TRACE(name);
        const ir_weights w = gs_test::random_weights(g, 7);
        std::string bytes;
        ASSERT_EQ(gs::export_onnx(g, w, {}, bytes), "");
        EXPECT_EQ(gs::onnx_check(bytes), "");
        const onnx::ModelProto m = parse(bytes);
        EXPECT_EQ(m.ir_version(), 8);
        ASSERT_EQ(m.opset_import_size(), 1);
        EXPECT_EQ(m.opset_import(0).version(), 17);
        EXPECT_EQ(m.producer_name(), "genrescope");
        const onnx::GraphProto& graph = m.graph();
        ASSERT_EQ(graph.input_size(), 1);
        ASSERT_EQ(graph.output_size(), 1);
        EXPECT_EQ(graph.input(0).name(), g.input);
        EXPECT_EQ(graph.output(0).name(), g.output);
        const auto& in_shape = graph.input(0).type().tensor_type().shape();
        ASSERT_EQ(in_shape.dim_size(), 4);
        EXPECT_EQ(in_shape.dim(0).dim_param(), "batch");
        EXPECT_EQ(in_shape.dim(2).dim_value(), g.n_bins);
        EXPECT_EQ(in_shape.dim(3).dim_value(), g.n_frames);
        const auto& out_shape = graph.output(0).type().tensor_type().shape();
        ASSERT_EQ(out_shape.dim_size(), 2);
        EXPECT_EQ(out_shape.dim(0).dim_param(), "batch");
        EXPECT_EQ(out_shape.dim(1).dim_value(), g.n_classes);
        for (const onnx::NodeProto& n : graph.node()) {
            seen_ops.insert(n.op_type());
            auto it = required_attributes().find(n.op_type());
            ASSERT_NE(it, required_attributes().end()) << "unexpected op " << n.op_type();
            std::set<std::string> have;
            for (const onnx::AttributeProto& a : n.attribute()) have.insert(a.name());
            EXPECT_EQ(have, it->second) << n.name() << " (" << n.op_type() << ")";
        }
        // Every IR param is an initializer under its full name, except recurrent weights (onnx_W/R/B).
        std::set<std::string> inits;
        for (const onnx::TensorProto& t : graph.initializer()) inits.insert(t.name());
        for (const ir_node& n : g.nodes) {
            const bool rnn = n.op == ir_op::gru || n.op == ir_op::lstm;
            for (const gs::ir_param& p : n.params) EXPECT_EQ(inits.count(n.name + "." + p.name), rnn ? 0u : 1u);
            if (rnn) {
                EXPECT_EQ(inits.count(n.name + ".onnx_W") + inits.count(n.name + ".onnx_R") +
                              inits.count(n.name + ".onnx_B"),
                          3u);
            }
        }
    }
    EXPECT_EQ(seen_ops.size(), required_attributes().size());  // every op of the table was exercised
}

TEST(OnnxExport, OptionsAndMetadata) {
    const ir_graph g = small_graph();
    const ir_weights w = gs_test::random_weights(g, 3);
    gs::onnx_export_options opt;
    opt.doc_string = "a test model";
    opt.producer_version = "abc123";
    opt.metadata_props = {{"model_card", "{\"arch\": \"test\"}"}, {"classes", "a,b,c"}};
    std::string bytes;
    ASSERT_EQ(gs::export_onnx(g, w, opt, bytes), "");
    std::map<std::string, std::string> props;
    std::string doc;
    ASSERT_EQ(gs::onnx_read_metadata(bytes, props, doc), "");
    EXPECT_EQ(props, opt.metadata_props);
    EXPECT_EQ(doc, "a test model");
    EXPECT_EQ(parse(bytes).producer_version(), "abc123");
    for (int64_t opset : {14, 15, 16}) {
        opt.opset = opset;
        ASSERT_EQ(gs::export_onnx(g, w, opt, bytes), "") << opset;
        EXPECT_EQ(parse(bytes).ir_version(), opset >= 15 ? 8 : 7);
    }
    for (int64_t opset : {13, 18}) {
        opt.opset = opset;
        EXPECT_NE(gs::export_onnx(g, w, opt, bytes), "") << opset;
        EXPECT_TRUE(bytes.empty());
    }
}

TEST(OnnxExport, Errors) {
    const ir_graph g = small_graph();
    ir_weights w = gs_test::random_weights(g, 3);
    std::string bytes;
    ir_weights bad = w;
    bad.erase("fc3.bias");
    EXPECT_NE(gs::export_onnx(g, bad, {}, bytes), "");
    bad = w;
    bad["conv0.weight"].push_back(1.0f);
    EXPECT_NE(gs::export_onnx(g, bad, {}, bytes), "");
    ir_graph bg = g;
    bg.nodes[0].inputs = {"missing"};
    EXPECT_NE(gs::export_onnx(bg, w, {}, bytes), "");
    bg = g;
    bg.nodes[1].output = "fc3.weight";  // collides with an initializer name
    bg.nodes[2].inputs = {"fc3.weight"};
    EXPECT_NE(gs::export_onnx(bg, w, {}, bytes), "");
    EXPECT_NE(gs::onnx_check("not a model"), "");
    ASSERT_EQ(gs::export_onnx(g, w, {}, bytes), "");
    onnx::ModelProto m = parse(bytes);
    m.mutable_graph()->mutable_node(0)->set_op_type("NoSuchOp");
    EXPECT_NE(gs::onnx_check(m.SerializeAsString()), "");
    m = parse(bytes);
    onnx::TensorShapeProto* out_shape = m.mutable_graph()->mutable_output(0)->mutable_type()->mutable_tensor_type()
                                            ->mutable_shape();
    out_shape->mutable_dim(1)->set_dim_value(7);
    EXPECT_NE(gs::onnx_check(m.SerializeAsString()), "");  // strict shape inference sees [batch, 3]
}

TEST(OnnxImport, RoundTripEveryGraph) {
    for (const auto& [name, g] : gs_test::test_graphs()) {
        SCOPED_TRACE(name);
        const ir_weights w = gs_test::random_weights(g, 11);
        std::string bytes;
        ASSERT_EQ(gs::export_onnx(g, w, {}, bytes), "");
        ir_weights back;
        ASSERT_EQ(gs::import_onnx_weights(bytes, g, back), "");
        EXPECT_EQ(back, w);  // bit-identical, recurrent gates reordered and restored
    }
}

TEST(OnnxImport, GateOrderInOnnxLayout) {
    for (bool lstm : {false, true}) {
        test_builder b(2, 3, 2);
        const std::string h = b.recurrent(b.to_sequence(b.input()), lstm, 1, true);
        const ir_graph g = b.finish(b.linear(h, 2));
        ir_weights w = gs_test::random_weights(g, 5);
        const std::string rnn = lstm ? "lstm1" : "gru1";
        // Gate p of direction d gets weight_ih rows [10 d + p, 100 + 10 d + p]; biases likewise.
        const int G = lstm ? 4 : 3;
        for (int d = 0; d < 2; ++d) {
            const std::string sfx = d ? "_reverse" : "";
            for (int p = 0; p < G; ++p) {
                w[rnn + ".weight_ih" + sfx][2 * p] = static_cast<float>(10 * d + p);
                w[rnn + ".weight_ih" + sfx][2 * p + 1] = static_cast<float>(100 + 10 * d + p);
                w[rnn + ".bias_ih" + sfx][p] = static_cast<float>(1000 + 10 * d + p);
                w[rnn + ".bias_hh" + sfx][p] = static_cast<float>(2000 + 10 * d + p);
            }
        }
        std::string bytes;
        ASSERT_EQ(gs::export_onnx(g, w, {}, bytes), "");
        const onnx::ModelProto m = parse(bytes);
        std::vector<float> W, B;
        for (const onnx::TensorProto& t : m.graph().initializer()) {
            if (t.name() != rnn + ".onnx_W" && t.name() != rnn + ".onnx_B") continue;
            ASSERT_EQ(t.data_type(), onnx::TensorProto::FLOAT);
            std::vector<float> v(t.raw_data().size() / sizeof(float));
            ASSERT_FALSE(v.empty());
            std::memcpy(v.data(), t.raw_data().data(), t.raw_data().size());
            (t.name() == rnn + ".onnx_W" ? W : B) = v;
        }
        // ONNX order: GRU z, r, h = PyTorch gates 1, 0, 2; LSTM i, o, f, c = PyTorch gates 0, 3, 1, 2.
        const std::vector<int> torch_gate = lstm ? std::vector<int>{0, 3, 1, 2} : std::vector<int>{1, 0, 2};
        ASSERT_EQ(W.size(), static_cast<size_t>(2 * G * 2));
        ASSERT_EQ(B.size(), static_cast<size_t>(2 * 2 * G));
        for (int d = 0; d < 2; ++d)
            for (int q = 0; q < G; ++q) {
                const int p = torch_gate[q];
                EXPECT_EQ(W[(d * G + q) * 2], 10 * d + p);
                EXPECT_EQ(W[(d * G + q) * 2 + 1], 100 + 10 * d + p);
                EXPECT_EQ(B[d * 2 * G + q], 1000 + 10 * d + p);
                EXPECT_EQ(B[d * 2 * G + G + q], 2000 + 10 * d + p);
            }
        ir_weights back;
        ASSERT_EQ(gs::import_onnx_weights(bytes, g, back), "");
        EXPECT_EQ(back, w);
    }
}

TEST(OnnxImport, PytorchLayoutInitializersAndErrors) {
    test_builder b(4, 6, 3);
    const std::string h = b.recurrent(b.to_sequence(b.input()), false, 3, false);
    const ir_graph g = b.finish(b.linear(h, 3));
    const ir_weights w = gs_test::random_weights(g, 9);
    std::string bytes;
    ASSERT_EQ(gs::export_onnx(g, w, {}, bytes), "");
    // A model that also stores the PyTorch-layout params: those are taken as they are.
    onnx::ModelProto m = parse(bytes);
    ir_weights torch_w = gs_test::random_weights(g, 10);
    for (const gs::ir_param& p : g.nodes[1].params) {
        onnx::TensorProto* t = m.mutable_graph()->add_initializer();
        t->set_name("gru1." + p.name);
        t->set_data_type(onnx::TensorProto::FLOAT);
        for (int64_t d : p.shape) t->add_dims(d);
        for (float v : torch_w.at("gru1." + p.name)) t->add_float_data(v);
    }
    ir_weights back;
    ASSERT_EQ(gs::import_onnx_weights(m.SerializeAsString(), g, back), "");
    EXPECT_EQ(back.at("gru1.weight_ih"), torch_w.at("gru1.weight_ih"));
    EXPECT_EQ(back.at("fc2.weight"), w.at("fc2.weight"));

    EXPECT_NE(gs::import_onnx_weights("garbage", g, back), "");
    EXPECT_TRUE(back.empty());
    ir_graph other = g;  // a different hidden size: onnx_W has the wrong shape
    other.nodes[1].ints["hidden_size"] = 4;
    for (gs::ir_param& p : other.nodes[1].params) {
        p.shape = p.name.find("weight") == 0 ? shape_t{12, 4} : shape_t{12};  // I = H = 4
    }
    other.nodes[2].params[0].shape = {3, 4};
    std::map<std::string, shape_t> s;
    ASSERT_EQ(gs::ir_infer_shapes(other, 1, s), "");
    EXPECT_NE(gs::import_onnx_weights(bytes, other, back), "");
    EXPECT_TRUE(back.empty());
    other = g;  // a renamed node: its initializers are missing
    other.nodes[2].name = "fc9";
    EXPECT_NE(gs::import_onnx_weights(bytes, other, back), "");
    other = g;  // different features: the input shape does not match
    other.n_bins = 5;
    for (gs::ir_param& p : other.nodes[1].params) if (p.name == "weight_ih") p.shape = {9, 5};
    ASSERT_EQ(gs::ir_infer_shapes(other, 1, s), "");
    EXPECT_NE(gs::import_onnx_weights(bytes, other, back), "");
}

}  // namespace

// Extra outputs (an embedding, a backbone's scores): exported after the probabilities, [batch, D], read back
// on import; a missing, 4-D or dropout-forwarded one is refused.
TEST(OnnxExport, ExtraOutputs) {
    ir_graph g = small_graph();  // conv -> relu -> global average -> linear -> softmax
    const std::string pooled = g.nodes[2].output;
    g.extra_outputs = {pooled};
    const ir_weights w = gs_test::random_weights(g, 5);
    std::string bytes;
    ASSERT_EQ(gs::export_onnx(g, w, {}, bytes), "");
    const onnx::ModelProto m = parse(bytes);
    ASSERT_EQ(m.graph().output_size(), 2);
    EXPECT_EQ(m.graph().output(0).name(), g.output);
    EXPECT_EQ(m.graph().output(1).name(), pooled);
    EXPECT_EQ(m.graph().output(1).type().tensor_type().shape().dim(1).dim_value(), 2);
    ir_weights back;
    EXPECT_EQ(gs::import_onnx_weights(bytes, g, back), "");
    ir_graph one = g;
    one.extra_outputs.clear();
    EXPECT_NE(gs::import_onnx_weights(bytes, one, back), "");  // the file has an output the graph does not
    std::map<std::string, shape_t> s;
    ir_graph bad = g;
    bad.extra_outputs = {"nowhere"};
    EXPECT_NE(gs::ir_infer_shapes(bad, 1, s), "");
    bad.extra_outputs = {g.nodes[0].output};  // [N, C, H, W]
    EXPECT_NE(gs::ir_infer_shapes(bad, 1, s), "");
}
