// live_session.cpp: microphone streaming through shared/ (resampler + streaming_features) and the live bars.
#include "live_session.h"

#include <algorithm>

#include "verdict.h"

namespace gs_web {

void live_session::start(const model_card& c) {
    *this = live_session{};
    card = c;
    active = true;
    probabilities.assign(card.labels.size(), 0.0f);
    const double frames_per_s = double(card.features.sample_rate_hz) / card.features.stft.hop_length;
    max_frames_ = std::max<size_t>(size_t(card.segment.frames), size_t(k_display_s * frames_per_s));
    const std::string err = stream_.init(card.features);
    if (!err.empty()) {
        error = "features: " + err;
        active = false;
    }
}

void live_session::stop() {
    active = false;
    in_flight_ = false;
}

std::string live_session::push(const float* samples, size_t n, int rate_hz, double arrival_ms) {
    if (!active) return "";
    if (input_rate_hz != rate_hz) {
        if (input_rate_hz != 0) return "the capture rate changed";
        const std::string err = resampler_.init(rate_hz, card.features.sample_rate_hz);
        if (!err.empty()) return "resampling from " + std::to_string(rate_hz) + " Hz: " + err;
        input_rate_hz = rate_hz;
    }
    resampled_.clear();
    resampler_.process(samples, n, resampled_);
    new_frames_.clear();
    const size_t n_new = stream_.push(resampled_.data(), resampled_.size(), new_frames_);
    audio_s += double(resampled_.size()) / card.features.sample_rate_hz;
    // The chunk's newest sample was captured about when the chunk arrived; the resampler and the STFT centre
    // hold back a few ms of it, which the latency figure includes through the request time.
    newest_audio_ms_ = arrival_ms;
    if (n_new > 0) {
        frames_.insert(frames_.end(), new_frames_.begin(), new_frames_.end());
        n_frames_total_ += n_new;
        const size_t nb = size_t(card.n_bins());
        while (frames_.size() > max_frames_ * nb) frames_.erase(frames_.begin(), frames_.begin() + nb);
        ++generation;
    }
    return "";
}

bool live_session::due(double now_ms) const {
    const double frames_per_s = double(card.features.sample_rate_hz) / card.features.stft.hop_length;
    return active && !in_flight_ && now_ms - last_request_ms_ >= k_interval_ms &&
           double(n_frames_total_) >= k_min_audio_s * frames_per_s;
}

void live_session::make_request(double now_ms, std::vector<float>& input) {
    const size_t nb = size_t(card.n_bins());
    const size_t len = size_t(card.segment.frames);
    const size_t have = frames_.size() / nb;
    const size_t n = std::min(have, len);
    // Right-align the newest n frames. Until a window's worth has been heard, the missing left part follows the
    // card's fill: 0 (the normalised mean, as native pads) or the frames heard so far again (segment_fill::tile),
    // continued leftwards so that the oldest frame follows the newest, as a file's tiling repeats it.
    std::vector<float> raw(nb * len, 0.0f);
    const size_t first = have - n;
    const bool tile = card.segment.fill == gs::segment_fill::tile && n > 0;
    const size_t filled = tile ? len : n;  // right-most positions that hold frames
    for (size_t j = len - filled; j < len; ++j) {
        const size_t f = gs::tiled_frame(j + n - (len - n) % n, n);  // (j - (len - n)) mod n; 0 = oldest of the n
        for (size_t b = 0; b < nb; ++b) raw[b * len + j] = frames_[(first + f) * nb + b];
    }
    gs::apply_normalisation(card.features, raw.data() + (len - filled), int(filled), len, 1);
    input.swap(raw);
    in_flight_ = true;
    last_request_ms_ = now_ms;
    request_audio_ms_ = newest_audio_ms_;
}

void live_session::request_done(const float* probs, const float* tags_in, double now_ms) {
    in_flight_ = false;
    if (!active) return;
    latest.assign(probs, probs + card.labels.size());
    for (size_t c = 0; c < latest.size(); ++c)
        probabilities[c] = updates == 0 ? latest[c] : k_smoothing * latest[c] + (1.0f - k_smoothing) * probabilities[c];
    if (card.has_tags && tags_in != nullptr) {
        // The tags are smoothed as the bars are, and the rule judges the smoothed scores as one segment.
        const size_t n_tags = card.tag_labels.size();
        if (tag_scores.size() != n_tags) {
            tag_scores.assign(tags_in, tags_in + n_tags);
        } else {
            for (size_t t = 0; t < n_tags; ++t) tag_scores[t] = k_smoothing * tags_in[t] + (1.0f - k_smoothing) * tag_scores[t];
        }
        tags = judge_card_tags(tag_scores.data(), 1, card);
    }
    ++updates;
    latency_ms = now_ms - request_audio_ms_;
    inference_ms = now_ms - last_request_ms_;
}

void live_session::display_matrix(std::vector<float>& out, size_t& n_view_frames) const {
    const size_t nb = size_t(card.n_bins());
    n_view_frames = nb ? frames_.size() / nb : 0;
    out.assign(nb * n_view_frames, 0.0f);
    for (size_t f = 0; f < n_view_frames; ++f)
        for (size_t b = 0; b < nb; ++b) out[b * n_view_frames + f] = frames_[f * nb + b];
}

}  // namespace gs_web
