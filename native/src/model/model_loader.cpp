// model_loader.cpp: model.onnx + model.json -> ir_module with the trained weights.
#include "model/model_loader.h"

#include <fstream>
#include <sstream>

#include "data/sha256.h"
#include "model/archs.h"
#include "model/onnx_export.h"

namespace gs {

std::string card_path_for(const std::string& onnx_path) {
    const size_t dot = onnx_path.rfind('.');
    const size_t slash = onnx_path.rfind('/');
    if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return onnx_path + ".json";
    return onnx_path.substr(0, dot) + ".json";
}

static bool read_all(const std::string& path, std::string& out) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return false;
    std::ostringstream ss;
    ss << f.rdbuf();
    out = ss.str();
    return static_cast<bool>(f) || f.eof();
}

std::string load_model(const std::string& onnx_path, loaded_model& out) {
    std::string bytes, card_text;
    if (!read_all(onnx_path, bytes)) return onnx_path + ": cannot read the model";
    const std::string card_path = card_path_for(onnx_path);
    if (!read_all(card_path, card_text)) return card_path + ": cannot read the model card";
    json_value j;
    std::string err = json_parse(card_text, j);
    if (!err.empty()) return card_path + ": " + err;
    model_card card;
    if (!(err = from_json(j, card)).empty()) return card_path + ": " + err;
    const std::string sha = sha256_hex(bytes);
    if (!card.onnx_sha256.empty() && card.onnx_sha256 != sha) {
        return onnx_path + ": does not match its card (sha256 " + sha.substr(0, 12) + "..., the card pins " +
               card.onnx_sha256.substr(0, 12) + "...)";
    }
    ir_graph g;
    if (!(err = build_arch(card.arch, card.features.n_bins(), card.segment_frames,
                           static_cast<int64_t>(card.labels.size()), g)).empty()) {
        return card_path + ": " + err;
    }
    for (ir_node& n : g.nodes) {
        if (n.op == ir_op::scale && n.name == "temperature1") n.floats["factor"] = 1.0 / card.temperature;
    }
    ir_weights w;
    if (!(err = import_onnx_weights(bytes, g, w)).empty()) return onnx_path + ": " + err;
    try {
        ir_module m(g);
        if (!(err = m->set_weights(w)).empty()) return onnx_path + ": " + err;
        m->eval();
        out.module = m;
    } catch (const std::exception& e) {
        return onnx_path + ": " + e.what();
    }
    out.card = card;
    out.graph = g;
    return "";
}

}  // namespace gs
