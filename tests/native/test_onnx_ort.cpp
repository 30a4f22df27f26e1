// Parity of exported ONNX models under ONNX Runtime Web (WASM, in Node) with the C++ reference forward pass.
#include "genrescope/npy.h"
#include "ir_test_graphs.h"
#include "model/act_quant.h"
#include "model/ir_reference.h"
#include "model/onnx_export.h"
#include "model/onnx_quant.h"

#include "model/onnx_proto.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

#ifndef GS_REPO_DIR
#define GS_REPO_DIR ""
#endif

namespace {

namespace fs = std::filesystem;
using gs::ir_graph;
using gs::ir_weights;

constexpr double k_tolerance = 1e-4;

// The repository root: $GS_REPO_DIR, else the build's definition.
std::string repo_dir() {
    const char* env = std::getenv("GS_REPO_DIR");
    return env && *env ? env : GS_REPO_DIR;
}

// A fresh temporary directory, removed with the object.
struct temp_dir {
    fs::path path;
    temp_dir() {
        std::string tmpl = (fs::temp_directory_path() / "gs_onnx_ort_XXXXXX").string();
        if (mkdtemp(tmpl.data())) path = tmpl;
    }
    ~temp_dir() {
        std::error_code ec;
        if (!path.empty()) fs::remove_all(path, ec);
    }
};

bool write_file(const fs::path& p, const void* data, size_t size) {
    std::ofstream f(p, std::ios::binary);
    f.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
    return static_cast<bool>(f);
}

std::string read_file(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// Runs `model` (serialised ONNX) on `input` [batch, 1, F, T] with ort_run.mjs; returns "" or an error.
std::string run_ort(const temp_dir& dir, const std::string& tag, const std::string& model,
                    const std::vector<float>& input, const std::vector<size_t>& shape, gs::npy_array& out) {
    const fs::path m = dir.path / (tag + ".onnx"), x = dir.path / (tag + "_in.npy");
    const fs::path y = dir.path / (tag + "_out.npy"), err = dir.path / (tag + "_err.txt");
    const std::vector<uint8_t> npy = gs::npy_encode(input.data(), shape);
    if (!write_file(m, model.data(), model.size()) || !write_file(x, npy.data(), npy.size())) return "cannot write";
    const std::string cmd = "\"" + repo_dir() + "/tools/node\" \"" + repo_dir() + "/tests/parity/ort_run.mjs\" \"" + m.string() + "\" \"" +
                            x.string() + "\" \"" + y.string() + "\" 2>\"" + err.string() + "\"";
    if (std::system(cmd.c_str()) != 0) return "ort_run failed: " + read_file(err);
    const std::string bytes = read_file(y);
    return gs::npy_decode(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), out);
}

// The exported model with its graph output replaced by tensor `name` ([batch, n]), to compare pre-softmax values.
std::string with_output(const std::string& bytes, const std::string& name, int64_t n) {
    onnx::ModelProto m;
    if (!m.ParseFromString(bytes)) return "";
    onnx::ValueInfoProto* out = m.mutable_graph()->mutable_output(0);
    out->set_name(name);
    out->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(1)->set_dim_value(n);
    return m.SerializeAsString();
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size()) return INFINITY;
    double m = 0.0;
    for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(static_cast<double>(a[i]) - b[i]));
    return m;
}

