// teacher.cpp: scores the training tracks' crops with a trained teacher model, once, before the student trains.
#include "train/teacher.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "data/feature_cache.h"
#include "model/model_loader.h"

namespace gs {

namespace {

// Why the teacher cannot score the student's crops, or "".
std::string check_compatible(const model_card& t, const feature_config& config, const std::vector<std::string>& labels,
                             int segment_frames) {
    if (feature_cache_config_hash(t.features) != feature_cache_config_hash(config)) {
        return std::string("the teacher was trained on other features (") + to_string(t.features.kind) + ", " +
               std::to_string(t.features.n_bins()) + " bins) than this run (" + to_string(config.kind) + ", " +
               std::to_string(config.n_bins()) + " bins, or another rate, hop or scale)";
    }
    if (t.segment_frames != segment_frames) {
        return "the teacher's segments are " + std::to_string(t.segment_frames) + " frames, this run's " +
               std::to_string(segment_frames);
    }
    if (t.labels != labels) return "the teacher's labels differ from this run's (names or order)";
    return "";
}

}  // namespace

std::string build_teacher_table(const teacher_options& o, const std::vector<track_matrix>& tracks,
                                const std::vector<int>& train, const feature_config& config,
                                const std::vector<std::string>& labels, int segment_frames, bool cuda,
                                soft_target_table& out, teacher_summary& summary) {
    if (!(o.weight >= 0 && o.weight <= 1)) return "the teacher's weight must be in 0..1";
    if (!(o.temperature >= 0.1 && o.temperature <= 100)) return "the teacher's temperature must be in 0.1..100";
    if (!(o.grid_hop_s > 0)) return "the teacher's grid hop must be > 0 s";
    const auto t0 = std::chrono::steady_clock::now();
    loaded_model m;
    std::string err = load_model(o.model_path, m);
    if (!err.empty()) return "teacher: " + err;
    if (!(err = check_compatible(m.card, config, labels, segment_frames)).empty()) {
        return "teacher " + o.model_path + ": " + err;
    }
    const torch::Device device = cuda ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
    m.module->to(device);
    m.module->eval();

    // Student-normalised x -> raw value -> teacher-normalised: x_t = x * scale + shift, per bin.
    const int nb = config.n_bins();
    std::vector<float> scale(static_cast<size_t>(nb)), shift(static_cast<size_t>(nb));
    for (int b = 0; b < nb; ++b) {
        const float ms = config.norm_mean_at(b), ss = config.norm_std_at(b);
        const float mt = m.card.features.norm_mean_at(b), st = m.card.features.norm_std_at(b);
        scale[static_cast<size_t>(b)] = ss / st;
        shift[static_cast<size_t>(b)] = (ms - mt) / st;
    }

    soft_target_table table;
    table.n_classes = static_cast<int>(labels.size());
    table.hop_frames = std::max(1, static_cast<int>(std::lround(o.grid_hop_s * config.sample_rate_hz /
                                                                config.stft.hop_length)));
    table.first_row.assign(tracks.size(), -1);
    table.n_rows.assign(tracks.size(), 0);
    // The grid of every scored track, as (track, start) pairs in row order.
    std::vector<std::pair<int, int64_t>> crops;
    for (int id : train) {
        const track_matrix& t = tracks[static_cast<size_t>(id)];
        if (t.n_frames == 0 || table.first_row[static_cast<size_t>(id)] >= 0) continue;
        const int64_t max_start = std::max<int64_t>(0, static_cast<int64_t>(t.n_frames) - segment_frames);
        table.first_row[static_cast<size_t>(id)] = static_cast<int64_t>(crops.size());
        for (int64_t s = 0; s <= max_start; s += table.hop_frames) crops.emplace_back(id, s);
        table.n_rows[static_cast<size_t>(id)] = static_cast<int64_t>(crops.size()) - table.first_row[static_cast<size_t>(id)];
    }
    if (crops.empty()) return "teacher: no training tracks to score";
    table.probs.resize(crops.size() * static_cast<size_t>(table.n_classes));

    constexpr size_t kBatch = 8;  // crops per forward pass (bounds activation memory)
    const size_t seg = static_cast<size_t>(nb) * static_cast<size_t>(segment_frames);
    std::vector<float> batch;
    segment_spec teacher_spec;
    teacher_spec.frames = segment_frames;
    teacher_spec.fill = m.card.fill;
    int64_t agree = 0;
    torch::NoGradGuard no_grad;
    for (size_t c0 = 0; c0 < crops.size(); c0 += kBatch) {
        const size_t n = std::min(kBatch, crops.size() - c0);
        batch.resize(n * seg);
        for (size_t i = 0; i < n; ++i) {
            const track_matrix& t = tracks[static_cast<size_t>(crops[c0 + i].first)];
            const size_t start = static_cast<size_t>(crops[c0 + i].second);
            float* dst = batch.data() + i * seg;
            // The crop as the teacher's card fills it (copy_segment), then moved from this run's normalisation
            // to the teacher's; frames past a track's end under zeros stay 0, the teacher's mean.
            copy_segment(t.data.data(), nb, t.n_frames, start, teacher_spec, 0.0f, dst);
            const size_t len = teacher_spec.fill == segment_fill::tile
                                   ? static_cast<size_t>(segment_frames)
                                   : std::min<size_t>(static_cast<size_t>(segment_frames), t.n_frames - start);
            for (int b = 0; b < nb; ++b) {
                float* row = dst + static_cast<size_t>(b) * segment_frames;
                for (size_t f = 0; f < len; ++f) row[f] = row[f] * scale[static_cast<size_t>(b)] + shift[static_cast<size_t>(b)];
            }
        }
        const torch::Tensor x =
            torch::from_blob(batch.data(), {static_cast<int64_t>(n), 1, nb, segment_frames}, torch::kFloat32).to(device);
        // ref: Hinton, Vinyals & Dean 2015 (distillation): soft targets softmax(z / T) from the raw logits z
        const torch::Tensor logits = m.module->forward(x).to(torch::kCPU, torch::kFloat32);
        const torch::Tensor p = torch::softmax(logits / o.temperature, 1).contiguous();
        std::copy(p.data_ptr<float>(), p.data_ptr<float>() + p.numel(),
                  table.probs.begin() + static_cast<std::ptrdiff_t>(c0 * static_cast<size_t>(table.n_classes)));
        const torch::Tensor top = logits.argmax(1);
        for (size_t i = 0; i < n; ++i) {
            agree += top[static_cast<int64_t>(i)].item<int64_t>() == tracks[static_cast<size_t>(crops[c0 + i].first)].label;
        }
    }
    summary.arch = m.card.arch;
    summary.sha256 = m.card.onnx_sha256;
    summary.crops = static_cast<int64_t>(crops.size());
    summary.label_agreement = static_cast<double>(agree) / static_cast<double>(crops.size());
    summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    out = std::move(table);
    return "";
}

}  // namespace gs
