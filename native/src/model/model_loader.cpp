// model_loader.cpp: model.onnx + model.json -> ir_module with the trained weights.
#include "model/model_loader.h"

#include <algorithm>
#include <vector>

#include "data/sha256.h"
#include "file_io.h"
#include "model/archs.h"
#include "model/card_graph.h"
#include "model/onnx_export.h"

namespace gs {

// Larger files are refused before reading: our models are a few MB, their cards a few kB.
constexpr uint64_t kMaxModelBytes = uint64_t(1) << 30;
constexpr uint64_t kMaxCardBytes = uint64_t(64) << 20;

std::string card_path_for(const std::string& onnx_path) {
    const size_t dot = onnx_path.rfind('.');
    const size_t slash = onnx_path.rfind('/');
    if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return onnx_path + ".json";
    return onnx_path.substr(0, dot) + ".json";
}

// An inference-mode module for graph g with weights w.
std::string make_module(const ir_graph& g, const ir_weights& w, ir_module& out) {
    try {
        ir_module m(g);
        const std::string err = m->set_weights(w);
        if (!err.empty()) return err;
        m->eval();
        out = m;
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}

std::string load_model(const std::string& onnx_path, loaded_model& out) {
    std::string bytes, card_text;
    std::string err = read_whole_file(onnx_path, kMaxModelBytes, bytes);
    if (!err.empty()) return onnx_path + ": cannot read the model (" + err + ")";
    const std::string card_path = card_path_for(onnx_path);
    if (!(err = read_whole_file(card_path, kMaxCardBytes, card_text)).empty()) {
        return card_path + ": cannot read the model card (" + err + ")";
    }
    json_value j;
    err = json_parse(card_text, j);
    if (!err.empty()) return card_path + ": " + err;
    model_card card;
    if (!(err = from_json(j, card)).empty()) return card_path + ": " + err;
    const std::string sha = sha256_hex(bytes);
    if (!card.onnx_sha256.empty() && card.onnx_sha256 != sha) {
        return onnx_path + ": does not match its card (sha256 " + sha.substr(0, 12) + "..., the card pins " +
               card.onnx_sha256.substr(0, 12) + "...)";
    }
    ir_graph g;
    if (!(err = card_graph(card, card.level_align, g)).empty()) return card_path + ": " + err;
    ir_weights w;
    if (!(err = import_onnx_weights(bytes, g, w)).empty()) return onnx_path + ": " + err;
    if (!(err = make_module(g, w, out.module)).empty()) return onnx_path + ": " + err;
    out.card = card;
    out.graph = g;
    return "";
}

std::string insert_level_align(loaded_model& m) {
    if (m.card.level_align) return "the model already aligns levels";
    ir_graph g;
    std::string err = card_graph(m.card, true, g);
    ir_weights w = m.module->weights();
    if (err.empty()) err = set_level_align(g, m.card.features, w);
    if (err.empty()) err = make_module(g, w, m.module);
    if (!err.empty()) return err;
    m.graph = g;
    m.card.level_align = true;
    return "";
}

std::vector<size_t> segment_probabilities(loaded_model& m, const float* features, size_t n_frames,
                                          std::vector<float>& probs, const std::string& extra_name,
                                          std::vector<float>* extra) {
    std::vector<std::string> names;
    if (extra && !extra_name.empty()) names.push_back(extra_name);
    std::vector<std::vector<float>> extras;
    const std::vector<size_t> starts = segment_outputs(m, features, n_frames, probs, names, extras);
    if (!names.empty()) extra->insert(extra->end(), extras[0].begin(), extras[0].end());
    return starts;
}

std::vector<size_t> segment_outputs(loaded_model& m, const float* features, size_t n_frames, std::vector<float>& probs,
                                    const std::vector<std::string>& extra_names,
                                    std::vector<std::vector<float>>& extras) {
    constexpr size_t kBatch = 16;  // segments per forward pass (bounds activation memory)
    segment_spec spec;
    spec.frames = m.card.segment_frames;
    spec.hop_frames = m.card.segment_hop_frames;
    spec.fill = m.card.fill;
    const std::vector<size_t> starts = segment_starts(n_frames, spec);
    const int nb = m.card.features.n_bins();
    const size_t seg = static_cast<size_t>(nb) * spec.frames;
    extras.assign(extra_names.size(), {});
    std::vector<float> batch;
    torch::NoGradGuard no_grad;
    for (size_t s0 = 0; s0 < starts.size(); s0 += kBatch) {
        const size_t n = std::min(kBatch, starts.size() - s0);
        batch.resize(n * seg);  // copy_segment writes every value
        for (size_t i = 0; i < n; ++i) {
            copy_segment(features, nb, n_frames, starts[s0 + i], spec, 0.0f, batch.data() + i * seg);
        }
        torch::Tensor x = torch::from_blob(batch.data(), {static_cast<int64_t>(n), 1, nb, spec.frames}, torch::kFloat32);
        torch::Tensor p;
        if (!extra_names.empty()) {
            const std::map<std::string, torch::Tensor> all = m.module->forward_all(x);
            p = all.at(m.graph.output).contiguous();
            for (size_t k = 0; k < extra_names.size(); ++k) {
                const torch::Tensor e = all.at(extra_names[k]).contiguous();
                extras[k].insert(extras[k].end(), e.data_ptr<float>(), e.data_ptr<float>() + e.numel());
            }
        } else {
            p = m.module->forward_to(x, m.graph.output).contiguous();
        }
        probs.insert(probs.end(), p.data_ptr<float>(), p.data_ptr<float>() + p.numel());
    }
    return starts;
}

}  // namespace gs
