// segments.h: fixed-length windows over a feature matrix as model input, and track-level aggregation.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "genrescope/json.h"

namespace gs {

// The longest model input a model card may declare, in frames (about 3 hours at a 10-ms hop): cards are user
// files, and a model input is allocated whole.
constexpr int kMaxSegmentFrames = 1 << 20;

// What fills the frames of a segment that lie past the end of its track. Only a track shorter than one segment
// has such a segment (with cover_tail; without it, the regular hops never pass the end).
enum class segment_fill {
    zeros,  // 0 after normalisation: the features' mean. A card without "fill" (every model before session 17).
    tile    // the track again from its first frame, as often as needed: a 6-s clip in a 27-s window is the clip
            // 4.5 times, so a network that pools over time sees the clip's statistics, not a padding's.
};
const char* to_string(segment_fill f);
bool parse_segment_fill(const std::string& s, segment_fill& out);
// A model card's segment.fill (both card readers, CLI and page): absent (null) means zeros; anything but the
// strings "zeros" and "tile" is an error. Returns "" or the error.
std::string segment_fill_from_json(const json_value& v, segment_fill& out);

struct segment_spec {
    int frames = 129;       // frames per segment (e.g. 3 s at 22050 Hz / hop 512 = 129), valid >= 1
    int hop_frames = 65;    // frames between segment starts, valid >= 1
    bool cover_tail = true; // add one end-aligned segment when the regular hops leave frames uncovered
    segment_fill fill = segment_fill::zeros;  // frames past the track's end
};

// Converts seconds to a spec for a given frame rate: frames = round(segment_s * sr / hop), >= 1.
segment_spec segment_spec_from_seconds(double segment_s, double hop_s, int sample_rate_hz, int hop_length);

// Start frames of the segments over n_frames. A track shorter than one segment gives one segment at 0
// (padded by extract_segments). No frames: no segments.
std::vector<size_t> segment_starts(size_t n_frames, const segment_spec& spec);

// Indices of k of n items spread evenly: round(i * (n - 1) / (k - 1)) for i < k, so 0 and n - 1 are always in,
// ascending and distinct; all n when n <= k; {0} when k == 1 < n; none when k == 0. Which windows a long file
// analyses (the page's sparse analysis), which files and windows calibrate `genrescope quantize --activations`.
std::vector<size_t> spread_indices(size_t n, size_t k);

// The frame of a track of n_frames (>= 1) that position `pos` (>= n_frames past the end) of a segment reads under
// segment_fill::tile: pos modulo n_frames.
inline size_t tiled_frame(size_t pos, size_t n_frames) { return pos % n_frames; }

// Copies the segment starting at frame `start` out of `features` ([n_bins][n_frames] row-major, n_frames >= 1)
// into `dst` ([n_bins][spec.frames]). Frames past the end: pad_value (segment_fill::zeros) or the track again
// (tile). Every segmenter (trainer, CLI, page, library) goes through this, so they agree bit for bit.
void copy_segment(const float* features, int n_bins, size_t n_frames, size_t start, const segment_spec& spec,
                  float pad_value, float* dst);

// Copies every segment (segment_starts) out of `features` into `out`, laid out [n_segments][1][n_bins][spec.frames]
// (NCHW, ready for a CNN), through copy_segment. Returns the number of segments.
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
