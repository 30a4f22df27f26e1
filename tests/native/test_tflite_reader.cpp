// test_tflite_reader.cpp: the TFLite reader on the two YAMNet files (structure, weights), hand-built models, and
// truncated, corrupted, garbage and empty inputs (errors, never crashes).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "../common/test_support.h"
#include "model/tflite_reader.h"

namespace {

using bytes_t = std::vector<uint8_t>;

bytes_t yamnet_file(const char* which) {
    return gs_test::read_file_bytes(gs_test::shared_dir() + "/pretrained/yamnet/yamnet_" + which + "_in.tflite");
}

// Parses a copy of exactly `n` bytes (so that AddressSanitizer sees any read past the end).
std::string parse_prefix(const bytes_t& b, size_t n, gs::tflite_model& m) {
    bytes_t copy(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n));
    return gs::tflite_parse(copy.empty() ? nullptr : copy.data(), copy.size(), m);
}

// Every cross reference of a parsed model is in range and every buffer lies inside the `size` parsed bytes.
void expect_consistent(const gs::tflite_model& m, size_t size) {
    ASSERT_FALSE(m.subgraphs.empty());
    for (const gs::tflite_buffer& b : m.buffers) {
        EXPECT_LE(b.offset, size);
        EXPECT_LE(b.size, size - b.offset);
    }
    for (const gs::tflite_subgraph& g : m.subgraphs) {
        const int32_t nt = static_cast<int32_t>(g.tensors.size());
        for (const gs::tflite_tensor& t : g.tensors) EXPECT_LT(t.buffer, m.buffers.size());
        for (int32_t i : g.inputs) EXPECT_TRUE(i >= 0 && i < nt);
        for (int32_t i : g.outputs) EXPECT_TRUE(i >= 0 && i < nt);
        for (const gs::tflite_operator& op : g.operators) {
            EXPECT_LT(static_cast<size_t>(op.opcode_index), m.operator_codes.size());
            for (int32_t i : op.inputs) EXPECT_TRUE(i >= -1 && i < nt);
            for (int32_t i : op.outputs) EXPECT_TRUE(i >= 0 && i < nt);
        }
    }
}

std::map<int, int> op_counts(const gs::tflite_subgraph& g) {
    std::map<int, int> c;
    for (const gs::tflite_operator& op : g.operators) ++c[op.builtin_code];
    return c;
}

const gs::tflite_tensor& tensor_of(const gs::tflite_subgraph& g, int32_t i) { return g.tensors.at(static_cast<size_t>(i)); }

// ---- an independent minimal FlatBuffers navigator over the real file (to corrupt chosen fields) ----
uint32_t rd32(const bytes_t& b, size_t p) {
    uint32_t v;
    std::memcpy(&v, &b.at(p + 3) - 3, 4);
    return v;
}
uint16_t rd16(const bytes_t& b, size_t p) {
    uint16_t v;
    std::memcpy(&v, &b.at(p + 1) - 1, 2);
    return v;
}
void wr32(bytes_t& b, size_t p, uint32_t v) { std::memcpy(&b.at(p + 3) - 3, &v, 4); }
size_t deref(const bytes_t& b, size_t p) { return p + rd32(b, p); }
size_t vtable_of(const bytes_t& b, size_t table) { return table - static_cast<size_t>(static_cast<int32_t>(rd32(b, table))); }
size_t field_pos(const bytes_t& b, size_t table, int id) {
    const size_t vt = vtable_of(b, table);
    if (4u + 2u * static_cast<unsigned>(id) >= rd16(b, vt)) return 0;
    const uint16_t off = rd16(b, vt + 4 + 2 * static_cast<size_t>(id));
    return off ? table + off : 0;
}
size_t vector_table(const bytes_t& b, size_t vec, size_t i) { return deref(b, vec + 4 + 4 * i); }
size_t root_table(const bytes_t& b) { return deref(b, 0); }
size_t subgraph0(const bytes_t& b) { return vector_table(b, deref(b, field_pos(b, root_table(b), 2)), 0); }

