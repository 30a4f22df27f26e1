// feature_config.h: one struct naming every feature parameter; serialised as the `feature` part of a model card.
#pragma once

#include <string>
#include <vector>

#include "genrescope/chroma.h"
#include "genrescope/json.h"
#include "genrescope/mel.h"
#include "genrescope/mfcc.h"
#include "genrescope/stft.h"

namespace gs {

// What a feature matrix holds. Rows ("bins") per kind: stft_*: n_fft/2+1; mel_*: n_mels; mfcc: n_mfcc;
// chroma: n_chroma; yamnet_log_mel: n_mels; compact_cnn_melgram: n_mels.
// yamnet_log_mel is YAMNet's published front end (TensorFlow, not librosa): TF framing (stft_params::win_length,
// no centring), magnitude spectrum, TF's mel weights (mel_params::tf_weights), then ln(mel + 0.001). Start from
// yamnet_feature_config() for its parameters. ref: tensorflow/models research/audioset/yamnet features.py
// compact_cnn_melgram (JSON "compact_cnn_melgram") is the front end of Choi's compact convnet (kapre 0.0.3's
// Melspectrogram layer, Keras 1): TensorFlow "same" framing (stft_same_n_frames(): ceil(n / hop) frames, the
// signal zero-padded by stft_same_pad_before() samples first, so frame positions depend on the input's length),
// periodic Hann, power spectrum, a mel filterbank (explicit `mel_weights`, e.g. the network's stored one, or the
// computed Slaney one), then power_to_db with `db` (ref = the input's maximum, floor 80 dB below it). Not
// frame-local: it cannot stream. Start from compact_cnn_feature_config().
// ref: kapre 0.0.3 time_frequency.py (Spectrogram._spectrogram_mono: conv2d with the windowed DFT kernels,
// stride n_hop, border_mode 'same'; Melspectrogram.call: K.dot(power, freq2mel)), backend_keras.py
// amplitude_to_decibel (10 log10(max(x, 1e-10)), minus the maximum, floored at -80). That kapre took the maximum
// over the whole batch (K.max without an axis; per sample only from 2019); here it is the input's own.
enum class feature_kind { stft_mag, stft_power, mel_power, mel_db, mfcc, chroma, yamnet_log_mel, compact_cnn_melgram };

const char* to_string(feature_kind k);
bool parse_feature_kind(const std::string& s, feature_kind& out);  // false when unknown

// The offset yamnet_log_mel adds before the natural log. ref: YAMNet params.py log_offset = 0.001
constexpr float kYamnetLogOffset = 0.001f;

// Defaults are librosa 0.10's (melspectrogram / power_to_db / mfcc / chroma_stft); see yamnet_feature_config().
struct feature_config {
    feature_kind kind = feature_kind::mel_db;
    int sample_rate_hz = 22050;    // Hz the audio is resampled to before analysis, valid 1..768000
    stft_params stft;              // n_fft, hop_length, center, pad mode, win_length (0 = n_fft; librosa kinds
                                   // need 0 or n_fft, yamnet_log_mel any 1..n_fft with center false)
    int n_mels = 128;              // mel bands (mel_*, mfcc), valid 1..1024
    double fmin_hz = 0.0;          // lowest mel edge, Hz
    double fmax_hz = 0.0;          // highest mel edge, Hz; <= 0 = sample_rate_hz / 2
    bool htk = false;              // HTK mel scale (yamnet_log_mel: must be true)
    bool mel_norm_slaney = true;   // Slaney area normalisation of the mel bands (yamnet_log_mel: must be false)
    db_params db;                  // power_to_db (mel_db, mfcc)
    int n_mfcc = 20;               // valid 1..n_mels
    int lifter = 0;                // MFCC liftering, 0 = off
    int n_chroma = 12;             // valid 1..120
    double tuning = 0.0;           // chroma tuning offset in bins, valid -0.5..0.5
    // Model input normalisation, applied by apply_normalisation(): x' = (x - mean) / std, either one value
    // for all bins (size 1) or one per bin (size n_bins()). Empty = identity.
    std::vector<float> norm_mean;
    std::vector<float> norm_std;

