// streaming.h: streaming features: push audio chunks of any size, get the same frames as the batch extractor.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "genrescope/features.h"

namespace gs {

// Produces, frame for frame, exactly the columns feature_extractor::compute() gives for the concatenated
// input, for any frame-local config (feature_config::frame_local(): fixed dB ref, no top_db), with either
// centre-padding mode, or TF framing (stft_params::win_length). Memory is bounded by n_fft + the largest chunk
// pushed.
class streaming_features {
public:
    // Returns "" or an error (including a config that is not frame-local).
    std::string init(const feature_config& c);

    // Consumes n samples (mono, at config().sample_rate_hz) and APPENDS every frame now complete to
    // frames_out, frame-major: n_new * n_bins() floats. Returns the number of new frames.
    size_t push(const float* samples, size_t n, std::vector<float>& frames_out);

    // End of stream: appends the frames that need the right-hand padding. Afterwards the total frame count
    // equals stft_n_frames(config, total samples). The stream must be reset() before reuse.
    size_t finish(std::vector<float>& frames_out);

    void reset();  // forget all input; same config

    const feature_config& config() const { return extractor_.config(); }
    int n_bins() const { return extractor_.n_bins(); }
    size_t frames_emitted() const { return frames_emitted_; }
    size_t samples_pushed() const { return samples_pushed_; }

private:
    size_t emit_ready(std::vector<float>& frames_out);  // frames fully inside buffer_

    feature_extractor extractor_;
    std::vector<float> buffer_;  // the padded signal from padded index buffer_start_ on
    std::vector<float> frame_;
    std::vector<float> column_;
    size_t buffer_start_ = 0;    // padded-signal index of buffer_[0]
    size_t frames_emitted_ = 0;
    size_t samples_pushed_ = 0;
    bool started_ = false;       // left padding written (reflect mode waits for n_fft/2 + 1 samples)
    bool finished_ = false;
};

}  // namespace gs
