// chroma.h: chroma filterbank over power spectra, with per-frame max normalisation (librosa 0.10 chroma_stft).
#pragma once

#include <string>
#include <vector>

namespace gs {

struct chroma_params {
    int sample_rate_hz = 22050;  // Hz, valid 1..768000
    int n_fft = 2048;            // valid 2..65536
    int n_chroma = 12;           // pitch classes, valid 1..120
    double tuning = 0.0;         // deviation from A440 in fractions of a chroma bin, valid -0.5..0.5
    double ctroct = 5.0;         // centre of the octave weighting, octaves above C1 (librosa default 5)
    double octwidth = 2.0;       // Gaussian half-width of the octave weighting, octaves; <= 0 = no weighting
    bool base_c = true;          // start the chroma at C (true) or A (false)
};

std::string validate(const chroma_params& p);

class chroma_filterbank {
public:
    // Builds the [n_chroma][n_bins] weights (float32, like librosa.filters.chroma with norm=2).
    std::string init(const chroma_params& p);
    const chroma_params& params() const { return params_; }
    int n_bins() const { return params_.n_fft / 2 + 1; }

    // chroma_out[c] = sum_k w[c][k] power[k], then divided by the frame's maximum |value| (norm=inf) unless
    // that maximum is below the float32 tiny threshold (silence stays zero).
    void apply(const float* power, float* chroma_out) const;

    const std::vector<float>& dense() const { return weights_; }

private:
    chroma_params params_;
    std::vector<float> weights_;
};

}  // namespace gs
