// test_fine_tune.cpp: the cut of a graph (forward_from, ir_nodes_after) and fine-tuning the layers after it.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <cmath>
#include <string>
#include <vector>

#include "../native/ir_test_graphs.h"
#include "model/ir_torch.h"
#include "train/fine_tune.h"

namespace {

// For every test graph and every tensor from which the logits follow alone, running the graph from that
// tensor's value gives the logits of the whole graph.
TEST(IrCut, ForwardFromAnyCutEqualsTheWholeGraph) {
    const auto graphs = gs_test::test_graphs();
    for (size_t k = 0; k < graphs.size(); ++k) {
        const auto& [name, g] = graphs[k];
        SCOPED_TRACE(name);
        gs::ir_module m(g);
        ASSERT_EQ(m->set_weights(gs_test::random_weights(g, 11u + static_cast<uint32_t>(k))), "");
        m->eval();
        torch::NoGradGuard no_grad;
        std::vector<float> x = gs_test::random_input(2 * g.n_bins * g.n_frames, 3u + static_cast<uint32_t>(k));
        const torch::Tensor in = torch::from_blob(x.data(), {2, 1, g.n_bins, g.n_frames}, torch::kFloat32);
        const auto all = m->forward_all(in);
        int cuts = 0;
        for (const gs::ir_node& n : g.nodes) {
            bool reaches = false;
            for (size_t i : gs::ir_nodes_after(g, n.output)) reaches = reaches || g.nodes[i].output == g.logits;
            if (!reaches) {
                // A tensor the logits do not follow from alone (a branch, or the logits' own consumers) is refused.
                if (n.output != g.logits) {
                    EXPECT_THROW(m->forward_from(n.output, all.at(n.output), g.logits), std::invalid_argument);
                }
                continue;
            }
            const torch::Tensor y = m->forward_from(n.output, all.at(n.output), g.logits);
            EXPECT_TRUE(torch::equal(y, all.at(g.logits))) << "cut at " << n.output;
            ++cuts;
        }
        EXPECT_TRUE(torch::equal(m->forward_from(g.input, in, g.logits), all.at(g.logits)));
        EXPECT_GT(cuts, 0);
    }
}

TEST(IrCut, NodesAfterACutAreThoseItFeedsAlone) {
    gs_test::test_builder b(4, 4, 2);
    const std::string c1 = b.relu(b.conv(b.input(), 2, 3, 3, 1, 1, 1, 1));  // conv0, relu1
    const std::string c2 = b.conv(c1, 2, 3, 3, 1, 1, 1, 1);                 // conv2
    const std::string s = b.sum(c1, c2);                                     // add3: needs c1 and c2
    const gs::ir_graph g = b.finish(b.linear(b.global_pool(s, false), 2));   // gap4, fc5, softmax
    EXPECT_EQ(gs::ir_nodes_after(g, g.input).size(), g.nodes.size());
    EXPECT_EQ(gs::ir_nodes_after(g, c1), (std::vector<size_t>{2, 3, 4, 5, 6}));
    EXPECT_EQ(gs::ir_nodes_after(g, c2), std::vector<size_t>{});  // add3 also needs c1: nothing follows alone
    EXPECT_EQ(gs::ir_nodes_after(g, "no_such_tensor"), std::vector<size_t>{});
}

// A 2-class problem the random network cannot solve at first: the class is which half of the bins is louder.
// Fine-tuning the layers after the first convolution (on its cached output) must learn it, leave the layers
// before the cut bit for bit as they were, and keep the epoch that validation chose.
TEST(FineTune, LearnsAfterTheCutOnlyAndKeepsTheChosenEpoch) {
    torch::manual_seed(5);
    gs_test::test_builder b(8, 6, 2);
    const std::string cut = b.relu(b.conv(b.input(), 4, 3, 3, 1, 1, 1, 1));     // conv0, relu1: frozen
    const std::string h = b.relu(b.conv(cut, 8, 3, 3, 1, 1, 1, 1));             // conv2, relu3: fine-tuned
    const gs::ir_graph g = b.finish(b.linear(b.global_pool(h, false), 2));       // gap4, fc5: fine-tuned
    gs::ir_module m(g);
    ASSERT_EQ(m->set_weights(gs_test::random_weights(g, 2)), "");
    const gs::ir_weights before = m->weights();

    auto make = [&](int tracks, int per_track, uint32_t seed, gs::fine_tune_rows& rows) {
        std::vector<float> x = gs_test::random_input(tracks * per_track * 8 * 6, seed);
        for (int t = 0; t < tracks; ++t) {
            const int label = t % 2;
            for (int s = 0; s < per_track; ++s) {
                float* seg = x.data() + (t * per_track + s) * 48;
                for (int bin = 0; bin < 8; ++bin)
                    for (int f = 0; f < 6; ++f) seg[bin * 6 + f] += (bin < 4) == (label == 0) ? 2.0f : 0.0f;
                rows.y.push_back(label);
                rows.owner.push_back(t);
            }
        }
        torch::NoGradGuard no_grad;
        m->eval();
        const torch::Tensor in = torch::from_blob(x.data(), {tracks * per_track, 1, 8, 6}, torch::kFloat32);
        rows.x = m->forward_to(in, cut).reshape({tracks * per_track, -1}).clone();
        rows.n_tracks = static_cast<size_t>(tracks);
    };
    gs::fine_tune_rows train, valid;
    make(40, 4, 1, train);
    make(20, 4, 2, valid);
    gs::fine_tune_options o;
    o.from = cut;
    o.tap_shape = {4, 8, 6};
    o.learning_rate = 3e-2;
    o.epochs = 15;
    o.bags_per_step = 8;
    o.quiet = true;
    gs::json_value report;
    ASSERT_EQ(gs::fine_tune(m, train, valid, torch::ones({2}), o, report), "");

    ASSERT_LT(report["valid_track_accuracy_before"].as_number(1.0), 0.8);  // the setup: not solved at first
    const gs::ir_weights after = m->weights();
    EXPECT_EQ(after.at("conv0.weight"), before.at("conv0.weight"));
    EXPECT_EQ(after.at("conv0.bias"), before.at("conv0.bias"));
    EXPECT_NE(after.at("conv2.weight"), before.at("conv2.weight"));
    EXPECT_NE(after.at("fc5.weight"), before.at("fc5.weight"));
    const gs::json_value& hist = report["history"];
    ASSERT_EQ(hist.size(), 15u);
    const int best = static_cast<int>(report["best_epoch"].as_int(-1));
    ASSERT_GE(best, 1);
    const double chosen = report["valid_track_accuracy"].as_number();
    EXPECT_GE(chosen, 0.9);
    EXPECT_DOUBLE_EQ(hist[static_cast<size_t>(best - 1)]["valid_track_accuracy"].as_number(), chosen);
    for (size_t e = 0; e < hist.size(); ++e) EXPECT_LE(hist[e]["valid_track_accuracy"].as_number(), chosen);
    EXPECT_EQ(report["layers"].size(), 2u);  // conv2 and fc5 (no "head_" names here: all count as backbone)

    // The weights left in the model are the chosen epoch's: validation accuracy recomputed from them agrees.
    torch::NoGradGuard no_grad;
    m->eval();
    const torch::Tensor lp = torch::log_softmax(m->forward_from(cut, valid.x.reshape({-1, 4, 8, 6}), g.logits), 1);
    std::vector<double> sum(valid.n_tracks * 2, 0.0);
    for (int64_t r = 0; r < lp.size(0); ++r)
        for (int c = 0; c < 2; ++c) sum[static_cast<size_t>(valid.owner[r]) * 2 + c] += lp[r][c].item<double>();
    int right = 0;
    for (size_t t = 0; t < valid.n_tracks; ++t) right += (sum[t * 2 + 1] > sum[t * 2]) == (t % 2 == 1);
    EXPECT_DOUBLE_EQ(static_cast<double>(right) / static_cast<double>(valid.n_tracks), chosen);
}

TEST(FineTune, RefusesACutWithNoWeightsAfterIt) {
    gs_test::test_builder b(4, 4, 2);
    const std::string c = b.conv(b.input(), 2, 3, 3, 1, 1, 1, 1);
    const std::string p = b.global_pool(c, false);
    const gs::ir_graph g = b.finish(b.scale(p, 1.0));
    gs::ir_module m(g);
    gs::fine_tune_rows tr;
    tr.x = torch::zeros({2, 2});
    tr.y = {0, 1};
    tr.owner = {0, 1};
    tr.n_tracks = 2;
    gs::fine_tune_options o;
    o.from = p;
    o.tap_shape = {2};
    gs::json_value report;
    const std::string err = gs::fine_tune(m, tr, tr, torch::ones({2}), o, report);
    EXPECT_NE(err.find("no backbone layer with weights"), std::string::npos) << err;
}

}  // namespace
