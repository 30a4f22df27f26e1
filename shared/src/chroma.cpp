// chroma.cpp: librosa 0.10's chroma filterbank (Gaussian bumps per pitch class, octave weighting).
#include "genrescope/chroma.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <new>

namespace gs {

std::string validate(const chroma_params& p) {
    if (p.sample_rate_hz < 1 || p.sample_rate_hz > 768000) return "chroma: sample_rate_hz must be in [1, 768000]";
    if (p.n_fft < 2 || p.n_fft > 65536) return "chroma: n_fft must be in [2, 65536]";
    if (p.n_chroma < 1 || p.n_chroma > 120) return "chroma: n_chroma must be in [1, 120]";
    if (!(p.tuning >= -0.5 && p.tuning <= 0.5)) return "chroma: tuning must be in [-0.5, 0.5]";
    return "";
}

std::string chroma_filterbank::init(const chroma_params& p) {
    std::string err = validate(p);
    if (!err.empty()) return err;
    params_ = p;
    const int n_fft = p.n_fft;
    const int nc = p.n_chroma;
    const int n_out_bins = n_fft / 2 + 1;
    try {
        // ref: librosa.filters.chroma 0.10. Frequencies of all n_fft bins except DC, as octaves (in chroma bins).
        std::vector<double> frqbins(static_cast<size_t>(n_fft));
        const double a440 = 440.0 * std::pow(2.0, p.tuning / nc);  // ref: librosa.hz_to_octs
        for (int k = 1; k < n_fft; ++k) {
            const double hz = static_cast<double>(p.sample_rate_hz) * k / n_fft;  // linspace(0, sr, n_fft, False)
            frqbins[k] = nc * std::log2(hz / (a440 / 16.0));
        }
        frqbins[0] = (n_fft > 1 ? frqbins[1] : 0.0) - 1.5 * nc;  // DC: 1.5 octaves below bin 1
        std::vector<double> binwidth(static_cast<size_t>(n_fft));
        for (int k = 0; k + 1 < n_fft; ++k) binwidth[k] = std::max(frqbins[k + 1] - frqbins[k], 1.0);
        binwidth[n_fft - 1] = 1.0;
        const double n_chroma2 = std::nearbyint(nc / 2.0);  // ref: numpy.round (half to even)
        std::vector<double> wts(static_cast<size_t>(nc) * n_fft);
        for (int c = 0; c < nc; ++c) {
            for (int k = 0; k < n_fft; ++k) {
                // ref: D = remainder(frqbins - c + n_chroma2 + 10 n_chroma, n_chroma) - n_chroma2
                double dval = std::fmod(frqbins[k] - c + n_chroma2 + 10.0 * nc, static_cast<double>(nc));
                if (dval < 0) dval += nc;
                dval -= n_chroma2;
                const double z = 2.0 * dval / binwidth[k];
                wts[static_cast<size_t>(c) * n_fft + k] = std::exp(-0.5 * z * z);
            }
        }
        // ref: util.normalize(norm=2, axis=0): each column to unit L2 norm (columns below tiny left alone)
        for (int k = 0; k < n_fft; ++k) {
            double ss = 0.0;
            for (int c = 0; c < nc; ++c) ss += wts[static_cast<size_t>(c) * n_fft + k] * wts[static_cast<size_t>(c) * n_fft + k];
            double len = std::sqrt(ss);
            if (len < DBL_MIN) len = 1.0;
            for (int c = 0; c < nc; ++c) wts[static_cast<size_t>(c) * n_fft + k] /= len;
        }
        if (p.octwidth > 0) {
            // ref: wts *= exp(-0.5 ((frqbins / n_chroma - ctroct) / octwidth)^2)
            for (int k = 0; k < n_fft; ++k) {
                const double z = (frqbins[k] / nc - p.ctroct) / p.octwidth;
                const double g = std::exp(-0.5 * z * z);
                for (int c = 0; c < nc; ++c) wts[static_cast<size_t>(c) * n_fft + k] *= g;
            }
        }
        // ref: base_c: numpy.roll(wts, -3 * (n_chroma // 12), axis=0) -> output row c = input row c + shift
        const int shift = p.base_c ? 3 * (nc / 12) : 0;
        weights_.assign(static_cast<size_t>(nc) * n_out_bins, 0.0f);
        for (int c = 0; c < nc; ++c) {
            const int src = ((c + shift) % nc + nc) % nc;
            for (int k = 0; k < n_out_bins; ++k) {
                weights_[static_cast<size_t>(c) * n_out_bins + k] =
                    static_cast<float>(wts[static_cast<size_t>(src) * n_fft + k]);
            }
        }
    } catch (const std::bad_alloc&) {
        return "chroma: out of memory building the filterbank";
    }
    return "";
}

void chroma_filterbank::apply(const float* power, float* chroma_out) const {
    const int nc = params_.n_chroma;
    const int nb = n_bins();
    float peak = 0.0f;
    for (int c = 0; c < nc; ++c) {
        const float* w = weights_.data() + static_cast<size_t>(c) * nb;
        float acc = 0.0f;
        for (int k = 0; k < nb; ++k) acc += w[k] * power[k];
        chroma_out[c] = acc;
        peak = std::max(peak, std::fabs(acc));
    }
    // ref: librosa.util.normalize(norm=inf, axis=-2, threshold=tiny(float32))
    if (peak < FLT_MIN) return;
    for (int c = 0; c < nc; ++c) chroma_out[c] /= peak;
}

}  // namespace gs
