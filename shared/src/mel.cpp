// mel.cpp: mel filterbanks (librosa 0.10, TensorFlow) and their sparse application; power_to_db; libm-free log.
#include "genrescope/mel.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <new>

namespace gs {

namespace {
// ref: librosa.hz_to_mel (Slaney 'Auditory Toolbox' scale) constants
constexpr double kSlaneyFSp = 200.0 / 3.0;       // Hz per mel below 1 kHz
constexpr double kSlaneyMinLogHz = 1000.0;       // start of the log region, Hz
constexpr double kSlaneyMinLogMel = kSlaneyMinLogHz / kSlaneyFSp;  // = 15
}  // namespace

double hz_to_mel(double hz, bool htk) {
    if (htk) return 2595.0 * std::log10(1.0 + hz / 700.0);  // ref: librosa.hz_to_mel(htk=True)
    const double logstep = std::log(6.4) / 27.0;             // ref: librosa.hz_to_mel, step of the log region
    if (hz >= kSlaneyMinLogHz) return kSlaneyMinLogMel + std::log(hz / kSlaneyMinLogHz) / logstep;
    return hz / kSlaneyFSp;
}

double mel_to_hz(double mel, bool htk) {
    if (htk) return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0);  // ref: librosa.mel_to_hz(htk=True)
    const double logstep = std::log(6.4) / 27.0;
    if (mel >= kSlaneyMinLogMel) return kSlaneyMinLogHz * std::exp(logstep * (mel - kSlaneyMinLogMel));
    return kSlaneyFSp * mel;
}

double hz_to_mel_tf(double hz) {
    // ref: tf.signal.linear_to_mel_weight_matrix: _MEL_HIGH_FREQUENCY_Q * log(1 + f / _MEL_BREAK_FREQUENCY_HERTZ)
    return 1127.0 * std::log(1.0 + hz / 700.0);
}

std::string validate(const mel_params& p) {
    if (p.sample_rate_hz < 1 || p.sample_rate_hz > 768000) return "mel: sample_rate_hz must be in [1, 768000]";
    if (p.n_fft < 2 || p.n_fft > 65536) return "mel: n_fft must be in [2, 65536]";
    if (p.n_mels < 1 || p.n_mels > 1024) return "mel: n_mels must be in [1, 1024]";
    const double fmax = p.fmax_hz > 0 ? p.fmax_hz : p.sample_rate_hz / 2.0;
    if (!(p.fmin_hz >= 0.0) || !(p.fmin_hz < fmax)) return "mel: need 0 <= fmin_hz < fmax_hz";
    // ref: tf.signal.linear_to_mel_weight_matrix raises when upper_edge_hertz exceeds the Nyquist frequency
    if (p.tf_weights && fmax > p.sample_rate_hz / 2.0) return "mel: TF weights need fmax_hz <= sample_rate_hz / 2";
    return "";
}

