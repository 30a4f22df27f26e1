// Band-limited arbitrary-ratio resampler: Kaiser-windowed sinc design, polyphase table, chunking-independent streaming.
#include "genrescope/resample.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <new>
#include <numeric>

#if defined(__GNUC__) || defined(__clang__)
#define GS_NOINLINE __attribute__((noinline))
#elif defined(_MSC_VER)
#define GS_NOINLINE __declspec(noinline)
#else
#define GS_NOINLINE
#endif

namespace gs {

namespace {

constexpr int k_max_rate_hz = 768000;
constexpr double k_pi = 3.14159265358979323846;

// Design targets (fractions of the lower Nyquist frequency, and dB).
constexpr double k_passband_fraction = 0.9;  // flat (<= 0.1 dB) up to 0.9 * lower Nyquist
constexpr double k_stopband_fraction = 1.0;  // >= 80 dB from the lower Nyquist upwards
constexpr double k_design_atten_db = 85.0;   // 5 dB of margin over the 80 dB requirement

// Interpolated table: P = ceil(k_interp_density * lower_nyquist) phases per input sample (>= 16).
// Linear-interpolation error <= (1/8) * max|h''| / P^2 (ref: linear-interpolation remainder bound,
// e.g. Burden & Faires, Numerical Analysis, Thm 3.3); h'' scales with (2*pi*fc)^2 * 2*fc, so scaling P with fc
// keeps the kernel error at one level for every ratio. With 2048 (P = 1024 at the 0.5 Nyquist of up-sampling)
// the output differs from the exact table by ~-128 dB RMS (measured; see test_resample.cpp).
constexpr double k_interp_density = 2048.0;
constexpr std::int64_t k_interp_min_phases = 16;

// Modified Bessel function of the first kind, order 0, by its power series.
// x: any real (used with 0..~10). Returns I0(x) >= 1.
double bessel_i0(double x) {
    // ref: Abramowitz & Stegun 9.6.12: I0(x) = sum_k ((x^2/4)^k / (k!)^2)
    const double q = 0.25 * x * x;
    double term = 1.0;
    double sum = 1.0;
    for (int k = 1; k < 500; ++k) {
        term *= q / (double(k) * double(k));
        sum += term;
        if (term < 1e-17 * sum) break;
    }
    return sum;
}

// Windowed-sinc kernel evaluated in double.
struct kaiser_sinc {
    double fc = 0.25;          // cutoff, cycles per input sample (0 < fc < 0.5)
    double half_width = 1.0;   // support |t| < half_width, input samples
    double beta = 0.0;         // Kaiser shape parameter
    double inv_i0_beta = 1.0;  // 1 / I0(beta)

