// mfcc.cpp: orthonormal DCT-II basis (with the lifter folded in) applied to log-mel frames.
#include "genrescope/mfcc.h"

#include <cmath>
#include <new>

namespace gs {

std::string validate(const mfcc_params& p) {
    if (p.n_mels < 1 || p.n_mels > 1024) return "mfcc: n_mels must be in [1, 1024]";
    if (p.n_mfcc < 1 || p.n_mfcc > p.n_mels) return "mfcc: n_mfcc must be in [1, n_mels]";
    if (p.lifter < 0 || p.lifter > 10000) return "mfcc: lifter must be in [0, 10000]";
    return "";
}

std::string mfcc_transform::init(const mfcc_params& p) {
    std::string err = validate(p);
    if (!err.empty()) return err;
    params_ = p;
    const double pi = 3.14159265358979323846;
    const int n = p.n_mels;
    try {
        basis_.assign(static_cast<size_t>(p.n_mfcc) * n, 0.0f);
    } catch (const std::bad_alloc&) {
        return "mfcc: out of memory";
    }
    for (int k = 0; k < p.n_mfcc; ++k) {
        // ref: scipy.fftpack.dct(type=2, norm='ortho'): sqrt(1/N) for k = 0, sqrt(2/N) otherwise,
        //      times cos(pi k (2 i + 1) / (2 N))
        const double scale = (k == 0) ? std::sqrt(1.0 / n) : std::sqrt(2.0 / n);
        // ref: librosa.feature.mfcc 0.10 lifter: M *= 1 + (lifter / 2) sin(pi (k + 1) / lifter)
        const double lift = p.lifter > 0 ? 1.0 + (p.lifter / 2.0) * std::sin(pi * (k + 1) / p.lifter) : 1.0;
        for (int i = 0; i < n; ++i) {
            basis_[static_cast<size_t>(k) * n + i] =
                static_cast<float>(scale * lift * std::cos(pi * k * (2.0 * i + 1.0) / (2.0 * n)));
        }
    }
    return "";
}

void mfcc_transform::apply(const float* mel_db, float* mfcc_out) const {
    const int n = params_.n_mels;
    for (int k = 0; k < params_.n_mfcc; ++k) {
        const float* b = basis_.data() + static_cast<size_t>(k) * n;
        float acc = 0.0f;
        for (int i = 0; i < n; ++i) acc += b[i] * mel_db[i];
        mfcc_out[k] = acc;
    }
}

}  // namespace gs