// ---- a forward-layout FlatBuffers builder for small hand-made models (children after parents) ----
struct fb_builder {
    bytes_t b;
    size_t pos() const { return b.size(); }
    void align4() { while (b.size() % 4) b.push_back(0); }
    void put(size_t at, const void* v, size_t n) { std::memcpy(b.data() + at, v, n); }
    template <class T>
    void set(size_t at, T v) { put(at, &v, sizeof v); }
    template <class T>
    void push(T v) {
        b.resize(b.size() + sizeof v);
        put(b.size() - sizeof v, &v, sizeof v);
    }
    void link(size_t at, size_t target) { set<uint32_t>(at, static_cast<uint32_t>(target - at)); }
    // A vtable followed by its table with the fields `ids` (others absent), each in an 8-byte slot. Returns the
    // table; fpos[id] = the field's position (0 for absent fields).
    size_t table(const std::vector<int>& ids, std::vector<size_t>& fpos) {
        int n_fields = 0;
        for (int id : ids) n_fields = std::max(n_fields, id + 1);
        std::vector<uint16_t> voff(static_cast<size_t>(n_fields), 0);
        for (size_t k = 0; k < ids.size(); ++k) voff[static_cast<size_t>(ids[k])] = static_cast<uint16_t>(8 + 8 * k);
        align4();
        const size_t vt = pos();
        push<uint16_t>(static_cast<uint16_t>(4 + 2 * n_fields));
        push<uint16_t>(static_cast<uint16_t>(8 + 8 * ids.size()));
        for (uint16_t v : voff) push<uint16_t>(v);
        align4();
        const size_t t = pos();
        push<int32_t>(static_cast<int32_t>(t - vt));
        push<uint32_t>(0);
        fpos.assign(static_cast<size_t>(n_fields), 0);
        for (int id : ids) {
            fpos[static_cast<size_t>(id)] = pos();
            push<uint64_t>(0);
        }
        return t;
    }
    template <class T>
    size_t vec(const std::vector<T>& v) {
        align4();
        const size_t p = pos();
        push<uint32_t>(static_cast<uint32_t>(v.size()));
        for (T x : v) push<T>(x);
        return p;
    }
    size_t str(const std::string& s) {
        align4();
        const size_t p = pos();
        push<uint32_t>(static_cast<uint32_t>(s.size()));
        for (char c : s) b.push_back(static_cast<uint8_t>(c));
        b.push_back(0);
        return p;
    }
};

// A tiny model: input float [1,4] -> FULLY_CONNECTED (RELU) with int8 weights [2,4] (per-channel scales 0.5 and
// 0.25, zero points 0 and 1) -> output [1,2]. `deprecated_code`/`builtin_code` go into the OperatorCode;
// `options_type` into the operator; `weight_buffer` is the weight tensor's buffer index (2 buffers exist).
bytes_t tiny_model(int8_t deprecated_code = 9, int32_t builtin_code = 9, uint8_t options_type = 8,
                   uint32_t weight_buffer = 1) {
    fb_builder f;
    f.push<uint32_t>(0);
    f.b.insert(f.b.end(), {'T', 'F', 'L', '3'});
    std::vector<size_t> mf, sgf, opf, ocf, optf, b0f, b1f;
    const size_t model = f.table({0, 1, 2, 3, 4}, mf);
    f.link(0, model);
    f.set<uint32_t>(mf[0], 3);
    // operator codes
    const size_t codes = f.vec<uint32_t>({0});
    f.link(mf[1], codes);
    const size_t oc = f.table({0, 2, 3}, ocf);
    f.link(codes + 4, oc);
    f.set<int8_t>(ocf[0], deprecated_code);
    f.set<int32_t>(ocf[2], 1);
    f.set<int32_t>(ocf[3], builtin_code);
    // description
    f.link(mf[3], f.str("tiny"));
    // buffers: 0 empty, 1 eight int8 weights
    const size_t bufs = f.vec<uint32_t>({0, 0});
    f.link(mf[4], bufs);
    const size_t b0 = f.table({}, b0f);
    f.link(bufs + 4, b0);
    const size_t b1 = f.table({0}, b1f);
    f.link(bufs + 8, b1);
    const size_t data = f.vec<int8_t>({1, 2, 3, 4, -1, -2, -3, -4});
    f.link(b1f[0], data);
    // subgraph
    const size_t sgs = f.vec<uint32_t>({0});
    f.link(mf[2], sgs);
    const size_t sg = f.table({0, 1, 2, 3, 4}, sgf);
    f.link(sgs + 4, sg);
    f.link(sgf[4], f.str("main"));
    f.link(sgf[1], f.vec<int32_t>({0}));
    f.link(sgf[2], f.vec<int32_t>({2}));
    const size_t tensors = f.vec<uint32_t>({0, 0, 0});
    f.link(sgf[0], tensors);
    struct spec { std::vector<int32_t> shape; int8_t type; uint32_t buffer; const char* name; bool quant; };
    const spec specs[3] = {{{1, 4}, 0, 0, "in", false}, {{2, 4}, 9, weight_buffer, "w", true}, {{1, 2}, 0, 0, "out", false}};
    for (size_t i = 0; i < 3; ++i) {
        std::vector<size_t> tf;
        const size_t t = specs[i].quant ? f.table({0, 1, 2, 3, 4}, tf) : f.table({0, 1, 2, 3}, tf);
        f.link(tensors + 4 + 4 * i, t);
        f.link(tf[0], f.vec<int32_t>(specs[i].shape));
        f.set<int8_t>(tf[1], specs[i].type);
        f.set<uint32_t>(tf[2], specs[i].buffer);
        f.link(tf[3], f.str(specs[i].name));
        if (specs[i].quant) {
            std::vector<size_t> qf;
            const size_t q = f.table({2, 3, 6}, qf);
            f.link(tf[4], q);
            f.link(qf[2], f.vec<float>({0.5f, 0.25f}));
            f.link(qf[3], f.vec<int64_t>({0, 1}));
            f.set<int32_t>(qf[6], 0);
        }
    }
    const size_t ops = f.vec<uint32_t>({0});
    f.link(sgf[3], ops);
    const size_t op = f.table({0, 1, 2, 3, 4}, opf);
    f.link(ops + 4, op);
    f.link(opf[1], f.vec<int32_t>({0, 1, -1}));
    f.link(opf[2], f.vec<int32_t>({2}));
    f.set<uint8_t>(opf[3], options_type);
    const size_t opt = f.table({0, 2}, optf);
    f.link(opf[4], opt);
    f.set<int8_t>(optf[0], 1);  // RELU
    f.set<uint8_t>(optf[2], 1); // keep_num_dims
    return f.b;
}