// Exports `g` with random weights, runs it (probabilities, and logits when they are a named ONNX value) under
// ORT Web and the reference on a random batch, and checks max |diff| <= k_tolerance.
void check_graph(const std::string& name, const ir_graph& g, uint32_t seed, int64_t batch) {
    SCOPED_TRACE(name);
    ASSERT_FALSE(repo_dir().empty()) << "set GS_REPO_DIR";
    const ir_weights w = gs_test::random_weights(g, seed);
    const std::vector<float> x = gs_test::random_input(batch * g.n_bins * g.n_frames, seed + 1);
    std::map<std::string, std::vector<float>> ref;
    ASSERT_EQ(gs::ir_reference_forward(g, w, x, batch, ref), "");
    std::string bytes;
    ASSERT_EQ(gs::export_onnx(g, w, {}, bytes), "");
    temp_dir dir;
    ASSERT_FALSE(dir.path.empty());
    const std::vector<size_t> shape = {static_cast<size_t>(batch), 1, static_cast<size_t>(g.n_bins),
                                       static_cast<size_t>(g.n_frames)};
    gs::npy_array probs;
    ASSERT_EQ(run_ort(dir, "probs", bytes, x, shape, probs), "");
    ASSERT_EQ(probs.shape, (std::vector<size_t>{static_cast<size_t>(batch), static_cast<size_t>(g.n_classes)}));
    const double d_probs = max_abs_diff(probs.data, ref.at(g.output));
    EXPECT_LE(d_probs, k_tolerance);

    gs::npy_array logits;
    const std::string lbytes = with_output(bytes, g.logits, g.n_classes);
    ASSERT_EQ(gs::onnx_check(lbytes), "");
    ASSERT_EQ(run_ort(dir, "logits", lbytes, x, shape, logits), "");
    const double d_logits = max_abs_diff(logits.data, ref.at(g.logits));
    EXPECT_LE(d_logits, k_tolerance);
    double range = 0.0;
    for (float v : ref.at(g.logits)) range = std::max(range, std::fabs(static_cast<double>(v)));
    std::cout << "[ ort parity ] " << name << " batch " << batch << ": max|diff| probabilities " << d_probs
              << ", logits " << d_logits << " (max |logit| " << range << ")\n";
    ::testing::Test::RecordProperty("max_abs_diff_probabilities", std::to_string(d_probs));
    ::testing::Test::RecordProperty("max_abs_diff_logits", std::to_string(d_logits));
}

class OrtParity : public ::testing::TestWithParam<size_t> {};

TEST_P(OrtParity, MatchesReference) {
    const auto graphs = gs_test::test_graphs();
    ASSERT_LT(GetParam(), graphs.size());
    const auto& [name, g] = graphs[GetParam()];
    check_graph(name, g, 1234u + static_cast<uint32_t>(GetParam()), 3);
}

std::string graph_name(const ::testing::TestParamInfo<size_t>& info) {
    return gs_test::test_graphs().at(info.param).first;
}

INSTANTIATE_TEST_SUITE_P(TestGraphs, OrtParity, ::testing::Range<size_t>(0, gs_test::test_graphs().size()),
                         graph_name);

// The dynamic batch dimension: a batch of one through the same kind of model.
TEST(OrtParitySingle, BatchOfOne) {
    const auto graphs = gs_test::test_graphs();
    check_graph(graphs.back().first, graphs.back().second, 99u, 1);
}

// Larger layers than the small graphs (a CRNN-sized recurrent layer over 64 frames), where float
// accumulation order matters more.
TEST(OrtParitySingle, WiderCrnn) {
    gs_test::test_builder b(32, 64, 10);
    std::string x = b.relu(b.bn(b.conv(b.input(), 16, 3, 3, 1, 1, 1, 1)));
    x = b.relu(b.bn(b.conv(b.pool(x, true, 2, 2, 2, 2), 32, 3, 3, 1, 1, 1, 1)));
    const std::string cnn = b.global_pool(x, false);
    const std::string rnn = b.recurrent(b.to_sequence(b.input()), false, 32, true);
    const std::string h = b.dropout(b.relu(b.linear(b.concat({cnn, rnn}, 1), 32)));
    check_graph("wider_crnn", b.finish(b.scale(b.linear(h, 10), 0.8)), 4321u, 3);
}

