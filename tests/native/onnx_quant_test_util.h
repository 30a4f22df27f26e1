// onnx_quant_test_util.h: small helpers shared by the onnx_quant tests (proto look-ups, export, quantise).
#pragma once

#include "model/model_ir.h"
#include "model/onnx_export.h"
#include "model/onnx_quant.h"

#include "model/onnx_proto.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace gs_quant_test {

using gs::ir_graph;
using gs::ir_weights;

inline onnx::ModelProto parse(const std::string& bytes) {
    onnx::ModelProto m;
    EXPECT_TRUE(m.ParseFromString(bytes));
    return m;
}

inline onnx::TensorProto* find_init(onnx::ModelProto& m, const std::string& name) {
    for (onnx::TensorProto& t : *m.mutable_graph()->mutable_initializer()) {
        if (t.name() == name) return &t;
    }
    return nullptr;
}

inline onnx::NodeProto* find_dequantize(onnx::ModelProto& m, const std::string& weight) {
    for (onnx::NodeProto& n : *m.mutable_graph()->mutable_node()) {
        if (n.op_type() == "DequantizeLinear" && n.output(0) == weight) return &n;
    }
    return nullptr;
}

inline std::vector<float> floats_of(const onnx::TensorProto& t) {
    std::vector<float> v(t.raw_data().size() / sizeof(float));
    std::memcpy(v.data(), t.raw_data().data(), v.size() * sizeof(float));
    return v;
}

inline std::string export_graph(const ir_graph& g, const ir_weights& w) {
    std::string bytes;
    EXPECT_EQ(gs::export_onnx(g, w, {}, bytes), "");
    return bytes;
}

inline std::string quantize(const std::string& bytes, int64_t min_elements, gs::onnx_quant_summary& s) {
    gs::onnx_quant_options opt;
    opt.min_elements = min_elements;
    std::string out;
    EXPECT_EQ(gs::onnx_quantize(bytes, opt, out, s), "");
    return out;
}

}  // namespace gs_quant_test