TEST(TfliteReader, SpectraModelIsYamnetMobileNetV1Int8) {
    const bytes_t b = yamnet_file("spectra");
    ASSERT_EQ(b.size(), 4047424u) << "missing " << gs_test::shared_dir() << "/pretrained/yamnet";
    gs::tflite_model m;
    ASSERT_EQ(gs::tflite_parse(b.data(), b.size(), m), "");
    expect_consistent(m, b.size());
    EXPECT_EQ(m.version, 3u);
    EXPECT_EQ(m.description, "MLIR Converted.");
    ASSERT_EQ(m.subgraphs.size(), 1u);
    const gs::tflite_subgraph& g = m.subgraphs[0];
    ASSERT_EQ(g.inputs.size(), 1u);
    ASSERT_EQ(g.outputs.size(), 1u);
    EXPECT_EQ(tensor_of(g, g.inputs[0]).shape, (std::vector<int32_t>{1, 96, 64}));
    EXPECT_EQ(tensor_of(g, g.inputs[0]).type, gs::tflite_type::float32);
    EXPECT_EQ(tensor_of(g, g.outputs[0]).shape, (std::vector<int32_t>{1, 521}));

    std::map<int, int> c = op_counts(g);
    EXPECT_EQ(c[gs::tflite_op::conv_2d], 14);
    EXPECT_EQ(c[gs::tflite_op::depthwise_conv_2d], 13);
    EXPECT_EQ(c[gs::tflite_op::fully_connected], 1);
    EXPECT_EQ(c[gs::tflite_op::logistic], 1);
    EXPECT_EQ(c[gs::tflite_op::mean], 1);
    EXPECT_EQ(c[gs::tflite_op::quantize], 1);
    EXPECT_EQ(c[gs::tflite_op::dequantize], 1);

    int standard = 0, pointwise = 0, dw_stride2 = 0, int8_acts = 0;
    for (const gs::tflite_operator& op : g.operators) {
        for (int32_t o : op.outputs) int8_acts += tensor_of(g, o).type == gs::tflite_type::int8;
        if (op.builtin_code != gs::tflite_op::conv_2d && op.builtin_code != gs::tflite_op::depthwise_conv_2d &&
            op.builtin_code != gs::tflite_op::fully_connected) {
            continue;
        }
        ASSERT_GE(op.inputs.size(), 3u);
        const gs::tflite_tensor& w = tensor_of(g, op.inputs[1]);
        const gs::tflite_tensor& bias = tensor_of(g, op.inputs[2]);
        EXPECT_EQ(w.type, gs::tflite_type::int8) << w.name;
        EXPECT_EQ(bias.type, gs::tflite_type::int32) << bias.name;
        EXPECT_GT(m.buffers[w.buffer].size, 0u);
        EXPECT_TRUE(op.options.present);
        if (op.builtin_code == gs::tflite_op::conv_2d) {
            // Per-channel int8 weights: one scale per output channel (dim 0 of [O, kh, kw, I]).
            EXPECT_EQ(w.quant.scale.size(), static_cast<size_t>(w.shape[0])) << w.name;
            EXPECT_EQ(w.quant.quantized_dimension, 0);
            EXPECT_EQ(op.options.activation, gs::tflite_activation::relu6);
            EXPECT_EQ(op.options.padding, gs::tflite_padding::same);
            if (w.shape == std::vector<int32_t>{32, 3, 3, 1}) {
                ++standard;
                EXPECT_EQ(op.options.stride_h, 2);
                EXPECT_EQ(op.options.stride_w, 2);
            } else if (w.shape[1] == 1 && w.shape[2] == 1) {
                ++pointwise;
                EXPECT_EQ(op.options.stride_h, 1);
            }
        } else if (op.builtin_code == gs::tflite_op::depthwise_conv_2d) {
            // [1, 3, 3, C], per-channel along dim 3.
            EXPECT_EQ(w.shape[1], 3);
            EXPECT_EQ(w.quant.quantized_dimension, 3);
            EXPECT_EQ(w.quant.scale.size(), static_cast<size_t>(w.shape[3]));
            EXPECT_EQ(op.options.depth_multiplier, 1);
            EXPECT_EQ(op.options.dilation_h, 1);
            dw_stride2 += op.options.stride_h == 2 && op.options.stride_w == 2;
        } else {
            EXPECT_EQ(w.shape, (std::vector<int32_t>{521, 1024}));
            EXPECT_FALSE(op.options.keep_num_dims);
        }
    }
    EXPECT_EQ(standard, 1);
    EXPECT_EQ(pointwise, 13);
    EXPECT_EQ(dw_stride2, 4);   // MobileNetV1: the stride-2 depthwise layers (YAMNet layers 4, 6, 8, 14 of 14)
    EXPECT_GE(int8_acts, 30);   // int8 activations all the way (QUANTIZE in, DEQUANTIZE out)
}

