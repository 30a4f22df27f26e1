// fuzz_onnx_weights.cpp: libFuzzer entry point for import_onnx_weights, the ONNX reader behind every model a user loads natively.
//
// `genrescope classify --model X.onnx` (and eval, library, calibrate, quantize, a backbone) reads the weights
// out of the user's file: protobuf parsing, the ONNX checker, the graph's input/output, every initializer
// (float raw_data or float_data, int8 behind DequantizeLinear: onnx_dequantize_initializers). The target builds
// two small real models at start-up (genrescope_cnn on 16 x 24 inputs, random weights: one float, one with
// int8 weights), then feeds them with byte edits (so protobuf tags, lengths, dims, types and scales are hit,
// not only weight bytes), cut short, or raw bytes. The contract: "" with every param of the graph at its size
// and finite, or a one-line error.
#include "model/archs.h"
#include "model/onnx_export.h"
#include "model/onnx_quant.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace {

struct base_model {
    gs::ir_graph graph;
    std::string bytes[2];  // float, int8 weights
};

base_model make_base() {
    base_model b;
    if (!gs::build_arch("genrescope_cnn", 16, 24, 3, b.graph).empty()) std::abort();
    std::map<std::string, std::vector<int64_t>> shapes;
    if (!gs::ir_infer_shapes(b.graph, 1, shapes).empty()) std::abort();
    gs::ir_weights w;
    std::mt19937 rng(1);
    std::normal_distribution<float> normal(0.0f, 0.1f);
    for (const gs::ir_node& n : b.graph.nodes) {
        for (const gs::ir_param& p : n.params) {
            int64_t count = 1;
            for (int64_t d : p.shape) count *= d;
            std::vector<float>& v = w[n.name + "." + p.name];
            v.resize(size_t(count));
            for (float& x : v) x = p.name == "running_var" ? 1.0f : normal(rng);
        }
    }
    if (!gs::export_onnx(b.graph, w, {}, b.bytes[0]).empty()) std::abort();
    gs::onnx_quant_options q;
    q.min_elements = 16;
    gs::onnx_quant_summary summary;
    if (!gs::onnx_quantize(b.bytes[0], q, b.bytes[1], summary).empty() || summary.tensors.empty()) std::abort();
    return b;
}

void check(const std::string& bytes, const gs::ir_graph& g) {
    gs::ir_weights w;
    const std::string err = gs::import_onnx_weights(bytes, g, w);
    if (!err.empty()) {
        if (err.find('\n') != std::string::npos) {
            std::fprintf(stderr, "not one line: %s\n", err.c_str());
            std::abort();
        }
        return;
    }
    for (const gs::ir_node& n : g.nodes) {
        for (const gs::ir_param& p : n.params) {
            auto it = w.find(n.name + "." + p.name);
            if (it == w.end()) std::abort();
            int64_t count = 1;
            for (int64_t d : p.shape) count *= d;
            if (int64_t(it->second.size()) != count) std::abort();
        }
    }
}

}  // namespace

// Input: byte 0: bit 0 picks raw (the rest is the file) or edits; bit 1 picks the float or the int8 model; bit 2
// cuts the edited file short by the 1-4 bytes left over (base 255). Edits are 5 bytes: a little-endian position
// (modulo the file's size) and the byte to write there.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static base_model base = make_base();
    if (size == 0) return 0;
    const uint8_t mode = data[0];
    ++data;
    --size;
    if ((mode & 1) == 0) {
        check(std::string(reinterpret_cast<const char*>(data), size), base.graph);
        return 0;
    }
    std::string file = base.bytes[(mode >> 1) & 1];
    size_t i = 0;
    for (int edits = 0; i + 5 <= size && edits < 64; i += 5, ++edits) {
        uint32_t raw;
        std::memcpy(&raw, data + i, 4);
        file[raw % file.size()] = char(data[i + 4]);
    }
    if (mode & 4) {
        size_t cut = 0;
        for (; i < size; ++i) cut = cut * 255 + data[i];
        file.resize(file.size() - std::min(cut, file.size()));
    }
    check(file, base.graph);
    return 0;
}
