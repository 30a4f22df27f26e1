// train_data.cpp: normalisation statistics, class-balanced augmented segment sampling, evaluation segments.
#include "train/train_data.h"

#include <algorithm>
#include <cmath>

namespace gs {

void fit_normalisation(const std::vector<const std::vector<float>*>& tracks, const std::vector<size_t>& n_frames,
                       int n_bins, std::vector<float>& mean, std::vector<float>& std_dev) {
    std::vector<double> sum(static_cast<size_t>(n_bins), 0.0), sum2(static_cast<size_t>(n_bins), 0.0);
    double count = 0;
    for (size_t i = 0; i < tracks.size(); ++i) {
        const std::vector<float>& m = *tracks[i];
        const size_t nf = n_frames[i];
        for (int b = 0; b < n_bins; ++b) {
            const float* row = m.data() + static_cast<size_t>(b) * nf;
            double s = 0, s2 = 0;
            for (size_t f = 0; f < nf; ++f) {
                s += row[f];
                s2 += static_cast<double>(row[f]) * row[f];
            }
            sum[b] += s;
            sum2[b] += s2;
        }
        count += static_cast<double>(nf);
    }
    mean.assign(static_cast<size_t>(n_bins), 0.0f);
    std_dev.assign(static_cast<size_t>(n_bins), 1.0f);
    if (count < 2) return;
    for (int b = 0; b < n_bins; ++b) {
        const double mu = sum[b] / count;
        const double var = std::max(0.0, sum2[b] / count - mu * mu);
        mean[b] = static_cast<float>(mu);
        std_dev[b] = static_cast<float>(std::max(1e-3, std::sqrt(var)));
    }
}

segment_sampler::segment_sampler(const std::vector<track_matrix>* tracks, const std::vector<int>* train_indices,
                                 int n_bins, int n_classes, const segment_spec& spec, const augment_options& aug,
                                 const feature_config& config)
    : tracks_(tracks), by_class_(static_cast<size_t>(n_classes)), n_bins_(n_bins), n_classes_(n_classes),
      spec_(spec), aug_(aug), gain_per_db_(static_cast<size_t>(n_bins), 0.0f) {
    for (int i : *train_indices) {
        const track_matrix& t = (*tracks)[static_cast<size_t>(i)];
        if (t.n_frames > 0 && t.label >= 0 && t.label < n_classes) by_class_[static_cast<size_t>(t.label)].push_back(i);
    }
    if (config.kind == feature_kind::mel_db) {
        // A gain of g dB adds g to every log-mel value, i.e. g / std in normalised units.
        for (int b = 0; b < n_bins; ++b) {
            const float sd = config.norm_std.empty() ? 1.0f : config.norm_std[config.norm_std.size() == 1 ? 0 : b];
            gain_per_db_[b] = 1.0f / sd;
        }
    }
}

void segment_sampler::crop(const track_matrix& t, size_t start, float* dst) const {
    const size_t len = static_cast<size_t>(spec_.frames);
    for (int b = 0; b < n_bins_; ++b) {
        const float* row = t.data.data() + static_cast<size_t>(b) * t.n_frames;
        float* out = dst + static_cast<size_t>(b) * len;
        for (size_t f = 0; f < len; ++f) out[f] = start + f < t.n_frames ? row[start + f] : 0.0f;
    }
}

void segment_sampler::draw(int batch_size, std::mt19937_64& rng, segment_batch& out) const {
    const size_t seg = static_cast<size_t>(n_bins_) * spec_.frames;
    out.n = batch_size;
    out.inputs.assign(static_cast<size_t>(batch_size) * seg, 0.0f);
    out.targets.assign(static_cast<size_t>(batch_size) * n_classes_, 0.0f);
    out.labels.assign(static_cast<size_t>(batch_size), 0);
    std::vector<int> classes;
    for (int c = 0; c < n_classes_; ++c) {
        if (!by_class_[c].empty()) classes.push_back(c);
    }
    if (classes.empty()) return;
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    for (int i = 0; i < batch_size; ++i) {
        const int c = classes[static_cast<size_t>(unit(rng) * classes.size()) % classes.size()];
        const std::vector<int>& members = by_class_[static_cast<size_t>(c)];
        const track_matrix& t = (*tracks_)[static_cast<size_t>(members[static_cast<size_t>(unit(rng) * members.size()) % members.size()])];
        const size_t max_start = t.n_frames > static_cast<size_t>(spec_.frames) ? t.n_frames - spec_.frames : 0;
        const size_t start = static_cast<size_t>(unit(rng) * static_cast<double>(max_start + 1)) % (max_start + 1);
        float* x = out.inputs.data() + static_cast<size_t>(i) * seg;
        crop(t, start, x);
        if (aug_.gain_db > 0) {
            const float g = static_cast<float>((2 * unit(rng) - 1) * aug_.gain_db);
            for (int b = 0; b < n_bins_; ++b) {
                const float d = g * gain_per_db_[b];
                if (d == 0.0f) continue;
                float* row = x + static_cast<size_t>(b) * spec_.frames;
                for (int f = 0; f < spec_.frames; ++f) row[f] += d;
            }
        }
        if (aug_.spec_augment) {
            // ref: Park et al. 2019 (SpecAugment): frequency and time masks, set to the mean (0 after normalising)
            for (int m = 0; m < 2; ++m) {
                const int fw = static_cast<int>(unit(rng) * (n_bins_ / 8 + 1));
                const int f0 = static_cast<int>(unit(rng) * (n_bins_ - fw + 1));
                for (int b = f0; b < std::min(n_bins_, f0 + fw); ++b) {
                    std::fill_n(x + static_cast<size_t>(b) * spec_.frames, spec_.frames, 0.0f);
                }
                const int tw = static_cast<int>(unit(rng) * (spec_.frames / 8 + 1));
                const int t0 = static_cast<int>(unit(rng) * (spec_.frames - tw + 1));
                for (int b = 0; b < n_bins_; ++b) {
                    std::fill_n(x + static_cast<size_t>(b) * spec_.frames + t0, std::min(tw, spec_.frames - t0), 0.0f);
                }
            }
        }
        out.labels[i] = c;
        const float eps = static_cast<float>(aug_.label_smoothing);
        for (int k = 0; k < n_classes_; ++k) out.targets[static_cast<size_t>(i) * n_classes_ + k] = eps / n_classes_;
        out.targets[static_cast<size_t>(i) * n_classes_ + c] += 1.0f - eps;
    }
    if (aug_.mixup_alpha > 0 && batch_size > 1) {
        // ref: Zhang et al. 2018 (mixup): x = l x_i + (1 - l) x_j, same for targets, l ~ Beta(a, a)
        std::gamma_distribution<double> gamma(aug_.mixup_alpha, 1.0);
        std::vector<float> orig_x = out.inputs, orig_t = out.targets;
        std::vector<int> perm(static_cast<size_t>(batch_size));
        for (int i = 0; i < batch_size; ++i) perm[i] = i;
        std::shuffle(perm.begin(), perm.end(), rng);
        for (int i = 0; i < batch_size; ++i) {
            const double g1 = gamma(rng), g2 = gamma(rng);
            double lam = g1 + g2 > 0 ? g1 / (g1 + g2) : 1.0;
            lam = std::max(lam, 1.0 - lam);  // keep the first segment dominant, so its label stays the hard label
            const float l = static_cast<float>(lam);
            const size_t j = static_cast<size_t>(perm[i]);
            for (size_t k = 0; k < seg; ++k) {
                out.inputs[i * seg + k] = l * orig_x[i * seg + k] + (1 - l) * orig_x[j * seg + k];
            }
            for (int k = 0; k < n_classes_; ++k) {
                out.targets[static_cast<size_t>(i) * n_classes_ + k] =
                    l * orig_t[static_cast<size_t>(i) * n_classes_ + k] + (1 - l) * orig_t[j * n_classes_ + k];
            }
        }
    }
}

void track_segments(const track_matrix& t, int n_bins, const segment_spec& spec, std::vector<float>& inputs,
                    std::vector<size_t>& starts) {
    starts = segment_starts(t.n_frames, spec);
    extract_segments(t.data.data(), n_bins, t.n_frames, spec, 0.0f, inputs);
}

}  // namespace gs