std::string mel_filterbank::init(const mel_params& p) {
    std::string err = validate(p);
    if (!err.empty()) return err;
    params_ = p;
    const int n_bins_total = p.n_fft / 2 + 1;
    const int n_mels_total = p.n_mels;
    const double fmax = p.fmax_hz > 0 ? p.fmax_hz : p.sample_rate_hz / 2.0;
    try {
        // ref: numpy.fft.rfftfreq(n_fft, 1/sr): k * (1 / (n_fft * (1/sr)))
        std::vector<double> fft_hz(static_cast<size_t>(n_bins_total));
        const double d = 1.0 / p.sample_rate_hz;
        const double val = 1.0 / (p.n_fft * d);
        for (int k = 0; k < n_bins_total; ++k) fft_hz[k] = k * val;
        // ref: librosa.mel_frequencies: mel_to_hz(linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
        const int n_pts = n_mels_total + 2;
        std::vector<double> mel_hz(static_cast<size_t>(n_pts));
        const double mel_lo = hz_to_mel(p.fmin_hz, p.htk);
        const double mel_hi = hz_to_mel(fmax, p.htk);
        const double step = (mel_hi - mel_lo) / (n_pts - 1);  // ref: numpy.linspace: i * step + start, last = stop
        for (int i = 0; i < n_pts; ++i) {
            const double m = (i == n_pts - 1) ? mel_hi : i * step + mel_lo;
            mel_hz[i] = mel_to_hz(m, p.htk);
        }
        weights_.clear();
        band_first_.assign(static_cast<size_t>(n_mels_total), 0);
        band_offset_.assign(static_cast<size_t>(n_mels_total) + 1, 0);
        std::vector<float> row(static_cast<size_t>(n_bins_total));
        std::vector<double> tf_bin_mel;
        std::vector<double> tf_edge_mel;
        if (p.tf_weights) {
            // ref: tf.signal.linear_to_mel_weight_matrix: bins at linspace(0, sr/2, n_bins) (k sr / n_fft), in mel;
            // edges linspace(mel(fmin), mel(fmax), n_mels + 2). TF computes in float32; we use float64.
            tf_bin_mel.resize(static_cast<size_t>(n_bins_total));
            for (int k = 0; k < n_bins_total; ++k) tf_bin_mel[k] = hz_to_mel_tf(fft_hz[k]);
            tf_edge_mel.resize(static_cast<size_t>(n_pts));
            const double lo = hz_to_mel_tf(p.fmin_hz);
            const double hi = hz_to_mel_tf(fmax);
            const double tf_step = (hi - lo) / (n_pts - 1);
            for (int i = 0; i < n_pts; ++i) tf_edge_mel[i] = (i == n_pts - 1) ? hi : lo + i * tf_step;
        }
        for (int m = 0; m < n_mels_total; ++m) {
            // ref: librosa.filters.mel: weights = max(0, min(-ramp_lo / fdiff_lo, ramp_hi / fdiff_hi)), in
            // float64, stored as float32; slaney norm multiplies by 2 / (f[m+2] - f[m]) (float64, re-stored f32)
            const double fdiff_lo = mel_hz[m + 1] - mel_hz[m];
            const double fdiff_hi = mel_hz[m + 2] - mel_hz[m + 1];
            const double enorm = 2.0 / (mel_hz[m + 2] - mel_hz[m]);
            int first = -1;
            int last = -1;
            for (int k = 0; k < n_bins_total; ++k) {
                float w = 0.0f;
                if (p.tf_weights) {
                    // ref: tf.signal.linear_to_mel_weight_matrix: lower_slopes = (bin_mel - lower_edge_mel) /
                    // (center_mel - lower_edge_mel), upper_slopes = (upper_edge_mel - bin_mel) / (upper_edge_mel -
                    // center_mel), weights = max(0, min(lower, upper)); the DC row (bands_to_zero = 1) is zero.
                    const double* edge = tf_edge_mel.data() + m;  // lower, centre, upper edge of band m
                    const double lower = (tf_bin_mel[k] - edge[0]) / (edge[1] - edge[0]);
                    const double upper = (edge[2] - tf_bin_mel[k]) / (edge[2] - edge[1]);
                    if (k > 0) w = static_cast<float>(std::max(0.0, std::min(lower, upper)));
                } else {
                    const double lower = -(mel_hz[m] - fft_hz[k]) / fdiff_lo;
                    const double upper = (mel_hz[m + 2] - fft_hz[k]) / fdiff_hi;
                    w = static_cast<float>(std::max(0.0, std::min(lower, upper)));
                    if (p.slaney_norm) w = static_cast<float>(static_cast<double>(w) * enorm);
                }
                row[k] = w;
                if (w != 0.0f) {
                    if (first < 0) first = k;
                    last = k;
                }
            }
            band_offset_[m] = static_cast<int>(weights_.size());
            if (first >= 0) {
                band_first_[m] = first;
                weights_.insert(weights_.end(), row.begin() + first, row.begin() + last + 1);
            }
        }
        band_offset_[n_mels_total] = static_cast<int>(weights_.size());
    } catch (const std::bad_alloc&) {
        return "mel: out of memory building the filterbank";
    }
    return "";
}

std::string mel_filterbank::init_explicit(const mel_params& p, const std::vector<float>& weights) {
    std::string err = validate(p);
    if (!err.empty()) return err;
    const size_t n_bins_total = static_cast<size_t>(p.n_fft / 2 + 1);
    const size_t n_mels_total = static_cast<size_t>(p.n_mels);
    if (weights.size() != n_mels_total * n_bins_total) {
        return "mel: explicit weights must hold n_mels x (n_fft/2+1) = " + std::to_string(n_mels_total) + " x " +
               std::to_string(n_bins_total) + " values";
    }
    for (float w : weights) {
        if (!std::isfinite(w) || w < 0.0f) return "mel: explicit weights must be finite and >= 0";
    }
    params_ = p;
    try {
        weights_.clear();
        band_first_.assign(n_mels_total, 0);
        band_offset_.assign(n_mels_total + 1, 0);
        for (size_t m = 0; m < n_mels_total; ++m) {
            const float* row = weights.data() + m * n_bins_total;
            size_t first = n_bins_total;
            size_t last = 0;
            for (size_t k = 0; k < n_bins_total; ++k) {
                if (row[k] != 0.0f) {
                    if (first == n_bins_total) first = k;
                    last = k;
                }
            }
            band_offset_[m] = static_cast<int>(weights_.size());
            if (first < n_bins_total) {
                band_first_[m] = static_cast<int>(first);
                weights_.insert(weights_.end(), row + first, row + last + 1);
            }
        }
        band_offset_[n_mels_total] = static_cast<int>(weights_.size());
    } catch (const std::bad_alloc&) {
        return "mel: out of memory building the filterbank";
    }
    return "";
}

