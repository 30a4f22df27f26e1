// app_state.h: the page's state and its controller: model card, the file being classified, the microphone
// session, the one inference request in flight, saliency; no GL, no ImGui (the UI reads it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "file_job.h"
#include "library.h"
#include "live_session.h"
#include "model_card.h"

namespace gs_web {

// An occlusion map of one segment: the top class's probability drop when a patch of the input is masked.
struct saliency_map {
    bool pending = false;       // asked for, not answered yet
    bool valid = false;
    int job_id = 0;             // the file it belongs to
    size_t segment = 0;
    int top = 0;                // class index whose probability is explained
    int rows = 8, cols = 8;     // patch grid (bins x frames)
    float base = 0.0f;          // unmasked probability of `top`
    std::vector<float> drop;    // [rows][cols] base - masked (row 0 = lowest bins)
};

// The single model request in flight (the bridge serialises runs; this keeps one at a time).
struct inference_request {
    enum class kind { none, file, live, saliency };
    kind what = kind::none;
    int id = 0;
    int job_id = 0;
    size_t first = 0, n = 0;
    double t0_ms = 0.0;
};

struct app_state {
    bool has_model = false;
    model_card card;
    std::string backend = "wasm";   // set by the bridge: "webgpu" | "wasm"
    std::string backend_note;       // e.g. why WebGPU was not used
    std::string model_note;         // last model load result (an error, or "" )
    double model_load_ms = 0.0;     // session creation + warm-up, ms (from the bridge)
    double last_batch_ms_per_segment = 0.0;

    bool has_job = false;
    file_job job;                   // the current (or last) file
    std::string last_result_json;   // the last successful result ("" = none)
    std::string error;              // the last error shown in the UI ("" after a success)
    int playback_job_id = 0;        // the job whose audio the player holds

    live_session live;

    inference_request in_flight;
    int next_request_id = 1;
    saliency_map saliency;
    std::vector<float> scratch;

    library_state library;          // library mode: many files' results (library.h)
    int embedding_request_id = 0;   // the request the embedding values below belong to (gs_batch_embedding)
    std::vector<float> embedding_values;
};

// Starts classifying a file. From bytes (WAV/AU, decoded here by shared/) or from PCM the browser decoded
// (mono, `rate_hz`). Answers with js_job_done / js_job_failed(job_id).
void start_file_bytes(app_state& s, int job_id, const std::string& name, const uint8_t* data, size_t size,
                      double t0_ms);
void start_file_pcm(app_state& s, int job_id, const std::string& name, std::vector<float> mono, int rate_hz,
                    double decode_ms, double t0_ms);
// A failure found before C++ saw the audio (fetch, browser decoding): shown, and the job's promise rejected.
void report_file_error(app_state& s, int job_id, const std::string& message);

// Installs a new card (the bridge has checked the ONNX against it). Cancels the current file and live state.
void set_model(app_state& s, const model_card& card);

// Advances preparation and sends the next model request if none is in flight. Call every frame.
void pump(app_state& s);
// A model answer: n_values probabilities and, for cards with tags, n_tag_values backbone tag scores (else 0).
void on_batch_done(app_state& s, int request_id, const float* probs, size_t n_values, const float* tag_scores,
                   size_t n_tag_values);
void on_batch_failed(app_state& s, int request_id, const std::string& message);
// The model's embedding output for request_id (n windows * dim values), sent just before its gs_batch_done, only
// while the bridge runs library jobs; a file request's values go into the library item's track embedding.
void on_batch_embedding(app_state& s, int request_id, const float* values, size_t n_values);

// Asks for an occlusion map of segment `segment` of the current file.
void request_saliency(app_state& s, size_t segment);

// Microphone: audio from the bridge, and its start/stop notifications.
void live_started(app_state& s);
void live_push(app_state& s, const float* samples, size_t n, int rate_hz, double arrival_ms);
void live_stopped(app_state& s, const std::string& error);

// {result, error, busy, progress, file, verdict, analysed ("analysed 64 of 313 windows (20% of the audio)" for a
//  sparsely analysed file, else ""), live: {active, updates, probabilities, latency_ms, verdict,
//  outside, tags, ...}, model: {name, labels, backend, tags, about, ...}, saliency} as compact JSON.
std::string state_json(const app_state& s);

}  // namespace gs_web