    // compact_cnn_melgram only: an explicit mel filterbank applied to the power spectrum instead of the one
    // computed from sample_rate_hz, n_fft, n_mels, fmin_hz, fmax_hz, htk, mel_norm_slaney (which then only
    // describe it). Row-major [n_mels][n_fft / 2 + 1]: band m's weight of FFT bin k is at m * (n_fft / 2 + 1) + k.
    // Values finite and >= 0. Empty = the computed filterbank. JSON: "mel_weights": {"shape": [n_mels,
    // n_fft / 2 + 1], "values": [...]}, written only when not empty (other configs' JSON is unchanged).
    std::vector<float> mel_weights;

    int n_bins() const;
    // The normalisation at bin b, 0 <= b < n_bins(): the single value, the bin's own, or the identity
    // (mean 0, std 1) when the vectors are empty.
    float norm_mean_at(int b) const;
    float norm_std_at(int b) const;
    mel_params mel() const;
    mfcc_params mfcc() const;
    chroma_params chroma() const;
    // True when each frame depends only on its own samples (no ref=max, no top_db): required for streaming.
    // compact_cnn_melgram as the original computes it (ref=max, top_db 80) is not; with a fixed ref and no top_db
    // it is, and then it also frames like the other uncentred kinds (frame t starts at sample t * hop) instead
    // of TF's "same" padding, whose frame positions depend on the input's length.
    bool frame_local() const;
};

// YAMNet's front end: kind yamnet_log_mel, 16000 Hz, frames of 400 samples (25 ms) every 160 (10 ms), no
// centring, 512-point FFT, 64 HTK mel bands over 125-7500 Hz (TF weights, no normalisation).
// ref: YAMNet params.py (sample_rate 16000, stft_window_seconds 0.025, stft_hop_seconds 0.010, mel_bands 64,
// mel_min_hz 125, mel_max_hz 7500, log_offset 0.001); fft_length = 2^ceil(log2(400)) = 512 (features.py)
feature_config yamnet_feature_config();

// Choi's compact convnet front end: kind compact_cnn_melgram, 12000 Hz, 512-point frames every 256 samples (TF
// "same" framing), 96 mel bands over 0-6000 Hz (Slaney scale and area normalisation, as kapre 0.0.3's mel()
// copied from librosa; mel_weights empty: computed), dB with ref = the input's maximum, amin 1e-10, floor at
// -80 dB (top_db 80). ref: keunwoochoi/music-auto_tagging-keras compact_cnn/models.py (SR 12000, n_dft 512,
// n_hop 256, power_melgram 2.0, decibel) and util_weight_th2tf.py (n_mels 96, fmin 0, fmax 6000)
feature_config compact_cnn_feature_config();

// Checks every field's range and the consistency between them. Returns "" or the first problem.
std::string validate(const feature_config& c);

// JSON (field names as in the struct; db fields "db_ref" ("max" or a number), "db_amin", "db_top_db" (null =
// none), "pad_mode": "constant"|"reflect"; "win_length" only when not 0, so the JSON of configs without it
// (and the feature-cache keys hashed from it) stay as they were). Unknown fields are ignored; missing ones keep
// the defaults: librosa's, or yamnet_feature_config()'s when "kind" is "yamnet_log_mel", or
// compact_cnn_feature_config()'s when it is "compact_cnn_melgram". "mel_weights" is checked as untrusted input
// (object with a 2-integer "shape" equal to [n_mels, n_fft / 2 + 1], as many finite non-negative "values").
json_value to_json(const feature_config& c);
std::string from_json(const json_value& j, feature_config& out);

// In place over a [n_bins][n_frames] or frame-major block: applies the config's normalisation.
// `bin_stride` is the distance between consecutive bins, `frame_stride` between consecutive frames.
void apply_normalisation(const feature_config& c, float* values, int n_frames, size_t bin_stride,
                         size_t frame_stride);

}  // namespace gs
