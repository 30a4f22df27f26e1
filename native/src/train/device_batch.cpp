// device_batch.cpp: batch materialisation with tensor ops on the training device (GPU-resident features).
#include "train/device_batch.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "genrescope/features.h"

namespace gs {

namespace {
// White noise's mel power spectrogram under `config`'s analysis (30 s, fixed seed), scaled to mean 1: the
// spectral shape and the bin-to-bin, frame-to-frame fluctuation of broadband noise as the features see it.
// The frames the centred STFT pads at either end are dropped. Undefined tensor when it cannot be computed.
torch::Tensor white_noise_texture(const feature_config& config) {
    feature_config c = config;
    c.kind = feature_kind::mel_power;
    c.norm_mean.clear();
    c.norm_std.clear();
    feature_extractor fx;
    if (!fx.init(c).empty()) return {};
    std::mt19937_64 rng(0x6e6f697365ull);
    std::normal_distribution<float> gauss(0.0f, 1.0f);
    std::vector<float> y(static_cast<size_t>(30) * static_cast<size_t>(c.sample_rate_hz));
    for (float& v : y) v = gauss(rng);
    std::vector<float> mel;
    size_t frames = 0;
    if (!fx.compute(y.data(), y.size(), mel, frames).empty()) return {};
    const int64_t edge = c.stft.n_fft / std::max(1, c.stft.hop_length) + 1;
    if (static_cast<int64_t>(frames) <= 2 * edge) return {};
    torch::Tensor t = torch::from_blob(mel.data(), {fx.n_bins(), static_cast<int64_t>(frames)}, torch::kFloat32)
                          .slice(1, edge, static_cast<int64_t>(frames) - edge)
                          .clone();
    return t / t.mean();
}
}  // namespace

device_batcher::device_batcher(const std::vector<track_matrix>& tracks, const std::vector<int>& train_indices,
                               int n_bins, int segment_frames, segment_fill fill, int n_classes,
                               const feature_config& config, bool noise_texture, torch::Device device)
    : device_(device), n_bins_(n_bins), frames_(segment_frames), fill_(fill), n_classes_(n_classes) {
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
        gain_per_db[static_cast<size_t>(b)] = 1.0f / config.norm_std_at(b);
    }
    gain_per_db_ = torch::from_blob(gain_per_db.data(), {1, 1, n_bins, 1}, torch::kFloat32).clone().to(device);
    // Noise and low-pass need the normalisation to get back to dB.
    auto per_bin = [&](const std::vector<float>& v) {
        torch::Tensor t = torch::from_blob(const_cast<float*>(v.data()), {static_cast<int64_t>(v.size())}, torch::kFloat32);
        return t.expand({n_bins}).reshape({1, 1, n_bins, 1}).clone().to(device);
    };
    const auto fits = [&](const std::vector<float>& v) { return v.size() == 1 || v.size() == static_cast<size_t>(n_bins); };
    if (is_db && fits(config.norm_mean) && fits(config.norm_std)) {
        norm_mean_ = per_bin(config.norm_mean);
        norm_std_ = per_bin(config.norm_std);
        if (noise_texture) noise_texture_ = white_noise_texture(config);
        if (noise_texture_.defined()) noise_texture_ = noise_texture_.to(device);
    }
}

torch::Tensor device_batcher::upload(const torch::Tensor& host) const {
    if (!device_.is_cuda()) return host.to(device_);
    return host.pin_memory().to(device_, /*non_blocking=*/true);
}

