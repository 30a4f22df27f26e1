// segments.cpp: segment layout over feature matrices and aggregation of per-segment probabilities.
#include "genrescope/segments.h"

#include <algorithm>
#include <cmath>

namespace gs {

segment_spec segment_spec_from_seconds(double segment_s, double hop_s, int sample_rate_hz, int hop_length) {
    segment_spec s;
    const double frames_per_s = static_cast<double>(sample_rate_hz) / hop_length;
    s.frames = std::max(1, static_cast<int>(std::lround(segment_s * frames_per_s)));
    s.hop_frames = std::max(1, static_cast<int>(std::lround(hop_s * frames_per_s)));
    return s;
}

std::vector<size_t> spread_indices(size_t n, size_t k) {
    std::vector<size_t> out;
    if (n <= k) {
        for (size_t i = 0; i < n; ++i) out.push_back(i);
        return out;
    }
    if (k == 1) out.push_back(0);
    // round(i * (n - 1) / (k - 1)) in integers; the step (n - 1) / (k - 1) > 1 keeps the indices distinct.
    for (size_t i = 0; k >= 2 && i < k; ++i) out.push_back((i * (n - 1) + (k - 1) / 2) / (k - 1));
    return out;
}

std::vector<size_t> segment_starts(size_t n_frames, const segment_spec& spec) {
    std::vector<size_t> starts;
    if (n_frames == 0 || spec.frames < 1 || spec.hop_frames < 1) return starts;
    const size_t len = static_cast<size_t>(spec.frames);
    const size_t hop = static_cast<size_t>(spec.hop_frames);
    if (n_frames <= len) {
        starts.push_back(0);
        return starts;
    }
    for (size_t s = 0; s + len <= n_frames; s += hop) starts.push_back(s);
    const size_t last_end = starts.back() + len;
    if (spec.cover_tail && last_end < n_frames) starts.push_back(n_frames - len);
    return starts;
}

size_t extract_segments(const float* features, int n_bins, size_t n_frames, const segment_spec& spec,
                        float pad_value, std::vector<float>& out) {
    const std::vector<size_t> starts = segment_starts(n_frames, spec);
    const size_t len = static_cast<size_t>(spec.frames);
    const size_t seg_size = static_cast<size_t>(n_bins) * len;
    out.resize(starts.size() * seg_size);
    for (size_t s = 0; s < starts.size(); ++s) {
        copy_segment(features, n_bins, n_frames, starts[s], spec, pad_value, out.data() + s * seg_size);
    }
    return starts.size();
}

void copy_segment(const float* features, int n_bins, size_t n_frames, size_t start, const segment_spec& spec,
                  float pad_value, float* dst) {
    const size_t len = static_cast<size_t>(std::max(spec.frames, 0));
    const bool tile = spec.fill == segment_fill::tile && n_frames > 0;
    for (int b = 0; b < n_bins; ++b) {
        const float* row = features + static_cast<size_t>(b) * n_frames;
        float* out = dst + static_cast<size_t>(b) * len;
        for (size_t f = 0; f < len; ++f) {
            const size_t src = start + f;
            out[f] = src < n_frames ? row[src] : tile ? row[tiled_frame(src, n_frames)] : pad_value;
        }
    }
}

const char* to_string(segment_fill f) { return f == segment_fill::tile ? "tile" : "zeros"; }

bool parse_segment_fill(const std::string& s, segment_fill& out) {
    if (s == "zeros") out = segment_fill::zeros;
    else if (s == "tile") out = segment_fill::tile;
    else return false;
    return true;
}

std::string segment_fill_from_json(const json_value& v, segment_fill& out) {
    out = segment_fill::zeros;
    if (v.is_null() || (v.is_string() && parse_segment_fill(v.as_string(), out))) return "";
    return "model card: segment fill must be \"zeros\" or \"tile\"";
}

const char* to_string(aggregation a) {
    switch (a) {
        case aggregation::mean: return "mean";
        case aggregation::geometric_mean: return "geometric_mean";
        case aggregation::max: return "max";
        case aggregation::vote: return "vote";
    }
    return "mean";
}

bool parse_aggregation(const std::string& s, aggregation& out) {
    for (aggregation a : {aggregation::mean, aggregation::geometric_mean, aggregation::max, aggregation::vote}) {
        if (s == to_string(a)) {
            out = a;
            return true;
        }
    }
    return false;
}

std::vector<float> aggregate(const float* probs, size_t n_segments, int n_classes, aggregation how) {
    std::vector<double> acc(static_cast<size_t>(std::max(0, n_classes)), 0.0);
    std::vector<float> out(acc.size(), 0.0f);
    if (n_segments == 0 || n_classes <= 0) return out;
    for (size_t s = 0; s < n_segments; ++s) {
        const float* p = probs + s * static_cast<size_t>(n_classes);
        switch (how) {
            case aggregation::mean:
                for (int c = 0; c < n_classes; ++c) acc[c] += p[c];
                break;
            case aggregation::geometric_mean:
                for (int c = 0; c < n_classes; ++c) acc[c] += std::log(std::max(static_cast<double>(p[c]), 1e-12));
                break;
            case aggregation::max:
                for (int c = 0; c < n_classes; ++c) acc[c] = std::max(acc[c], static_cast<double>(p[c]));
                break;
            case aggregation::vote:
                acc[static_cast<size_t>(std::max_element(p, p + n_classes) - p)] += 1.0;
                break;
        }
    }
    if (how == aggregation::geometric_mean) {
        const double top = *std::max_element(acc.begin(), acc.end());
        for (double& v : acc) v = std::exp((v - top) / static_cast<double>(n_segments));
    }
    double total = 0.0;
    for (double v : acc) total += v;
    if (total <= 0.0) return out;
    for (size_t c = 0; c < acc.size(); ++c) out[c] = static_cast<float>(acc[c] / total);
    return out;
}

}  // namespace gs
