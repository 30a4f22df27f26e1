// segments.h: fixed-length windows over a feature matrix as model input, and track-level aggregation.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace gs {

// The longest model input a model card may declare, in frames (about 3 hours at a 10-ms hop): cards are user
// files, and a model input is allocated whole.
constexpr int kMaxSegmentFrames = 1 << 20;

struct segment_spec {
    int frames = 129;       // frames per segment (e.g. 3 s at 22050 Hz / hop 512 = 129), valid >= 1
    int hop_frames = 65;    // frames between segment starts, valid >= 1
    bool cover_tail = true; // add one end-aligned segment when the regular hops leave frames uncovered
};

// Converts seconds to a spec for a given frame rate: frames = round(segment_s * sr / hop), >= 1.
segment_spec segment_spec_from_seconds(double segment_s, double hop_s, int sample_rate_hz, int hop_length);

// Start frames of the segments over n_frames. A track shorter than one segment gives one segment at 0
// (padded by extract_segments). No frames: no segments.
std::vector<size_t> segment_starts(size_t n_frames, const segment_spec& spec);

// Copies segments out of `features` ([n_bins][n_frames] row-major) into `out`, laid out
// [n_segments][1][n_bins][spec.frames] (NCHW, ready for a CNN). Frames past the end are filled with pad_value.
// Returns the number of segments.
size_t extract_segments(const float* features, int n_bins, size_t n_frames, const segment_spec& spec,
                        float pad_value, std::vector<float>& out);

// How segment probabilities become a track's.
enum class aggregation {
    mean,            // arithmetic mean of probabilities (Dong 2018's averaging)
    geometric_mean,  // mean of log-probabilities, re-normalised (a product of experts)
    max,             // per-class maximum, re-normalised
    vote             // fraction of segments whose top class is each class
};
const char* to_string(aggregation a);
bool parse_aggregation(const std::string& s, aggregation& out);

// probs: [n_segments][n_classes]. Returns n_classes values summing to 1 (all zero when n_segments == 0).
std::vector<float> aggregate(const float* probs, size_t n_segments, int n_classes, aggregation how);

}  // namespace gs
