// audio_load.h: reads an audio file from disk into mono float samples (WAV/AU via shared/, others via libsndfile).
#pragma once

#include <string>

#include "genrescope/audio_io.h"

namespace gs {

// Limit on the file size read into memory, bytes (2 GiB): larger files are refused with an error.
constexpr long long kMaxAudioFileBytes = 2LL << 30;

// Loads `path`. WAV and AU go through shared/'s decoder (bit-exact with the browser); anything else goes
// through libsndfile when this build has it (GENRESCOPE_HAVE_SNDFILE). When target_rate_hz > 0 the audio is
// resampled with shared/'s resampler. Returns "" or a one-line error naming the file.
std::string load_audio_file(const std::string& path, int target_rate_hz, audio_buffer& out);

}  // namespace gs
