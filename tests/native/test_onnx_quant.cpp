// Tests of onnx_quant's writer: int8 per-channel weights behind DequantizeLinear (rounding, scales, sizes), read back,
// and the quantised model's outputs (reference pass; ONNX Runtime Web under Node). The reader: test_onnx_quant_reader.
#include "genrescope/npy.h"
#include "ir_test_graphs.h"
#include "onnx_quant_test_util.h"
#include "model/ir_reference.h"
#include "model/onnx_export.h"
#include "model/onnx_quant.h"

#include "model/onnx_proto.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <tuple>

#ifndef GS_REPO_DIR
#define GS_REPO_DIR ""
#endif

namespace {

namespace fs = std::filesystem;
using gs::ir_graph;
using gs::ir_weights;
using tensor_map = std::map<std::string, std::vector<float>>;
using namespace gs_quant_test;

constexpr double k_ort_tolerance = 1e-4;  // test_onnx_ort's parity limit (ORT Web vs our forward pass, same weights)
// Quantised vs float model, reference pass, the same input: random uniform(-0.5, 0.5) weights move by at most
// 0.5 / 127 / 2 = 0.002 each; measured: probabilities moved by <= 0.008 (the big graph; its logits by 0.27),
// <= 0.004 on the small graphs (the printed values).
constexpr double k_quant_tolerance = 0.02;

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size()) return INFINITY;
    double m = 0.0;
    for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(static_cast<double>(a[i]) - b[i]));
    return m;
}

std::vector<float> forward(const ir_graph& g, const ir_weights& w, const std::vector<float>& x, int64_t batch,
                           const std::string& name) {
    tensor_map t;
    EXPECT_EQ(gs::ir_reference_forward(g, w, x, batch, t), "");
    return t.count(name) ? t[name] : std::vector<float>{};
}

// A MobileNet-like graph with weights large enough for the default threshold: conv 1->16 (144 values, stays
// float), conv 16->64 (9216), depthwise 3x3 (576, stays float), pointwise 64->128 (8192), linear 128->256 (32768),
// linear 256->10 (2560).
ir_graph big_graph() {
    gs_test::test_builder b(32, 64, 10);
    std::string x = b.relu(b.bn(b.conv(b.input(), 16, 3, 3, 1, 1, 1, 1)));
    x = b.relu(b.bn(b.conv(b.pool(x, true, 2, 2, 2, 2), 64, 3, 3, 1, 1, 1, 1)));
    x = b.relu6(b.conv_asym(x, 64, 3, 2, 0, 1, 64));
    x = b.relu(b.bn(b.conv(x, 128, 1, 1)));
    x = b.relu(b.linear(b.global_pool(x, false), 256));
    return b.finish(b.linear(x, 10));
}

// Checks every quantised weight of `q` (serialised) against the float original: per element within half its
// channel's scale (float rounding aside), the largest |q| of each channel 127; returns how many were quantised.
size_t check_read_back(const ir_graph& g, const ir_weights& w, const std::string& q_bytes) {
    ir_weights back;
    EXPECT_EQ(gs::import_onnx_weights(q_bytes, g, back), "");
    onnx::ModelProto m = parse(q_bytes);
    size_t quantised = 0;
    for (const auto& [name, v] : w) {
        SCOPED_TRACE(name);
        const std::vector<float>& r = back[name];
        EXPECT_EQ(r.size(), v.size());
        if (r.size() != v.size()) continue;
        const onnx::NodeProto* dq = find_dequantize(m, name);
        if (!dq) {  // stays float: bit-identical
            EXPECT_EQ(std::memcmp(r.data(), v.data(), v.size() * sizeof(float)), 0);
            continue;
        }
        ++quantised;
        const onnx::TensorProto* x = find_init(m, dq->input(0));
        const onnx::TensorProto* s = find_init(m, dq->input(1));
        if (!x || !s || dq->attribute_size() != 1 || x->raw_data().size() != v.size()) {
            ADD_FAILURE() << "not an int8 tensor with a scale and an axis";
            continue;
        }
        EXPECT_EQ(x->data_type(), onnx::TensorProto::INT8);
        const int64_t axis = dq->attribute(0).i();
        const std::vector<float> scale = floats_of(*s);
        int64_t inner = 1;
        for (int i = static_cast<int>(axis) + 1; i < x->dims_size(); ++i) inner *= x->dims(i);
        if (static_cast<int64_t>(scale.size()) != x->dims(static_cast<int>(axis))) {
            ADD_FAILURE() << "one scale per output channel";
            continue;
        }
        std::vector<int> max_q(scale.size(), 0);
        bool changed = false;
        for (size_t k = 0; k < v.size(); ++k) {
            const size_t c = (k / inner) % scale.size();
            const int8_t qv = static_cast<int8_t>(x->raw_data()[k]);
            max_q[c] = std::max(max_q[c], std::abs(static_cast<int>(qv)));
            EXPECT_EQ(r[k], static_cast<float>(qv) * scale[c]) << k;  // as ONNX Runtime computes it
            EXPECT_LE(std::fabs(static_cast<double>(v[k]) - r[k]), 0.5 * scale[c] * (1 + 1e-5)) << k;
            changed = changed || r[k] != v[k];
        }
        EXPECT_TRUE(changed);
        for (int mq : max_q) EXPECT_EQ(mq, 127);
    }
    return quantised;
}

