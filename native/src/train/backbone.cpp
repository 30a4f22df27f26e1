// backbone.cpp: loads a pretrained backbone and computes (or reads back) its cached segment embeddings.
#include "train/backbone.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "data/feature_cache.h"
#include "data/sha256.h"
#include "model/import_yamnet.h"
#ifdef GENRESCOPE_HAVE_HDF5
#include "model/import_compact_cnn.h"
#endif
#include "model/ir_json.h"
#include "model/model_loader.h"

namespace fs = std::filesystem;

namespace gs {

namespace {

bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// Renames the graph's output tensor (the network's own scores) so that a head appended after it can end in
// the graph output name of its own.
void rename_output(ir_graph& g, const std::string& to) {
    for (ir_node& n : g.nodes) {
        for (std::string& i : n.inputs)
            if (i == g.output) i = to;
        if (n.output == g.output) n.output = to;
    }
    g.output = to;
}

}  // namespace

std::string load_backbone(const std::string& spec, const std::string& pretrained_dir, backbone_model& out) {
    backbone_model b;
    std::string e;
    if (spec == "yamnet" || ends_with(spec, ".tflite")) {
        const std::string path = spec == "yamnet" ? pretrained_dir + "/yamnet/yamnet_waveform_in.tflite" : spec;
        yamnet_import y;
        if (!(e = import_yamnet(path, "", y)).empty()) return "backbone: " + e;
        b.name = "yamnet";
        b.graph = std::move(y.graph);
        b.weights = std::move(y.weights);
        b.card = std::move(y.card);
        b.embedding = y.embedding;
        b.info = json_value::object();
        b.info.set("name", "yamnet");
        b.info.set("source", b.card.training["source"]);
        b.info.set("licence", b.card.training["licence"]);
        b.info.set("weights_file", b.card.training["weights_file"]);
        b.info.set("weights_sha256", y.source_sha256);
    } else if (spec == "compact_cnn" || ends_with(spec, ".hdf5") || ends_with(spec, ".h5")) {
#ifdef GENRESCOPE_HAVE_HDF5
        const std::string path =
            spec == "compact_cnn" ? pretrained_dir + "/compact_cnn_msd/weights_tensorflow.hdf5" : spec;
        ir_graph g;
        ir_weights w;
        model_card c;
        if (!(e = import_compact_cnn(path, g, w, c)).empty()) return "backbone: " + e;
        // The frame-local variant of its front end: dB against a fixed reference instead of the clip's maximum,
        // no 80-dB floor, plain framing. A fixed offset in dB only shifts the first convolution's outputs by a
        // constant per channel, which the batch-norm statistics estimated from training tracks remove; in
        // return every window depends only on its own audio (streaming, the microphone, sparse analysis).
        c.features.db.ref_max = false;
        c.features.db.ref = 1.0;
        c.features.db.top_db = -1.0;
        b.name = "compact_cnn";
        b.embedding = g.logits;
        b.graph = std::move(g);
        b.weights = std::move(w);
        b.card = std::move(c);
        b.info = json_value::object();
        b.info.set("name", "compact_cnn");
        for (const char* k : {"source", "licence", "weights_file", "weights_sha256"}) b.info.set(k, b.card.training[k]);
        b.info.set("front_end", "compact_cnn_melgram with dB against a fixed reference (1.0, amin 1e-10), no top_db, "
                                "plain framing: frame-local, unlike the original (dB relative to the clip's maximum, "
                                "80-dB floor, TF 'same' framing)");
#else
        return "backbone: compact_cnn needs libhdf5, and this build has none (apt-get install libhdf5-dev)";
#endif
    } else if (ends_with(spec, ".onnx")) {
        loaded_model m;
        if (!(e = load_model(spec, m)).empty()) return "backbone: " + e;
        b.name = m.card.name.empty() ? m.card.arch : m.card.name;
        b.graph = m.graph;
        b.weights = m.module->weights();
        b.card = m.card;
        b.embedding = m.card.training["embedding"].is_string() ? m.card.training["embedding"].as_string()
                                                               : m.module->embedding_tensor();
        if (b.embedding.empty()) return "backbone: " + spec + " has no layer feeding its logits to take an embedding from";
        b.info = json_value::object();
        b.info.set("name", b.name);
        b.info.set("source", "GenreScope model " + spec);
        if (m.card.training.find("backbone")) b.info.set("built_on", m.card.training["backbone"]);
        b.info.set("model_sha256", m.card.onnx_sha256);
    } else {
        return "backbone: '" + spec + "' is not yamnet, compact_cnn, a .tflite or Keras .hdf5 file or a GenreScope model.onnx";
    }
    if (!b.card.features.frame_local()) {
        return "backbone: " + b.name + "'s features are not frame-local; only such backbones can be trained on here";
    }
    std::map<std::string, std::vector<int64_t>> shapes;
    if (!(e = ir_infer_shapes(b.graph, 1, shapes)).empty()) return "backbone: " + e;
    auto it = shapes.find(b.embedding);
    if (it == shapes.end() || it->second.size() != 2) return "backbone: its embedding '" + b.embedding + "' is not [N, D]";
    b.embedding_dim = it->second[1];
    b.scores = "backbone_scores";  // unique: a backbone trained on a backbone already has a tensor of that name
    for (int k = 2;; ++k) {
        bool taken = b.graph.input == b.scores;
        for (const ir_node& n : b.graph.nodes) taken = taken || n.output == b.scores || n.name == b.scores;
        if (!taken) break;
        b.scores = "backbone_scores_" + std::to_string(k);
    }
    b.n_scores = b.graph.n_classes;
    // A tagger's own output becomes tags of the new model (an imported YAMNet's card names its graph output).
    const std::string own_output = b.graph.output;
    rename_output(b.graph, b.scores);
    if (!b.card.tags.is_null() && b.card.tags["output"].as_string() == own_output) {
        b.tags = b.card.tags;
        b.tags.set("output", b.scores);
    }
    b.info.set("embedding", b.embedding);
    b.info.set("embedding_dim", static_cast<double>(b.embedding_dim));
    b.info.set("own_classes", static_cast<double>(b.n_scores));
    out = std::move(b);
    return "";
}

std::string backbone_cache_text(const backbone_model& b, const segment_spec& spec) {
    std::string text = json_write(ir_graph_to_json(b.graph), -1) + "|" + std::to_string(spec.frames) + "/" +
                       std::to_string(spec.hop_frames) + "/" + std::to_string(spec.cover_tail) + "/" +
                       to_string(spec.fill);
    for (const auto& [name, v] : b.weights) text += name + sha256_hex(v.data(), v.size() * sizeof(float));
    return text;
}

std::string set_backbone_tap(backbone_model& b, const std::string& tensor) {
    std::map<std::string, std::vector<int64_t>> shapes;
    std::string e = ir_infer_shapes(b.graph, 1, shapes);
    if (!e.empty()) return "backbone: " + e;
    bool reaches_embedding = false, reaches_scores = false;
    for (size_t i : ir_nodes_after(b.graph, tensor)) {
        reaches_embedding = reaches_embedding || b.graph.nodes[i].output == b.embedding;
        reaches_scores = reaches_scores || b.graph.nodes[i].output == b.scores;
    }
    if (shapes.count(tensor) == 0 || tensor == b.embedding || !reaches_embedding || !reaches_scores) {
        // Candidates: the input and every activation the embedding and the scores follow from alone.
        std::string list;
        for (const ir_node& n : b.graph.nodes) {
            if (n.output == b.embedding) break;
            bool ok = false, ok_scores = false;
            for (size_t i : ir_nodes_after(b.graph, n.output)) {
                ok = ok || b.graph.nodes[i].output == b.embedding;
                ok_scores = ok_scores || b.graph.nodes[i].output == b.scores;
            }
            if (ok && ok_scores && n.op != ir_op::conv2d && n.op != ir_op::linear) list += " " + n.output;
        }
        return "backbone: cannot fine-tune from '" + tensor + "' (it must be a tensor before " + b.embedding +
               " that the embedding follows from alone); " + b.name + " has " + b.graph.input + list;
    }
    b.tap = tensor;
    b.tap_shape.assign(shapes.at(tensor).begin() + 1, shapes.at(tensor).end());
    b.tap_dim = 1;
    for (int64_t d : b.tap_shape) b.tap_dim *= d;
    return "";
}

std::string compute_embeddings(backbone_model& b, const std::vector<track_matrix>& tracks, int n_bins,
                               const segment_spec& spec, const std::string& cache_dir, bool quiet,
                               std::vector<track_embeddings>& out) {
    constexpr size_t kBatch = 16;
    const int64_t width = b.embedding_dim + b.n_scores + b.tap_dim;
    out.assign(tracks.size(), track_embeddings{});
    // The cache key covers the backbone (its graph and weights), the segmenting, the embedding's node and each
    // track's features.
    const std::string backbone_key =
        sha256_hex(backbone_cache_text(b, spec) + "|" + b.embedding + (b.tap.empty() ? "" : "|tap:" + b.tap)).substr(0, 16);
    std::error_code ec;
    if (!cache_dir.empty()) fs::create_directories(cache_dir, ec);
    const bool use_cache = !cache_dir.empty() && !ec;
    ir_module module{nullptr};
    std::string e = make_module(b.graph, b.weights, module);
    if (!e.empty()) return "backbone: " + e;
    torch::NoGradGuard no_grad;
    const auto t0 = std::chrono::steady_clock::now();
    size_t computed = 0, cached = 0, segments = 0;
    for (size_t t = 0; t < tracks.size(); ++t) {
        const track_matrix& tr = tracks[t];
        if (tr.n_frames == 0) continue;
        const std::string key = sha256_hex(tr.data.data(), tr.data.size() * sizeof(float)).substr(0, 32) + "-" + backbone_key;
        const std::string path = cache_dir + "/" + key + ".gsf";
        track_embeddings& te = out[t];
        if (use_cache && fs::exists(path)) {
            track_features f;
            int rate = 0;
            if (read_gsf(path, f, rate).empty() && f.n_bins == width) {
                te.n_segments = f.n_frames;
                te.values = std::move(f.data);
                ++cached;
                continue;
            }
        }
        // The same segments as predict_set (train_data.h), so head selection sees what evaluation sees.
        std::vector<float> inputs;
        std::vector<size_t> starts;
        track_segments(tr, n_bins, spec, inputs, starts);
        te.n_segments = starts.size();
        te.values.assign(starts.size() * static_cast<size_t>(width), 0.0f);
        const size_t seg = static_cast<size_t>(n_bins) * spec.frames;
        for (size_t s0 = 0; s0 < starts.size(); s0 += kBatch) {
            const size_t n = std::min(kBatch, starts.size() - s0);
            float* batch = inputs.data() + s0 * seg;
            const torch::Tensor x = torch::from_blob(batch, {static_cast<int64_t>(n), 1, n_bins, spec.frames});
            const std::map<std::string, torch::Tensor> all = module->forward_all(x);
            const torch::Tensor emb = all.at(b.embedding).contiguous();
            const torch::Tensor sc = all.at(b.scores).contiguous();
            const torch::Tensor tap = b.tap.empty() ? torch::Tensor() : all.at(b.tap).contiguous();
            for (size_t i = 0; i < n; ++i) {
                float* dst = te.values.data() + (s0 + i) * static_cast<size_t>(width);
                std::memcpy(dst, emb.data_ptr<float>() + i * b.embedding_dim, sizeof(float) * b.embedding_dim);
                std::memcpy(dst + b.embedding_dim, sc.data_ptr<float>() + i * b.n_scores, sizeof(float) * b.n_scores);
                if (b.tap_dim > 0) {
                    std::memcpy(dst + b.embedding_dim + b.n_scores, tap.data_ptr<float>() + i * b.tap_dim,
                                sizeof(float) * b.tap_dim);
                }
            }
        }
        segments += starts.size();
        ++computed;
        if (use_cache) {
            track_features f;
            f.n_bins = static_cast<int>(width);
            f.n_frames = te.n_segments;
            f.data = te.values;
            write_gsf(path, f, 1, 0);  // (rate and length unused here) a failed write only costs a recomputation next time
        }
        if (!quiet && (computed % 25 == 0)) {
            const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            std::fprintf(stderr, "backbone %s: %zu tracks computed (%zu segments, %.1f segments/s), %zu cached\n",
                         b.name.c_str(), computed, segments, segments / std::max(secs, 1e-9), cached);
        }
    }
    if (!quiet) {
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::fprintf(stderr, "backbone %s: embeddings of %zu tracks computed, %zu read from the cache, %.1f s\n",
                     b.name.c_str(), computed, cached, secs);
    }
    return "";
}

}  // namespace gs