    // t: time offset from the output instant, input samples. Returns the (unnormalised) tap weight.
    double operator()(double t) const {
        const double at = std::fabs(t);
        if (at >= half_width) return 0.0;
        // ref: ideal low-pass impulse response h(t) = 2 fc sinc(2 fc t), scaled to unit DC gain at the input
        // rate (J. O. Smith, "Digital Audio Resampling Home Page", bandlimited interpolation with
        // cutoff scaled by min(1, out/in) when down-sampling).
        const double x = 2.0 * fc * t;
        const double sinc = (x == 0.0) ? 1.0 : std::sin(k_pi * x) / (k_pi * x);
        // ref: Kaiser window w(t) = I0(beta * sqrt(1 - (t/W)^2)) / I0(beta)
        //      (Kaiser & Schafer 1980; Oppenheim & Schafer, Discrete-Time Signal Processing 3rd ed., Sec. 7.5.3)
        const double r = t / half_width;
        const double w = bessel_i0(beta * std::sqrt(std::max(0.0, 1.0 - r * r))) * inv_i0_beta;
        return 2.0 * fc * sinc * w;
    }
};

// Dot product of n floats (n a multiple of 8) with a fixed summation order: 4 vector accumulators of V lanes
// (V = 8 with AVX, else 4), accumulator a, lane l summing the products with i % (4V) == aV + l; a tail shorter than
// 4V goes into accumulators 0, 1, 2; then a fixed pairwise reduction. The function is kept out of line so every
// output of every call site runs the same machine code. Together with the history buffer (whose contents and
// addresses depend only on the logical stream position, never on how the input was chunked), this makes
// streaming output bit-identical to batch output. (The order is fixed per build; different compilers/flags may
// round differently, which is irrelevant to the streaming == batch guarantee.)
// x, h: caller-owned arrays of n floats. Returns sum_i x[i] * h[i].
#if defined(__GNUC__) || defined(__clang__)
// Always 4 lanes (SSE2 / NEON / wasm width), even where AVX exists: the summation order, and so the bits of
// every output, must not depend on -march, so that the native and the wasm builds resample identically.
typedef float gs_vf __attribute__((vector_size(16)));
#define GS_VW 4

// acc += x[off .. off+V) * h[off .. off+V), lane-wise (unaligned loads).
#define GS_MAC(acc, off)                           \
    do {                                           \
        gs_vf xv_, hv_;                            \
        std::memcpy(&xv_, x + (off), sizeof xv_);  \
        std::memcpy(&hv_, h + (off), sizeof hv_);  \
        (acc) += xv_ * hv_;                        \
    } while (0)

GS_NOINLINE float dot8(const float* x, const float* h, std::size_t n) {
    gs_vf a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
    std::size_t i = 0;
    for (; i + 4 * GS_VW <= n; i += 4 * GS_VW) {
        GS_MAC(a0, i);
        GS_MAC(a1, i + GS_VW);
        GS_MAC(a2, i + 2 * GS_VW);
        GS_MAC(a3, i + 3 * GS_VW);
    }
    if (i < n) GS_MAC(a0, i);
    if (i + GS_VW < n) GS_MAC(a1, i + GS_VW);
    if (i + 2 * GS_VW < n) GS_MAC(a2, i + 2 * GS_VW);
    const gs_vf s = (a0 + a1) + (a2 + a3);
    return (s[0] + s[1]) + (s[2] + s[3]);
}
#undef GS_MAC
#undef GS_VW
#else
GS_NOINLINE float dot8(const float* x, const float* h, std::size_t n) {
    float acc[4][4] = {};
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        for (int a = 0; a < 4; ++a) {
            for (int l = 0; l < 4; ++l) acc[a][l] += x[i + 4 * a + l] * h[i + 4 * a + l];
        }
    }
    for (int a = 0; i < n; i += 4, ++a) {
        for (int l = 0; l < 4; ++l) acc[a][l] += x[i + l] * h[i + l];
    }
    float s[4];
    for (int l = 0; l < 4; ++l) s[l] = (acc[0][l] + acc[1][l]) + (acc[2][l] + acc[3][l]);
    return (s[0] + s[1]) + (s[2] + s[3]);
}
#endif

bool valid_rate(int hz) { return hz >= 1 && hz <= k_max_rate_hz; }

// Fills `row` (taps floats) with kernel weights for fractional phase frac in [0, 1]:
// row[i] = h(frac + K - 1 - i), normalised so the row sums to exactly 1 in double (unit DC gain per phase).
void fill_row(const kaiser_sinc& h, double frac, int half_taps, int taps, float* row, double* scratch) {
    double sum = 0.0;
    for (int i = 0; i < taps; ++i) {
        scratch[i] = h(frac + double(half_taps - 1 - i));
        sum += scratch[i];
    }
    const double norm = (sum != 0.0) ? 1.0 / sum : 1.0;
    for (int i = 0; i < taps; ++i) row[i] = float(scratch[i] * norm);
}

}  // namespace

std::int64_t resampler::output_length(std::int64_t n_in, int in_rate_hz, int out_rate_hz) {
    if (n_in <= 0 || !valid_rate(in_rate_hz) || !valid_rate(out_rate_hz)) return 0;
    const std::int64_t g = std::gcd(in_rate_hz, out_rate_hz);
    const std::int64_t l = out_rate_hz / g;
    const std::int64_t m = in_rate_hz / g;
    // ceil(n * L / M) = (n / M) * L + ceil((n % M) * L / M); (n % M) * L < 768000^2 fits easily.
    const std::int64_t whole = n_in / m;
    const std::int64_t part = ((n_in % m) * l + m - 1) / m;  // 0..L
    const std::int64_t max = std::numeric_limits<std::int64_t>::max();
    if (whole > (max - part) / l) return max;  // saturate: the true length does not fit in int64
    return whole * l + part;
}