TEST(OnnxQuant, RoundsHalfToEvenPerOutputChannel) {
    gs_test::test_builder b(1, 5, 2);
    const ir_graph g = b.finish(b.linear(b.flatten(b.input()), 2));  // fc1.weight [2, 5], Gemm transB = 1
    ir_weights w = gs_test::random_weights(g, 5u);
    w["fc1.weight"] = {127.0f, 0.5f, 1.5f, 2.5f, -2.5f,      // scale 1: halves go to the even neighbour
                       -63.5f, 0.25f, 0.75f, -0.25f, 0.0f};  // scale 0.5: w / scale = -127, 0.5, 1.5, -0.5, 0
    const std::string bytes = export_graph(g, w);
    gs::onnx_quant_summary s;
    quantize(bytes, 1024, s);
    EXPECT_TRUE(s.tensors.empty());  // 10 values < 1024: nothing to do
    const std::string q = quantize(bytes, 1, s);
    ASSERT_EQ(s.tensors.size(), 1u);  // the bias is Gemm's C, not a weight
    EXPECT_EQ(s.tensors[0].name, "fc1.weight");
    EXPECT_EQ(s.tensors[0].axis, 0);
    EXPECT_EQ(s.float_bytes, 40);
    EXPECT_EQ(s.int8_bytes, 10);
    EXPECT_EQ(s.scale_bytes, 8);
    onnx::ModelProto m = parse(q);
    ASSERT_GE(m.graph().node_size(), 1);
    EXPECT_EQ(m.graph().node(0).op_type(), "DequantizeLinear");  // first: the node list stays sorted
    const onnx::TensorProto* x = find_init(m, "fc1.weight_quantized");
    const onnx::TensorProto* sc = find_init(m, "fc1.weight_scale");
    ASSERT_TRUE(x && sc);
    EXPECT_EQ(find_init(m, "fc1.weight"), nullptr);
    EXPECT_EQ(find_init(m, "fc1.bias")->data_type(), onnx::TensorProto::FLOAT);
    const std::vector<int8_t> want = {127, 0, 2, 2, -2, -127, 0, 2, 0, 0};
    EXPECT_EQ(std::vector<int8_t>(x->raw_data().begin(), x->raw_data().end()), want);
    EXPECT_EQ(floats_of(*sc), (std::vector<float>{1.0f, 0.5f}));
    ir_weights back;
    ASSERT_EQ(gs::import_onnx_weights(q, g, back), "");
    EXPECT_EQ(back["fc1.weight"], (std::vector<float>{127, 0, 2, 2, -2, -63.5f, 0, 1, 0, 0}));
    EXPECT_EQ(back["fc1.bias"], w["fc1.bias"]);
}

