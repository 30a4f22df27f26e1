// test_ir_json.cpp: the model card's "graph": every test graph round-trips; hostile JSON is refused, not run.
#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "ir_test_graphs.h"
#include "model/ir_json.h"
#include "model/ir_reference.h"
#include "model/model_card.h"
#include "model/onnx_export.h"

namespace {

using gs::ir_graph;
using gs::json_value;

bool same_graph(const ir_graph& a, const ir_graph& b) {
    if (a.arch != b.arch || a.input != b.input || a.n_bins != b.n_bins || a.n_frames != b.n_frames ||
        a.logits != b.logits || a.output != b.output || a.n_classes != b.n_classes || a.nodes.size() != b.nodes.size()) {
        return false;
    }
    for (size_t i = 0; i < a.nodes.size(); ++i) {
        const gs::ir_node &x = a.nodes[i], &y = b.nodes[i];
        if (x.name != y.name || x.op != y.op || x.inputs != y.inputs || x.output != y.output || x.ints != y.ints ||
            x.floats != y.floats || x.params.size() != y.params.size()) {
            return false;
        }
        for (size_t k = 0; k < x.params.size(); ++k) {
            if (x.params[k].name != y.params[k].name || x.params[k].shape != y.params[k].shape) return false;
        }
    }
    return true;
}

// Through text and back: the same graph, and the same ONNX bytes from it.
TEST(IrJson, EveryTestGraphRoundTrips) {
    for (const auto& [name, g] : gs_test::test_graphs()) {
        SCOPED_TRACE(name);
        json_value parsed;
        ASSERT_EQ(gs::json_parse(gs::json_write(gs::ir_graph_to_json(g)), parsed), "");
        ir_graph back;
        ASSERT_EQ(gs::ir_graph_from_json(parsed, back), "");
        EXPECT_TRUE(same_graph(g, back));
        const gs::ir_weights w = gs_test::random_weights(g, 11);
        std::string a, b;
        ASSERT_EQ(gs::export_onnx(g, w, {}, a), "");
        ASSERT_EQ(gs::export_onnx(back, w, {}, b), "");
        EXPECT_EQ(a, b);
    }
}

TEST(IrJson, ExtraOutputsRoundTrip) {
    ir_graph g = gs_test::test_graphs().front().second;
    g.extra_outputs = {g.logits};
    json_value parsed;
    ASSERT_EQ(gs::json_parse(gs::json_write(gs::ir_graph_to_json(g)), parsed), "");
    ir_graph back;
    ASSERT_EQ(gs::ir_graph_from_json(parsed, back), "");
    EXPECT_EQ(back.extra_outputs, g.extra_outputs);
    parsed.set("extra_outputs", json_value::array({"nowhere"}));
    EXPECT_NE(gs::ir_graph_from_json(parsed, back), "");
}

TEST(IrJson, OpNamesParse) {
    for (int op = 0; op <= static_cast<int>(gs::ir_op::softmax); ++op) {
        gs::ir_op got;
        ASSERT_TRUE(gs::parse_ir_op(gs::to_string(static_cast<gs::ir_op>(op)), got));
        EXPECT_EQ(static_cast<int>(got), op);
    }
    gs::ir_op got;
    EXPECT_FALSE(gs::parse_ir_op("conv3d", got));
    EXPECT_FALSE(gs::parse_ir_op("", got));
}

// Applies f to node i of a graph's JSON.
void edit_node(json_value& j, size_t i, const std::function<void(json_value&)>& f) {
    std::vector<json_value> nodes = j["nodes"].as_array();
    f(nodes.at(i));
    j.set("nodes", json_value::array(nodes));
}

// Each edit breaks a valid graph's JSON one way; each must be refused with a message, leaving `out` alone.
TEST(IrJson, HostileGraphsAreRefused) {
    const ir_graph base = gs_test::test_graphs().front().second;
    const json_value good = gs::ir_graph_to_json(base);
    const std::vector<std::pair<std::string, std::function<void(json_value&)>>> cases = {
        {"not an object", [](json_value& j) { j = json_value::array(); }},
        {"no nodes", [](json_value& j) { j.set("nodes", json_value::array()); }},
        {"nodes not an array", [](json_value& j) { j.set("nodes", 3); }},
        {"unknown op", [](json_value& j) { edit_node(j, 1, [](json_value& n) { n.set("op", "conv3d"); }); }},
        {"fractional attribute", [](json_value& j) { edit_node(j, 1, [](json_value& n) { n.set("ints", json_value::object({{"out_channels", 2.5}})); }); }},
        {"huge dimension", [](json_value& j) { j.set("n_bins", 1e12); }},
        {"negative classes", [](json_value& j) { j.set("n_classes", -3); }},
        {"missing input name", [](json_value& j) { j.erase("input"); }},
        {"long name", [](json_value& j) { j.set("input", std::string(300, 'x')); }},
        {"infinite float", [](json_value& j) { edit_node(j, 2, [](json_value& n) { n.set("floats", json_value::object({{"eps", std::numeric_limits<double>::infinity()}})); }); }},
        {"param with 9 dims", [](json_value& j) {
             json_value shape = json_value::array();
             for (int i = 0; i < 9; ++i) shape.push_back(1);
             edit_node(j, 1, [&](json_value& n) { n.set("params", json_value::array({json_value::object({{"name", "weight"}, {"shape", shape}})})); });
         }},
        {"param shape mismatch", [](json_value& j) {
             edit_node(j, 1, [&](json_value& n) { n.set("params", json_value::array({json_value::object({{"name", "weight"}, {"shape", json_value::array({4, 1, 3, 9})}})})); });
         }},
        {"dangling input", [](json_value& j) { edit_node(j, 3, [](json_value& n) { n.set("inputs", json_value::array({"nowhere"})); }); }},
    };
    for (const auto& [what, edit] : cases) {
        SCOPED_TRACE(what);
        json_value j = good;
        edit(j);
        ir_graph out;
        out.arch = "untouched";
        EXPECT_NE(gs::ir_graph_from_json(j, out), "");
        EXPECT_EQ(out.arch, "untouched");
    }
    ir_graph out;
    EXPECT_EQ(gs::ir_graph_from_json(good, out), "");
}

// A graph without params whose input alone is 2^29 values: only the activation limit stops it.
TEST(IrJson, HugeActivationsAreRefused) {
    auto graph = [](int64_t bins, int64_t frames) {
        ir_graph g;
        g.arch = "reduce_only";
        g.n_bins = bins;
        g.n_frames = frames;
        g.n_classes = bins;
        g.logits = "f";
        gs::ir_node t, f, s;
        t.name = "t"; t.op = gs::ir_op::reduce_mean; t.inputs = {g.input}; t.output = "t"; t.ints = {{"axis", 3}};
        f.name = "f"; f.op = gs::ir_op::reduce_mean; f.inputs = {"t"}; f.output = "f"; f.ints = {{"axis", 1}};
        s.name = "s"; s.op = gs::ir_op::softmax; s.inputs = {"f"}; s.output = g.output;
        g.nodes = {t, f, s};
        return gs::ir_graph_to_json(g);
    };
    ir_graph out;
    EXPECT_EQ(gs::ir_graph_from_json(graph(1 << 14, 16), out), "");
    const std::string e = gs::ir_graph_from_json(graph(1 << 14, 1 << 15), out);
    EXPECT_NE(e.find("would have"), std::string::npos) << e;
}

// A card carrying a graph keeps it; one whose graph disagrees with its labels or features is refused.
TEST(IrJson, CardGraphMustMatchTheCard) {
    const ir_graph g = gs_test::test_graphs().front().second;  // 8 bins, 10 frames, 5 classes
    gs::model_card c;
    c.arch = "imported";
    c.labels = {"a", "b", "c", "d", "e"};
    c.features.kind = gs::feature_kind::mel_db;
    c.features.n_mels = 8;
    c.segment_frames = 10;
    c.segment_hop_frames = 5;
    c.graph = gs::ir_graph_to_json(g);
    json_value parsed;
    ASSERT_EQ(gs::json_parse(gs::json_write(gs::to_json(c)), parsed), "");
    gs::model_card back;
    ASSERT_EQ(gs::from_json(parsed, back), "");
    EXPECT_EQ(back.graph, c.graph);
    c.labels.pop_back();
    ASSERT_EQ(gs::json_parse(gs::json_write(gs::to_json(c)), parsed), "");
    EXPECT_NE(gs::from_json(parsed, back), "");
}

}  // namespace
