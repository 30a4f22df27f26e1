// features.cpp: batch and per-frame feature computation shared by the trainer, the CLI and the browser.
#include "genrescope/features.h"

#include <algorithm>
#include <cmath>
#include <new>

namespace gs {

namespace {

// Kinds computed from a mel filterbank's output.
bool uses_mel(feature_kind k) {
    return k == feature_kind::mel_power || k == feature_kind::mel_db || k == feature_kind::mfcc ||
           k == feature_kind::yamnet_log_mel || k == feature_kind::compact_cnn_melgram;
}

// Kinds whose mel power goes through power_to_db.
bool uses_db(feature_kind k) {
    return k == feature_kind::mel_db || k == feature_kind::mfcc || k == feature_kind::compact_cnn_melgram;
}

}  // namespace

std::string feature_extractor::init(const feature_config& c) {
    std::string err = validate(c);
    if (!err.empty()) return err;
    config_ = c;
    if (!(err = stft_.init(c.stft)).empty()) return err;
    if (!c.mel_weights.empty()) {
        if (!(err = mel_.init_explicit(c.mel(), c.mel_weights)).empty()) return err;
    } else if (uses_mel(c.kind) && !(err = mel_.init(c.mel())).empty()) {
        return err;
    }
    if (c.kind == feature_kind::mfcc && !(err = mfcc_.init(c.mfcc())).empty()) return err;
    if (c.kind == feature_kind::chroma && !(err = chroma_.init(c.chroma())).empty()) return err;
    try {
        const float4 zero = {0, 0, 0, 0};
        block_.assign(static_cast<size_t>(c.stft.n_fft), zero);
        spectrum4_.assign(static_cast<size_t>(stft_.n_bins()), zero);
        mel4_.assign(static_cast<size_t>(c.n_mels), zero);
        spectrum_scratch_.assign(static_cast<size_t>(stft_.n_bins()), 0.0f);
        mel_scratch_.assign(static_cast<size_t>(c.n_mels), 0.0f);
        column_scratch_.assign(static_cast<size_t>(c.n_bins()), 0.0f);
    } catch (const std::bad_alloc&) {
        return "features: out of memory";
    }
    amin_ = static_cast<float>(c.db.amin);
    // ref: librosa.power_to_db: 10 log10(max(amin, ref))
    ref_db_ = power_db(std::max(amin_, static_cast<float>(c.db.ref)));
    return "";
}

void feature_extractor::compute_block(const float4* block, float* const* columns, size_t stride, int n_lanes,
                                      bool mel_power_only) {
    const int nb = n_bins();
    const feature_kind kind = config_.kind;
    if (kind == feature_kind::stft_mag || kind == feature_kind::yamnet_log_mel) {
        stft_.magnitude_block(block, spectrum4_.data());
    } else {
        stft_.power_block(block, spectrum4_.data());
    }
    if (uses_mel(kind)) mel_.apply_block(spectrum4_.data(), mel4_.data());
    // ref: YAMNet features.py: log(mel_spectrogram + log_offset), natural log
    if (kind == feature_kind::yamnet_log_mel) log_offset_fixed(mel4_.data(), mel4_.size(), kYamnetLogOffset);
    if (!mel_power_only && uses_db(kind)) power_to_db_fixed(mel4_.data(), mel4_.size(), amin_, ref_db_);
    for (int l = 0; l < n_lanes; ++l) {
        float* col = columns[l];
        switch (kind) {
            case feature_kind::stft_mag:
            case feature_kind::stft_power:
                for (int k = 0; k < nb; ++k) col[k * stride] = spectrum4_[k][l];
                break;
            case feature_kind::chroma:
                for (int k = 0; k < stft_.n_bins(); ++k) spectrum_scratch_[k] = spectrum4_[k][l];
                chroma_.apply(spectrum_scratch_.data(), column_scratch_.data());
                for (int c = 0; c < nb; ++c) col[c * stride] = column_scratch_[c];
                break;
            case feature_kind::mel_power:
            case feature_kind::mel_db:
            case feature_kind::yamnet_log_mel:
            case feature_kind::compact_cnn_melgram:
            case feature_kind::mfcc: {
                const int n_mels = config_.n_mels;
                if (kind == feature_kind::mfcc && !mel_power_only) {
                    for (int m = 0; m < n_mels; ++m) mel_scratch_[m] = mel4_[m][l];
                    mfcc_.apply(mel_scratch_.data(), column_scratch_.data());
                    for (int k = 0; k < nb; ++k) col[k * stride] = column_scratch_[k];
                } else {  // mel power, or mel dB / YAMNet's log mel (converted above)
                    for (int m = 0; m < n_mels; ++m) col[m * stride] = mel4_[m][l];
                }
                break;
            }
        }
    }
}

void feature_extractor::compute_frame(const float* frame, float* column_out) {
    const int len = config_.stft.frame_length();  // the STFT reads no more (TF framing: zeros follow)
    for (int i = 0; i < len; ++i) block_[i] = float4{frame[i], 0.0f, 0.0f, 0.0f};
    float* columns[1] = {column_out};
    compute_block(block_.data(), columns, 1, 1, false);
}

std::string feature_extractor::compute(const float* y, size_t n, std::vector<float>& out, size_t& n_frames_out) {
    n_frames_out = 0;
    // compact_cnn_melgram as the original frames TF-style with "same" padding: frame t starts at t * hop -
    // same_lead. Its frame-local variant (fixed dB ref) frames at t * hop, so that streaming equals batch.
    const bool same_framing = config_.kind == feature_kind::compact_cnn_melgram && !config_.frame_local();
    const size_t n_frames = same_framing ? stft_same_n_frames(config_.stft, n) : stft_n_frames(config_.stft, n);
    const long long same_lead = same_framing ? static_cast<long long>(stft_same_pad_before(config_.stft, n)) : 0;
    if (n_frames == 0 && same_framing) return "features: empty input";
    if (n_frames == 0) {
        const int len = config_.stft.frame_length();
        return "features: input of " + std::to_string(n) + " samples is shorter than " +
               (len == config_.stft.n_fft ? "n_fft=" : "win_length=") + std::to_string(len) + " (without centring)";
    }
    if (n > 0 && y == nullptr) return "features: null input";
    const int nb = n_bins();
    const bool db_kind = uses_db(config_.kind);
    // ref=max or top_db need the whole array before the dB step. mel_db then works in place in `out` (the dB
    // step is element-wise plus a global maximum); MFCC goes through a frame-major mel buffer first.
    const bool global_db = db_kind && !config_.frame_local();
    const bool via_frame_major = global_db && config_.kind == feature_kind::mfcc;
    const size_t n_mels = static_cast<size_t>(config_.n_mels);
    try {
        out.resize(n_frames * static_cast<size_t>(nb));
        if (via_frame_major) frame_major_.resize(n_frames * n_mels);
    } catch (const std::bad_alloc&) {
        return "features: out of memory for " + std::to_string(n_frames) + " frames";
    }
    // Column t of the result: out[t], out[t + n_frames], ... (librosa's [bins][frames]), or frame-major rows.
    float* base = via_frame_major ? frame_major_.data() : out.data();
    const size_t col_step = via_frame_major ? n_mels : 1;
    const size_t stride = via_frame_major ? 1 : n_frames;
    const stft_params& sp = config_.stft;
    float* lanes = reinterpret_cast<float*>(block_.data());
    for (size_t t0 = 0; t0 < n_frames; t0 += kLanes) {
        const int n_lanes = static_cast<int>(std::min<size_t>(kLanes, n_frames - t0));
        float* columns[kLanes] = {};
        for (int l = 0; l < n_lanes; ++l) columns[l] = base + (t0 + l) * col_step;
        const long long first =
            static_cast<long long>(t0) * sp.hop_length - (same_framing ? same_lead : (sp.center ? sp.n_fft / 2 : 0));
        const int len = sp.frame_length();  // samples the STFT reads per frame (n_fft, or less with TF framing)
        const long long last_end = first + static_cast<long long>(kLanes - 1) * sp.hop_length + len;
        if (n_lanes == kLanes && first >= 0 && last_end <= static_cast<long long>(n)) {
            // Four interior frames: build the lane-interleaved block directly.
            const float* f0 = y + first;
            const size_t h = static_cast<size_t>(sp.hop_length);
            for (int i = 0; i < len; ++i) block_[i] = float4{f0[i], f0[h + i], f0[2 * h + i], f0[3 * h + i]};
        } else {
            for (int l = 0; l < kLanes; ++l) {
                if (l < n_lanes && same_framing) {
                    // ref: TF SAME padding: zeros outside the signal (see stft_same_pad_before)
                    const long long start = first + static_cast<long long>(l) * sp.hop_length;
                    for (int i = 0; i < sp.n_fft; ++i) {
                        const long long j = start + i;
                        lanes[static_cast<size_t>(i) * kLanes + l] =
                            (j >= 0 && j < static_cast<long long>(n)) ? y[j] : 0.0f;
                    }
                } else if (l < n_lanes) {
                    stft_gather_frame(sp, y, n, t0 + l, lanes + l, kLanes);
                } else {
                    for (int i = 0; i < sp.n_fft; ++i) lanes[static_cast<size_t>(i) * kLanes + l] = 0.0f;
                }
            }
        }
        compute_block(block_.data(), columns, stride, n_lanes, global_db);
    }
    if (global_db && !via_frame_major) {
        power_to_db(out.data(), out.size(), config_.db);
    } else if (via_frame_major) {
        power_to_db(frame_major_.data(), frame_major_.size(), config_.db);
        for (size_t t = 0; t < n_frames; ++t) {  // DCT each frame, writing column t of the result
            mfcc_.apply(frame_major_.data() + t * n_mels, column_scratch_.data());
            for (int k = 0; k < nb; ++k) out[static_cast<size_t>(k) * n_frames + t] = column_scratch_[k];
        }
    }
    n_frames_out = n_frames;
    return "";
}

}  // namespace gs