std::string resampler::init(int in_rate_hz, int out_rate_hz, std::size_t max_exact_table_floats) {
    ok_ = false;
    last_error_ = "";
    design_ = resampler_design{};
    table_.clear();
    hist_storage_.clear();
    hist_off_ = hist_cap_ = hist_len_ = 0;
    interp_p_ = 0;
    if (!valid_rate(in_rate_hz) || !valid_rate(out_rate_hz)) {
        return "gs::resampler::init: rates must be in 1..768000 Hz (got in=" + std::to_string(in_rate_hz) +
               ", out=" + std::to_string(out_rate_hz) + ")";
    }
    resampler_design d;
    d.in_rate_hz = in_rate_hz;
    d.out_rate_hz = out_rate_hz;
    const int g = std::gcd(in_rate_hz, out_rate_hz);
    d.up = out_rate_hz / g;
    d.down = in_rate_hz / g;
    if (in_rate_hz == out_rate_hz) {
        d.passthrough = true;
        design_ = d;
        ok_ = true;
        reset();
        return "";
    }

    // Everything in cycles per input sample. The lower Nyquist is the band limit of the result.
    const double lower_nyquist = 0.5 * std::min(1.0, double(d.up) / double(d.down));
    d.passband_edge = k_passband_fraction * lower_nyquist;
    d.stopband_edge = k_stopband_fraction * lower_nyquist;
    d.cutoff = 0.5 * (d.passband_edge + d.stopband_edge);
    d.atten_db = k_design_atten_db;
    // ref: Kaiser's empirical formulas, Oppenheim & Schafer, Discrete-Time Signal Processing 3rd ed.
    //      eq. 7.62: beta = 0.1102 (A - 8.7) for A > 50
    d.beta = 0.1102 * (d.atten_db - 8.7);
    // ref: O&S 3rd ed. eq. 7.63: filter order M = (A - 8) / (2.285 * delta_omega), delta_omega in rad/sample
    const double delta_omega = 2.0 * k_pi * (d.stopband_edge - d.passband_edge);
    const double order = (d.atten_db - 8.0) / (2.285 * delta_omega);
    // Support half-width in input samples, rounded up so taps = 2K is a multiple of 8 (widening the window
    // only narrows the transition band).
    const double half_order = 0.5 * order;
    if (!(half_order * 2.0 <= double(max_taps))) {
        return "gs::resampler::init: ratio " + std::to_string(in_rate_hz) + " -> " + std::to_string(out_rate_hz) +
               " needs ~" + std::to_string(std::int64_t(order)) + " taps per output; the limit is " +
               std::to_string(max_taps) + " (down-sampling ratio must be below ~39000:1)";
    }
    int k = int(std::ceil(half_order));
    k = std::max(4, (k + 3) / 4 * 4);
    d.half_taps = k;
    d.taps = 2 * k;
    d.half_width = double(k);

    kaiser_sinc h;
    h.fc = d.cutoff;
    h.half_width = d.half_width;
    h.beta = d.beta;
    h.inv_i0_beta = 1.0 / bessel_i0(d.beta);

    // Table choice: exact polyphase (L rows) unless it exceeds the budget and the interpolated table
    // (P + 1 rows) is actually smaller.
    const std::int64_t p =
        std::max(k_interp_min_phases, std::int64_t(std::ceil(k_interp_density * lower_nyquist - 1e-9)));
    const std::uint64_t exact_floats = std::uint64_t(d.up) * std::uint64_t(d.taps);
    d.interpolated = exact_floats > max_exact_table_floats && std::int64_t(d.up) > p + 1;
    d.phases = d.interpolated ? int(p + 1) : d.up;
    d.table_floats = std::size_t(d.phases) * std::size_t(d.taps);

    // History: K-1 leading zeros + up to 2K-1 live samples + 7 alignment slack, plus room to refill.
    const std::size_t extra = std::clamp<std::size_t>(std::size_t(d.taps), 8192, std::size_t(1) << 20);
    const std::size_t cap = (std::size_t(d.taps) + 8 + extra + 7) / 8 * 8;
    try {
        table_.assign(d.table_floats, 0.0f);
        hist_storage_.assign(cap + 16, 0.0f);  // +16 floats: room to align the start to 64 bytes
        std::vector<double> scratch(std::size_t(d.taps));
        for (int r = 0; r < d.phases; ++r) {
            const double frac = d.interpolated ? double(r) / double(p) : double(r) / double(d.up);
            fill_row(h, frac, k, d.taps, table_.data() + std::size_t(r) * std::size_t(d.taps), scratch.data());
        }
    } catch (const std::bad_alloc&) {
        table_.clear();
        hist_storage_.clear();
        return "gs::resampler::init: out of memory for the filter table/history";
    }
    const std::uintptr_t addr = reinterpret_cast<std::uintptr_t>(hist_storage_.data());
    hist_off_ = ((64 - addr % 64) % 64) / sizeof(float);
    hist_cap_ = cap;
    interp_p_ = d.interpolated ? p : 0;
    step_int_ = d.down / d.up;
    step_rem_ = d.down % d.up;
    design_ = d;
    ok_ = true;
    reset();
    return "";
}