// Weights that are already int8 on one grid for the whole tensor (YAMNet's per-tensor TFLite layers) keep it: a
// channel on that grid is stored with the tensor's scale and comes back exactly; one off the grid gets its own.
TEST(OnnxQuant, KeepsAnExistingPerTensorGrid) {
    gs_test::test_builder b(1, 400, 3);
    const ir_graph g = b.finish(b.linear(b.flatten(b.input()), 3));  // fc1.weight [3, 400]
    ir_weights w = gs_test::random_weights(g, 9u);
    std::mt19937 rng(10u);
    std::uniform_int_distribution<int> q127(-127, 127), q50(-50, 50);
    std::vector<float>& v = w["fc1.weight"];
    const float grid = 0.01f;
    for (int i = 0; i < 400; ++i) {
        v[i] = static_cast<float>(i ? q127(rng) : 127) * grid;  // channel 0: the tensor's maximum, 1.27
        v[400 + i] = static_cast<float>(q50(rng)) * grid;       // channel 1: |w| <= 0.5, on the 0.01 grid
    }                                                            // channel 2: uniform(-0.5, 0.5), off any grid
    gs::onnx_quant_summary s;
    const std::string q = quantize(export_graph(g, w), 1024, s);
    ASSERT_EQ(s.tensors.size(), 1u);
    EXPECT_EQ(s.tensors[0].tensor_grid_channels, 1);
    onnx::ModelProto m = parse(q);
    const std::vector<float> scale = floats_of(*find_init(m, "fc1.weight_scale"));
    ASSERT_EQ(scale.size(), 3u);
    EXPECT_EQ(scale[1], scale[0]);  // the tensor's scale, 1.27 / 127
    EXPECT_NEAR(scale[0], grid, 1e-9);
    float max2 = 0.0f;
    for (int i = 800; i < 1200; ++i) max2 = std::max(max2, std::fabs(v[i]));
    EXPECT_EQ(scale[2], max2 / 127.0f);
    ir_weights back;
    ASSERT_EQ(gs::import_onnx_weights(q, g, back), "");
    double on_grid = 0.0, off_grid = 0.0;
    for (int i = 0; i < 1200; ++i) {
        double& d = i < 800 ? on_grid : off_grid;
        d = std::max(d, std::fabs(static_cast<double>(back["fc1.weight"][i]) - v[i]));
    }
    EXPECT_LE(on_grid, 1e-6 * 1.27);  // float rounding of the scale only
    EXPECT_GT(off_grid, 1e-3 * scale[2]);
    EXPECT_LE(off_grid, 0.5 * scale[2] * (1 + 1e-5));
}

// A hand-built MatMul model (onnx_export writes Gemm): the weight B [in, out] is quantised along axis 1; a tensor
// that is also used as something else than a weight stays float; opsets before 13 are refused.
TEST(OnnxQuant, MatMulUsesTheLastAxisAndOtherUsesStayFloat) {
    onnx::ModelProto m;
    m.set_ir_version(8);
    m.add_opset_import()->set_version(17);
    onnx::GraphProto* g = m.mutable_graph();
    g->set_name("matmul");
    for (auto [vi, name, n] : {std::tuple{g->add_input(), "x", 3}, std::tuple{g->add_output(), "y", 4}}) {
        vi->set_name(name);
        auto* t = vi->mutable_type()->mutable_tensor_type();
        t->set_elem_type(onnx::TensorProto::FLOAT);
        t->mutable_shape()->add_dim()->set_dim_value(2);
        t->mutable_shape()->add_dim()->set_dim_value(n);
    }
    const std::vector<float> b = {1, -2, 3, 0.5f, 0.1f, 4, -6, 0.25f, -1, 1, 1.5f, -0.5f};  // [3, 4]
    for (const char* name : {"B", "C"}) {
        onnx::TensorProto* t = g->add_initializer();
        t->set_name(name);
        t->set_data_type(onnx::TensorProto::FLOAT);
        t->add_dims(3);
        t->add_dims(4);
        t->mutable_float_data()->Add(b.begin(), b.end());  // float_data form, as other producers write it
    }
    auto node = [&](const char* op, std::vector<std::string> in, const char* out) {
        onnx::NodeProto* n = g->add_node();
        n->set_op_type(op);
        for (const std::string& i : in) n->add_input(i);
        n->add_output(out);
    };
    node("MatMul", {"x", "B"}, "xb");
    node("MatMul", {"x", "C"}, "xc");
    node("Add", {"xc", "xb"}, "s");
    node("ReduceSum", {"C"}, "c_sum");  // C is also read as data: not a weight
    node("Add", {"s", "c_sum"}, "y");
    gs::onnx_quant_options opt;
    opt.min_elements = 1;
    gs::onnx_quant_summary s;
    onnx::ModelProto q = m;
    ASSERT_EQ(gs::onnx_quantize_weights(q, opt, s), "");
    ASSERT_EQ(s.tensors.size(), 1u);
    EXPECT_EQ(s.tensors[0].name, "B");
    EXPECT_EQ(s.tensors[0].axis, 1);
    EXPECT_EQ(find_init(q, "C")->data_type(), onnx::TensorProto::FLOAT);
    EXPECT_EQ(floats_of(*find_init(q, "B_scale")), (std::vector<float>{1.0f / 127, 4.0f / 127, 6.0f / 127, 0.5f / 127}));
    std::map<std::string, onnx::TensorProto> dq;
    ASSERT_EQ(gs::onnx_dequantize_initializers(q.graph(), dq), "");
    ASSERT_EQ(dq.count("B"), 1u);
    const std::vector<float> back = floats_of(dq["B"]);
    ASSERT_EQ(back.size(), b.size());
    for (size_t k = 0; k < b.size(); ++k) EXPECT_LE(std::fabs(back[k] - b[k]), 0.5 * 6.0 / 127 * (1 + 1e-5)) << k;
    EXPECT_EQ(find_init(q, "B_quantized")->raw_data()[0], 127);  // 1 is its channel's maximum

    onnx::ModelProto old = m;
    old.mutable_opset_import(0)->set_version(12);
    EXPECT_NE(gs::onnx_quantize_weights(old, opt, s).find("opset >= 13"), std::string::npos);
    onnx::ModelProto bad = m;
    find_init(bad, "B")->set_float_data(5, NAN);
    EXPECT_NE(gs::onnx_quantize_weights(bad, opt, s).find("non-finite"), std::string::npos);
}