void mel_filterbank::apply(const float* spectrum, float* mel_out) const {
    const int n = params_.n_mels;
    for (int m = 0; m < n; ++m) {
        const float* w = weights_.data() + band_offset_[m];
        const float* s = spectrum + band_first_[m];
        const int len = band_offset_[m + 1] - band_offset_[m];
        float acc = 0.0f;
        for (int i = 0; i < len; ++i) acc += w[i] * s[i];
        mel_out[m] = acc;
    }
}

void mel_filterbank::apply_block(const float4* spectrum, float4* mel_out) const {
    const int n = params_.n_mels;
    for (int m = 0; m < n; ++m) {
        const float* w = weights_.data() + band_offset_[m];
        const float4* s = spectrum + band_first_[m];
        const int len = band_offset_[m + 1] - band_offset_[m];
        float4 acc = {0, 0, 0, 0};
        for (int i = 0; i < len; ++i) acc += w[i] * s[i];
        mel_out[m] = acc;
    }
}

std::vector<float> mel_filterbank::dense() const {
    std::vector<float> out(static_cast<size_t>(n_mels()) * n_bins(), 0.0f);
    for (int m = 0; m < n_mels(); ++m) {
        const int len = band_offset_[m + 1] - band_offset_[m];
        for (int i = 0; i < len; ++i) {
            out[static_cast<size_t>(m) * n_bins() + band_first_[m] + i] = weights_[band_offset_[m] + i];
        }
    }
    return out;
}

std::string validate(const db_params& p) {
    if (!(p.amin > 0.0)) return "db: amin must be > 0";
    if (!p.ref_max && !(p.ref > 0.0)) return "db: ref must be > 0";
    if (std::isnan(p.top_db)) return "db: top_db must be a number (< 0 for none)";
    return "";
}

// power_db's and natural_log's arithmetic, written once for float and float4 so both give the same bits per
// lane. m is the mantissa and e the unbiased exponent of a positive normal float (see split_mantissa).
// ln(m) = 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...), s = (m - 1) / (m + 1); with m folded into
// [sqrt(1/2), sqrt(2)), |s| <= 0.1716 and the series to s^9 is exact to float precision (next term < 3e-9).
template <class F>
static F ln_mantissa(F m) {
    const F s = (m - 1.0f) / (m + 1.0f);
    const F s2 = s * s;
    const F series = s2 * (1.0f / 3 + s2 * (1.0f / 5 + s2 * (1.0f / 7 + s2 * (1.0f / 9))));
    return 2.0f * s + 2.0f * s * series;
}

template <class F>
static F db_from_mantissa(F m, F e) {
    const F ln_m = ln_mantissa(m);
    const float kDbPerOctave = 3.01029995663981195f;  // 10 log10(2)
    const float kDbPerNeper = 4.34294481903251828f;   // 10 log10(e)
    return e * kDbPerOctave + ln_m * kDbPerNeper;
}

// ln(x) = e ln(2) + ln(m). ln(2) is split into a high part with 15 significant bits (so e * kLn2Hi is exact
// for every exponent a float can have, |e| <= 150 < 2^9) and a small correction, the usual Cody-Waite split.
template <class F>
static F ln_from_mantissa(F m, F e) {
    const float kLn2Hi = 0.693145751953125f;             // 0x3f317200: ln(2) with the low 9 mantissa bits zero
    const float kLn2Lo = 1.42860682030941723212e-06f;   // ln(2) - kLn2Hi
    const F ln_m = ln_mantissa(m);
    return e * kLn2Hi + (e * kLn2Lo + ln_m);
}

