// batch_norm_stats.cpp: batch-norm statistics of a backbone estimated from training tracks (see batch_norm_stats.h).
#include "train/batch_norm_stats.h"

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "data/feature_cache.h"
#include "data/sha256.h"
#include "model/ir_torch.h"
#include "model/model_loader.h"

namespace gs {

bool needs_batch_norm_statistics(const backbone_model& b) {
    return b.card.training["batch_norm_statistics"].as_string() == "not estimated";
}

namespace {

// The running statistics of `nodes`, concatenated (every mean of node 1, every var of node 1, node 2, ...).
std::vector<float> gather_statistics(const backbone_model& b, const std::vector<const ir_node*>& nodes) {
    std::vector<float> v;
    for (const ir_node* n : nodes) {
        for (const char* p : {".running_mean", ".running_var"}) {
            const std::vector<float>& w = b.weights.at(n->name + p);
            v.insert(v.end(), w.begin(), w.end());
        }
    }
    return v;
}

bool scatter_statistics(backbone_model& b, const std::vector<const ir_node*>& nodes, const std::vector<float>& v) {
    size_t at = 0;
    for (const ir_node* n : nodes) {
        for (const char* p : {".running_mean", ".running_var"}) {
            std::vector<float>& w = b.weights.at(n->name + p);
            if (v.size() - at < w.size()) return false;
            std::copy(v.begin() + static_cast<std::ptrdiff_t>(at), v.begin() + static_cast<std::ptrdiff_t>(at + w.size()), w.begin());
            at += w.size();
        }
    }
    return at == v.size();
}

}  // namespace

std::string estimate_batch_norm_statistics(backbone_model& b, const std::vector<track_matrix>& tracks,
                                           const std::vector<int>& ids, int n_bins, const segment_spec& spec,
                                           const std::string& cache_dir, bool quiet, json_value& info) {
    constexpr size_t kBatch = 8;  // segments per forward pass (every activation of the pass is kept)
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<const ir_node*> bn_nodes;
    for (const ir_node& n : b.graph.nodes) {
        if (n.op == ir_op::batch_norm) bn_nodes.push_back(&n);
        if (n.op == ir_op::batch_norm && (!b.weights.count(n.name + ".running_mean") || !b.weights.count(n.name + ".running_var"))) {
            return "batch-norm statistics: " + n.name + " has no running statistics to set";
        }
    }
    // The cache key: the network (graph and weights), the segmenting, and every training track's features.
    std::string cache_path;
    {
        std::string text = backbone_cache_text(b, spec);
        for (int id : ids) {
            if (id < 0 || static_cast<size_t>(id) >= tracks.size()) continue;
            const track_matrix& t = tracks[static_cast<size_t>(id)];
            text += "|" + sha256_hex(t.data.data(), t.data.size() * sizeof(float));
        }
        if (!cache_dir.empty()) cache_path = cache_dir + "/bn-" + sha256_hex(text).substr(0, 32) + ".gsf";
    }
    std::error_code ec;
    if (!cache_path.empty() && std::filesystem::exists(cache_path, ec)) {
        track_features f;
        int rate = 0;
        std::vector<float> stats;
        if (read_gsf(cache_path, f, rate).empty() && f.n_bins == 1 && f.data.size() >= 2) {
            stats.assign(f.data.begin(), f.data.end() - 2);
        }
        if (!stats.empty() && scatter_statistics(b, bn_nodes, stats)) {
            if (!quiet) {
                std::fprintf(stderr, "backbone %s: batch-norm statistics of %zu nodes read from the cache\n",
                             b.name.c_str(), bn_nodes.size());
            }
            info = json_value::object();
            info.set("tracks", static_cast<double>(f.data[f.data.size() - 2]));
            info.set("segments", static_cast<double>(f.data.back()));
            info.set("nodes", static_cast<double>(bn_nodes.size()));
            b.card.training.set("batch_norm_statistics", "estimated");
            return "";
        }
    }
    // Every segment of the training tracks, once.
    std::vector<float> inputs;
    size_t n_segments = 0, n_tracks = 0;
    for (int id : ids) {
        if (id < 0 || static_cast<size_t>(id) >= tracks.size() || tracks[static_cast<size_t>(id)].n_frames == 0) continue;
        std::vector<float> x;
        std::vector<size_t> starts;
        track_segments(tracks[static_cast<size_t>(id)], n_bins, spec, x, starts);
        inputs.insert(inputs.end(), x.begin(), x.end());
        n_segments += starts.size();
        ++n_tracks;
    }
    if (n_segments == 0) return "batch-norm statistics: no training segments to estimate them from";
    const size_t seg = static_cast<size_t>(n_bins) * spec.frames;
    torch::NoGradGuard no_grad;
    for (const ir_node* bn : bn_nodes) {
        ir_module module{nullptr};
        const std::string e = make_module(b.graph, b.weights, module);
        if (!e.empty()) return "batch-norm statistics: " + e;
        torch::Tensor sum, sum_sq;
        double count = 0.0;
        for (size_t s0 = 0; s0 < n_segments; s0 += kBatch) {
            const size_t n = std::min(kBatch, n_segments - s0);
            const torch::Tensor x = torch::from_blob(inputs.data() + s0 * seg,
                                                     {static_cast<int64_t>(n), 1, n_bins, spec.frames});
            const torch::Tensor a = module->forward_all(x).at(bn->inputs.at(0)).to(torch::kFloat64);
            if (a.dim() < 2) return "batch-norm statistics: the input of " + bn->name + " has no channel axis";
            std::vector<int64_t> reduce = {0};
            for (int64_t d = 2; d < a.dim(); ++d) reduce.push_back(d);
            const torch::Tensor s = a.sum(reduce), q = (a * a).sum(reduce);
            sum = sum.defined() ? sum + s : s;
            sum_sq = sum_sq.defined() ? sum_sq + q : q;
            count += static_cast<double>(a.numel() / a.size(1));
        }
        // ref: batch norm at inference: y = (x - running_mean) / sqrt(running_var + eps) * gamma + beta; the
        // statistics are the mean and the (population) variance of x per channel over the data.
        const torch::Tensor mean = sum / count;
        const torch::Tensor var = (sum_sq / count - mean * mean).clamp_min(0.0);
        const torch::Tensor mf = mean.to(torch::kFloat32).contiguous(), vf = var.to(torch::kFloat32).contiguous();
        std::vector<float>& rm = b.weights[bn->name + ".running_mean"];
        std::vector<float>& rv = b.weights[bn->name + ".running_var"];
        if (static_cast<int64_t>(rm.size()) != mf.numel() || static_cast<int64_t>(rv.size()) != vf.numel()) {
            return "batch-norm statistics: " + bn->name + " has " + std::to_string(rm.size()) + " channels, its input " +
                   std::to_string(mf.numel());
        }
        std::copy(mf.data_ptr<float>(), mf.data_ptr<float>() + mf.numel(), rm.begin());
        std::copy(vf.data_ptr<float>(), vf.data_ptr<float>() + vf.numel(), rv.begin());
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!quiet) {
        std::fprintf(stderr, "backbone %s: batch-norm statistics of %zu nodes from %zu training tracks (%zu segments), %.1f s\n",
                     b.name.c_str(), bn_nodes.size(), n_tracks, n_segments, secs);
    }
    info = json_value::object();
    info.set("tracks", static_cast<double>(n_tracks));
    info.set("segments", static_cast<double>(n_segments));
    info.set("nodes", static_cast<double>(bn_nodes.size()));
    b.card.training.set("batch_norm_statistics", "estimated");
    if (!cache_path.empty()) {
        std::filesystem::create_directories(cache_dir, ec);
        track_features f;
        f.n_bins = 1;
        f.data = gather_statistics(b, bn_nodes);
        f.data.push_back(static_cast<float>(n_tracks));   // then the counts for the card (exact below 2^24)
        f.data.push_back(static_cast<float>(n_segments));
        f.n_frames = f.data.size();
        write_gsf(cache_path, f, 1, 0);  // a failed write only costs the passes again next time
    }
    return "";
}

}  // namespace gs
