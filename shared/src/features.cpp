// features.cpp: batch and per-frame feature computation shared by the trainer, the CLI and the browser.
#include "genrescope/features.h"

#include <algorithm>
#include <cmath>
#include <new>

namespace gs {

std::string feature_extractor::init(const feature_config& c) {
    std::string err = validate(c);
    if (!err.empty()) return err;
    config_ = c;
    if (!(err = stft_.init(c.stft)).empty()) return err;
    const bool needs_mel = c.kind == feature_kind::mel_power || c.kind == feature_kind::mel_db ||
                           c.kind == feature_kind::mfcc;
    if (needs_mel && !(err = mel_.init(c.mel())).empty()) return err;
    if (c.kind == feature_kind::mfcc && !(err = mfcc_.init(c.mfcc())).empty()) return err;
    if (c.kind == feature_kind::chroma && !(err = chroma_.init(c.chroma())).empty()) return err;
    try {
        spectrum_scratch_.assign(static_cast<size_t>(stft_.n_bins()), 0.0f);
        mel_scratch_.assign(static_cast<size_t>(c.n_mels), 0.0f);
        frame_scratch_.assign(static_cast<size_t>(c.stft.n_fft), 0.0f);
    } catch (const std::bad_alloc&) {
        return "features: out of memory";
    }
    amin_ = static_cast<float>(c.db.amin);
    // ref: librosa.power_to_db: 10 log10(max(amin, ref))
    ref_db_ = power_db(std::max(amin_, static_cast<float>(c.db.ref)));
    return "";
}

void feature_extractor::frame_front(const float* frame) {
    switch (config_.kind) {
        case feature_kind::stft_mag: stft_.magnitude_frame(frame, spectrum_scratch_.data()); break;
        case feature_kind::stft_power:
        case feature_kind::chroma: stft_.power_frame(frame, spectrum_scratch_.data()); break;
        case feature_kind::mel_power:
        case feature_kind::mel_db:
        case feature_kind::mfcc:
            stft_.power_frame(frame, spectrum_scratch_.data());
            mel_.apply(spectrum_scratch_.data(), mel_scratch_.data());
            break;
    }
}

void feature_extractor::compute_frame(const float* frame, float* column_out) {
    frame_front(frame);
    const int nb = n_bins();
    switch (config_.kind) {
        case feature_kind::stft_mag:
        case feature_kind::stft_power: std::copy_n(spectrum_scratch_.data(), nb, column_out); break;
        case feature_kind::chroma: chroma_.apply(spectrum_scratch_.data(), column_out); break;
        case feature_kind::mel_power: std::copy_n(mel_scratch_.data(), nb, column_out); break;
        case feature_kind::mel_db:
            std::copy_n(mel_scratch_.data(), nb, column_out);
            power_to_db_fixed(column_out, static_cast<size_t>(nb), amin_, ref_db_);
            break;
        case feature_kind::mfcc:
            power_to_db_fixed(mel_scratch_.data(), mel_scratch_.size(), amin_, ref_db_);
            mfcc_.apply(mel_scratch_.data(), column_out);
            break;
    }
}

std::string feature_extractor::compute(const float* y, size_t n, std::vector<float>& out, size_t& n_frames_out) {
    n_frames_out = 0;
    const size_t n_frames = stft_n_frames(config_.stft, n);
    if (n_frames == 0) {
        return "features: input of " + std::to_string(n) + " samples is shorter than n_fft=" +
               std::to_string(config_.stft.n_fft) + " (without centring)";
    }
    if (n > 0 && y == nullptr) return "features: null input";
    const int nb = n_bins();
    // The *_db and mfcc kinds need the whole array before the dB step when ref=max or top_db is set.
    const bool global_db = !config_.frame_local() &&
                           (config_.kind == feature_kind::mel_db || config_.kind == feature_kind::mfcc);
    const int inner = global_db ? config_.n_mels : nb;
    try {
        frame_major_.resize(n_frames * static_cast<size_t>(inner));
        out.resize(n_frames * static_cast<size_t>(nb));
    } catch (const std::bad_alloc&) {
        return "features: out of memory for " + std::to_string(n_frames) + " frames";
    }
    for (size_t t = 0; t < n_frames; ++t) {
        stft_gather_frame(config_.stft, y, n, t, frame_scratch_.data());
        float* dst = frame_major_.data() + t * inner;
        if (global_db) {
            frame_front(frame_scratch_.data());
            std::copy_n(mel_scratch_.data(), inner, dst);
        } else {
            compute_frame(frame_scratch_.data(), dst);
        }
    }
    if (global_db) {
        power_to_db(frame_major_.data(), frame_major_.size(), config_.db);
        if (config_.kind == feature_kind::mfcc) {
            // DCT each frame in place via the small scratch (n_mfcc <= n_mels, so rows fit).
            for (size_t t = 0; t < n_frames; ++t) {
                float* row = frame_major_.data() + t * inner;
                mfcc_.apply(row, mel_scratch_.data());
                std::copy_n(mel_scratch_.data(), nb, row);
            }
        }
    }
    // Transpose to librosa's [bins][frames].
    for (size_t t = 0; t < n_frames; ++t) {
        const float* src = frame_major_.data() + t * inner;
        for (int b = 0; b < nb; ++b) out[static_cast<size_t>(b) * n_frames + t] = src[b];
    }
    n_frames_out = n_frames;
    return "";
}

}  // namespace gs
