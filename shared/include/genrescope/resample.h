// Band-limited arbitrary-ratio resampling (Kaiser-windowed sinc, polyphase), batch and streaming with identical output.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace gs {

// Filter design chosen by resampler::init(); exposed for diagnostics and tests.
// All "input samples" quantities are in units of the input sampling period.
struct resampler_design {
    int in_rate_hz = 0;             // input rate, Hz (1..768000)
    int out_rate_hz = 0;            // output rate, Hz (1..768000)
    int up = 1;                     // L = out_rate / gcd (polyphase interpolation factor), >= 1
    int down = 1;                   // M = in_rate / gcd (decimation factor), >= 1
    double passband_edge = 0.0;     // cycles per input sample: 0.9 * lower Nyquist (flat within 0.1 dB below)
    double stopband_edge = 0.0;     // cycles per input sample: lower Nyquist (>= 80 dB attenuation above)
    double cutoff = 0.0;            // cycles per input sample: sinc cutoff fc = (passband_edge + stopband_edge) / 2
    double atten_db = 0.0;          // Kaiser design attenuation A, dB
    double beta = 0.0;              // Kaiser window shape parameter
    double half_width = 0.0;        // kernel support is |t| < half_width, input samples (== half_taps)
    int half_taps = 0;              // K: taps each side of the output instant; also the lookahead, input samples
    int taps = 0;                   // T = 2K taps per output sample (multiple of 8)
    int phases = 0;                 // rows in the coefficient table (L exact, or P + 1 when interpolated)
    bool interpolated = false;      // true: oversampled table + linear interpolation between phases
    std::size_t table_floats = 0;   // coefficient table size, floats
    bool passthrough = false;       // true when in_rate == out_rate (plain copy)
};

// Streaming resampler. Output sample k is the band-limited interpolation of the input at time
// t = k * in_rate / out_rate input samples (zero phase, no delay; input is zero outside [0, n_in)).
// Setup (init) allocates; process/flush/reset never allocate except when appending to the caller's vector.
// Output is bit-for-bit independent of how the input is split into process() calls.
// Not thread-safe per instance; distinct instances are independent. Copyable.
class resampler {
public:
    // Default table budget: ratios whose exact polyphase table (L * taps floats) exceeds this use an
    // oversampled table with linear interpolation between phases instead.
    static constexpr std::size_t default_max_exact_table_floats = std::size_t(1) << 21;  // 2 Mi floats = 8 MiB
    // Upper bound on taps per output sample (limits memory for extreme down-sampling ratios, ~39000:1).
    static constexpr int max_taps = 1 << 22;

    // Prepares the filter for in_rate_hz -> out_rate_hz.
    // in_rate_hz, out_rate_hz: sampling rates in Hz, each in 1..768000.
    // max_exact_table_floats: budget in floats (any value). The exact L-row polyphase table is used when
    //   L * taps <= this, or when the interpolated table (P + 1 rows, P ~ 2048 * lower Nyquist in cycles per
    //   input sample, <= 1024) would not be smaller; otherwise the interpolated table. Pass a huge value to
    //   force the exact table (tests do, to compare the two).
    // Returns "" on success, otherwise an error message (the object is then uninitialised:
    // process/flush append nothing). Never throws (allocation failure is reported as an error).
    std::string init(int in_rate_hz, int out_rate_hz,
                     std::size_t max_exact_table_floats = default_max_exact_table_floats);

    // Streaming: consumes n_in samples from `in` (caller owns; may be null only when n_in == 0) and APPENDS
    // to `out` every output sample whose filter support is now fully known (needs latency_samples_in()
    // samples of lookahead). Never shrinks `out`. Does nothing if not initialised.
    // Allocation only happens when `out` must grow (geometrically); reserve max_output_for(n_in) extra
    // capacity to avoid even that. If growing `out` fails, nothing is consumed and last_error() says so.
    void process(const float* in, std::size_t n_in, std::vector<float>& out);

    // End of stream: appends the remaining outputs (future input treated as zeros) so that the total
    // number of outputs since init/reset equals output_length(total_in, in_rate, out_rate)
    // = ceil(total_in * out_rate / in_rate) (librosa's convention). Afterwards the resampler is reset,
    // ready for a new stream with the same rates.
    void flush(std::vector<float>& out);

    // "" normally; a static message after process()/flush() could not grow `out` (cleared by init()).
    // The pointer refers to a string literal (never freed).
    const char* last_error() const { return last_error_; }

    // Back to the state right after init (same rates, empty history). No allocation.
    void reset();

    // Input samples of lookahead process() needs before it can emit an output (K); 0 for equal rates
    // or when uninitialised.
    int latency_samples_in() const;

    // Upper bound on how many samples one process() call with n_in inputs appends; max_output_for(0) bounds
    // what flush() appends. Lets callers reserve `out` so appending never reallocates. 0 when uninitialised.
    std::size_t max_output_for(std::size_t n_in) const;

    // True after a successful init().
    bool initialised() const { return ok_; }

    // The design chosen by init() (default-constructed values when uninitialised).
    const resampler_design& design() const { return design_; }

    // ceil(n_in * out_rate_hz / in_rate_hz), computed exactly in integers (no n_in * rate overflow).
    // n_in: input length, samples (>= 0). Returns 0 for n_in <= 0 or invalid rates, INT64_MAX if the true
    // length does not fit in int64.
    static std::int64_t output_length(std::int64_t n_in, int in_rate_hz, int out_rate_hz);

private:
    float compute_output(const float* x, std::int64_t phase) const;
    void emit_ready(std::vector<float>& out, std::int64_t limit);
    void compact();
    void append_input(const float* in, std::size_t n);  // in == nullptr: append zeros

    bool ok_ = false;
    const char* last_error_ = "";       // static message, see last_error()
    resampler_design design_{};
    std::vector<float> table_;          // rows x taps coefficients (row-major)
    std::vector<float> hist_storage_;   // history buffer storage (over-allocated for 64-byte alignment)
    std::size_t hist_off_ = 0;          // offset of the aligned history start inside hist_storage_
    std::size_t hist_cap_ = 0;          // usable history capacity, floats
    std::size_t hist_len_ = 0;          // valid floats in history
    std::int64_t hist_first_ = 0;       // logical input index of history[0] (negative: leading zeros)
    std::int64_t received_ = 0;         // real input samples consumed since init/reset
    std::int64_t emitted_ = 0;          // outputs appended since init/reset
    std::int64_t next_base_ = 0;        // floor(next_k * M / L)
    std::int64_t next_phase_ = 0;       // (next_k * M) mod L
    std::int64_t step_int_ = 0;         // M / L
    std::int64_t step_rem_ = 0;         // M % L
    std::int64_t interp_p_ = 0;         // P: table phases per input sample (interpolated mode only)
};

// Batch: resamples in[0..n_in) from in_rate_hz to out_rate_hz (each 1..768000). `in` is owned by the caller
// (may be null only when n_in == 0). `out` is replaced by exactly output_length(n_in, ...) samples.
// Bit-for-bit equal to one resampler fed the whole input in any chunking and then flushed.
// Returns "" or an error message (then `out` is left empty). Never throws.
std::string resample(const float* in, std::size_t n_in, int in_rate_hz, int out_rate_hz, std::vector<float>& out);

}  // namespace gs