// 8-bit activations with int8 weights (act_quant.h, onnx_quant.h): ONNX Runtime runs each convolution between
// quantize nodes as an integer kernel (QLinearConv), which requantises its int32 sums with a float multiplier;
// where a value lies on a rounding boundary it may land one step away from the reference's float convolution,
// and later layers carry that on. So the bound here is looser than k_tolerance; the check that it still means
// something: ONNX Runtime's output is much closer to the quantised reference than to the float one.
TEST(OrtParitySingle, QuantizedActivationsAndWeights) {
    ASSERT_FALSE(repo_dir().empty()) << "set GS_REPO_DIR";
    gs_test::test_builder b(16, 20, 6);
    std::string x = b.relu(b.conv(b.input(), 16, 3, 3, 1, 1, 1, 1));
    x = b.relu(b.conv(x, 16, 3, 3, 2, 2, 1, 1, 16));  // depthwise, stride 2
    x = b.relu(b.conv(x, 32, 1, 1));
    x = b.relu(b.conv(x, 32, 3, 3, 1, 1, 1, 1, 32));
    x = b.relu(b.conv(x, 48, 1, 1));
    ir_graph g = b.finish(b.linear(b.global_pool(x, false), 6));
    const int64_t batch = 4;
    const std::vector<float> in = gs_test::random_input(batch * g.n_bins * g.n_frames, 8);
    // int8 weights first (the reference then runs the weights ONNX Runtime reads back).
    std::string float_bytes, int8_bytes;
    ASSERT_EQ(gs::export_onnx(g, gs_test::random_weights(g, 7), {}, float_bytes), "");
    gs::onnx_quant_options qo;
    qo.min_elements = 1;
    gs::onnx_quant_summary qs;
    ASSERT_EQ(gs::onnx_quantize(float_bytes, qo, int8_bytes, qs), "");
    ir_weights w;
    ASSERT_EQ(gs::import_onnx_weights(int8_bytes, g, w), "");
    // Ranges from the float pass over this batch, from the first 1x1 convolution on.
    std::string from;
    std::vector<std::string> tensors;
    ASSERT_EQ(gs::choose_activation_tensors(g, 16, from, tensors), "");
    ASSERT_EQ(tensors.size(), 4u);  // the depthwise conv's output, and after each later conv
    std::map<std::string, std::vector<float>> ref;
    ASSERT_EQ(gs::ir_reference_forward(g, w, in, batch, ref), "");
    std::map<std::string, gs::act_range> ranges;
    for (const std::string& t : tensors) {
        const auto [lo, hi] = std::minmax_element(ref.at(t).begin(), ref.at(t).end());
        ranges[t] = gs::act_range{std::min(0.0f, *lo), std::max(0.0f, *hi)};
    }
    ir_graph q = g;
    ASSERT_EQ(gs::insert_activation_quantizers(q, ranges), "");
    temp_dir dir;
    ASSERT_FALSE(dir.path.empty());
    const std::vector<size_t> shape = {static_cast<size_t>(batch), 1, static_cast<size_t>(g.n_bins),
                                       static_cast<size_t>(g.n_frames)};
    std::string bytes, qbytes;
    ASSERT_EQ(gs::export_onnx(q, w, {}, bytes), "");
    ASSERT_EQ(gs::onnx_quantize(bytes, qo, qbytes, qs), "");  // weights already on their grid: unchanged
    gs::npy_array probs;
    ASSERT_EQ(run_ort(dir, "q", qbytes, in, shape, probs), "");
    std::map<std::string, std::vector<float>> qref;
    ASSERT_EQ(gs::ir_reference_forward(q, w, in, batch, qref), "");
    const double d_quantised = max_abs_diff(probs.data, qref.at(g.output));
    const double d_float = max_abs_diff(probs.data, ref.at(g.output));
    std::cout << "[ ort parity ] quantised activations: max|diff| probabilities " << d_quantised
              << " (against the float graph: " << d_float << ")\n";
    EXPECT_LE(d_quantised, 2e-3);
    EXPECT_GT(d_float, 5.0 * d_quantised);  // the reference does reproduce what quantising changed
}

}  // namespace
