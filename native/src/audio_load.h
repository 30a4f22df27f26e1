// audio_load.h: reads an audio file from disk into mono float samples (WAV/AU via shared/, others via libsndfile).
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "genrescope/audio_io.h"

namespace gs {

// Limit on the file size read into memory, bytes (2 GiB): larger files are refused with an error.
constexpr long long kMaxAudioFileBytes = 2LL << 30;

// Loads `path`. WAV and AU go through shared/'s decoder (bit-exact with the browser); anything else goes
// through libsndfile when this build has it (GENRESCOPE_HAVE_SNDFILE). When target_rate_hz > 0 the audio is
// resampled with shared/'s resampler. Returns "" or a one-line error naming the file.
std::string load_audio_file(const std::string& path, int target_rate_hz, audio_buffer& out);

// What stream_audio_file delivered.
struct stream_info {
    int n_channels = 0;     // channels in the file (the stream is their mean)
    int rate_hz = 0;        // rate of the delivered samples
    size_t n_samples = 0;   // samples delivered
};

// Files larger than this (bytes) are decoded block by block natively (libsndfile), so memory stays bounded.
constexpr long long kStreamThresholdBytes = 64LL << 20;

// Delivers `path` as mono float blocks at target_rate_hz (<= 0: the file's rate) to `sink`, in order. Natively,
// files above kStreamThresholdBytes are read through libsndfile in blocks and resampled with shared/'s
// streaming resampler (the same samples as load_audio_file gives for valid files: same scaling, same mono
// mean, resampler streaming == batch bit for bit); smaller files are loaded whole with load_audio_file and
// pushed in blocks. Returns "" or a one-line error naming the file.
std::string stream_audio_file(const std::string& path, int target_rate_hz,
                              const std::function<void(const float*, size_t)>& sink, stream_info& info);

}  // namespace gs
