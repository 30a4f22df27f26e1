// test_loader_graph.cpp: a model whose card carries its graph (not one of archs.h's) loads and runs as exported.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <unistd.h>

#include "../native/ir_test_graphs.h"
#include "data/sha256.h"
#include "model/ir_json.h"
#include "model/ir_reference.h"
#include "model/model_loader.h"
#include "model/onnx_export.h"

namespace {

using gs::ir_graph;

void write(const std::string& path, const std::string& bytes) {
    std::ofstream f(path, std::ios::binary);
    f << bytes;
}

TEST(LoaderGraph, CardGraphLoadsAndMatchesTheReference) {
    // The MobileNet-style graph with a sigmoid output: no architecture of archs.h has it.
    ir_graph g;
    for (const auto& [name, graph] : gs_test::test_graphs()) {
        if (name == "mobilenet_sigmoid") g = graph;
    }
    ASSERT_FALSE(g.nodes.empty());
    const gs::ir_weights w = gs_test::random_weights(g, 21);
    std::string onnx;
    ASSERT_EQ(gs::export_onnx(g, w, {}, onnx), "");
    gs::model_card c;
    c.name = "imported-test";
    c.arch = "not_an_arch";
    for (int64_t k = 0; k < g.n_classes; ++k) c.labels.push_back("class" + std::to_string(k));
    c.features.n_mels = static_cast<int>(g.n_bins);
    c.segment_frames = static_cast<int>(g.n_frames);
    c.segment_hop_frames = 5;
    c.onnx_sha256 = gs::sha256_hex(onnx);
    c.graph = gs::ir_graph_to_json(g);
    char tmpl[] = "/tmp/gs_loader_graph_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    const std::string dir = tmpl;
    write(dir + "/model.onnx", onnx);
    write(dir + "/model.json", gs::json_write(gs::to_json(c)));

    gs::loaded_model m;
    ASSERT_EQ(gs::load_model(dir + "/model.onnx", m), "");
    EXPECT_EQ(m.graph.nodes.back().op, gs::ir_op::sigmoid);
    const int64_t batch = 2;
    std::vector<float> x = gs_test::random_input(batch * g.n_bins * g.n_frames, 3);
    std::map<std::string, std::vector<float>> ref;
    ASSERT_EQ(gs::ir_reference_forward(g, w, x, batch, ref), "");
    torch::NoGradGuard no_grad;
    const torch::Tensor p =
        m.module->forward_to(torch::from_blob(x.data(), {batch, 1, g.n_bins, g.n_frames}), m.graph.output).contiguous();
    ASSERT_EQ(static_cast<size_t>(p.numel()), ref.at(g.output).size());
    double d = 0.0;
    for (size_t i = 0; i < ref.at(g.output).size(); ++i) d = std::max(d, std::fabs(double(p.data_ptr<float>()[i]) - ref.at(g.output)[i]));
    EXPECT_LE(d, 1e-5);
    // Level alignment cannot be spliced into a graph the card dictates.
    EXPECT_NE(gs::insert_level_align(m), "");
    std::remove((dir + "/model.onnx").c_str());
    std::remove((dir + "/model.json").c_str());
    rmdir(dir.c_str());
}

}  // namespace
