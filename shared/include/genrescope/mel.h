// mel.h: mel filterbanks (librosa 0.10's Slaney/HTK, or TensorFlow's) applied sparsely; libm-free dB and log.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "genrescope/float4.h"

namespace gs {

// ref: librosa.hz_to_mel / mel_to_hz 0.10 (Slaney: linear below 1 kHz, log above; HTK: 2595 log10(1 + f/700))
double hz_to_mel(double hz, bool htk);
double mel_to_hz(double mel, bool htk);

// TensorFlow's mel scale: 1127 ln(1 + f / 700). ref: tf.signal.linear_to_mel_weight_matrix (_hertz_to_mel)
double hz_to_mel_tf(double hz);

struct mel_params {
    int sample_rate_hz = 22050;  // Hz, valid 1..768000
    int n_fft = 2048;            // FFT length the spectra come from, valid 2..65536
    int n_mels = 128;            // bands, valid 1..1024
    double fmin_hz = 0.0;        // lowest band edge, Hz, valid 0..fmax
    double fmax_hz = 0.0;        // highest band edge, Hz; <= 0 means sample_rate_hz / 2 (librosa's None)
    bool htk = false;            // HTK mel scale instead of Slaney's
    bool slaney_norm = true;     // norm='slaney' (each band scaled to constant energy) or no normalisation
    // TensorFlow's weights instead of librosa's (htk and slaney_norm are then ignored): HTK mel 1127 ln(1 +
    // f/700), n_mels + 2 edges equally spaced in mel from fmin to fmax, triangles evaluated at each FFT bin's
    // frequency converted to mel (librosa evaluates them in Hz), no normalisation, the DC bin's weights zero.
    // Needs fmax <= sample_rate_hz / 2, as TF does. ref: tf.signal.linear_to_mel_weight_matrix
    bool tf_weights = false;
};

std::string validate(const mel_params& p);

// A mel filterbank: weights built once (float32, like librosa.filters.mel), then applied band by band over
// each band's non-zero bin range only.
class mel_filterbank {
public:
    // Builds the filterbank. Returns "" or an error.
    std::string init(const mel_params& p);
    // Builds it from explicit weights instead (e.g. a network's stored mel matrix): `weights` is row-major
    // [p.n_mels][p.n_fft / 2 + 1], every value finite and >= 0; p's other fields only describe it. Each band is
    // applied over the bins from its first to its last non-zero weight, as init()'s are. Returns "" or an error.
    std::string init_explicit(const mel_params& p, const std::vector<float>& weights);

    int n_mels() const { return params_.n_mels; }
    int n_bins() const { return params_.n_fft / 2 + 1; }
    const mel_params& params() const { return params_; }

    // mel_out[m] = sum_k weights[m][k] * spectrum[k]; spectrum has n_bins() values, mel_out n_mels().
    void apply(const float* spectrum, float* mel_out) const;
    // The same for a block of kLanes spectra (lane l = frame l); each lane equals apply() bit for bit.
    void apply_block(const float4* spectrum, float4* mel_out) const;

    // Dense weights, row-major [n_mels][n_bins] (for tests and plots).
    std::vector<float> dense() const;

private:
    mel_params params_;
    std::vector<float> weights_;    // concatenated non-zero runs, band after band
    std::vector<int> band_first_;   // first non-zero bin of band m
    std::vector<int> band_offset_;  // start of band m's run in weights_ (n_mels + 1 entries)
};

// Decibel conversion parameters. ref: librosa.power_to_db 0.10
struct db_params {
    double ref = 1.0;        // reference power (> 0); ignored when ref_max
    bool ref_max = false;    // use the maximum of the array as reference (librosa ref=np.max); batch only
    double amin = 1e-10;     // floor applied before the log, > 0
    double top_db = 80.0;    // clamp to (max - top_db); < 0 means None (no clamp); batch only
};

std::string validate(const db_params& p);

// 10 log10(x) for x > 0 (finite), in decibels, computed with plain IEEE float arithmetic (no libm call) so
// that every build and platform gives the same bits. Within about 1e-5 dB of the exact value.
// x <= 0 gives -inf; NaN and +inf pass through.
float power_db(float x);
// power_db of each lane; bit for bit what power_db gives per lane (4 lanes at once when all are normal).
float4 power_db(float4 x);

// The natural logarithm ln(x), with the same libm-free float arithmetic as power_db (so every build gives the
// same bits): within about 2 ulp (relative error < 3e-7) of the exact value for positive normal and subnormal
// x. ln(1) = 0 exactly; x <= 0 gives -inf; NaN and +inf pass through.
float natural_log(float x);
// natural_log of each lane; bit for bit what natural_log gives per lane.
float4 natural_log(float4 x);

// In place: ln(x + offset) for n float4 values (YAMNet's log(mel + 0.001) with offset = 0.001f); the sum is
// rounded to float first. ref: YAMNet features.py (tensorflow/models research/audioset/yamnet):
// log_mel_spectrogram = log(mel_spectrogram + log_offset)
void log_offset_fixed(float4* values, size_t n, float offset);

// In place over a whole array (all frames): 10 log10(max(amin, x)) - 10 log10(max(amin, ref)), then the
// top_db clamp against the array's maximum.
void power_to_db(float* values, size_t n, const db_params& p);

// Element-wise part only (fixed ref, no top_db clamp): the streaming-safe subset of power_to_db.
// ref_db = 10 log10(max(amin, ref)) precomputed by the caller.
void power_to_db_fixed(float* values, size_t n, float amin, float ref_db);
// The same for a block of kLanes frames (n float4 values).
void power_to_db_fixed(float4* values, size_t n, float amin, float ref_db);

}  // namespace gs
