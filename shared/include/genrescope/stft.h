// stft.h: short-time Fourier transform (periodic Hann window, librosa 0.10 framing) on KissFFT.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

struct kiss_fftr_state;
struct kiss_fft_state;

namespace gs {

// How the signal is extended by n_fft/2 samples on both sides when `center` is true.
// ref: librosa.stft(pad_mode=...) 0.10 — 'constant' (zeros, the >= 0.9 default) or 'reflect' (numpy.pad reflect,
// the edge sample not repeated).
enum class pad_mode { constant, reflect };

struct stft_params {
    int n_fft = 2048;           // FFT and window length in samples; valid 2..65536 (even sizes use the real FFT)
    int hop_length = 512;       // samples between frame starts; valid 1..n_fft*16
    bool center = true;         // true: frame t is centred on sample t*hop_length (signal padded by n_fft/2)
    pad_mode pad = pad_mode::constant;
};

// Checks the ranges documented above. Returns "" or an error.
std::string validate(const stft_params& p);

// Number of frames librosa produces for n_samples input samples (0 when too short without centring).
// ref: librosa.util.frame: 1 + (len_padded - n_fft) // hop_length
size_t stft_n_frames(const stft_params& p, size_t n_samples);

// Copies frame `t` of the (virtually) padded signal into frame_out[0..n_fft), without windowing.
// Implements centre padding by index arithmetic, so the padded signal is never materialised.
void stft_gather_frame(const stft_params& p, const float* y, size_t n_samples, size_t t, float* frame_out);

// One planned STFT: window and FFT plan made once in init(), then per-frame work allocates nothing.
// Not copyable (owns the KissFFT plan); movable.
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

    // Windows n_fft samples of `frame` and writes |X[k]|^2 for k in [0, n_bins) to power_out.
    void power_frame(const float* frame, float* power_out);
    // Same, writing |X[k]|.
    void magnitude_frame(const float* frame, float* magnitude_out);

    // The analysis window (periodic Hann, n_fft values).
    const std::vector<float>& window() const { return window_; }

private:
    void transform(const float* frame);  // fills spectrum_ from window_ * frame
    void release();

    stft_params params_;
    std::vector<float> window_;
    std::vector<float> windowed_;
    std::vector<float> spectrum_;  // interleaved re, im: n_bins (real FFT) or n_fft (complex FFT) pairs
    std::vector<float> complex_in_;
    kiss_fftr_state* real_plan_ = nullptr;
    kiss_fft_state* complex_plan_ = nullptr;
};

}  // namespace gs