TEST(TfliteReader, WaveformModelHasItsFrontEndInTheGraph) {
    const bytes_t b = yamnet_file("waveform");
    ASSERT_EQ(b.size(), 4078224u);
    gs::tflite_model m;
    ASSERT_EQ(gs::tflite_parse(b.data(), b.size(), m), "");
    expect_consistent(m, b.size());
    const gs::tflite_subgraph& g = m.subgraphs.at(0);
    ASSERT_EQ(g.inputs.size(), 1u);
    ASSERT_EQ(g.outputs.size(), 2u);
    EXPECT_EQ(tensor_of(g, g.inputs[0]).shape, (std::vector<int32_t>{1, 15600}));
    EXPECT_EQ(tensor_of(g, g.outputs[0]).shape, (std::vector<int32_t>{1, 521}));
    // The second output is the log-mel patch the network sees (not the 1024-d embedding).
    EXPECT_EQ(tensor_of(g, g.outputs[1]).shape, (std::vector<int32_t>{96, 64}));

    std::map<int, int> c = op_counts(g);
    EXPECT_EQ(c[gs::tflite_op::conv_2d], 14);
    EXPECT_EQ(c[gs::tflite_op::depthwise_conv_2d], 13);
    EXPECT_EQ(c[gs::tflite_op::fully_connected], 4);  // DFT real, DFT imaginary, mel matrix, classifier
    EXPECT_EQ(c[gs::tflite_op::gather], 2);
    EXPECT_EQ(c[gs::tflite_op::slice], 1);
    EXPECT_EQ(c[gs::tflite_op::pad], 1);
    EXPECT_EQ(c[gs::tflite_op::mul], 3);
    EXPECT_EQ(c[gs::tflite_op::add], 1);
    EXPECT_EQ(c[gs::tflite_op::sqrt], 1);
    EXPECT_EQ(c[gs::tflite_op::log], 1);
    EXPECT_EQ(c[gs::tflite_op::strided_slice], 1);
    EXPECT_EQ(c[gs::tflite_op::reshape], 5);
    EXPECT_EQ(c[gs::tflite_op::dequantize], 11);
    EXPECT_EQ(c[gs::tflite_op::rfft2d], 0);

    // Float activations everywhere; the 1x1 convs' weights are int8 with one scale (per tensor).
    int pointwise = 0;
    for (const gs::tflite_operator& op : g.operators) {
        for (int32_t o : op.outputs) EXPECT_EQ(tensor_of(g, o).type, gs::tflite_type::float32);
        if (op.builtin_code == gs::tflite_op::conv_2d) {
            const gs::tflite_tensor& w = tensor_of(g, op.inputs[1]);
            EXPECT_EQ(op.options.activation, gs::tflite_activation::relu);
            if (w.shape[1] == 1 && w.shape[2] == 1) {
                ++pointwise;
                EXPECT_EQ(w.type, gs::tflite_type::int8);
                EXPECT_EQ(w.quant.scale.size(), 1u);
            }
        }
    }
    EXPECT_EQ(pointwise, 13);

    // The front end's constants: the window (MUL of the frames [96, 400]) is a periodic Hann window, and the
    // mel FULLY_CONNECTED's bias is log's 0.001 offset.
    int checked = 0;
    for (const gs::tflite_operator& op : g.operators) {
        if (op.builtin_code == gs::tflite_op::mul && op.inputs[0] != op.inputs[1]) {
            std::vector<float> w;
            std::vector<int64_t> shape;
            ASSERT_EQ(gs::tflite_dequantize(m, b.data(), b.size(), op.inputs[1], w, shape), "");
            ASSERT_EQ(shape, (std::vector<int64_t>{1, 400}));
            for (size_t i = 0; i < w.size(); ++i) {
                EXPECT_NEAR(w[i], 0.5 - 0.5 * std::cos(2.0 * 3.14159265358979323846 * double(i) / 400.0), 1e-6) << i;
            }
            ++checked;
        }
        if (op.builtin_code == gs::tflite_op::fully_connected && op.inputs.size() > 2 && op.inputs[2] >= 0 &&
            tensor_of(g, op.inputs[2]).shape == std::vector<int32_t>{64}) {
            std::vector<float> bias;
            std::vector<int64_t> shape;
            ASSERT_EQ(gs::tflite_dequantize(m, b.data(), b.size(), op.inputs[2], bias, shape), "");
            for (float v : bias) EXPECT_FLOAT_EQ(v, 0.001f);
            ++checked;
        }
    }
    EXPECT_EQ(checked, 2);
}

