// perturb.h: the robustness conditions of `genrescope eval --condition`: a track's audio re-encoded, resampled,
// attenuated, noised or cut before the usual feature pipeline.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "genrescope/audio_io.h"

namespace gs {

// Condition names, in the order the docs list them.
const std::vector<std::string>& perturb_conditions();

// Loads `path` under `condition` and returns mono samples at target_rate_hz in `out`:
//   mp3-128k     encoded to MP3 at 128 kb/s constant bit rate (libsndfile + LAME), decoded back
//   stereo-44k   resampled to 44.1 kHz, written as a 2-channel 16-bit WAV, loaded through the normal path
//                (WAV decode, downmix, resample to target_rate_hz)
//   gain-12db    every sample times 10^(-12/20)
//   noise-20db   white Gaussian noise added at 20 dB SNR (noise power = signal power / 100), seeded by `seed`
//   excerpt-10s  the middle 10 s (the whole track when it is shorter)
// `temp_dir` holds the intermediate files (removed afterwards). Returns "" or a one-line error.
std::string load_perturbed(const std::string& path, const std::string& condition, int target_rate_hz, uint64_t seed,
                           const std::string& temp_dir, audio_buffer& out);

}  // namespace gs
