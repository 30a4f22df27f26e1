// app_state.cpp: decode -> resample -> log-mel for a dropped file, through shared/ only.
#include "app_state.h"

#include <chrono>
#include <cmath>

#include "genrescope/audio_io.h"
#include "genrescope/feature_config.h"
#include "genrescope/features.h"
#include "genrescope/json.h"
#include "genrescope/resample.h"

namespace gs_web {
namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// The display feature: librosa's melspectrogram + power_to_db defaults, but frame-local (no top_db clamp),
// which is what the streaming (microphone) path will compute too.
gs::feature_config display_config() {
    gs::feature_config c;
    c.kind = gs::feature_kind::mel_db;
    c.sample_rate_hz = k_analysis_rate_hz;
    c.n_mels = 128;
    c.db.top_db = -1.0;  // none
    return c;
}

}  // namespace

void analyse_file(const std::string& name, const uint8_t* data, size_t size, analysis& out) {
    const int generation = out.generation + 1;
    out = analysis{};
    out.file = name;
    out.generation = generation;

    auto t0 = std::chrono::steady_clock::now();
    gs::audio_buffer audio;
    std::string err = gs::decode_audio(data, size, audio);
    if (!err.empty()) {
        out.error = err;
        return;
    }
    out.format = audio.format;
    out.source_rate_hz = audio.sample_rate_hz;
    out.n_channels_in = audio.n_channels_in;
    std::vector<float> y;
    if (audio.sample_rate_hz == k_analysis_rate_hz) {
        y.swap(audio.samples);
    } else {
        err = gs::resample(audio.samples.data(), audio.samples.size(), audio.sample_rate_hz, k_analysis_rate_hz, y);
        if (!err.empty()) {
            out.error = "resampling: " + err;
            return;
        }
        audio.samples = std::vector<float>();  // free the source early
    }
    out.duration_s = double(y.size()) / k_analysis_rate_hz;
    out.decode_ms = ms_since(t0);
    if (y.empty()) {
        out.error = "the file holds no audio samples";
        return;
    }

    t0 = std::chrono::steady_clock::now();
    gs::feature_extractor extractor;
    err = extractor.init(display_config());
    if (err.empty()) err = extractor.compute(y.data(), y.size(), out.mel_db, out.n_frames);
    if (!err.empty()) {
        out.error = "features: " + err;
        out.mel_db.clear();
        out.n_frames = 0;
        return;
    }
    out.features_ms = ms_since(t0);
    out.n_mels = extractor.n_bins();

    bool any = false;
    for (float v : out.mel_db) {
        if (!std::isfinite(v)) continue;
        if (!any || v < out.db_min) out.db_min = v;
        if (!any || v > out.db_max) out.db_max = v;
        any = true;
    }
}

std::string state_json(const analysis& a) {
    gs::json_value j = gs::json_value::object();
    j.set("file", a.file);
    j.set("error", a.error);
    j.set("frames", a.n_frames);
    j.set("n_mels", a.n_mels);
    j.set("sample_rate_hz", a.source_rate_hz);
    j.set("duration_s", a.duration_s);
    j.set("format", a.format);
    j.set("decode_ms", a.decode_ms);
    j.set("features_ms", a.features_ms);
    j.set("generation", a.generation);
    return gs::json_write(j, -1);
}

}  // namespace gs_web
