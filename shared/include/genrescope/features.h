// features.h: the feature extractor: audio -> [bins, frames] matrix for any feature_config (batch or per frame).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "genrescope/chroma.h"
#include "genrescope/feature_config.h"
#include "genrescope/float4.h"
#include "genrescope/mel.h"
#include "genrescope/mfcc.h"
#include "genrescope/stft.h"

namespace gs {

// Set up once with init(); compute() and compute_frame() then reuse the plans and scratch buffers.
// Frames are transformed kLanes at a time (KissFFT's SIMD mode); a single frame runs in lane 0 of a block,
// so batch, streaming and single-frame results are identical bit for bit.
// Not thread-safe: use one extractor per thread.
class feature_extractor {
public:
    // Plans the STFT and builds the filterbanks of c. Returns "" or an error.
    std::string init(const feature_config& c);

    const feature_config& config() const { return config_; }
    int n_bins() const { return config_.n_bins(); }

    // Batch: y holds n mono samples at config().sample_rate_hz. Writes out as row-major [n_bins][n_frames]
    // (librosa's layout), resizing it; n_frames_out receives the frame count. Applies everything, including
    // ref=max and top_db over the whole array, but not the model normalisation. Returns "" or an error.
    std::string compute(const float* y, size_t n, std::vector<float>& out, size_t& n_frames_out);

    // One frame: `frame` holds the n_fft (already padded/gathered) samples of that frame; writes n_bins()
    // values to column_out. Only the frame-local part of the pipeline: for *_db kinds the fixed ref is used
    // and top_db is not applied (see feature_config::frame_local()).
    void compute_frame(const float* frame, float* column_out);

private:
    // Runs a block (n_fft float4, lane l = frame l) through the pipeline and writes lane l's column to
    // columns[l][0], columns[l][stride], ... for l < n_lanes. mel_power_only: stop at mel power (the batch
    // path's global dB step follows).
    void compute_block(const float4* block, float* const* columns, size_t stride, int n_lanes, bool mel_power_only);

    feature_config config_;
    stft_plan stft_;
    mel_filterbank mel_;
    mfcc_transform mfcc_;
    chroma_filterbank chroma_;
    std::vector<float4> block_;         // n_fft: the frames of one block, lane-interleaved
    std::vector<float4> spectrum4_;     // n_bins
    std::vector<float4> mel4_;          // n_mels
    std::vector<float> spectrum_scratch_;
    std::vector<float> mel_scratch_;
    std::vector<float> column_scratch_;  // n_bins(): one output column before its strided store
    std::vector<float> frame_major_;    // batch intermediate, [n_frames][n_inner]
    float amin_ = 1e-10f;
    float ref_db_ = 0.0f;
};

}  // namespace gs
