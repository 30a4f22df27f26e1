// stft.h: short-time Fourier transform (periodic Hann window, librosa 0.10 framing) on KissFFT.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "genrescope/float4.h"

struct kiss_fftr_state;
struct kiss_fft_state;

namespace gs {

// How the signal is extended by n_fft/2 samples on both sides when `center` is true.
// ref: librosa.stft(pad_mode=...) 0.10 — 'constant' (zeros, the >= 0.9 default) or 'reflect' (numpy.pad reflect,
// the edge sample not repeated).
enum class pad_mode { constant, reflect };

struct stft_params {
    int n_fft = 2048;           // FFT and window length in samples; valid 2..65536 (even sizes use the real FFT)
    int hop_length = 512;       // samples between frame starts; valid 1..16777216
    bool center = true;         // true: frame t is centred on sample t*hop_length (signal padded by n_fft/2)
    pad_mode pad = pad_mode::constant;
};

// Checks the ranges documented above. Returns "" or an error.
std::string validate(const stft_params& p);

// Number of frames librosa produces for n_samples input samples (0 when too short without centring).
// ref: librosa.util.frame: 1 + (len_padded - n_fft) // hop_length
size_t stft_n_frames(const stft_params& p, size_t n_samples);

// Copies frame `t` of the (virtually) padded signal into frame_out[0], frame_out[stride], ...,
// frame_out[(n_fft-1)*stride], without windowing. Centre padding is done by index arithmetic, so the padded
// signal is never materialised. stride = 1 for a plain frame, kLanes to fill one lane of a block.
void stft_gather_frame(const stft_params& p, const float* y, size_t n_samples, size_t t, float* frame_out,
                       size_t stride = 1);

// One planned STFT: window and FFT plan made once in init(), then per-frame work allocates nothing.
// Not copyable (owns the KissFFT plan); movable. Not thread-safe (scratch buffers): one plan per thread.
class stft_plan {
public:
    stft_plan() = default;
    ~stft_plan();
    stft_plan(const stft_plan&) = delete;
    stft_plan& operator=(const stft_plan&) = delete;
    stft_plan(stft_plan&& other) noexcept;
    stft_plan& operator=(stft_plan&& other) noexcept;

    // Plans for p. Returns "" or an error (invalid parameters, out of memory).
    std::string init(const stft_params& p);

    const stft_params& params() const { return params_; }
    int n_bins() const { return params_.n_fft / 2 + 1; }

    // Block of kLanes frames: block[i] holds sample i of every frame (n_fft values). Windows them and writes
    // |X[k]|^2 of every frame to power_out[k] (n_bins values). Each lane's result does not depend on the others.
    void power_block(const float4* block, float4* power_out);
    // Same, writing |X[k]|.
    void magnitude_block(const float4* block, float4* magnitude_out);

    // One frame (n_fft samples): the block path with the frame in lane 0, so it gives the same bits as a
    // block would. Writes n_bins values.
    void power_frame(const float* frame, float* power_out);
    void magnitude_frame(const float* frame, float* magnitude_out);

    // The analysis window (periodic Hann, n_fft values).
    const std::vector<float>& window() const { return window_; }

private:
    void transform(const float4* block);  // fills spectrum_ from window_ * block
    void release();

    stft_params params_;
    std::vector<float> window_;
    std::vector<float4> windowed_;    // n_fft (real FFT) or 2 n_fft interleaved re, im (complex FFT)
    std::vector<float4> spectrum_;    // interleaved re, im: n_bins (real FFT) or n_fft (complex FFT) pairs
    std::vector<float4> one_frame_;   // n_fft, lanes 1..3 zero
    std::vector<float4> one_result_;  // n_bins
    kiss_fftr_state* real_plan_ = nullptr;
    kiss_fft_state* complex_plan_ = nullptr;
};

}  // namespace gs
