// app_state.h: what the page has loaded: the dropped file's log-mel spectrogram (or why it failed), as plain data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace gs_web {

// The analysis of the last file the user dropped. No GL or SDL here: the view reads it.
struct analysis {
    std::string file;           // the file's name as the page reported it ("" before the first drop)
    std::string error;          // "" on success, else a one-line reason (then the feature fields are empty)
    std::string format;         // decoder's description, e.g. "wav pcm16"
    int source_rate_hz = 0;     // the file's sample rate, Hz
    int n_channels_in = 0;      // channels in the file (averaged to mono)
    double duration_s = 0.0;    // length of the decoded audio, seconds
    int n_mels = 0;             // rows of mel_db
    size_t n_frames = 0;        // columns of mel_db
    std::vector<float> mel_db;  // log-mel in dB, row-major [n_mels][n_frames] (librosa's layout)
    float db_min = 0.0f;        // smallest finite value of mel_db, dB
    float db_max = 0.0f;        // largest value of mel_db, dB
    double decode_ms = 0.0;     // wall time of decoding + resampling, ms
    double features_ms = 0.0;   // wall time of the log-mel computation, ms
    int generation = 0;         // incremented by every load (lets the view notice new data)
};

// Sample rate the app analyses at, Hz (the shipped models' rate).
constexpr int k_analysis_rate_hz = 22050;

// Decodes a WAV/AU file held in memory (data/size: caller-owned, not retained), resamples it to
// k_analysis_rate_hz and computes its log-mel spectrogram (mel_db, 128 bands, frame-local dB: top_db none,
// librosa defaults otherwise). Replaces `out` (keeping generation + 1); on failure out.error says why.
void analyse_file(const std::string& name, const uint8_t* data, size_t size, analysis& out);

// The state the browser tests read: {"file", "error", "frames", "n_mels", "sample_rate_hz", "duration_s",
// "format", "decode_ms", "features_ms", "generation"} as compact JSON.
std::string state_json(const analysis& a);

}  // namespace gs_web