void device_batcher::materialize(const batch_plan& p, torch::Tensor& x, torch::Tensor& y) const {
    const int64_t n = p.n, t_len = frames_, f_len = n_bins_;
    // Column of every (sample, frame) of the crops; frames past a track's end read the zero column, or the track
    // again under segment_fill::tile (as gs::copy_segment does for evaluation and export).
    std::vector<int64_t> cols(static_cast<size_t>(n * t_len));
    for (int64_t i = 0; i < n; ++i) {
        const size_t id = static_cast<size_t>(p.track[static_cast<size_t>(i)]);
        const bool tile = fill_ == segment_fill::tile && length_[id] > 0;
        for (int64_t f = 0; f < t_len; ++f) {
            const int64_t pos = p.start[static_cast<size_t>(i)] + f;
            cols[static_cast<size_t>(i * t_len + f)] =
                pos < length_[id] ? offset_[id] + pos
                : tile            ? offset_[id] + static_cast<int64_t>(tiled_frame(static_cast<size_t>(pos),
                                                                                   static_cast<size_t>(length_[id])))
                                  : zero_column_;
        }
    }
    const auto i64 = torch::TensorOptions().dtype(torch::kInt64);
    const auto f32 = torch::TensorOptions().dtype(torch::kFloat32);
    // Columns [n * t_len] of a [f_len, *] tensor -> [n, 1, f_len, t_len].
    const auto gather = [&](const torch::Tensor& from, std::vector<int64_t>& columns) {
        const torch::Tensor idx = upload(torch::from_blob(columns.data(), {n * t_len}, i64));
        return from.index_select(1, idx).view({f_len, n, t_len}).permute({1, 0, 2}).unsqueeze(1);
    };
    x = gather(data_, cols).contiguous();
    const auto db = [&] { return x * norm_std_ + norm_mean_; };
    // Low-pass: the bins from the cut up take the segment's lowest dB value (what an encoder that drops the
    // top band leaves). Before the noise: noise added later fills the removed band again.
    bool cutting = false;
    for (int c : p.band_cut) cutting = cutting || c < f_len;
    if (cutting && norm_mean_.defined()) {
        std::vector<int64_t> cut(p.band_cut.begin(), p.band_cut.end());
        const torch::Tensor c = upload(torch::from_blob(cut.data(), {n, 1, 1, 1}, i64));
        const torch::Tensor bins = torch::arange(f_len, i64.device(device_)).view({1, 1, f_len, 1});
        const torch::Tensor d = db();
        x = (torch::where(bins >= c, d.amin({1, 2, 3}, true), d) - norm_mean_) / norm_std_;
    }
    // Noise: back to dB, add noise `snr` dB below the segment's mean mel power in the power domain, normalise
    // again. Textured: a random crop of white noise's own mel spectrogram; otherwise a flat, constant floor.
    // ref: 10 log10(10^(x/10) + P_noise) is the dB level of the summed powers
    bool noisy = false;
    for (float s : p.noise_snr_db) noisy = noisy || std::isfinite(s);
    if (noisy && norm_mean_.defined()) {
        std::vector<float> atten(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i) {
            const float s = p.noise_snr_db[static_cast<size_t>(i)];
            atten[static_cast<size_t>(i)] = std::isfinite(s) ? std::pow(10.0f, -s / 10.0f) : 0.0f;
        }
        const torch::Tensor a = upload(torch::from_blob(atten.data(), {n, 1, 1, 1}, f32));
        const torch::Tensor power = torch::pow(10.0f, db() / 10.0f);
        torch::Tensor noise = power.mean({1, 2, 3}, true) * a;
        if (noise_texture_.defined()) {
            // Crop starts over the texture's valid range; a texture shorter than a segment (segments over 30 s)
            // wraps around.
            const int64_t texture_frames = noise_texture_.size(1);
            const int64_t span = std::max<int64_t>(texture_frames - t_len + 1, 1);
            std::vector<int64_t> ncols(static_cast<size_t>(n * t_len));
            for (int64_t i = 0; i < n; ++i) {
                const double u = std::clamp(static_cast<double>(p.noise_pos[static_cast<size_t>(i)]), 0.0, 1.0);
                const int64_t start = std::min(static_cast<int64_t>(u * static_cast<double>(span)), span - 1);
                for (int64_t f = 0; f < t_len; ++f) ncols[static_cast<size_t>(i * t_len + f)] = (start + f) % texture_frames;
            }
            noise = noise * gather(noise_texture_, ncols);
        }
        x = (10.0f * torch::log10(power + noise) - norm_mean_) / norm_std_;
    }
    // Gain (in dB, scaled per bin into normalised units).
    torch::Tensor gain = upload(torch::from_blob(const_cast<float*>(p.gain_db.data()), {n, 1, 1, 1}, f32));
    x.add_(gain * gain_per_db_);
    // SpecAugment: two frequency and two time masks per sample, built from index comparisons on the device.
    auto ints = [&](const std::vector<int>& v) {
        std::vector<int64_t> w(v.begin(), v.end());
        return upload(torch::from_blob(w.data(), {n, 2}, i64).clone());
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
        const torch::Tensor perm = upload(torch::from_blob(partner.data(), {n}, i64));
        const torch::Tensor lam = upload(torch::from_blob(const_cast<float*>(p.mix_lambda.data()), {n, 1, 1, 1}, f32));
        x = lam * x + (1.0f - lam) * x.index_select(0, perm);
    }
    y = upload(torch::from_blob(const_cast<float*>(p.targets.data()), {n, n_classes_}, f32));
    if (device_.is_cpu()) {
        y = y.clone();  // from_blob does not own the plan's memory
    }
}

}  // namespace gs
