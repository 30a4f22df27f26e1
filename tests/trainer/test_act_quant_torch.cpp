// test_act_quant_torch.cpp: the quantize op in libtorch: the reference pass's values, and a straight-through gradient.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "../native/ir_test_graphs.h"
#include "model/ir_reference.h"
#include "model/ir_torch.h"
#include "model/model_loader.h"
#include "quantize_activations.h"

namespace {

// input [N,1,4,5] -> quantize -> conv 1x1 (1 -> 3) -> relu -> quantize -> global pool -> linear -> softmax.
gs::ir_graph graph_with_quantizers() {
    gs_test::test_builder b(4, 5, 2);
    auto quantize = [&](const std::string& x, const std::string& name, double scale, int64_t zp) {
        gs::ir_node q;
        q.name = q.output = name;
        q.op = gs::ir_op::quantize;
        q.inputs = {x};
        q.floats["scale"] = scale;
        q.ints["zero_point"] = zp;
        b.g.nodes.push_back(q);
        b.shape[name] = b.shape.at(x);
        return name;
    };
    std::string x = quantize(b.input(), "q_in", 0.0125, 128);
    x = quantize(b.relu(b.conv(x, 3, 1, 1)), "q_act", 0.004, 0);
    return b.finish(b.linear(b.global_pool(x, false), 2));
}

// The quantised input is the same in both walkers (the same float division and rounding); the tensors after the
// convolution may differ by one quantisation step where a value lies on a rounding boundary (their sums run in a
// different order), so they are compared within one step.
TEST(ActQuantTorch, MatchesTheReferencePass) {
    const gs::ir_graph g = graph_with_quantizers();
    const int64_t batch = 4;
    const gs::ir_weights w = gs_test::random_weights(g, 11);
    std::vector<float> x = gs_test::random_input(batch * g.n_bins * g.n_frames, 12);
    x[0] = 10.0f;  // saturates at the top
    x[1] = -10.0f;  // and at the bottom
    std::map<std::string, std::vector<float>> ref;
    ASSERT_EQ(gs::ir_reference_forward(g, w, x, batch, ref), "");
    gs::ir_module m(g);
    ASSERT_EQ(m->set_weights(w), "");
    m->eval();
    torch::NoGradGuard no_grad;
    const std::map<std::string, torch::Tensor> got =
        m->forward_all(torch::from_blob(x.data(), {batch, 1, g.n_bins, g.n_frames}, torch::kFloat32));
    const torch::Tensor q_in = got.at("q_in").contiguous();
    for (size_t i = 0; i < ref.at("q_in").size(); ++i) ASSERT_EQ(q_in.data_ptr<float>()[i], ref.at("q_in")[i]) << i;
    EXPECT_FLOAT_EQ(ref.at("q_in")[0], 127 * 0.0125f);
    EXPECT_FLOAT_EQ(ref.at("q_in")[1], -128 * 0.0125f);
    const torch::Tensor q_act = got.at("q_act").contiguous();
    for (size_t i = 0; i < ref.at("q_act").size(); ++i) {
        EXPECT_LE(std::fabs(q_act.data_ptr<float>()[i] - ref.at("q_act")[i]), 0.004f * 1.001f) << i;
    }
    const torch::Tensor p = got.at(g.output).contiguous();
    for (size_t i = 0; i < ref.at(g.output).size(); ++i) EXPECT_NEAR(p.data_ptr<float>()[i], ref.at(g.output)[i], 1e-3);
}

// Training through a quantize node: the gradient passes unchanged (straight-through), so the layers before it
// still learn; without it round() would give zero gradients.
TEST(ActQuantTorch, GradientIsStraightThrough) {
    const gs::ir_graph g = graph_with_quantizers();
    gs::ir_module m(g);
    ASSERT_EQ(m->set_weights(gs_test::random_weights(g, 3)), "");
    m->train();
    torch::Tensor x = torch::randn({2, 1, g.n_bins, g.n_frames}).mul(0.3).requires_grad_(true);
    const torch::Tensor y = m->forward_to(x, "q_in");
    y.sum().backward();
    ASSERT_TRUE(x.grad().defined());
    EXPECT_TRUE(torch::allclose(x.grad(), torch::ones_like(x)));
    // The values are still the quantised ones.
    const torch::Tensor steps = y.detach() / 0.0125;
    EXPECT_TRUE(torch::allclose(steps, steps.round(), 0.0, 1e-3));
}

// After bias correction each quantised convolution's output channels have the float graph's means on the
// calibration windows (the shift that coarse steps and saturation cause is gone), and it is closer to the float
// graph than before. A grid that saturates at 0.51 on purpose, so that the shift is visible.
TEST(ActQuantTorch, BiasCorrectionRestoresTheChannelMeans) {
    gs_test::test_builder b(6, 8, 3);
    std::string x = b.relu(b.conv(b.input(), 6, 3, 3, 1, 1, 1, 1));
    auto quantize = [&](const std::string& t, double scale) {
        gs::ir_node q;
        q.name = q.output = t + "_quant";
        q.op = gs::ir_op::quantize;
        q.inputs = {t};
        q.floats["scale"] = scale;
        b.g.nodes.push_back(q);
        b.shape[q.output] = b.shape.at(t);
        return q.output;
    };
    const std::string conv = b.conv(quantize(x, 0.002), 5, 1, 1);  // saturates above 0.51
    const gs::ir_graph q = b.finish(b.linear(b.global_pool(b.relu(conv), false), 3));
    gs::ir_graph f = q;  // the float graph: the quantize node's input read directly
    for (gs::ir_node& n : f.nodes) {
        if (n.inputs.size() == 1 && n.inputs[0] == x + "_quant") n.inputs[0] = x;
    }
    const gs::ir_weights w0 = gs_test::random_weights(q, 31);
    gs::calibration_windows win;
    win.n = 40;
    win.data = gs_test::random_input(win.n * q.n_bins * q.n_frames, 32);
    gs::ir_module fm = nullptr, qm = nullptr;
    ASSERT_EQ(gs::make_module(f, w0, fm), "");
    gs::ir_weights w = w0;
    int corrected = 0;
    ASSERT_EQ(gs::correct_biases(fm, q, win, w, corrected), "");
    EXPECT_EQ(corrected, 1);
    auto channel_means = [&](gs::ir_module& m) {
        torch::NoGradGuard no_grad;
        const torch::Tensor in = torch::from_blob(win.data.data(), {win.n, 1, q.n_bins, q.n_frames}, torch::kFloat32);
        return m->forward_to(in, conv).mean({0, 2, 3});
    };
    ASSERT_EQ(gs::make_module(q, w0, qm), "");
    const torch::Tensor want = channel_means(fm), before = channel_means(qm);
    ASSERT_EQ(gs::make_module(q, w, qm), "");
    const torch::Tensor after = channel_means(qm);
    const double d_before = (before - want).abs().max().item<double>(), d_after = (after - want).abs().max().item<double>();
    EXPECT_GT(d_before, 1e-3);
    EXPECT_LT(d_after, 1e-5);
}

}  // namespace
