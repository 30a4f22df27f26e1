// file_job.h: one file through the model: resample -> features -> windows (all, or a spread) -> batched inference.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "genrescope/features.h"
#include "genrescope/genre_tags.h"
#include "genrescope/resample.h"
#include "model_card.h"

namespace gs_web {

// At most this many windows (model inputs, the card's segments) of one file go through the model; a file with
// more is analysed sparsely: this many windows spread evenly over it, the first and the last included
// (gs::spread_indices). Units: windows. From the page's budget of <= 2 s for a 5-minute file on the team's 2-core
// machine (ONNX Runtime Web, WASM, one thread, no isolation): decoding the mp3, resampling and features take
// ~1.1-1.4 s there, which leaves ~0.6 s for the model; YAMNet + a head, the costliest model per window (0.96-s
// windows, 313 in 5 minutes), takes ~9.5 ms per window: 64 windows (61 s of audio, about two 30-s GTZAN clips,
// the length its accuracy was measured on). Fixed, not measured at run time, so that a file gives the same
// result on every machine and every run. Files of <= 64 windows (YAMNet: <= 61 s; genrescope_cnn's 3-s windows
// at a 1.5-s hop: <= 97.5 s) are analysed completely, as before.
constexpr size_t k_max_file_windows = 64;

// The state of a file being classified (or classified). Preparation runs in slices (step()) so the frame
// loop keeps drawing a progress bar; inference is asked for batch by batch (next_batch / batch_done) and
// answered asynchronously by the JS bridge. Mirrors native/src/cmd_classify.cpp step for step, except that a
// file of more than max_windows windows is analysed sparsely (the windows in `analysed`, aggregated as the
// card says over those windows only).
class file_job {
public:
    enum class stage { preparing, inferring, done, failed };

    // Takes the decoded mono source (moved in) at source_rate_hz. decode_ms: time already spent decoding.
    // t0_ms: when the request started (emscripten_get_now() / performance.now() clock). max_windows: the cap
    // (>= 2; k_max_file_windows on the page).
    void start(int job_id, std::string file, std::vector<float> source, int source_rate_hz, const model_card& card,
               double decode_ms, double t0_ms, size_t max_windows = k_max_file_windows);
    // Marks the job failed with `message`.
    void fail(const std::string& message);

    // Prepares for at most budget_ms (resampling + features); moves to inferring when done.
    void step(double budget_ms);

    // Inference: fills `batch` ([n][1][bins][frames]) with the next at most max_n analysed windows not yet asked
    // for; returns n (0: nothing left to ask). first_out: position in `analysed` of the first of them.
    size_t next_batch(size_t max_n, std::vector<float>& batch, size_t& first_out);
    // The answer for the windows analysed[first .. first + n): probs = n * n_classes values, and when the card has
    // tags, tag_scores = n * card.tag_labels.size() values (else nullptr). Updates the aggregate and the tag
    // verdict; the job is done after the last one.
    void batch_done(size_t first, size_t n, const float* probs, const float* tag_scores, double inference_ms);
    // The segment [n_bins][frames] of segment index s (normalised model input), for saliency.
    void segment_input(size_t s, std::vector<float>& out) const;

    // The result as the automation API's JSON (see README: {file, top, uncertain, outside, tags, labels,
    // probabilities, segments, ...}; the names and meaning of `genrescope classify --json`), plus
    //   "segments": the analysed windows only, in time order ({start_s, end_s, probabilities} each), and
    //   "analysed": {"windows": k, "of": n, "seconds": s, "fraction": f, "cap": c, "indices": [...]}: k of the
    //     file's n windows went through the model (k == n unless n > the cap c), their indices into the file's
    //     window grid (the card's segment_starts, ascending), s the seconds of audio they cover (the union of
    //     their [start_s, end_s)), f = s / duration_s.
    //   timings_ms gains "batches" (model runs).
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
    std::vector<float> display;    // model features before normalisation, [n_bins][n_frames] (filled while preparing)
    std::vector<float> features;   // normalised model input, [n_bins][n_frames]
    size_t n_frames = 0;
    std::vector<size_t> starts;    // segment (window) start frames: the file's whole grid, known from the start
    std::vector<size_t> analysed;  // the windows that go through the model (all, or gs::spread_indices), ascending
    size_t max_windows = k_max_file_windows;
    std::vector<float> seg_probs;  // [n_segments][n_classes]; valid for segments marked done
    std::vector<char> seg_done;    // per segment (only analysed ones are ever done)
    size_t n_done = 0;             // analysed windows answered
    std::vector<float> probabilities;  // aggregate over the finished segments
    std::vector<float> seg_tags;   // [n_segments][n_tags] backbone tag scores (cards with tags); valid when done
    gs::tag_verdict tags;          // top genre tags and the outside verdict over the finished segments
    double progress = 0.0;         // 0..1 over the whole job
    double decode_ms = 0.0, features_ms = 0.0, inference_ms = 0.0, total_ms = 0.0, t0_ms = 0.0;
    size_t n_batches = 0;  // model runs answered

    size_t n_segments() const { return starts.size(); }
    size_t n_analysed() const { return analysed.size(); }
    bool sparse() const { return analysed.size() < starts.size(); }
    bool is_analysed(size_t s) const;
    // Seconds of audio the analysed windows cover (the union of their [start, end)), valid once prepared.
    double analysed_seconds() const;
    double frame_s() const { return double(card.features.stft.hop_length) / card.features.sample_rate_hz; }
    double segment_start_s(size_t s) const { return starts[s] * frame_s(); }
    double segment_end_s(size_t s) const;

private:
    void finish_preparation();
    void compute_frames(bool complete);  // the frames computable now (all when complete) into `display`
    void segment_input_into(size_t s, float* out) const;  // segment_input without the vector

    std::vector<float> source_;      // mono at source_rate_hz, freed after preparation
    size_t source_pos_ = 0;
    gs::resampler resampler_;
    gs::feature_extractor fx_;                 // the card's features: frames that reach into the centre padding
    gs::feature_extractor fx_inner_;           // the same without centring: runs of frames inside the audio
    size_t frames_done_ = 0;                   // frames computed into `display` (in order)
    std::vector<float> run_, frame_, column_;  // scratch of compute_frames
    std::vector<float> chunk_;
    size_t expected_frames_ = 0;  // stft_n_frames of the resampled length: the frame count at the end
    size_t next_ask_ = 0;         // next position in `analysed` to hand out
};

// Index of the largest value (0 for an empty vector).
size_t arg_max(const std::vector<float>& v);

}  // namespace gs_web