void resampler::reset() {
    received_ = 0;
    emitted_ = 0;
    next_base_ = 0;
    next_phase_ = 0;
    hist_len_ = 0;
    hist_first_ = 0;
    if (!ok_ || design_.passthrough) return;
    // Input indices -(K-1)..-1 are zeros; output 0 needs x[-(K-1)] .. x[K].
    const std::size_t lead = std::size_t(design_.half_taps - 1);
    std::memset(hist_storage_.data() + hist_off_, 0, lead * sizeof(float));
    hist_len_ = lead;
    hist_first_ = -std::int64_t(lead);
}

int resampler::latency_samples_in() const {
    return (ok_ && !design_.passthrough) ? design_.half_taps : 0;
}

std::size_t resampler::max_output_for(std::size_t n_in) const {
    if (!ok_) return 0;
    if (design_.passthrough) return n_in;
    // Outputs emitted by one call have floor(k M / L) in a window of max(n_in, K) consecutive integers.
    const std::int64_t span = std::max<std::int64_t>(std::int64_t(n_in), design_.half_taps);
    return std::size_t(output_length(span, design_.in_rate_hz, design_.out_rate_hz) + 1);
}

float resampler::compute_output(const float* x, std::int64_t phase) const {
    const std::size_t taps = std::size_t(design_.taps);
    if (!design_.interpolated) return dot8(x, table_.data() + std::size_t(phase) * taps, taps);
    // Fractional position frac = phase / L lies between table rows r and r + 1 (row r is frac = r / P).
    const std::int64_t pos = phase * interp_p_;
    const std::int64_t r = pos / design_.up;
    const std::int64_t rem = pos % design_.up;
    const float d0 = dot8(x, table_.data() + std::size_t(r) * taps, taps);
    if (rem == 0) return d0;
    const float d1 = dot8(x, table_.data() + std::size_t(r + 1) * taps, taps);
    const double a = double(rem) / double(design_.up);
    // Linear interpolation between adjacent phases (applied to the two filtered values, which equals filtering
    // with the interpolated coefficients).
    return float(double(d0) + a * (double(d1) - double(d0)));
}

void resampler::emit_ready(std::vector<float>& out, std::int64_t limit) {
    const float* hist = hist_storage_.data() + hist_off_;
    const std::int64_t k = design_.half_taps;
    const std::int64_t end = hist_first_ + std::int64_t(hist_len_);
    const std::int64_t up = design_.up;
    while (emitted_ < limit && next_base_ + k < end) {
        const float* x = hist + (next_base_ - k + 1 - hist_first_);
        out.push_back(compute_output(x, next_phase_));
        ++emitted_;
        // t_k = k M / L = next_base + next_phase / L; advance by M / L exactly.
        next_base_ += step_int_;
        next_phase_ += step_rem_;
        if (next_phase_ >= up) {
            next_phase_ -= up;
            ++next_base_;
        }
    }
}

