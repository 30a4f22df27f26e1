// stft.cpp: periodic-Hann STFT frames with librosa 0.10's centring and padding (or TF framing), on KissFFT.
#include "genrescope/stft.h"

#include <cmath>
#include <cstring>
#include <new>
#include <utility>

#include "kiss_fft.h"
#include "kiss_fftr.h"

namespace gs {

std::string validate(const stft_params& p) {
    if (p.n_fft < 2 || p.n_fft > 65536) return "stft: n_fft must be in [2, 65536], got " + std::to_string(p.n_fft);
    if (p.hop_length < 1 || p.hop_length > (1 << 24)) {
        return "stft: hop_length must be in [1, 16777216], got " + std::to_string(p.hop_length);
    }
    if (p.win_length < 0 || p.win_length > p.n_fft) {
        return "stft: win_length must be in [0, n_fft] (0 = n_fft), got " + std::to_string(p.win_length);
    }
    if (p.frame_length() < p.n_fft && p.center) {
        return "stft: win_length < n_fft (TF framing, zero-padded at the end) needs center = false";
    }
    return "";
}

size_t stft_n_frames(const stft_params& p, size_t n_samples) {
    const size_t n_fft = static_cast<size_t>(p.n_fft);
    const size_t len = static_cast<size_t>(p.frame_length());  // == n_fft whenever center is true
    const size_t hop = static_cast<size_t>(p.hop_length);
    // ref: librosa.stft 0.10: centring pads n_fft // 2 on both sides
    const size_t padded = p.center ? n_samples + 2 * (n_fft / 2) : n_samples;
    if (padded < len) return 0;
    return 1 + (padded - len) / hop;  // ref: librosa.util.frame / tf.signal.frame (no pad_end)
}

size_t stft_same_n_frames(const stft_params& p, size_t n_samples) {
    const size_t hop = static_cast<size_t>(p.hop_length);
    return n_samples / hop + (n_samples % hop != 0 ? 1 : 0);  // ref: TF SAME: ceil(in / stride)
}

size_t stft_same_pad_before(const stft_params& p, size_t n_samples) {
    const size_t n_frames = stft_same_n_frames(p, n_samples);
    if (n_frames == 0) return 0;
    // ref: TF SAME: pad_total = max((out - 1) * stride + kernel - in, 0), pad_before = pad_total / 2
    const size_t needed = (n_frames - 1) * static_cast<size_t>(p.hop_length) + static_cast<size_t>(p.n_fft);
    const size_t pad_total = needed > n_samples ? needed - n_samples : 0;
    return pad_total / 2;
}

// Index into y of padded position j (j may be negative or past the end), for 'reflect' padding.
// ref: numpy.pad(mode='reflect') — mirror about the edge samples without repeating them, periodic with 2(n-1).
static size_t reflect_index(long long j, size_t n) {
    if (n == 1) return 0;
    const long long period = 2 * (static_cast<long long>(n) - 1);
    long long k = j % period;
    if (k < 0) k += period;
    if (k >= static_cast<long long>(n)) k = period - k;
    return static_cast<size_t>(k);
}

void stft_gather_frame(const stft_params& p, const float* y, size_t n_samples, size_t t, float* frame_out,
                       size_t stride) {
    const size_t n_fft = static_cast<size_t>(p.n_fft);
    const size_t len = static_cast<size_t>(p.frame_length());
    for (size_t i = len; i < n_fft; ++i) frame_out[i * stride] = 0.0f;  // TF framing: zeros at the end
    const long long offset = p.center ? static_cast<long long>(n_fft / 2) : 0;
    const long long start = static_cast<long long>(t) * p.hop_length - offset;  // first sample, unpadded coords
    const long long n = static_cast<long long>(n_samples);
    if (start >= 0 && start + static_cast<long long>(len) <= n) {  // interior frame: plain copy
        if (stride == 1) {
            std::memcpy(frame_out, y + start, len * sizeof(float));
        } else {
            const float* src = y + start;
            for (size_t i = 0; i < len; ++i) frame_out[i * stride] = src[i];
        }
        return;
    }
    for (size_t i = 0; i < len; ++i) {
        const long long j = start + static_cast<long long>(i);
        float v = 0.0f;
        if (j >= 0 && j < n) {
            v = y[j];
        } else if (p.pad == pad_mode::reflect && n > 0) {
            v = y[reflect_index(j, n_samples)];
        }
        frame_out[i * stride] = v;
    }
}

stft_plan::~stft_plan() { release(); }

stft_plan::stft_plan(stft_plan&& other) noexcept { *this = std::move(other); }

stft_plan& stft_plan::operator=(stft_plan&& other) noexcept {
    if (this != &other) {
        release();
        params_ = other.params_;
        window_ = std::move(other.window_);
        windowed_ = std::move(other.windowed_);
        spectrum_ = std::move(other.spectrum_);
        one_frame_ = std::move(other.one_frame_);
        one_result_ = std::move(other.one_result_);
        real_plan_ = other.real_plan_;
        complex_plan_ = other.complex_plan_;
        other.real_plan_ = nullptr;
        other.complex_plan_ = nullptr;
    }
    return *this;
}

void stft_plan::release() {
    if (real_plan_) kiss_fftr_free(real_plan_);
    if (complex_plan_) kiss_fft_free(complex_plan_);
    real_plan_ = nullptr;
    complex_plan_ = nullptr;
}

std::string stft_plan::init(const stft_params& p) {
    std::string err = validate(p);
    if (!err.empty()) return err;
    release();
    params_ = p;
    const int n = p.n_fft;
    try {
        const float4 zero = {0, 0, 0, 0};
        window_.assign(static_cast<size_t>(n), 0.0f);
        // ref: scipy.signal.get_window('hann', n, fftbins=True): w[i] = 0.5 - 0.5 cos(2 pi i / n), in float64;
        // with TF framing the window has the frame's length and zeros follow.
        // ref: tf.signal.hann_window(frame_length, periodic=True), zero-padded to fft_length by tf.signal.stft
        const int len = p.frame_length();
        const double pi = 3.14159265358979323846;
        for (int i = 0; i < len; ++i) window_[i] = static_cast<float>(0.5 - 0.5 * std::cos(2.0 * pi * i / len));
        one_frame_.assign(static_cast<size_t>(n), zero);
        one_result_.assign(static_cast<size_t>(n / 2 + 1), zero);
        if (n % 2 == 0) {
            windowed_.assign(static_cast<size_t>(n), zero);
            spectrum_.assign(2 * static_cast<size_t>(n / 2 + 1), zero);
            real_plan_ = kiss_fftr_alloc(n, 0, nullptr, nullptr);
            if (!real_plan_) return "stft: could not allocate the FFT plan";
        } else {
            windowed_.assign(2 * static_cast<size_t>(n), zero);
            spectrum_.assign(2 * static_cast<size_t>(n), zero);
            complex_plan_ = kiss_fft_alloc(n, 0, nullptr, nullptr);
            if (!complex_plan_) return "stft: could not allocate the FFT plan";
        }
    } catch (const std::bad_alloc&) {
        return "stft: out of memory planning n_fft=" + std::to_string(n);
    }
    return "";
}

void stft_plan::transform(const float4* block) {
    // Only the frame's samples are windowed; windowed_ beyond them stays zero from init() (TF framing), so
    // whatever the block holds there is never read.
    const int n = params_.frame_length();
    // kiss_fft_scalar is __m128 in SIMD mode: the same 4-float vector type as float4.
    static_assert(sizeof(kiss_fft_scalar) == sizeof(float4), "KissFFT must be built with USE_SIMD");
    if (real_plan_) {
        for (int i = 0; i < n; ++i) windowed_[i] = window_[i] * block[i];
        kiss_fftr(real_plan_, reinterpret_cast<const kiss_fft_scalar*>(windowed_.data()),
                  reinterpret_cast<kiss_fft_cpx*>(spectrum_.data()));
    } else {
        const float4 zero = {0, 0, 0, 0};
        for (int i = 0; i < n; ++i) {
            windowed_[2 * i] = window_[i] * block[i];
            windowed_[2 * i + 1] = zero;
        }
        kiss_fft(complex_plan_, reinterpret_cast<const kiss_fft_cpx*>(windowed_.data()),
                 reinterpret_cast<kiss_fft_cpx*>(spectrum_.data()));
    }
}

void stft_plan::power_block(const float4* block, float4* power_out) {
    transform(block);
    const int n_bins_out = n_bins();
    const float4* s = spectrum_.data();
    for (int k = 0; k < n_bins_out; ++k) power_out[k] = s[2 * k] * s[2 * k] + s[2 * k + 1] * s[2 * k + 1];
}

void stft_plan::magnitude_block(const float4* block, float4* magnitude_out) {
    power_block(block, magnitude_out);
    // sqrt is correctly rounded in every libm and in SIMD (hypot is not), so native and wasm agree bit for bit.
    const int n_bins_out = n_bins();
    for (int k = 0; k < n_bins_out; ++k) {
        for (int l = 0; l < kLanes; ++l) magnitude_out[k][l] = std::sqrt(magnitude_out[k][l]);
    }
}

void stft_plan::power_frame(const float* frame, float* power_out) {
    const int n = params_.frame_length();
    for (int i = 0; i < n; ++i) one_frame_[i][0] = frame[i];
    power_block(one_frame_.data(), one_result_.data());
    for (int k = 0; k < n_bins(); ++k) power_out[k] = one_result_[k][0];
}

void stft_plan::magnitude_frame(const float* frame, float* magnitude_out) {
    const int n = params_.frame_length();
    for (int i = 0; i < n; ++i) one_frame_[i][0] = frame[i];
    magnitude_block(one_frame_.data(), one_result_.data());
    for (int k = 0; k < n_bins(); ++k) magnitude_out[k] = one_result_[k][0];
}

}  // namespace gs