TEST(TfliteReader, DequantisesPerChannelWeights) {
    const bytes_t b = yamnet_file("spectra");
    gs::tflite_model m;
    ASSERT_EQ(gs::tflite_parse(b.data(), b.size(), m), "");
    const gs::tflite_subgraph& g = m.subgraphs.at(0);
    int first_conv = -1;
    for (const gs::tflite_operator& op : g.operators) {
        if (op.builtin_code == gs::tflite_op::conv_2d) {
            first_conv = op.inputs[1];
            break;
        }
    }
    ASSERT_GE(first_conv, 0);
    std::vector<float> w;
    std::vector<int64_t> shape;
    ASSERT_EQ(gs::tflite_dequantize(m, b.data(), b.size(), first_conv, w, shape), "");
    ASSERT_EQ(shape, (std::vector<int64_t>{32, 3, 3, 1}));
    ASSERT_EQ(w.size(), 288u);
    double sum_abs = 0.0;
    for (float v : w) {
        ASSERT_TRUE(std::isfinite(v));
        sum_abs += std::fabs(v);
    }
    EXPECT_GT(sum_abs, 0.0);
    // Element i belongs to output channel i / 9: its value is the raw int8 times that channel's scale.
    const gs::tflite_tensor& t = tensor_of(g, first_conv);
    const uint8_t* raw = b.data() + m.buffers[t.buffer].offset;
    for (size_t i = 0; i < w.size(); ++i) {
        const size_t c = i / 9;
        const double want = (double(int8_t(raw[i])) - double(t.quant.zero_point[c])) * t.quant.scale[c];
        ASSERT_FLOAT_EQ(w[i], float(want)) << i;
    }
    // The scales really differ per channel (so using one scale would be wrong).
    EXPECT_NE(t.quant.scale.front(), t.quant.scale.back());

    // Errors: an activation, an index out of range, a scale count that does not match the channels, bytes
    // that do not hold the buffer.
    EXPECT_NE(gs::tflite_dequantize(m, b.data(), b.size(), g.inputs[0], w, shape).find("no constant data"),
              std::string::npos);
    EXPECT_TRUE(w.empty());
    EXPECT_NE(gs::tflite_dequantize(m, b.data(), b.size(), 100000, w, shape), "");
    EXPECT_NE(gs::tflite_dequantize(m, b.data(), b.size(), -1, w, shape), "");
    EXPECT_NE(gs::tflite_dequantize(m, b.data(), 1000, first_conv, w, shape).find("outside"), std::string::npos);
    gs::tflite_model bad = m;
    bad.subgraphs[0].tensors[size_t(first_conv)].quant.scale.pop_back();
    bad.subgraphs[0].tensors[size_t(first_conv)].quant.zero_point.pop_back();
    EXPECT_NE(gs::tflite_dequantize(bad, b.data(), b.size(), first_conv, w, shape).find("31 scales for 32 channels"),
              std::string::npos);
    bad = m;
    bad.subgraphs[0].tensors[size_t(first_conv)].shape[0] = 16;
    EXPECT_NE(gs::tflite_dequantize(bad, b.data(), b.size(), first_conv, w, shape).find("bytes for 144"),
              std::string::npos);
    EXPECT_TRUE(w.empty());
    EXPECT_TRUE(shape.empty());
}