// Splits a positive finite float into mantissa m in [sqrt(1/2), sqrt(2)) and exponent e, x = m 2^e.
static void split_mantissa(float x, float& m, int& e) {
    uint32_t bits;
    std::memcpy(&bits, &x, sizeof bits);
    e = 0;
    if (bits < 0x00800000u) {  // subnormal: scale into the normal range first
        x *= 16777216.0f;
        std::memcpy(&bits, &x, sizeof bits);
        e = -24;
    }
    e += static_cast<int>((bits >> 23) & 0xffu) - 127;
    bits = (bits & 0x007fffffu) | 0x3f800000u;  // mantissa m in [1, 2)
    std::memcpy(&m, &bits, sizeof m);
    if (m > 1.41421356f) {  // fold into [sqrt(1/2), sqrt(2))
        m *= 0.5f;
        e += 1;
    }
}

// The 4-lane split_mantissa for lanes that are all positive, normal and finite: m in [sqrt(1/2), sqrt(2)) and
// its exponent, the same operations as the scalar version lane by lane. Returns false (m, e untouched) when a
// lane is not such a number, for the caller to go lane by lane instead.
static bool split_mantissa4(float4 x, float4& m, float4& e_out) {
    typedef int32_t int4 __attribute__((vector_size(16)));
    const int4 ok = (x >= 1.17549435e-38f) & (x <= 3.40282347e+38f);
    if (!(ok[0] && ok[1] && ok[2] && ok[3])) return false;
    int4 bits;
    std::memcpy(&bits, &x, sizeof bits);
    int4 e = ((bits >> 23) & 0xff) - 127;
    bits = (bits & 0x007fffff) | 0x3f800000;
    std::memcpy(&m, &bits, sizeof m);
    const int4 big = m > 1.41421356f;  // lanes: -1 (true) or 0
    m = big ? m * 0.5f : m;
    e = e - big;
    e_out = __builtin_convertvector(e, float4);
    return true;
}

float natural_log(float x) {
    if (std::isnan(x) || x == INFINITY) return x;
    if (!(x > 0.0f)) return -INFINITY;
    float m;
    int e;
    split_mantissa(x, m, e);
    return ln_from_mantissa(m, static_cast<float>(e));
}

float4 natural_log(float4 x) {
    float4 m, e;
    if (split_mantissa4(x, m, e)) return ln_from_mantissa(m, e);
    // A zero, negative, subnormal, infinite or NaN lane: every lane through the scalar version.
    for (int l = 0; l < kLanes; ++l) x[l] = natural_log(static_cast<float>(x[l]));
    return x;
}

void log_offset_fixed(float4* values, size_t n, float offset) {
    const float4 off = {offset, offset, offset, offset};
    for (size_t i = 0; i < n; ++i) values[i] = natural_log(values[i] + off);
}

float power_db(float x) {
    if (std::isnan(x) || x == INFINITY) return x;
    if (!(x > 0.0f)) return -INFINITY;
    float m;
    int e;
    split_mantissa(x, m, e);
    return db_from_mantissa(m, static_cast<float>(e));
}

float4 power_db(float4 x) {
    float4 m, e;
    if (split_mantissa4(x, m, e)) return db_from_mantissa(m, e);
    // A zero, negative, subnormal, infinite or NaN lane: every lane through the scalar version.
    for (int l = 0; l < kLanes; ++l) x[l] = power_db(static_cast<float>(x[l]));
    return x;
}

void power_to_db_fixed(float4* values, size_t n, float amin, float ref_db) {
    const float4 lo = {amin, amin, amin, amin};
    for (size_t i = 0; i < n; ++i) {
        const float4 v = values[i];
        values[i] = power_db(lo < v ? v : lo) - ref_db;  // std::max(amin, v), NaN -> amin like the scalar path
    }
}

void power_to_db_fixed(float* values, size_t n, float amin, float ref_db) {
    // ref: librosa.power_to_db 0.10: 10 * log10(maximum(amin, S)) - 10 * log10(maximum(amin, ref)), float32
    for (size_t i = 0; i < n; ++i) values[i] = power_db(std::max(amin, values[i])) - ref_db;
}

void power_to_db(float* values, size_t n, const db_params& p) {
    const float amin = static_cast<float>(p.amin);
    float ref = static_cast<float>(p.ref);
    if (p.ref_max) {
        ref = 0.0f;
        for (size_t i = 0; i < n; ++i) ref = std::max(ref, std::fabs(values[i]));
    }
    const float ref_db = power_db(std::max(amin, ref));
    power_to_db_fixed(values, n, amin, ref_db);
    if (p.top_db >= 0.0 && n > 0) {
        // ref: librosa.power_to_db: log_spec = maximum(log_spec, log_spec.max() - top_db)
        const float top = *std::max_element(values, values + n);
        const float floor_db = top - static_cast<float>(p.top_db);
        for (size_t i = 0; i < n; ++i) values[i] = std::max(values[i], floor_db);
    }
}

}  // namespace gs
