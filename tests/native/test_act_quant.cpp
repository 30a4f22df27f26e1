// Tests of 8-bit activations: the quantize op (reference pass, shapes, JSON, ONNX export), the grid of a range,
// which tensors are chosen, and inserting the nodes.
#include "ir_test_graphs.h"
#include "model/act_quant.h"
#include "model/ir_json.h"
#include "model/ir_reference.h"
#include "model/onnx_export.h"
#include "model/onnx_proto.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace {

using gs::act_range;
using gs::ir_graph;
using gs::ir_node;
using gs::ir_op;

// input [N,1,2,3] -> quantize(scale, zp) -> flatten -> linear(6 -> 2) -> softmax; the quantized values are read
// from the reference pass's tensors.
ir_graph quantize_graph(double scale, int64_t zero_point) {
    gs_test::test_builder b(2, 3, 2);
    ir_node q;
    q.name = q.output = "q";
    q.op = ir_op::quantize;
    q.inputs = {b.input()};
    q.floats["scale"] = scale;
    q.ints["zero_point"] = zero_point;
    b.g.nodes.push_back(q);
    b.shape["q"] = b.shape.at(b.input());
    return b.finish(b.linear(b.flatten("q"), 2));
}

TEST(ActQuant, QuantizeRoundsHalfToEvenAndSaturatesLikeOnnx) {
    // scale 0.5, zero point 10: q = clamp(round_half_even(x / 0.5) + 10, 0, 255), y = (q - 10) * 0.5
    const ir_graph g = quantize_graph(0.5, 10);
    const gs::ir_weights w = gs_test::random_weights(g, 3);
    const std::vector<float> x = {0.25f, 0.75f, -1.25f, 1000.0f, -1000.0f, 3.1f};
    std::map<std::string, std::vector<float>> t;
    ASSERT_EQ(gs::ir_reference_forward(g, w, x, 1, t), "");
    // 0.5 -> 0 (half to even), 1.5 -> 2, -2.5 -> -2, saturates at 255 - 10 = 245 and 0 - 10 = -10, 6.2 -> 6
    const std::vector<float> want = {0.0f, 1.0f, -1.0f, 122.5f, -5.0f, 3.0f};
    ASSERT_EQ(t.at("q").size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) EXPECT_FLOAT_EQ(t.at("q")[i], want[i]) << "x = " << x[i];
}

TEST(ActQuant, RefusesBadAttributes) {
    std::map<std::string, std::vector<int64_t>> shapes;
    for (double s : {0.0, -1.0, double(NAN), double(INFINITY), 1e300}) {
        EXPECT_NE(gs::ir_infer_shapes(quantize_graph(s, 0), 1, shapes), "") << "scale " << s;
    }
    for (int64_t zp : {-1, 256}) EXPECT_NE(gs::ir_infer_shapes(quantize_graph(0.1, zp), 1, shapes), "") << zp;
    EXPECT_EQ(gs::ir_infer_shapes(quantize_graph(0.1, 255), 1, shapes), "");
}

TEST(ActQuant, GridCoversTheRangeWithAnExactZero) {
    float scale = 0.0f;
    int64_t zp = -1;
    gs::act_grid(act_range{0.0, 51.0}, scale, zp);  // a ReLU's output
    EXPECT_FLOAT_EQ(scale, 0.2f);
    EXPECT_EQ(zp, 0);
    gs::act_grid(act_range{-1.0, 3.0}, scale, zp);
    EXPECT_FLOAT_EQ(scale, 4.0f / 255.0f);
    EXPECT_EQ(zp, 64);  // round(1 / (4 / 255)) = round(63.75)
    gs::act_grid(act_range{-2.0, -1.0}, scale, zp);  // all negative: the grid still holds 0 (at the top)
    EXPECT_FLOAT_EQ(scale, 2.0f / 255.0f);
    EXPECT_EQ(zp, 255);
    gs::act_grid(act_range{0.0, 0.0}, scale, zp);  // never non-zero: any positive scale
    EXPECT_GT(scale, 0.0f);
    EXPECT_EQ(zp, 0);
}