TEST(TfliteReader, HandBuiltModelAndOpcodeResolution) {
    bytes_t b = tiny_model();
    gs::tflite_model m;
    ASSERT_EQ(gs::tflite_parse(b.data(), b.size(), m), "");
    expect_consistent(m, b.size());
    EXPECT_EQ(m.description, "tiny");
    const gs::tflite_subgraph& g = m.subgraphs.at(0);
    EXPECT_EQ(g.name, "main");
    ASSERT_EQ(g.operators.size(), 1u);
    const gs::tflite_operator& op = g.operators[0];
    EXPECT_EQ(op.builtin_code, gs::tflite_op::fully_connected);
    EXPECT_EQ(gs::tflite_op_name(op.builtin_code), "FULLY_CONNECTED");
    EXPECT_EQ(op.inputs, (std::vector<int32_t>{0, 1, -1}));
    EXPECT_EQ(op.options.activation, gs::tflite_activation::relu);
    EXPECT_TRUE(op.options.keep_num_dims);
    std::vector<float> w;
    std::vector<int64_t> shape;
    ASSERT_EQ(gs::tflite_dequantize(m, b.data(), b.size(), 1, w, shape), "");
    EXPECT_EQ(w, (std::vector<float>{0.5f, 1.0f, 1.5f, 2.0f, -0.5f, -0.75f, -1.0f, -1.25f}));

    // Newer ops: the int8 field saturates at 127 (PLACEHOLDER_FOR_GREATER_OP_CODES), builtin_code holds the op.
    b = tiny_model(127, gs::tflite_op::rfft2d, 105);
    ASSERT_EQ(gs::tflite_parse(b.data(), b.size(), m), "");
    EXPECT_EQ(m.subgraphs[0].operators[0].builtin_code, gs::tflite_op::rfft2d);
    // Old files: only the deprecated field.
    b = tiny_model(gs::tflite_op::fully_connected, 0);
    ASSERT_EQ(gs::tflite_parse(b.data(), b.size(), m), "");
    EXPECT_EQ(m.subgraphs[0].operators[0].builtin_code, gs::tflite_op::fully_connected);

    // Inconsistent models.
    b = tiny_model(9, 9, 1);
    EXPECT_EQ(gs::tflite_parse(b.data(), b.size(), m),
              "tflite: operator 0 (FULLY_CONNECTED) has options of type 1, expected 8");
    EXPECT_TRUE(m.subgraphs.empty());
    b = tiny_model(9, 9, 8, 7);
    EXPECT_EQ(gs::tflite_parse(b.data(), b.size(), m), "tflite: tensor 1 names buffer 7 of 2");
    b = tiny_model(-3, 9);
    EXPECT_NE(gs::tflite_parse(b.data(), b.size(), m).find("negative builtin code"), std::string::npos);
}

