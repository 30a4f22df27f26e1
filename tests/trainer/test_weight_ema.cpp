// test_weight_ema.cpp: the running weight average (--ema): its formula, swap, checkpoint round trip, off switch.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <cmath>
#include <string>

#include "model/archs.h"
#include "model/ir_torch.h"
#include "train/weight_ema.h"

namespace {

using namespace gs;

// A small real architecture: conv + batch norm (so buffers are averaged too) + linear.
ir_module small_model() {
    ir_graph g;
    EXPECT_EQ(build_arch("vgg_small", 16, 16, 3, g, false), "");
    torch::manual_seed(3);
    return ir_module(g);
}

// Sets every floating weight (parameters and buffers) of the model to `v`.
void fill(ir_module& m, float v) {
    torch::NoGradGuard no_grad;
    for (auto& p : m->named_parameters()) p.value().fill_(v);
    for (auto& b : m->named_buffers()) b.value().fill_(v);
}

float first_param(ir_module& m) { return m->named_parameters()[0].value().flatten()[0].item<float>(); }
float first_buffer(ir_module& m) { return m->named_buffers()[0].value().flatten()[0].item<float>(); }

TEST(WeightEma, FollowsTheFormulaForParametersAndBuffers) {
    ir_module m = small_model();
    fill(m, 0.0f);
    weight_ema ema(m, 0.9);
    ASSERT_TRUE(ema.enabled());
    // 40 steps with the weights at 1: avg_t = d_t avg_{t-1} + (1 - d_t), d_t = min(0.9, (1 + t) / (10 + t)).
    double want = 0.0;
    fill(m, 1.0f);
    for (int64_t t = 1; t <= 40; ++t) {
        ema.update(t);
        const double d = std::min(0.9, (1.0 + t) / (10.0 + t));
        want = d * want + (1.0 - d);
    }
    ema.swap();  // the model now holds the average
    EXPECT_NEAR(first_param(m), want, 1e-5);
    EXPECT_NEAR(first_buffer(m), want, 1e-5);
    EXPECT_LT(first_param(m), 1.0f);  // it lags the weights
    ema.swap();  // and back
    EXPECT_FLOAT_EQ(first_param(m), 1.0f);
    EXPECT_FLOAT_EQ(first_buffer(m), 1.0f);
}

TEST(WeightEma, CheckpointRoundTrip) {
    ir_module m = small_model();
    weight_ema ema(m, 0.99);
    fill(m, 2.0f);
    for (int64_t t = 1; t <= 5; ++t) ema.update(t);
    torch::serialize::OutputArchive out;
    ema.save(out);
    const std::string path = ::testing::TempDir() + "/ema_round_trip.pt";
    out.save_to(path);

    ir_module m2 = small_model();
    weight_ema ema2(m2, 0.99);
    torch::serialize::InputArchive in;
    in.load_from(path);
    ASSERT_EQ(ema2.load(in), "");
    ema.swap();
    ema2.swap();
    const auto a = m->named_parameters(), b = m2->named_parameters();
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i].value(), b[i].value())) << a[i].key();

    // An archive of another model's average is refused, not read past.
    ir_graph g;
    ASSERT_EQ(build_arch("linear", 16, 16, 3, g, false), "");
    ir_module other(g);
    weight_ema other_ema(other, 0.99);
    torch::serialize::OutputArchive small;
    other_ema.save(small);
    const std::string small_path = ::testing::TempDir() + "/ema_other.pt";
    small.save_to(small_path);
    torch::serialize::InputArchive in_small;
    in_small.load_from(small_path);
    EXPECT_NE(ema2.load(in_small), "");
}

TEST(WeightEma, LeavesLevelAlignConstantAlone) {
    ir_graph g;
    ASSERT_EQ(build_arch("genrescope_cnn", 16, 16, 3, g, true), "");
    ir_module m(g);
    std::string constant;
    for (const ir_node& n : g.nodes) {
        if (n.op == ir_op::level_align) constant = n.name + ".db_per_unit";
    }
    ASSERT_FALSE(constant.empty());
    fill(m, 0.0f);
    weight_ema ema(m, 0.995);
    // Every tensor moves to 1 and the constant to 7.3 (in training only set_level_align sets it, before the
    // average starts; moving it here shows whether the average holds a copy of it).
    fill(m, 1.0f);
    {
        torch::NoGradGuard no_grad;
        m->tensor(constant).fill_(7.3f);
    }
    for (int64_t t = 1; t <= 5; ++t) ema.update(t);  // few enough that the average still lags (by ~0.2%)
    ema.swap();
    // The swap leaves the constant as the model has it: it is not part of the average.
    EXPECT_TRUE(torch::equal(m->tensor(constant), torch::full_like(m->tensor(constant), 7.3f)));
    EXPECT_LT(first_param(m), 1.0f);  // the trained params do hold the average
}

TEST(WeightEma, OffChangesNothing) {
    ir_module m = small_model();
    fill(m, 0.5f);
    weight_ema ema(m, 0.0);
    EXPECT_FALSE(ema.enabled());
    fill(m, 1.5f);
    ema.update(1);
    ema.swap();
    EXPECT_FLOAT_EQ(first_param(m), 1.5f);
}

}  // namespace
