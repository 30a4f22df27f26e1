// stft.h: short-time Fourier transform (periodic Hann window; librosa 0.10 or TF-style framing) on KissFFT.
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
    int n_fft = 2048;           // FFT length in samples; valid 2..65536 (even sizes use the real FFT)
    int hop_length = 512;       // samples between frame starts; valid 1..16777216
    bool center = true;         // true: frame t is centred on sample t*hop_length (signal padded by n_fft/2)
    pad_mode pad = pad_mode::constant;
    // Frame (= window) length in samples, valid 0..n_fft; 0 means n_fft (librosa framing, the default).
    // A value below n_fft selects TensorFlow's framing: frame t is samples [t*hop, t*hop + win_length), multiplied
    // by a periodic Hann window of length win_length and zero-padded AT THE END to n_fft before the FFT.
    // ref: tf.signal.stft(frame_length, frame_step, fft_length) (pad_end=False)
    // This is NOT librosa's win_length, which centres a shorter window inside an n_fft-sample frame (zeros on
    // both sides) and so changes the phase and the frame positions. TF framing has no centring: it needs
    // center = false.
    int win_length = 0;

    // The number of signal samples in one frame: win_length, or n_fft when win_length is 0.
    int frame_length() const { return win_length > 0 ? win_length : n_fft; }
};

// Checks the ranges documented above. Returns "" or an error.
std::string validate(const stft_params& p);

// Number of frames for n_samples input samples (0 when too short without centring).
// ref: librosa.util.frame: 1 + (len_padded - n_fft) // hop_length; with TF framing (win_length < n_fft)
// ref: tf.signal.frame: 1 + (n_samples - frame_length) // frame_step
size_t stft_n_frames(const stft_params& p, size_t n_samples);

// TensorFlow's "same" framing of a strided convolution (how kapre 0.0.3's Spectrogram framed the signal: conv2d
// of the signal with the windowed DFT kernels, stride hop_length, padding 'same'): ceil(n / hop_length) frames
// (0 for an empty input); the signal is zero-padded by pad_total = max((n_frames - 1) * hop_length + n_fft - n, 0)
// samples, pad_total / 2 (rounded down) of them before the first sample, so frame t holds samples
// [t * hop_length - pad_before, ... + n_fft). Only p.n_fft and p.hop_length are used.
// ref: TensorFlow conv SAME padding (tensorflow/core/framework/kernel_shape_util.cc GetWindowedOutputSize:
// out = ceil(in / stride), pad_before = pad_total / 2)
size_t stft_same_n_frames(const stft_params& p, size_t n_samples);
size_t stft_same_pad_before(const stft_params& p, size_t n_samples);

// Copies frame `t` of the (virtually) padded signal into frame_out[0], frame_out[stride], ...,
// frame_out[(n_fft-1)*stride], without windowing: frame_length() signal samples, then zeros up to n_fft.
// Centre padding is done by index arithmetic, so the padded signal is never materialised. stride = 1 for a
// plain frame, kLanes to fill one lane of a block.
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

    // Block of kLanes frames: block[i] holds sample i of every frame (n_fft values, of which only the first
    // frame_length() are read: the rest count as zeros). Windows them and writes |X[k]|^2 of every frame to
    // power_out[k] (n_bins values). Each lane's result does not depend on the others.
    void power_block(const float4* block, float4* power_out);
    // Same, writing |X[k]|.
    void magnitude_block(const float4* block, float4* magnitude_out);

    // One frame (frame_length() samples are read): the block path with the frame in lane 0, so it gives the
    // same bits as a block would. Writes n_bins values.
    void power_frame(const float* frame, float* power_out);
    void magnitude_frame(const float* frame, float* magnitude_out);

    // The analysis window (n_fft values): periodic Hann of length frame_length(), then zeros up to n_fft.
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