TEST(TfliteReader, SharedOffsetsCannotBlowUpMemory) {
    // 3000 subgraph entries pointing at one subgraph whose 3000 tensor entries point at one tensor: a 24 KB
    // file that would decode into 9 M tensors (some GB).
    fb_builder f;
    f.push<uint32_t>(0);
    f.b.insert(f.b.end(), {'T', 'F', 'L', '3'});
    std::vector<size_t> mf, sgf, tf;
    const size_t model = f.table({0, 2, 4}, mf);
    f.link(0, model);
    f.set<uint32_t>(mf[0], 3);
    const size_t n = 3000;
    const size_t sgs = f.vec<uint32_t>(std::vector<uint32_t>(n, 0));
    f.link(mf[2], sgs);
    const size_t sg = f.table({0}, sgf);
    for (size_t i = 0; i < n; ++i) f.link(sgs + 4 + 4 * i, sg);
    const size_t tensors = f.vec<uint32_t>(std::vector<uint32_t>(n, 0));
    f.link(sgf[0], tensors);
    const size_t t = f.table({0}, tf);
    for (size_t i = 0; i < n; ++i) f.link(tensors + 4 + 4 * i, t);
    f.link(tf[0], f.vec<int32_t>({1, 2, 3, 4}));
    const size_t bufs = f.vec<uint32_t>({0});
    f.link(mf[4], bufs);
    std::vector<size_t> bf;
    f.link(bufs + 4, f.table({}, bf));
    gs::tflite_model m;
    const std::string err = gs::tflite_parse(f.b.data(), f.b.size(), m);
    EXPECT_NE(err.find("would exceed"), std::string::npos) << err;
}

TEST(TfliteReader, GarbageAndEmptyFiles) {
    gs::tflite_model m;
    EXPECT_EQ(gs::tflite_parse(nullptr, 0, m), "tflite: empty file");
    const uint8_t four[4] = {1, 2, 3, 4};
    EXPECT_EQ(gs::tflite_parse(four, 4, m), "tflite: file of 4 bytes is too short for a TFLite model");
    bytes_t garbage(5000);
    std::mt19937 rng(7);
    for (uint8_t& x : garbage) x = static_cast<uint8_t>(rng());
    EXPECT_EQ(gs::tflite_parse(garbage.data(), garbage.size(), m), "tflite: not a TFLite model (no TFL3 file identifier)");
    // Right identifier, garbage elsewhere.
    std::memcpy(garbage.data() + 4, "TFL3", 4);
    const std::string err = gs::tflite_parse(garbage.data(), garbage.size(), m);
    EXPECT_EQ(err.rfind("tflite: ", 0), 0u) << err;
    EXPECT_TRUE(m.subgraphs.empty());
    // A WAV header is not a model either.
    const char wav[] = "RIFF\x24\0\0\0WAVEfmt ";
    EXPECT_EQ(gs::tflite_parse(reinterpret_cast<const uint8_t*>(wav), sizeof wav, m),
              "tflite: not a TFLite model (no TFL3 file identifier)");
}

TEST(TfliteReader, CorruptedFieldsGiveClearErrors) {
    const bytes_t orig = yamnet_file("spectra");
    ASSERT_FALSE(orig.empty());
    gs::tflite_model m;
    bytes_t b = orig;
    const size_t sg = subgraph0(b);
    const size_t tensors = deref(b, field_pos(b, sg, 0));
    const size_t t12_buffer = field_pos(b, vector_table(b, tensors, 12), 2);
    ASSERT_NE(t12_buffer, 0u);
    wr32(b, t12_buffer, 400);
    EXPECT_EQ(gs::tflite_parse(b.data(), b.size(), m), "tflite: tensor 12 names buffer 400 of 97");

    b = orig;
    const size_t ops = deref(b, field_pos(b, sg, 3));
    const size_t op3 = vector_table(b, ops, 3);
    wr32(b, field_pos(b, op3, 0), 99);
    EXPECT_EQ(gs::tflite_parse(b.data(), b.size(), m), "tflite: operator 3 names operator code 99 of 9");

    b = orig;
    const size_t op3_inputs = deref(b, field_pos(b, op3, 1));
    wr32(b, op3_inputs + 4, 1000);
    EXPECT_EQ(gs::tflite_parse(b.data(), b.size(), m), "tflite: operator 3 (CONV_2D) input 0 is tensor 1000 of 94");

    b = orig;
    wr32(b, field_pos(b, root_table(b), 0), 2);
    EXPECT_EQ(gs::tflite_parse(b.data(), b.size(), m), "tflite: schema version 2 is not supported (expected 3)");

    b = orig;
    wr32(b, 0, 0xfffffff0u);
    EXPECT_NE(gs::tflite_parse(b.data(), b.size(), m).find("past the end of the file"), std::string::npos);

    b = orig;
    const size_t vt = vtable_of(b, root_table(b));
    b[vt] = 0xff;
    b[vt + 1] = 0xff;  // vtable size 65535: odd, and longer than what follows it
    EXPECT_NE(gs::tflite_parse(b.data(), b.size(), m).find("bad vtable"), std::string::npos);

    b = orig;
    wr32(b, deref(b, field_pos(b, sg, 0)), 0x7fffffffu);  // tensor count
    EXPECT_NE(gs::tflite_parse(b.data(), b.size(), m).find("runs past the end of the file"), std::string::npos);
    EXPECT_TRUE(m.subgraphs.empty());
}