TEST(OnnxQuant, ShrinksBigWeightsAboutFourfoldAndKeepsOutputs) {
    const ir_graph g = big_graph();
    const ir_weights w = gs_test::random_weights(g, 77u);
    const std::string bytes = export_graph(g, w);
    gs::onnx_quant_summary s;
    const std::string q = quantize(bytes, 1024, s);
    ASSERT_EQ(s.tensors.size(), 4u);  // 9216, 8192, 32768 and 2560 values; 144 and 576 stay float
    for (const gs::onnx_quant_tensor& t : s.tensors) EXPECT_EQ(t.tensor_grid_channels, 0);  // random: own scales
    EXPECT_EQ(s.float_bytes, 4 * (9216 + 8192 + 32768 + 2560));
    EXPECT_EQ(s.int8_bytes * 4, s.float_bytes);
    EXPECT_EQ(s.scale_bytes, 4 * (64 + 128 + 256 + 10));
    const double saved = static_cast<double>(bytes.size()) - static_cast<double>(q.size());
    std::cout << "[ onnx quant ] " << bytes.size() << " -> " << q.size() << " bytes; weights " << s.float_bytes
              << " -> " << s.int8_bytes << " + " << s.scale_bytes << " scale bytes\n";
    EXPECT_GE(saved, 0.73 * s.float_bytes);  // 3/4 of the weight bytes, less scales and the new nodes' names
    EXPECT_LT(q.size(), bytes.size() / 3);
    EXPECT_EQ(check_read_back(g, w, q), 4u);

    ir_weights back;
    ASSERT_EQ(gs::import_onnx_weights(q, g, back), "");
    const std::vector<float> x = gs_test::random_input(4 * g.n_bins * g.n_frames, 78u);
    const double d = max_abs_diff(forward(g, w, x, 4, g.output), forward(g, back, x, 4, g.output));
    const double dl = max_abs_diff(forward(g, w, x, 4, g.logits), forward(g, back, x, 4, g.logits));
    std::cout << "[ onnx quant ] big graph, reference pass: max|diff| probabilities " << d << ", logits " << dl << "\n";
    EXPECT_GT(d, 0.0);
    EXPECT_LE(d, k_quant_tolerance);
}

TEST(OnnxQuant, EveryTestGraphRoundTrips) {
    for (const auto& [name, g] : gs_test::test_graphs()) {
        SCOPED_TRACE(name);
        const ir_weights w = gs_test::random_weights(g, 11u);
        gs::onnx_quant_summary s;
        const std::string q = quantize(export_graph(g, w), 1, s);  // every Conv/Gemm weight, however small
        size_t weights = 0;  // conv and linear weights of the graph; GRU/LSTM weights stay float
        for (const gs::ir_node& n : g.nodes) weights += n.op == gs::ir_op::conv2d || n.op == gs::ir_op::linear;
        EXPECT_EQ(s.tensors.size(), weights);
        EXPECT_EQ(check_read_back(g, w, q), weights);
        ir_weights back;
        ASSERT_EQ(gs::import_onnx_weights(q, g, back), "");
        const std::vector<float> x = gs_test::random_input(3 * g.n_bins * g.n_frames, 12u);
        const double d = max_abs_diff(forward(g, w, x, 3, g.output), forward(g, back, x, 3, g.output));
        std::cout << "[ onnx quant ] " << name << ", reference pass: max|diff| probabilities " << d << "\n";
        EXPECT_LE(d, k_quant_tolerance);
    }
}

