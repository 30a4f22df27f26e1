// quantize_activations.cpp: calibration windows, activation ranges and the float-vs-quantised comparison (quantize_activations.h).
#include "quantize_activations.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <exception>

#include "classify_track.h"
#include "genrescope/segments.h"
#include "library_files.h"

namespace gs {

namespace {

constexpr int64_t kBatch = 16;  // windows per forward pass (bounds activation memory)

// Calls f(batch tensor [b, 1, bins, frames]) for consecutive batches of `w`.
template <class F>
void for_each_batch(const calibration_windows& w, const ir_graph& g, F f) {
    const int64_t seg = g.n_bins * g.n_frames;
    for (int64_t s0 = 0; s0 < w.n; s0 += kBatch) {
        const int64_t b = std::min(kBatch, w.n - s0);
        torch::Tensor x = torch::from_blob(const_cast<float*>(w.data.data()) + s0 * seg, {b, 1, g.n_bins, g.n_frames},
                                           torch::kFloat32);
        f(x);
    }
}

}  // namespace

std::string collect_calibration_windows(const model_card& card, const std::vector<std::string>& roots, int max_files,
                                        int per_file, calibration_windows& out) {
    out = calibration_windows{};
    if (max_files < 1 || max_files > 100000) return "the number of calibration files must be in [1, 100000]";
    if (per_file < 1 || per_file > 4096) return "the windows per file must be in [1, 4096]";
    std::vector<library_file> files;
    std::vector<std::string> warnings;
    std::string err = find_library_files(roots, files, warnings);
    if (!err.empty()) return err;
    segment_spec spec;
    spec.frames = card.segment_frames;
    spec.hop_frames = card.segment_hop_frames;
    spec.fill = card.fill;
    const int nb = card.features.n_bins();
    const size_t seg = static_cast<size_t>(nb) * static_cast<size_t>(spec.frames);
    for (size_t i : spread_indices(files.size(), static_cast<size_t>(max_files))) {
        std::vector<float> feats;
        size_t n_frames = 0;
        double duration_s = 0.0;
        err = file_features(files[i].path, card, feats, n_frames, duration_s);
        if (!err.empty()) {
            out.skipped.push_back(err);
            continue;
        }
        const std::vector<size_t> starts = segment_starts(n_frames, spec);
        for (size_t s : spread_indices(starts.size(), static_cast<size_t>(per_file))) {
            out.data.resize(out.data.size() + seg);  // copy_segment writes every value
            copy_segment(feats.data(), nb, n_frames, starts[s], spec, 0.0f, out.data.data() + out.data.size() - seg);
            ++out.n;
        }
        out.files.push_back(files[i].path);
    }
    if (out.n == 0) return "no calibration window: none of the " + std::to_string(files.size()) + " files decoded";
    return "";
}

std::string activation_ranges(ir_module& m, const ir_graph& g, const calibration_windows& w,
                              const std::vector<std::string>& tensors, double percentile,
                              std::map<std::string, act_range>& out) {
    out.clear();
    if (!(percentile >= 50.0 && percentile <= 100.0)) return "the calibration percentile must be in [50, 100]";
    for (const std::string& t : tensors) out[t] = act_range{};
    constexpr int64_t kBins = 4096;
    std::map<std::string, std::vector<int64_t>> pos, neg;  // histograms of the positive / negative values
    std::string err;
    try {
        torch::NoGradGuard no_grad;
        for (int pass = 0; pass < (percentile < 100.0 ? 2 : 1); ++pass) {
            for_each_batch(w, g, [&](const torch::Tensor& x) {
                if (!err.empty()) return;
                const std::map<std::string, torch::Tensor> all = m->forward_all(x);
                for (auto& [name, r] : out) {
                    auto it = all.find(name);
                    if (it == all.end()) {
                        err = "the graph computes no tensor '" + name + "'";
                        return;
                    }
                    const torch::Tensor& v = it->second;
                    if (pass == 1) {  // r.lo / r.hi are the min / max from pass 0
                        const torch::Tensor p = v.clamp_min(0.0).flatten(), n = (-v).clamp_min(0.0).flatten();
                        auto add = [&](const torch::Tensor& a, double top, std::vector<int64_t>& h) {
                            if (!(top > 0.0)) return;
                            const torch::Tensor c = torch::histc(a.masked_select(a > 0), kBins, 0.0, top);
                            h.resize(kBins, 0);
                            for (int64_t b = 0; b < kBins; ++b) h[b] += static_cast<int64_t>(c[b].item<float>());
                        };
                        add(p, r.hi, pos[name]);
                        add(n, -r.lo, neg[name]);
                        continue;
                    }
                    const double lo = v.min().item<double>(), hi = v.max().item<double>();
                    if (!(std::isfinite(lo) && std::isfinite(hi))) {
                        err = "tensor '" + name + "' has non-finite values";
                        return;
                    }
                    r.lo = std::min(r.lo, lo);
                    r.hi = std::max(r.hi, hi);
                }
            });
        }
    } catch (const std::exception& e) {
        return std::string("the model failed: ") + e.what();
    }
    if (!err.empty() || percentile >= 100.0) return err;
    // The upper edge of the first bin at which the cumulative count reaches `percentile` % of the values.
    auto clip = [&](const std::vector<int64_t>& h, double top) {
        int64_t total = 0;
        for (int64_t c : h) total += c;
        if (total == 0) return top;
        const double want = percentile / 100.0 * static_cast<double>(total);
        int64_t sum = 0;
        for (int64_t b = 0; b < kBins; ++b) {
            sum += h[b];
            if (static_cast<double>(sum) >= want) return top * static_cast<double>(b + 1) / kBins;
        }
        return top;
    };
    for (auto& [name, r] : out) {
        if (pos.count(name)) r.hi = clip(pos[name], r.hi);
        if (neg.count(name)) r.lo = -clip(neg[name], -r.lo);
    }
    return "";
}

std::string channel_maxima(ir_module& m, const ir_graph& g, const calibration_windows& w,
                           const std::vector<std::string>& tensors, std::map<std::string, std::vector<double>>& out) {
    out.clear();
    std::string err;
    try {
        torch::NoGradGuard no_grad;
        for_each_batch(w, g, [&](const torch::Tensor& x) {
            if (!err.empty()) return;
            const std::map<std::string, torch::Tensor> all = m->forward_all(x);
            for (const std::string& name : tensors) {
                auto it = all.find(name);
                if (it == all.end() || it->second.dim() < 2) {
                    err = "the graph computes no tensor '" + name + "' with channels";
                    return;
                }
                std::vector<int64_t> dims;
                for (int64_t d = 0; d < it->second.dim(); ++d) {
                    if (d != 1) dims.push_back(d);
                }
                const torch::Tensor mx = it->second.amax(dims).clamp_min(0.0).to(torch::kFloat64).contiguous();
                std::vector<double>& o = out[name];
                o.resize(static_cast<size_t>(mx.numel()), 0.0);
                for (size_t c = 0; c < o.size(); ++c) o[c] = std::max(o[c], mx.data_ptr<double>()[c]);
            }
        });
    } catch (const std::exception& e) {
        return std::string("the model failed: ") + e.what();
    }
    return err;
}

std::string correct_biases(ir_module& f, const ir_graph& q, const calibration_windows& win, ir_weights& w,
                           int& corrected) {
    corrected = 0;
    std::map<std::string, const ir_node*> producer;
    for (const ir_node& n : q.nodes) producer[n.output] = &n;
    std::vector<const ir_node*> convs;
    for (const ir_node& n : q.nodes) {
        auto it = producer.find(n.inputs.empty() ? "" : n.inputs[0]);
        if (n.op == ir_op::conv2d && it != producer.end() && it->second->op == ir_op::quantize) convs.push_back(&n);
    }
    // Per-channel sums of a [N, C, ...] tensor, added up over the batches in double (every window weighs the same).
    auto add_means = [](const torch::Tensor& t, std::vector<double>& sum) {
        std::vector<int64_t> dims;
        for (int64_t d = 0; d < t.dim(); ++d) {
            if (d != 1) dims.push_back(d);
        }
        const torch::Tensor m = t.to(torch::kFloat64).sum(dims).contiguous();
        sum.resize(static_cast<size_t>(m.numel()), 0.0);
        for (size_t c = 0; c < sum.size(); ++c) sum[c] += m.data_ptr<double>()[c];
    };
    try {
        torch::NoGradGuard no_grad;
        std::map<std::string, std::vector<double>> float_mean;  // conv output -> per-channel sum
        std::map<std::string, double> per_channel;              // conv output -> values per channel
        for_each_batch(win, q, [&](const torch::Tensor& x) {
            const std::map<std::string, torch::Tensor> all = f->forward_all(x);
            for (const ir_node* c : convs) {
                const torch::Tensor& t = all.at(c->output);
                add_means(t, float_mean[c->output]);
                per_channel[c->output] += static_cast<double>(t.numel() / t.size(1));
            }
        });
        for (const ir_node* c : convs) {
            ir_module qm = nullptr;
            const std::string e = make_module(q, w, qm);
            if (!e.empty()) return e;
            std::vector<double> qsum;
            for_each_batch(win, q, [&](const torch::Tensor& x) { add_means(qm->forward_to(x, c->output), qsum); });
            std::vector<float>& bias = w.at(c->name + ".bias");
            const std::vector<double>& fsum = float_mean.at(c->output);
            if (qsum.size() != bias.size() || fsum.size() != bias.size()) return "channel count of '" + c->name + "'";
            for (size_t k = 0; k < bias.size(); ++k) {
                bias[k] = static_cast<float>(bias[k] - (qsum[k] - fsum[k]) / per_channel.at(c->output));
            }
            ++corrected;
        }
    } catch (const std::exception& e) {
        return std::string("the model failed: ") + e.what();
    }
    return "";
}

std::string compare_outputs(ir_module& before, ir_module& after, const ir_graph& g, const calibration_windows& w,
                            quantization_effect& out) {
    out = quantization_effect{};
    double sum = 0.0;
    int64_t values = 0, agree = 0;
    try {
        torch::NoGradGuard no_grad;
        for_each_batch(w, g, [&](const torch::Tensor& x) {
            const torch::Tensor p0 = before->forward_to(x, g.output), p1 = after->forward_to(x, g.output);
            const torch::Tensor d = (p1 - p0).abs();
            out.max_abs_change = std::max(out.max_abs_change, d.max().item<double>());
            sum += d.sum().item<double>();
            values += d.numel();
            agree += (p0.argmax(1) == p1.argmax(1)).sum().item<int64_t>();
        });
    } catch (const std::exception& e) {
        return std::string("the model failed: ") + e.what();
    }
    out.windows = w.n;
    out.mean_abs_change = values ? sum / static_cast<double>(values) : 0.0;
    out.top_agreement = w.n ? static_cast<double>(agree) / static_cast<double>(w.n) : 0.0;
    return "";
}

}  // namespace gs
