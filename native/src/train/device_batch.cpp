// device_batch.cpp: batch materialisation with tensor ops on the training device (GPU-resident features).
#include "train/device_batch.h"

#include <cmath>

namespace gs {

device_batcher::device_batcher(const std::vector<track_matrix>& tracks, const std::vector<int>& train_indices,
                               int n_bins, int segment_frames, int n_classes, const feature_config& config,
                               torch::Device device)
    : device_(device), n_bins_(n_bins), frames_(segment_frames), n_classes_(n_classes) {
    offset_.assign(tracks.size(), -1);
    length_.assign(tracks.size(), 0);
    int64_t total = 0;
    for (int i : train_indices) {
        offset_[static_cast<size_t>(i)] = total;
        length_[static_cast<size_t>(i)] = static_cast<int64_t>(tracks[static_cast<size_t>(i)].n_frames);
        total += length_[static_cast<size_t>(i)];
    }
    zero_column_ = total;
    torch::Tensor host = torch::zeros({n_bins, total + 1}, torch::kFloat32);
    float* dst = host.data_ptr<float>();
    for (int i : train_indices) {
        const track_matrix& t = tracks[static_cast<size_t>(i)];
        for (int b = 0; b < n_bins; ++b) {
            std::copy_n(t.data.data() + static_cast<size_t>(b) * t.n_frames, t.n_frames,
                        dst + static_cast<int64_t>(b) * (total + 1) + offset_[static_cast<size_t>(i)]);
        }
    }
    data_ = host.to(device);
    // A gain of g dB adds g to every log-mel value, i.e. g / std in normalised units; other kinds: no gain.
    const bool is_db = config.kind == feature_kind::mel_db;
    std::vector<float> gain_per_db(static_cast<size_t>(n_bins), 0.0f);
    for (int b = 0; b < n_bins && is_db; ++b) {
        gain_per_db[static_cast<size_t>(b)] =
            1.0f / (config.norm_std.empty() ? 1.0f : config.norm_std[config.norm_std.size() == 1 ? 0 : b]);
    }
    gain_per_db_ = torch::from_blob(gain_per_db.data(), {1, 1, n_bins, 1}, torch::kFloat32).clone().to(device);
    // The noise floor needs the normalisation to get back to dB.
    auto per_bin = [&](const std::vector<float>& v) {
        torch::Tensor t = torch::from_blob(const_cast<float*>(v.data()), {static_cast<int64_t>(v.size())}, torch::kFloat32);
        return t.expand({n_bins}).reshape({1, 1, n_bins, 1}).clone().to(device);
    };
    const auto fits = [&](const std::vector<float>& v) { return v.size() == 1 || v.size() == static_cast<size_t>(n_bins); };
    if (is_db && fits(config.norm_mean) && fits(config.norm_std)) {
        norm_mean_ = per_bin(config.norm_mean);
        norm_std_ = per_bin(config.norm_std);
    }
}

void device_batcher::materialize(const batch_plan& p, torch::Tensor& x, torch::Tensor& y) const {
    const int64_t n = p.n, t_len = frames_, f_len = n_bins_;
    // Column of every (sample, frame) of the crops; frames past a track's end read the zero column.
    std::vector<int64_t> cols(static_cast<size_t>(n * t_len));
    for (int64_t i = 0; i < n; ++i) {
        const size_t id = static_cast<size_t>(p.track[static_cast<size_t>(i)]);
        for (int64_t f = 0; f < t_len; ++f) {
            const int64_t pos = p.start[static_cast<size_t>(i)] + f;
            cols[static_cast<size_t>(i * t_len + f)] = pos < length_[id] ? offset_[id] + pos : zero_column_;
        }
    }
    const auto i64 = torch::TensorOptions().dtype(torch::kInt64);
    const auto f32 = torch::TensorOptions().dtype(torch::kFloat32);
    torch::Tensor idx = torch::from_blob(cols.data(), {n * t_len}, i64).to(device_);
    x = data_.index_select(1, idx).view({f_len, n, t_len}).permute({1, 0, 2}).unsqueeze(1).contiguous();
    // Noise floor: back to dB, add a flat floor `snr` dB below the segment's mean mel power in the power domain,
    // normalise again. A stand-in for broadband noise (white noise has a nearly flat Slaney-mel spectrum).
    // ref: 10 log10(10^(x/10) + 10^(floor/10)) is the dB level of the summed powers
    bool noisy = false;
    for (float s : p.noise_snr_db) noisy = noisy || std::isfinite(s);
    if (noisy && norm_mean_.defined()) {
        std::vector<float> atten(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i) {
            const float s = p.noise_snr_db[static_cast<size_t>(i)];
            atten[static_cast<size_t>(i)] = std::isfinite(s) ? std::pow(10.0f, -s / 10.0f) : 0.0f;
        }
        const torch::Tensor a = torch::from_blob(atten.data(), {n, 1, 1, 1}, f32).to(device_);
        const torch::Tensor power = torch::pow(10.0f, (x * norm_std_ + norm_mean_) / 10.0f);
        const torch::Tensor floor = power.mean({1, 2, 3}, true) * a;
        x = (10.0f * torch::log10(power + floor) - norm_mean_) / norm_std_;
    }
    // Gain (in dB, scaled per bin into normalised units).
    torch::Tensor gain = torch::from_blob(const_cast<float*>(p.gain_db.data()), {n, 1, 1, 1}, f32).to(device_);
    x.add_(gain * gain_per_db_);
    // SpecAugment: two frequency and two time masks per sample, built from index comparisons on the device.
    auto ints = [&](const std::vector<int>& v) {
        std::vector<int64_t> w(v.begin(), v.end());
        return torch::from_blob(w.data(), {n, 2}, i64).clone().to(device_);
    };
    const torch::Tensor fs = ints(p.freq_start), fw = ints(p.freq_width), ts = ints(p.time_start), tw = ints(p.time_width);
    const torch::Tensor fr = torch::arange(f_len, i64.device(device_)).view({1, 1, f_len});
    const torch::Tensor tr = torch::arange(t_len, i64.device(device_)).view({1, 1, t_len});
    const torch::Tensor fmask = ((fr >= fs.unsqueeze(2)) & (fr < (fs + fw).unsqueeze(2))).any(1);  // [n, F]
    const torch::Tensor tmask = ((tr >= ts.unsqueeze(2)) & (tr < (ts + tw).unsqueeze(2))).any(1);  // [n, T]
    x.masked_fill_(fmask.view({n, 1, f_len, 1}) | tmask.view({n, 1, 1, t_len}), 0.0f);
    // mixup: x_i = l_i x_i + (1 - l_i) x_perm(i)
    std::vector<int64_t> partner(p.mix_with.begin(), p.mix_with.end());
    bool mixing = false;
    for (int64_t i = 0; i < n; ++i) mixing = mixing || partner[static_cast<size_t>(i)] != i;
    if (mixing) {
        const torch::Tensor perm = torch::from_blob(partner.data(), {n}, i64).to(device_);
        const torch::Tensor lam = torch::from_blob(const_cast<float*>(p.mix_lambda.data()), {n, 1, 1, 1}, f32).to(device_);
        x = lam * x + (1.0f - lam) * x.index_select(0, perm);
    }
    y = torch::from_blob(const_cast<float*>(p.targets.data()), {n, n_classes_}, f32).to(device_);
    if (device_.is_cpu()) {
        y = y.clone();  // from_blob does not own the plan's memory
    }
}

}  // namespace gs
