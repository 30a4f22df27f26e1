// test_ir_torch.cpp: the libtorch walker (ir_torch) against the reference forward pass on every test graph.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "../native/ir_test_graphs.h"
#include "model/ir_reference.h"
#include "model/ir_torch.h"

namespace {

// Every tensor of every test graph (in eval mode: batch norm with running statistics, dropout off) within
// 1e-4 of the double-precision reference, for a batch of 3.
TEST(IrTorch, MatchesReferenceOnEveryTestGraph) {
    const auto graphs = gs_test::test_graphs();
    for (size_t k = 0; k < graphs.size(); ++k) {
        const auto& [name, g] = graphs[k];
        SCOPED_TRACE(name);
        const int64_t batch = 3;
        const gs::ir_weights w = gs_test::random_weights(g, 77u + static_cast<uint32_t>(k));
        std::vector<float> x = gs_test::random_input(batch * g.n_bins * g.n_frames, 5u + static_cast<uint32_t>(k));
        std::map<std::string, std::vector<float>> ref;
        ASSERT_EQ(gs::ir_reference_forward(g, w, x, batch, ref), "");
        gs::ir_module m(g);
        ASSERT_EQ(m->set_weights(w), "");
        m->eval();
        torch::NoGradGuard no_grad;
        const torch::Tensor in = torch::from_blob(x.data(), {batch, 1, g.n_bins, g.n_frames}, torch::kFloat32);
        const std::map<std::string, torch::Tensor> got = m->forward_all(in);
        for (const gs::ir_node& n : g.nodes) {
            if (n.op == gs::ir_op::dropout) continue;
            const torch::Tensor t = got.at(n.output).contiguous();
            const std::vector<float>& r = ref.at(n.output);
            ASSERT_EQ(static_cast<size_t>(t.numel()), r.size()) << n.name;
            double d = 0.0;
            for (size_t i = 0; i < r.size(); ++i) d = std::max(d, std::fabs(double(t.data_ptr<float>()[i]) - r[i]));
            EXPECT_LE(d, 1e-4) << n.name << " (" << gs::to_string(n.op) << ")";
        }
    }
}

// Asymmetric padding is where the walkers could disagree silently: one more row/column at the end only.
TEST(IrTorch, AsymmetricPaddingPadsTheEndOnly) {
    gs_test::test_builder b(4, 4, 2);
    const std::string c = b.conv_asym(b.input(), 1, 3, 2, 0, 1);  // 3x3 kernel, stride 2, padding (0, 1)
    gs::ir_graph g = b.finish(b.linear(b.flatten(c), 2));
    gs::ir_weights w = gs_test::random_weights(g, 1);
    std::fill(w.at(g.nodes[0].name + ".weight").begin(), w.at(g.nodes[0].name + ".weight").end(), 1.0f);
    w.at(g.nodes[0].name + ".bias")[0] = 0.0f;
    std::vector<float> x(16);
    for (int i = 0; i < 16; ++i) x[i] = static_cast<float>(i);  // row-major 4x4
    gs::ir_module m(g);
    ASSERT_EQ(m->set_weights(w), "");
    m->eval();
    torch::NoGradGuard no_grad;
    const torch::Tensor y = m->forward_all(torch::from_blob(x.data(), {1, 1, 4, 4})).at(c).contiguous();
    // (4 + 0 + 1 - 3) / 2 + 1 = 2 per axis: windows over rows/columns 0..2 and 2..4, where 4 is padding.
    // (Symmetric padding of 1 would give windows -1..1 and 1..3: 0 + 1 + 4 + 5 = 10 for the first.)
    ASSERT_EQ(y.sizes(), (std::vector<int64_t>{1, 1, 2, 2}));
    EXPECT_FLOAT_EQ(y[0][0][0][0].item<float>(), 0 + 1 + 2 + 4 + 5 + 6 + 8 + 9 + 10);
    EXPECT_FLOAT_EQ(y[0][0][1][1].item<float>(), 10 + 11 + 14 + 15);
}

}  // namespace
