// live_session.h: microphone mode: captured chunks -> streaming resample + features -> the latest segment, smoothed bars.
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <vector>

#include "genrescope/genre_tags.h"
#include "genrescope/resample.h"
#include "genrescope/streaming.h"
#include "model_card.h"

namespace gs_web {

// Streams microphone audio through shared/'s resampler and streaming features (memory bounded), keeps the
// last k_display_s of frames for the scrolling view, and hands the latest segment to the model whenever
// due() says so. Latency = time from the arrival of the newest audio in a segment to its probabilities.
class live_session {
public:
    static constexpr double k_display_s = 10.0;       // seconds of frames kept for the view
    static constexpr double k_interval_ms = 150.0;    // classify at most this often (~6 per second; >= 4 required)
    static constexpr double k_min_audio_s = 0.5;      // first classification after this much audio
    static constexpr float k_smoothing = 0.5f;        // weight of the newest probabilities in the live bars

    // Starts a session for `card` (input rate is learnt from the first push).
    void start(const model_card& card);
    void stop();  // keeps the last bars and numbers for display

    // A captured chunk: mono samples at rate_hz; arrival_ms: performance.now() when it reached the page.
    // Returns "" or an error (then the session stops).
    std::string push(const float* samples, size_t n, int rate_hz, double arrival_ms);

    // True when a new classification should be asked for now (enough audio, none in flight, interval passed).
    bool due(double now_ms) const;
    // Fills `input` with the latest segment ([n_bins][frames], normalised; while the stream is shorter than a
    // segment, the left part follows the card's segment.fill: 0, or the frames so far repeated) and marks a
    // request in flight.
    void make_request(double now_ms, std::vector<float>& input);
    // The answer for the request in flight (n_classes probabilities; for cards with tags also the backbone's
    // tag scores, else nullptr), or a failure.
    void request_done(const float* probs, const float* tag_scores, double now_ms);
    void request_failed() { in_flight_ = false; }

    // The last k_display_s of model features before normalisation, [n_bins][n_view_frames] (for the view).
    void display_matrix(std::vector<float>& out, size_t& n_view_frames) const;

    bool active = false;
    std::string error;                   // why it stopped, "" normally
    model_card card;
    int input_rate_hz = 0;
    long long updates = 0;               // finished classifications since start
    std::vector<float> probabilities;    // smoothed live bars
    std::vector<float> latest;           // the newest raw probabilities
    std::vector<float> tag_scores;       // smoothed backbone tag scores, like the bars (cards with tags)
    gs::tag_verdict tags;                // the card's tag rule on tag_scores: a running verdict
    double latency_ms = 0.0;             // newest audio -> probabilities, ms (last update)
    double inference_ms = 0.0;           // last model run, ms
    double started_ms = 0.0;
    double audio_s = 0.0;                // seconds of (resampled) audio received
    int generation = 0;                  // incremented whenever new frames arrive (view refresh)

private:
    gs::resampler resampler_;
    gs::streaming_features stream_;
    std::vector<float> resampled_;
    std::vector<float> new_frames_;
    std::deque<float> frames_;           // frame-major, the last max_frames_ frames
    size_t max_frames_ = 0;
    size_t n_frames_total_ = 0;
    bool in_flight_ = false;
    double last_request_ms_ = -1e9;
    double request_audio_ms_ = 0.0;      // capture time estimate of the newest sample in the request
    double newest_audio_ms_ = 0.0;       // the same for the newest pushed chunk
};

}  // namespace gs_web