// conv(1 -> 8) relu, depthwise conv relu, conv(8 -> 16) relu, conv(16 -> 16) relu, global pool, linear.
ir_graph mobile_graph() {
    gs_test::test_builder b(8, 10, 3);
    std::string x = b.relu(b.conv(b.input(), 8, 3, 3, 1, 1, 1, 1));
    x = b.relu(b.conv(x, 8, 3, 3, 1, 1, 1, 1, 8));  // depthwise
    x = b.relu(b.conv(x, 16, 1, 1));
    x = b.relu(b.conv(x, 16, 1, 1));
    return b.finish(b.linear(b.global_pool(x, false), 3));
}

TEST(ActQuant, ChoosesTensorsFromTheFirstWideUngroupedConvolution) {
    const ir_graph g = mobile_graph();
    std::string from;
    std::vector<std::string> t;
    // 8 input channels: the depthwise conv (8, grouped) does not count, the first 1x1 conv does.
    ASSERT_EQ(gs::choose_activation_tensors(g, 8, from, t), "");
    EXPECT_EQ(from, "relu3_out");
    EXPECT_EQ(t, (std::vector<std::string>{"relu3_out", "relu5_out", "relu7_out"}));
    ASSERT_EQ(gs::choose_activation_tensors(g, 1, from, t), "");  // the graph input feeds the first conv
    EXPECT_EQ(from, g.input);
    EXPECT_EQ(t.size(), 5u);
    EXPECT_NE(gs::choose_activation_tensors(g, 17, from, t), "");  // none has 17
    EXPECT_NE(gs::choose_activation_tensors(g, 0, from, t), "");
    // Convolutions followed by ELU (Choi's compact convnet): no integer kernel possible, so none is chosen.
    gs_test::test_builder b(8, 10, 3);
    std::string y = b.elu(b.conv(b.input(), 8, 3, 3, 1, 1, 1, 1), 1.0);
    y = b.elu(b.conv(y, 8, 3, 3, 1, 1, 1, 1), 1.0);
    const std::string e = gs::choose_activation_tensors(b.finish(b.linear(b.global_pool(y, false), 3)), 8, from, t);
    EXPECT_NE(e.find("followed by a relu"), std::string::npos) << e;
    EXPECT_TRUE(t.empty());
}

TEST(ActQuant, InsertedNodesFeedEveryLaterConsumerAndSurviveJsonAndOnnx) {
    ir_graph g = mobile_graph();
    std::string from;
    std::vector<std::string> t;
    ASSERT_EQ(gs::choose_activation_tensors(g, 8, from, t), "");
    std::map<std::string, act_range> ranges;
    for (const std::string& name : t) ranges[name] = act_range{0.0, 2.0};
    const size_t before = g.nodes.size();
    ASSERT_EQ(gs::insert_activation_quantizers(g, ranges), "");
    EXPECT_EQ(g.nodes.size(), before + t.size());
    for (const ir_node& n : g.nodes) {
        for (const std::string& name : t) {
            if (n.op == ir_op::quantize) continue;
            EXPECT_TRUE(std::find(n.inputs.begin(), n.inputs.end(), name) == n.inputs.end())
                << n.name << " still reads " << name;
        }
    }
    // Twice is refused, and so is an unknown tensor.
    ir_graph again = g;
    EXPECT_NE(gs::insert_activation_quantizers(again, ranges), "");
    ir_graph other = mobile_graph();
    EXPECT_NE(gs::insert_activation_quantizers(other, {{"nope", act_range{}}}), "");

    ir_graph back;
    ASSERT_EQ(gs::ir_graph_from_json(gs::ir_graph_to_json(g), back), "");
    ASSERT_EQ(back.nodes.size(), g.nodes.size());
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        EXPECT_EQ(back.nodes[i].op, g.nodes[i].op);
        EXPECT_EQ(back.nodes[i].floats, g.nodes[i].floats);
        EXPECT_EQ(back.nodes[i].ints, g.nodes[i].ints);
    }
    std::string bytes;
    ASSERT_EQ(gs::export_onnx(g, gs_test::random_weights(g, 5), {}, bytes), "");
    onnx::ModelProto m;
    ASSERT_TRUE(m.ParseFromString(bytes));
    int q = 0, dq = 0;
    for (const onnx::NodeProto& n : m.graph().node()) {
        q += n.op_type() == "QuantizeLinear";
        dq += n.op_type() == "DequantizeLinear";
    }
    EXPECT_EQ(q, static_cast<int>(t.size()));
    EXPECT_EQ(dq, static_cast<int>(t.size()));
    // The weights read back from the file without the quantize nodes' initializers getting in the way.
    gs::ir_weights w;
    EXPECT_EQ(gs::import_onnx_weights(bytes, g, w), "");
}

