// train_data.cpp: normalisation statistics, class-balanced augmented segment sampling, evaluation segments.
#include "train/train_data.h"

#include <limits>

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
      spec_(spec), aug_(aug), is_db_(config.kind == feature_kind::mel_db) {
    for (int i : *train_indices) {
        const track_matrix& t = (*tracks)[static_cast<size_t>(i)];
        if (t.n_frames > 0 && t.label >= 0 && t.label < n_classes) by_class_[static_cast<size_t>(t.label)].push_back(i);
    }
}

const float* soft_target_table::at(int track, int64_t start) const {
    if (track < 0 || static_cast<size_t>(track) >= first_row.size() || first_row[track] < 0) return nullptr;
    const int64_t rows = n_rows[static_cast<size_t>(track)];
    const int64_t row = std::clamp<int64_t>((std::max<int64_t>(start, 0) + hop_frames / 2) / hop_frames, 0, rows - 1);
    return probs.data() + static_cast<size_t>(first_row[static_cast<size_t>(track)] + row) * n_classes;
}

void segment_sampler::set_teacher(const soft_target_table* teacher, double weight) {
    teacher_ = weight > 0 ? teacher : nullptr;
    teacher_weight_ = static_cast<float>(weight);
}

void plain_batch_plan(int n_samples, int n_bins, int n_classes, batch_plan& out) {
    out = batch_plan{};
    out.n = n_samples;
    const size_t n = static_cast<size_t>(n_samples);
    out.track.assign(n, 0);
    out.start.assign(n, 0);
    out.gain_db.assign(n, 0.0f);
    out.noise_snr_db.assign(n, std::numeric_limits<float>::infinity());
    out.noise_pos.assign(n, 0.0f);
    out.band_cut.assign(n, n_bins);
    out.freq_start.assign(2 * n, 0);
    out.freq_width.assign(2 * n, 0);
    out.time_start.assign(2 * n, 0);
    out.time_width.assign(2 * n, 0);
    out.mix_with.resize(n);
    for (size_t i = 0; i < n; ++i) out.mix_with[i] = static_cast<int>(i);
    out.mix_lambda.assign(n, 1.0f);
    out.labels.assign(n, 0);
    out.targets.assign(n * static_cast<size_t>(n_classes), 0.0f);
}

void segment_sampler::plan(int batch_size, std::mt19937_64& rng, batch_plan& out) const {
    plain_batch_plan(batch_size, n_bins_, n_classes_, out);
    const size_t n = static_cast<size_t>(batch_size);
    std::vector<int> classes;
    for (int c = 0; c < n_classes_; ++c) {
        if (!by_class_[c].empty()) classes.push_back(c);
    }
    if (classes.empty()) return;
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const float eps = static_cast<float>(aug_.label_smoothing);
    for (size_t i = 0; i < n; ++i) {
        const int c = classes[static_cast<size_t>(unit(rng) * classes.size()) % classes.size()];
        const std::vector<int>& members = by_class_[static_cast<size_t>(c)];
        const int id = members[static_cast<size_t>(unit(rng) * members.size()) % members.size()];
        const track_matrix& t = (*tracks_)[static_cast<size_t>(id)];
        const size_t max_start = t.n_frames > static_cast<size_t>(spec_.frames) ? t.n_frames - spec_.frames : 0;
        out.track[i] = id;
        out.start[i] = static_cast<int64_t>(static_cast<size_t>(unit(rng) * static_cast<double>(max_start + 1)) % (max_start + 1));
        if (aug_.gain_db > 0) out.gain_db[i] = static_cast<float>((2 * unit(rng) - 1) * aug_.gain_db);
        if (is_db_ && aug_.noise_prob > 0 && unit(rng) < aug_.noise_prob) {
            out.noise_snr_db[i] = static_cast<float>(aug_.noise_snr_min_db +
                                                     unit(rng) * (aug_.noise_snr_max_db - aug_.noise_snr_min_db));
            if (aug_.noise_texture) out.noise_pos[i] = static_cast<float>(unit(rng));
        }
        // Only drawn when enabled, so runs without it keep the random sequence of earlier versions.
        if (is_db_ && aug_.band_limit_prob > 0 && unit(rng) < aug_.band_limit_prob) {
            const double lowest = aug_.band_limit_lowest * n_bins_;
            out.band_cut[i] = std::clamp(static_cast<int>(lowest + unit(rng) * (n_bins_ - lowest)), 1, n_bins_);
        }
        if (aug_.spec_augment) {
            // ref: Park et al. 2019 (SpecAugment): frequency and time masks, set to the mean (0 after normalising)
            for (size_t m = 0; m < 2; ++m) {
                const int fw = static_cast<int>(unit(rng) * (n_bins_ / 8 + 1));
                out.freq_width[2 * i + m] = fw;
                out.freq_start[2 * i + m] = static_cast<int>(unit(rng) * (n_bins_ - fw + 1));
                const int tw = static_cast<int>(unit(rng) * (spec_.frames / 8 + 1));
                out.time_width[2 * i + m] = tw;
                out.time_start[2 * i + m] = static_cast<int>(unit(rng) * (spec_.frames - tw + 1));
            }
        }
        out.labels[i] = c;
        out.mix_with[i] = static_cast<int>(i);
        for (int k = 0; k < n_classes_; ++k) out.targets[i * n_classes_ + k] = eps / n_classes_;
        out.targets[i * n_classes_ + c] += 1.0f - eps;
        if (const float* q = teacher_ ? teacher_->at(id, out.start[i]) : nullptr) {
            const float w = teacher_weight_;
            for (int k = 0; k < n_classes_; ++k) {
                out.targets[i * n_classes_ + k] = (1 - w) * out.targets[i * n_classes_ + k] + w * q[k];
            }
        }
    }
    if (aug_.mixup_alpha > 0 && batch_size > 1) {
        // ref: Zhang et al. 2018 (mixup): x = l x_i + (1 - l) x_j, same for targets, l ~ Beta(a, a)
        std::gamma_distribution<double> gamma(aug_.mixup_alpha, 1.0);
        std::vector<int> perm(n);
        for (size_t i = 0; i < n; ++i) perm[i] = static_cast<int>(i);
        std::shuffle(perm.begin(), perm.end(), rng);
        const std::vector<float> orig = out.targets;
        for (size_t i = 0; i < n; ++i) {
            const double g1 = gamma(rng), g2 = gamma(rng);
            double lam = g1 + g2 > 0 ? g1 / (g1 + g2) : 1.0;
            lam = std::max(lam, 1.0 - lam);  // the first segment stays dominant, so its label stays the hard label
            const float l = static_cast<float>(lam);
            const size_t j = static_cast<size_t>(perm[i]);
            out.mix_with[i] = perm[i];
            out.mix_lambda[i] = l;
            for (int k = 0; k < n_classes_; ++k) {
                out.targets[i * n_classes_ + k] = l * orig[i * n_classes_ + k] + (1 - l) * orig[j * n_classes_ + k];
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
