// mfcc.h: MFCC as an orthonormal DCT-II over log-mel frames, with optional liftering (librosa 0.10).
#pragma once

#include <string>
#include <vector>

namespace gs {

struct mfcc_params {
    int n_mfcc = 20;  // coefficients kept, valid 1..n_mels
    int n_mels = 128; // input bands, valid 1..1024
    int lifter = 0;   // cepstral liftering coefficient, 0 = off, valid 0..10000
};

std::string validate(const mfcc_params& p);

// DCT matrix built once; apply() maps one frame of n_mels dB values to n_mfcc coefficients.
class mfcc_transform {
public:
    std::string init(const mfcc_params& p);
    const mfcc_params& params() const { return params_; }
    void apply(const float* mel_db, float* mfcc_out) const;

private:
    mfcc_params params_;
    std::vector<float> basis_;  // [n_mfcc][n_mels], lifter folded in
};

}  // namespace gs
