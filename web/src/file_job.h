// file_job.h: one file's trip through the model: resample -> streaming features -> segments -> batched inference.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "genrescope/genre_tags.h"
#include "genrescope/resample.h"
#include "genrescope/streaming.h"
#include "model_card.h"

namespace gs_web {

// The state of a file being classified (or classified). Preparation runs in slices (step()) so the frame
// loop keeps drawing a progress bar; inference is asked for batch by batch (next_batch / batch_done) and
// answered asynchronously by the JS bridge. Mirrors native/src/cmd_classify.cpp step for step.
class file_job {
public:
    enum class stage { preparing, inferring, done, failed };

    // Takes the decoded mono source (moved in) at source_rate_hz. decode_ms: time already spent decoding.
    // t0_ms: when the request started (emscripten_get_now() / performance.now() clock).
    void start(int job_id, std::string file, std::vector<float> source, int source_rate_hz, const model_card& card,
               double decode_ms, double t0_ms);
    // Marks the job failed with `message`.
    void fail(const std::string& message);

    // Prepares for at most budget_ms (resampling + features); moves to inferring when done.
    void step(double budget_ms);

    // Inference: fills `batch` ([n][1][bins][frames]) with the next at most max_n segments not yet asked for;
    // returns n (0: nothing left to ask). first_out: index of the first segment.
    size_t next_batch(size_t max_n, std::vector<float>& batch, size_t& first_out);
    // The answer for segments [first, first + n): probs = n * n_classes values, and when the card has tags,
    // tag_scores = n * card.tag_labels.size() values (else nullptr). Updates the aggregate and the tag verdict;
    // the job is done after the last one.
    void batch_done(size_t first, size_t n, const float* probs, const float* tag_scores, double inference_ms);
    // The segment [n_bins][frames] of segment index s (normalised model input), for saliency.
    void segment_input(size_t s, std::vector<float>& out) const;

    // The result as the automation API's JSON (see README: {file, top, uncertain, outside, tags, labels,
    // probabilities, segments, ...}; the names and meaning of `genrescope classify --json`).
    std::string result_json(const std::string& backend) const;

    // --- read by the UI ---
    int job_id = 0;
    std::string file;
    std::string error;             // set when failed
    stage where = stage::failed;
    model_card card;               // the card in use when the job started
    int source_rate_hz = 0;
    double duration_s = 0.0;       // resampled length / rate
    std::vector<float> audio;      // mono at card.features.sample_rate_hz (playback, views)
    std::vector<float> display;    // model features before normalisation, [n_bins][n_frames]
    std::vector<float> features;   // normalised model input, [n_bins][n_frames]
    size_t n_frames = 0;
    std::vector<size_t> starts;    // segment start frames
    std::vector<float> seg_probs;  // [n_segments][n_classes]; valid for segments marked done
    std::vector<char> seg_done;    // per segment
    size_t n_done = 0;
    std::vector<float> probabilities;  // aggregate over the finished segments
    std::vector<float> seg_tags;   // [n_segments][n_tags] backbone tag scores (cards with tags); valid when done
    gs::tag_verdict tags;          // top genre tags and the outside verdict over the finished segments
    double progress = 0.0;         // 0..1 over the whole job
    double decode_ms = 0.0, features_ms = 0.0, inference_ms = 0.0, total_ms = 0.0, t0_ms = 0.0;

    size_t n_segments() const { return starts.size(); }
    double frame_s() const { return double(card.features.stft.hop_length) / card.features.sample_rate_hz; }
    double segment_start_s(size_t s) const { return starts[s] * frame_s(); }
    double segment_end_s(size_t s) const;

private:
    void finish_preparation();

    std::vector<float> source_;      // mono at source_rate_hz, freed after preparation
    size_t source_pos_ = 0;
    gs::resampler resampler_;
    gs::streaming_features stream_;
    std::vector<float> frames_fm_;   // frame-major features while streaming
    std::vector<float> chunk_;
    size_t next_ask_ = 0;            // next segment to hand out
};

// Index of the largest value (0 for an empty vector).
size_t arg_max(const std::vector<float>& v);

}  // namespace gs_web
