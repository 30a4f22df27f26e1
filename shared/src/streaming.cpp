// streaming.cpp: incremental framing with librosa's centre padding, feeding feature_extractor::compute_frame.
#include "genrescope/streaming.h"

#include <algorithm>
#include <new>

namespace gs {

std::string streaming_features::init(const feature_config& c) {
    if (!c.frame_local()) {
        return "streaming: the feature config must be frame-local (fixed dB ref, no top_db) to stream";
    }
    std::string err = extractor_.init(c);
    if (!err.empty()) return err;
    try {
        frame_.assign(static_cast<size_t>(c.stft.n_fft), 0.0f);
        column_.assign(static_cast<size_t>(extractor_.n_bins()), 0.0f);
        buffer_.reserve(static_cast<size_t>(c.stft.n_fft) * 4);
    } catch (const std::bad_alloc&) {
        return "streaming: out of memory";
    }
    reset();
    return "";
}

void streaming_features::reset() {
    buffer_.clear();
    buffer_start_ = 0;
    frames_emitted_ = 0;
    samples_pushed_ = 0;
    finished_ = false;
    const feature_config& c = extractor_.config();
    started_ = !c.stft.center || c.stft.pad == pad_mode::constant;
    if (c.stft.center && c.stft.pad == pad_mode::constant) buffer_.assign(static_cast<size_t>(c.stft.n_fft / 2), 0.0f);
}

size_t streaming_features::emit_ready(std::vector<float>& frames_out) {
    const stft_params& p = extractor_.config().stft;
    const size_t n_fft = static_cast<size_t>(p.n_fft);
    const size_t len = static_cast<size_t>(p.frame_length());  // samples a frame needs (TF framing: < n_fft)
    const size_t hop = static_cast<size_t>(p.hop_length);
    const int nb = extractor_.n_bins();
    size_t emitted = 0;
    for (;;) {
        const size_t start = frames_emitted_ * hop;  // padded index of the next frame
        if (start < buffer_start_) break;            // cannot happen; defensive
        const size_t off = start - buffer_start_;
        if (off + len > buffer_.size()) break;
        extractor_.compute_frame(buffer_.data() + off, column_.data());
        frames_out.insert(frames_out.end(), column_.begin(), column_.begin() + nb);
        ++frames_emitted_;
        ++emitted;
    }
    // Drop samples no future frame needs. Reflect padding keeps the last n_fft/2 + 1 real samples for the
    // right-hand mirror, and keeps everything while the stream is no longer than n_fft (see finish()).
    const size_t next_start = frames_emitted_ * hop;
    size_t keep_tail = 0;
    if (p.center && p.pad == pad_mode::reflect) {
        if (samples_pushed_ <= n_fft) return emitted;
        keep_tail = n_fft / 2 + 1;
    }
    if (next_start > buffer_start_ && buffer_.size() > keep_tail) {
        const size_t drop = std::min(next_start - buffer_start_, buffer_.size() - keep_tail);
        buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(drop));
        buffer_start_ += drop;
    }
    return emitted;
}

size_t streaming_features::push(const float* samples, size_t n, std::vector<float>& frames_out) {
    if (finished_ || n == 0 || samples == nullptr) return 0;
    const stft_params& p = extractor_.config().stft;
    const size_t half = static_cast<size_t>(p.n_fft / 2);
    buffer_.insert(buffer_.end(), samples, samples + n);
    samples_pushed_ += n;
    if (!started_) {
        // reflect: the left pad mirrors samples 1..half, so wait until half + 1 samples are here.
        if (samples_pushed_ < half + 1) return 0;
        std::vector<float> pad(half);
        for (size_t i = 0; i < half; ++i) pad[i] = buffer_[half - i];  // ref: numpy.pad reflect
        buffer_.insert(buffer_.begin(), pad.begin(), pad.end());
        started_ = true;
    }
    return emit_ready(frames_out);
}

size_t streaming_features::finish(std::vector<float>& frames_out) {
    if (finished_) return 0;
    finished_ = true;
    const feature_config& c = extractor_.config();
    const stft_params& p = c.stft;
    const size_t total_frames = stft_n_frames(p, samples_pushed_);
    size_t emitted = 0;
    if (p.center && p.pad == pad_mode::reflect && samples_pushed_ <= static_cast<size_t>(p.n_fft)) {
        // Short reflect stream: the pads may wrap more than once, or the left pad was never written. Nothing
        // was dropped yet (emit_ready keeps everything this short), so frame the real samples directly.
        const size_t skip = started_ ? static_cast<size_t>(p.n_fft / 2) : 0;
        const float* y = buffer_.data() + skip;
        for (size_t t = frames_emitted_; t < total_frames; ++t) {
            stft_gather_frame(p, y, samples_pushed_, t, frame_.data());
            extractor_.compute_frame(frame_.data(), column_.data());
            frames_out.insert(frames_out.end(), column_.begin(), column_.end());
            ++frames_emitted_;
            ++emitted;
        }
        return emitted;
    }
    if (p.center) {
        const size_t half = static_cast<size_t>(p.n_fft / 2);
        if (p.pad == pad_mode::constant) {
            buffer_.insert(buffer_.end(), half, 0.0f);
        } else {
            // ref: numpy.pad reflect at the right edge: y[n-2], y[n-3], ... (buffer holds >= half+1 real samples)
            const size_t end = buffer_.size();
            for (size_t i = 0; i < half; ++i) buffer_.push_back(buffer_[end - 2 - i]);
        }
    }
    emitted += emit_ready(frames_out);
    return emitted;
}

}  // namespace gs