void resampler::compact() {
    float* hist = hist_storage_.data() + hist_off_;
    const std::int64_t needed = next_base_ - design_.half_taps + 1;  // first index the next output reads
    std::int64_t drop = std::min<std::int64_t>(needed - hist_first_, std::int64_t(hist_len_));
    drop &= ~std::int64_t(7);  // keep index -> address alignment (mod 8 floats) fixed for the whole stream
    if (drop <= 0) return;
    const std::size_t keep = hist_len_ - std::size_t(drop);
    std::memmove(hist, hist + drop, keep * sizeof(float));
    hist_len_ = keep;
    hist_first_ += drop;
}

void resampler::append_input(const float* in, std::size_t n) {
    float* hist = hist_storage_.data() + hist_off_;
    if (in) {
        std::memcpy(hist + hist_len_, in, n * sizeof(float));
    } else {
        std::memset(hist + hist_len_, 0, n * sizeof(float));
    }
    hist_len_ += n;
}

namespace {

// Makes sure `out` can take `extra` more floats without reallocating (grows geometrically so repeated
// calls stay amortised O(1)). Returns false if the allocation failed.
bool ensure_room(std::vector<float>& out, std::size_t extra) {
    const std::size_t need = out.size() + extra;
    if (need <= out.capacity()) return true;
    try {
        out.reserve(std::max(need, out.capacity() + out.capacity() / 2));
    } catch (const std::exception&) {
        return false;
    }
    return true;
}

}  // namespace

void resampler::process(const float* in, std::size_t n_in, std::vector<float>& out) {
    if (!ok_ || n_in == 0 || in == nullptr) return;
    // Reserve first so the appends below cannot throw; on failure nothing is consumed.
    if (!ensure_room(out, max_output_for(n_in))) {
        last_error_ = "gs::resampler::process: out of memory growing the output; input not consumed";
        return;
    }
    if (design_.passthrough) {
        out.insert(out.end(), in, in + n_in);
        received_ += std::int64_t(n_in);
        emitted_ += std::int64_t(n_in);
        return;
    }
    while (n_in > 0) {
        if (hist_len_ == hist_cap_) compact();
        const std::size_t take = std::min(n_in, hist_cap_ - hist_len_);
        append_input(in, take);
        received_ += std::int64_t(take);
        in += take;
        n_in -= take;
        emit_ready(out, std::numeric_limits<std::int64_t>::max());
    }
}

void resampler::flush(std::vector<float>& out) {
    if (!ok_) return;
    if (!design_.passthrough) {
        if (!ensure_room(out, max_output_for(0))) {
            last_error_ = "gs::resampler::flush: out of memory growing the output; stream kept, flush again";
            return;
        }
        const std::int64_t total = output_length(received_, design_.in_rate_hz, design_.out_rate_hz);
        // K zeros after the last real sample make every remaining output ready.
        while (emitted_ < total) {
            if (hist_len_ == hist_cap_) compact();
            const std::size_t take = std::min(std::size_t(design_.half_taps), hist_cap_ - hist_len_);
            append_input(nullptr, take);
            emit_ready(out, total);
        }
    }
    reset();
}

std::string resample(const float* in, std::size_t n_in, int in_rate_hz, int out_rate_hz, std::vector<float>& out) {
    out.clear();
    if (n_in > 0 && in == nullptr) return "gs::resample: null input with n_in > 0";
    resampler r;
    std::string err = r.init(in_rate_hz, out_rate_hz);
    if (!err.empty()) return err;
    try {
        out.reserve(std::size_t(resampler::output_length(std::int64_t(n_in), in_rate_hz, out_rate_hz)));
    } catch (const std::exception&) {
        return "gs::resample: out of memory for the output";
    }
    r.process(in, n_in, out);
    r.flush(out);
    if (*r.last_error() != '\0') {
        out.clear();
        return r.last_error();
    }
    return "";
}

}  // namespace gs