// ---- ONNX Runtime Web (WASM) under Node: the quantised file runs and agrees with our dequantised forward pass.

std::string repo_dir() {
    const char* env = std::getenv("GS_REPO_DIR");
    return env && *env ? env : GS_REPO_DIR;
}

struct temp_dir {
    fs::path path;
    temp_dir() {
        std::string tmpl = (fs::temp_directory_path() / "gs_onnx_quant_XXXXXX").string();
        if (mkdtemp(tmpl.data())) path = tmpl;
    }
    ~temp_dir() {
        std::error_code ec;
        if (!path.empty()) fs::remove_all(path, ec);
    }
};

std::string read_file(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// Runs `model` on `x` [batch, 1, F, T] with tests/parity/ort_run.mjs; returns "" or an error.
std::string run_ort(const temp_dir& dir, const std::string& model, const std::vector<float>& x,
                    const std::vector<size_t>& shape, gs::npy_array& out) {
    const fs::path m = dir.path / "model.onnx", in = dir.path / "in.npy", y = dir.path / "out.npy", err = dir.path / "err.txt";
    const std::vector<uint8_t> npy = gs::npy_encode(x.data(), shape);
    std::ofstream(m, std::ios::binary).write(model.data(), static_cast<std::streamsize>(model.size()));
    std::ofstream(in, std::ios::binary).write(reinterpret_cast<const char*>(npy.data()), static_cast<std::streamsize>(npy.size()));
    const std::string cmd = "\"" + repo_dir() + "/tools/node\" \"" + repo_dir() + "/tests/parity/ort_run.mjs\" \"" +
                            m.string() + "\" \"" + in.string() + "\" \"" + y.string() + "\" 2>\"" + err.string() + "\"";
    if (std::system(cmd.c_str()) != 0) return "ort_run failed: " + read_file(err);
    const std::string bytes = read_file(y);
    return gs::npy_decode(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), out);
}

void check_ort(const std::string& name, const ir_graph& g, int64_t min_elements, uint32_t seed) {
    SCOPED_TRACE(name);
    ASSERT_FALSE(repo_dir().empty()) << "set GS_REPO_DIR";
    const ir_weights w = gs_test::random_weights(g, seed);
    gs::onnx_quant_summary s;
    const std::string q = quantize(export_graph(g, w), min_elements, s);
    ASSERT_FALSE(s.tensors.empty());
    ir_weights back;
    ASSERT_EQ(gs::import_onnx_weights(q, g, back), "");
    const int64_t batch = 3;
    const std::vector<float> x = gs_test::random_input(batch * g.n_bins * g.n_frames, seed + 1);
    temp_dir dir;
    ASSERT_FALSE(dir.path.empty());
    gs::npy_array y;
    ASSERT_EQ(run_ort(dir, q, x, {size_t(batch), 1, size_t(g.n_bins), size_t(g.n_frames)}, y), "");
    ASSERT_EQ(y.shape, (std::vector<size_t>{size_t(batch), size_t(g.n_classes)}));
    const double d = max_abs_diff(y.data, forward(g, back, x, batch, g.output));
    const double d_float = max_abs_diff(y.data, forward(g, w, x, batch, g.output));
    std::cout << "[ ort quant ] " << name << ": max|diff| ORT (int8 file) vs reference, dequantised weights " << d
              << ", float weights " << d_float << "\n";
    EXPECT_LE(d, k_ort_tolerance);
    EXPECT_GT(d_float, d);  // ORT ran the int8 weights: it is closer to them than to the float ones
}

TEST(OnnxQuantOrt, BigGraphDefaultThreshold) { check_ort("big_graph", big_graph(), 1024, 501u); }

TEST(OnnxQuantOrt, EveryTestGraphEveryWeight) {
    uint32_t seed = 600u;
    for (const auto& [name, g] : gs_test::test_graphs()) check_ort(name, g, 1, seed += 7);
}

}  // namespace