TEST(TfliteReader, EveryTruncationIsAnErrorOrConsistent) {
    for (const char* which : {"spectra", "waveform"}) {
        const bytes_t b = yamnet_file(which);
        ASSERT_FALSE(b.empty());
        std::vector<size_t> lengths = {0, 1, 4, 7, 8, 9, 100, b.size() / 2, b.size() - 1};
        for (size_t n = 10; n < 600; ++n) lengths.push_back(n);
        for (size_t n = 600; n < b.size(); n += 40961) lengths.push_back(n);          // through the whole file
        for (size_t k = 2; k < 200; ++k) lengths.push_back(b.size() - k * 1337 % (b.size() / 8));  // its tail: the tables
        int errors = 0;
        for (size_t n : lengths) {
            gs::tflite_model m;
            const std::string err = parse_prefix(b, n, m);
            if (err.empty()) {
                expect_consistent(m, n);
            } else {
                ++errors;
                EXPECT_EQ(err.rfind("tflite: ", 0), 0u) << err;
                EXPECT_EQ(err.find('\n'), std::string::npos) << err;
                EXPECT_TRUE(m.subgraphs.empty() && m.buffers.empty());
            }
        }
        // The tables are at the end of these files: every strict prefix loses some of them.
        EXPECT_EQ(errors, static_cast<int>(lengths.size())) << which;
    }
}

TEST(TfliteReader, RandomByteFlipsInTheTablesNeverCrash) {
    for (const char* which : {"spectra", "waveform"}) {
        bytes_t b = yamnet_file(which);
        ASSERT_FALSE(b.empty());
        gs::tflite_model m;
        ASSERT_EQ(gs::tflite_parse(b.data(), b.size(), m), "");
        // The flatbuffer's own structure: the header, and everything after the last weight buffer (the tables,
        // vtables, vectors and strings), where a flip changes offsets, counts, indices and types.
        uint64_t data_end = 0;
        for (const gs::tflite_buffer& buf : m.buffers) data_end = std::max(data_end, buf.offset + buf.size);
        ASSERT_LT(data_end, b.size());
        std::mt19937 rng(1234);
        int errors = 0;
        const int trials = 2000;
        for (int trial = 0; trial < trials; ++trial) {
            const int n_flips = 1 + int(rng() % 4);
            std::vector<std::pair<size_t, uint8_t>> saved;
            for (int k = 0; k < n_flips; ++k) {
                const size_t pos = (rng() % 8 == 0) ? rng() % 64 : size_t(data_end + rng() % (b.size() - data_end));
                saved.push_back({pos, b[pos]});
                b[pos] = (rng() % 2) ? static_cast<uint8_t>(rng()) : static_cast<uint8_t>(b[pos] ^ (1u << (rng() % 8)));
            }
            gs::tflite_model mm;
            const std::string err = gs::tflite_parse(b.data(), b.size(), mm);
            if (err.empty()) {
                expect_consistent(mm, b.size());
                // Dequantising every constant must not crash either (errors are fine).
                std::vector<float> v;
                std::vector<int64_t> s;
                for (size_t t = 0; t < mm.subgraphs[0].tensors.size(); ++t) {
                    if (gs::tflite_element_count(mm.subgraphs[0].tensors[t].shape) > 20000) continue;  // time
                    (void)gs::tflite_dequantize(mm, b.data(), b.size(), int(t), v, s);
                }
            } else {
                ++errors;
                EXPECT_EQ(err.rfind("tflite: ", 0), 0u) << err;
                EXPECT_EQ(err.find('\n'), std::string::npos) << err;
            }
            for (auto it = saved.rbegin(); it != saved.rend(); ++it) b[it->first] = it->second;
        }
        // Names and quantisation numbers take many bytes, so not every flip is an error, but many must be.
        EXPECT_GT(errors, trials / 10) << which;
    }
}

}  // namespace