TEST(ActQuant, EqualisationKeepsTheFunctionAndEvensTheChannels) {
    const ir_graph g = mobile_graph();
    const std::vector<gs::equalize_pair> pairs = gs::equalizable_pairs(g);
    ASSERT_EQ(pairs.size(), 1u);  // conv -> relu -> depthwise; the 1x1 convs feed no depthwise conv
    EXPECT_EQ(pairs[0].a, "conv0");
    EXPECT_EQ(pairs[0].relu, "relu1");
    EXPECT_EQ(pairs[0].b, "conv2");
    gs::ir_weights w = gs_test::random_weights(g, 21);
    // Make the channels' ranges differ a lot: channel c's weights and bias scaled by 3^c.
    const size_t per = w.at("conv0.weight").size() / 8;
    for (size_t c = 0; c < 8; ++c) {
        for (size_t k = 0; k < per; ++k) w.at("conv0.weight")[c * per + k] *= std::pow(3.0f, float(c));
        w.at("conv0.bias")[c] *= std::pow(3.0f, float(c));
    }
    const int64_t batch = 3;
    const std::vector<float> x = gs_test::random_input(batch * g.n_bins * g.n_frames, 22);
    std::map<std::string, std::vector<float>> before, after;
    ASSERT_EQ(gs::ir_reference_forward(g, w, x, batch, before), "");
    // Per-channel maxima of relu1_out [3, 8, 8, 10].
    auto maxima = [&](const std::vector<float>& t) {
        std::vector<double> m(8, 0.0);
        for (size_t i = 0; i < t.size(); ++i) m[(i / 80) % 8] = std::max(m[(i / 80) % 8], double(t[i]));
        return m;
    };
    const std::vector<double> m0 = maxima(before.at("relu1_out"));
    ASSERT_GT(*std::max_element(m0.begin(), m0.end()), 50.0 * *std::min_element(m0.begin(), m0.end()));
    ASSERT_EQ(gs::equalize_pair_weights(g, pairs[0], m0, w), "");
    ASSERT_EQ(gs::ir_reference_forward(g, w, x, batch, after), "");
    const std::vector<double> m1 = maxima(after.at("relu1_out"));
    const double top = *std::max_element(m0.begin(), m0.end());
    for (double v : m1) EXPECT_NEAR(v, top, 1e-4 * top);
    for (const std::string& t : {std::string("relu3_out"), g.output}) {
        double d = 0.0, scale = 0.0;
        for (size_t i = 0; i < before.at(t).size(); ++i) {
            d = std::max(d, double(std::fabs(before.at(t)[i] - after.at(t)[i])));
            scale = std::max(scale, double(std::fabs(before.at(t)[i])));
        }
        EXPECT_LE(d, 1e-5 * std::max(1.0, scale)) << t;
    }
    // A relu6 between the two does not commute with scaling: no pair.
    gs_test::test_builder b(8, 10, 3);
    std::string y = b.relu6(b.conv(b.input(), 4, 3, 3, 1, 1, 1, 1));
    y = b.relu(b.conv(y, 4, 3, 3, 1, 1, 1, 1, 4));
    EXPECT_TRUE(gs::equalizable_pairs(b.finish(b.linear(b.global_pool(y, false), 3))).empty());
}

}  // namespace
