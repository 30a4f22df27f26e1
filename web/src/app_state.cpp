// app_state.cpp: the controller: file jobs, live requests and saliency share one model request at a time.
#include "app_state.h"

#include <emscripten.h>
#include <emscripten/eventloop.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "genrescope/audio_io.h"
#include "genrescope/json.h"
#include "js_calls.h"
#include "verdict.h"

namespace gs_web {
namespace {

constexpr size_t k_file_batch = 16;     // segments per model run (as native's segment_probabilities)
// Preparation runs in slices of g_slice_ms, the UI drawing between them: at least k_min_slice_ms, and twice the time
// the page spent between the last two slices (a frame drawn, a model run), at most k_max_slice_ms, shrinking by a
// tenth per slice when the gaps shrink. On a GPU a frame takes a few ms and slices stay at 20 ms; with software
// WebGL on the 2-core machine a frame takes ~50 ms, and 20-ms slices spent most of a 5-minute file's preparation
// drawing (22-25 frames, 2.4-3.2 s to the result; 100-ms slices: 10-14 frames, 1.9-2.1 s). Timing only, not results.
constexpr double k_min_slice_ms = 20.0, k_max_slice_ms = 100.0;
double g_slice_ms = k_min_slice_ms;
double g_slice_end_ms = -1.0;  // when the last slice ended (-1: none yet for this job)

// Preparation continues between animation frames too (a posted message through emscripten_set_immediate: unlike
// setTimeout 0, which browsers hold back to >= 4 ms after a few nested calls), so a long file is not held to one
// slice per frame.
bool g_prepare_scheduled = false;
void prepare_tick(void* arg) {
    g_prepare_scheduled = false;
    pump(*static_cast<app_state*>(arg));
}

void fail_job(app_state& s, const std::string& message) {
    s.error = (s.job.file.empty() ? std::string() : s.job.file + ": ") + message;
    std::printf("[genrescope] %s\n", s.error.c_str());
    library_job_failed(s.library, s.job.job_id, message, emscripten_get_now());
    js_job_failed(s.job.job_id, s.error.c_str());
}

void finish_job(app_state& s) {
    s.last_result_json = s.job.result_json(s.backend);
    s.error.clear();
    const size_t top = arg_max(s.job.probabilities);
    std::printf("[genrescope] %s: %s %.3f (%zu of %zu segments, %.0f ms)\n", s.job.file.c_str(),
                s.job.card.labels[top].c_str(), s.job.probabilities[top], s.job.n_analysed(), s.job.n_segments(),
                s.job.total_ms);
    library_job_done(s.library, s.job, emscripten_get_now());
    js_job_done(s.job.job_id, s.last_result_json.c_str());
}

void begin_job(app_state& s, int job_id, const std::string& name) {
    if (s.has_job && (s.job.where == file_job::stage::preparing || s.job.where == file_job::stage::inferring)) {
        s.job.fail("replaced by " + name);
        fail_job(s, s.job.error);
    }
    s.has_job = true;
    g_slice_end_ms = -1.0;
    s.saliency = saliency_map{};
    s.job = file_job{};
    s.job.job_id = job_id;
    s.job.file = name;
}

void send_request(app_state& s, inference_request::kind what, size_t first, size_t n, const std::vector<float>& input) {
    inference_request& r = s.in_flight;
    r.what = what;
    r.id = s.next_request_id++;
    r.job_id = s.job.job_id;
    r.first = first;
    r.n = n;
    r.t0_ms = emscripten_get_now();
    js_run_batch(r.id, input.data(), int(n), s.card.n_bins(), s.card.segment.frames);
}

void send_saliency(app_state& s) {
    saliency_map& m = s.saliency;
    const file_job& j = s.job;
    std::vector<float> one;
    j.segment_input(m.segment, one);
    const int nb = j.card.n_bins(), len = j.card.segment.frames;
    const size_t seg = size_t(nb) * len;
    const int n_patches = m.rows * m.cols;
    s.scratch.assign(seg * size_t(1 + n_patches), 0.0f);
    std::copy(one.begin(), one.end(), s.scratch.begin());
    for (int p = 0; p < n_patches; ++p) {
        float* dst = s.scratch.data() + seg * size_t(1 + p);
        std::copy(one.begin(), one.end(), dst);
        const int r = p / m.cols, c = p % m.cols;
        const int b0 = r * nb / m.rows, b1 = (r + 1) * nb / m.rows;
        const int f0 = c * len / m.cols, f1 = (c + 1) * len / m.cols;
        for (int b = b0; b < b1; ++b)
            for (int f = f0; f < f1; ++f) dst[size_t(b) * len + f] = 0.0f;  // the normalised mean
    }
    send_request(s, inference_request::kind::saliency, m.segment, size_t(1 + n_patches), s.scratch);
}

// [{name, score}] of a tag verdict's top tags (scores rounded as in a result).
gs::json_value tags_json(const gs::tag_verdict& v, const model_card& card) {
    gs::json_value list = gs::json_value::array();
    for (const gs::tag_score& t : v.top)
        list.push_back(gs::json_value::object({{"name", card.tag_labels[size_t(t.index)]},
                                               {"score", std::round(double(t.score) * 1e6) / 1e6}}));
    return list;
}

}  // namespace

void start_file_bytes(app_state& s, int job_id, const std::string& name, const uint8_t* data, size_t size,
                      double t0_ms) {
    begin_job(s, job_id, name);
    if (!s.has_model) {
        s.job.fail("no model loaded");
        return fail_job(s, s.job.error);
    }
    const double t = emscripten_get_now();
    gs::audio_buffer audio;
    const std::string err = size == 0 ? std::string("the file is empty") : gs::decode_audio(data, size, audio);
    if (!err.empty()) {
        s.job.fail(err);
        return fail_job(s, err);
    }
    const double decode_ms = emscripten_get_now() - t;
    s.job.start(job_id, name, std::move(audio.samples), audio.sample_rate_hz, s.card, decode_ms, t0_ms);
    if (s.job.where == file_job::stage::failed) return fail_job(s, s.job.error);
    library_job_started(s.library, job_id);
    pump(s);
}

void start_file_pcm(app_state& s, int job_id, const std::string& name, std::vector<float> mono, int rate_hz,
                    double decode_ms, double t0_ms) {
    begin_job(s, job_id, name);
    if (!s.has_model) {
        s.job.fail("no model loaded");
        return fail_job(s, s.job.error);
    }
    s.job.start(job_id, name, std::move(mono), rate_hz, s.card, decode_ms, t0_ms);
    if (s.job.where == file_job::stage::failed) return fail_job(s, s.job.error);
    library_job_started(s.library, job_id);
    pump(s);
}

void report_file_error(app_state& s, int job_id, const std::string& message) {
    begin_job(s, job_id, "");
    s.job.fail(message);
    fail_job(s, message);
}

void set_model(app_state& s, const model_card& card) {
    if (s.has_job && (s.job.where == file_job::stage::preparing || s.job.where == file_job::stage::inferring)) {
        s.job.fail("the model was replaced");
        fail_job(s, s.job.error);
    }
    s.card = card;
    s.has_model = true;
    s.in_flight = inference_request{};  // a late answer for the old model is ignored (id mismatch)
    s.saliency = saliency_map{};
    if (s.live.active) s.live.start(card);
}

void pump(app_state& s) {
    if (s.has_job && s.job.where == file_job::stage::preparing) {
        const double t = emscripten_get_now();
        if (g_slice_end_ms >= 0.0)
            g_slice_ms =
                std::clamp(std::max(0.9 * g_slice_ms, 2.0 * (t - g_slice_end_ms)), k_min_slice_ms, k_max_slice_ms);
        s.job.step(g_slice_ms);
        g_slice_end_ms = emscripten_get_now();
        if (s.job.where == file_job::stage::preparing && !g_prepare_scheduled) {
            g_prepare_scheduled = true;
            emscripten_set_immediate(prepare_tick, &s);
        }
        if (s.job.where == file_job::stage::failed) fail_job(s, s.job.error);
        else if (s.job.where == file_job::stage::inferring && s.playback_job_id != s.job.job_id) {
            js_set_playback(s.job.audio.data(), int(s.job.audio.size()), s.job.card.features.sample_rate_hz);
            s.playback_job_id = s.job.job_id;
        }
    }
    if (s.in_flight.what != inference_request::kind::none || !s.has_model) return;
    const double now = emscripten_get_now();
    if (s.live.due(now)) {
        s.live.make_request(now, s.scratch);
        return send_request(s, inference_request::kind::live, 0, 1, s.scratch);
    }
    if (s.saliency.pending && s.has_job && s.job.where == file_job::stage::done && s.saliency.job_id == s.job.job_id)
        return send_saliency(s);
    if (s.has_job && s.job.where == file_job::stage::inferring && s.job.n_done == s.job.n_analysed()) {
        s.job.where = file_job::stage::done;  // every window was answered while features were still being computed
        s.job.total_ms = emscripten_get_now() - s.job.t0_ms;
        s.job.progress = 1.0;
        return finish_job(s);
    }
    if (s.has_job && (s.job.where == file_job::stage::inferring || s.job.where == file_job::stage::preparing)) {
        size_t first = 0;
        const size_t n = s.job.next_batch(k_file_batch, s.scratch, first);
        if (n > 0) send_request(s, inference_request::kind::file, first, n, s.scratch);
    }
}

void on_batch_done(app_state& s, int request_id, const float* probs, size_t n_values, const float* tag_scores,
                   size_t n_tag_values) {
    const inference_request r = s.in_flight;
    if (r.what == inference_request::kind::none || r.id != request_id) return;  // stale
    const double now = emscripten_get_now();
    const size_t k = s.card.labels.size();
    if (n_values != r.n * k) {
        on_batch_failed(s, request_id, "the model returned " + std::to_string(n_values) + " values, expected " +
                                           std::to_string(r.n * k));
        return;
    }
    const size_t n_tags = s.card.has_tags ? s.card.tag_labels.size() : 0;
    if (n_tag_values != r.n * n_tags) {
        on_batch_failed(s, request_id, "the model returned " + std::to_string(n_tag_values) + " tag scores, expected " +
                                           std::to_string(r.n * n_tags));
        return;
    }
    if (n_tags == 0) tag_scores = nullptr;
    s.in_flight = inference_request{};
    if (r.n > 0) s.last_batch_ms_per_segment = (now - r.t0_ms) / double(r.n);
    if (r.what == inference_request::kind::live) {
        s.live.request_done(probs, tag_scores, now);
    } else if (r.what == inference_request::kind::file && s.has_job && s.job.job_id == r.job_id) {
        if (s.embedding_request_id == r.id && !s.embedding_values.empty())
            library_embedding(s.library, r.job_id, s.embedding_values.data(), s.embedding_values.size(), r.n);
        s.job.batch_done(r.first, r.n, probs, tag_scores, now - r.t0_ms);
        if (s.job.where == file_job::stage::done) finish_job(s);
    } else if (r.what == inference_request::kind::saliency && s.has_job && s.job.job_id == r.job_id) {
        saliency_map& m = s.saliency;
        m.pending = false;
        m.valid = true;
        std::vector<float> base(probs, probs + k);
        m.top = int(arg_max(base));
        m.base = base[size_t(m.top)];
        m.drop.assign(size_t(m.rows * m.cols), 0.0f);
        for (int p = 0; p < m.rows * m.cols; ++p) m.drop[size_t(p)] = m.base - probs[size_t(1 + p) * k + size_t(m.top)];
    }
    pump(s);
}

void on_batch_failed(app_state& s, int request_id, const std::string& message) {
    const inference_request r = s.in_flight;
    if (r.what == inference_request::kind::none || r.id != request_id) return;
    s.in_flight = inference_request{};
    const std::string why = "inference failed: " + message;
    if (r.what == inference_request::kind::live) {
        s.live.request_failed();
        s.live.error = why;
        s.error = why;
    } else if (r.what == inference_request::kind::file && s.has_job && s.job.job_id == r.job_id) {
        s.job.fail(why);
        fail_job(s, why);
    } else if (r.what == inference_request::kind::saliency) {
        s.saliency.pending = false;
        s.error = why;
    }
    pump(s);
}

void on_batch_embedding(app_state& s, int request_id, const float* values, size_t n_values) {
    s.embedding_request_id = request_id;
    s.embedding_values.assign(values, values + n_values);
}

void request_saliency(app_state& s, size_t segment) {
    if (!s.has_job || s.job.where != file_job::stage::done || segment >= s.job.n_segments()) return;
    s.saliency = saliency_map{};
    s.saliency.pending = true;
    s.saliency.job_id = s.job.job_id;
    s.saliency.segment = segment;
    pump(s);
}

void live_started(app_state& s) {
    if (s.has_model) s.live.start(s.card);
    if (!s.live.error.empty()) s.error = "microphone: " + s.live.error;
}

void live_push(app_state& s, const float* samples, size_t n, int rate_hz, double arrival_ms) {
    const std::string err = s.live.push(samples, n, rate_hz, arrival_ms);
    if (!err.empty()) {
        s.live.stop();
        s.live.error = err;
        s.error = "microphone: " + err;
        js_stop_microphone();
        return;
    }
    pump(s);  // a live request may be due now (not only at the next frame)
}

void live_stopped(app_state& s, const std::string& error) {
    s.live.stop();
    s.live.error = error;
    if (!error.empty()) s.error = "microphone: " + error;
}

std::string state_json(const app_state& s) {
    gs::json_value j = gs::json_value::object();
    j.set("error", s.error);
    const bool busy = s.has_job && (s.job.where == file_job::stage::preparing || s.job.where == file_job::stage::inferring);
    j.set("busy", busy);
    j.set("progress", s.has_job ? s.job.progress : 0.0);
    j.set("file", s.has_job ? s.job.file : std::string());
    // The line the result panel shows for the file ("rock", "uncertain (rock?)", "outside the ten genres: ...").
    const bool shown = s.has_job && s.job.n_done > 0 && s.job.where != file_job::stage::failed;
    j.set("verdict", shown ? full_verdict(s.job.probabilities, s.job.tags, s.job.card) : std::string());
    // The sparse-analysis line the result panel shows under it ("" when every window is analysed).
    j.set("analysed",
          s.has_job && s.job.where == file_job::stage::done && s.job.sparse()
              ? analysed_words(s.job.n_analysed(), s.job.n_segments(), s.job.analysed_seconds() / s.job.duration_s)
              : std::string());
    gs::json_value live = gs::json_value::object();
    live.set("active", s.live.active);
    live.set("updates", double(s.live.updates));
    gs::json_value lp = gs::json_value::array();
    for (float p : s.live.probabilities) lp.push_back(double(p));
    live.set("probabilities", lp);
    live.set("latency_ms", s.live.latency_ms);
    live.set("inference_ms", s.live.inference_ms);
    live.set("input_rate_hz", s.live.input_rate_hz);
    live.set("audio_s", s.live.audio_s);
    live.set("error", s.live.error);
    live.set("verdict", s.live.updates > 0 ? full_verdict(s.live.probabilities, s.live.tags, s.live.card) : std::string());
    live.set("outside", s.live.tags.outside);
    live.set("tags", tags_json(s.live.tags, s.live.card));
    j.set("live", live);
    gs::json_value model = gs::json_value::object();
    model.set("name", s.has_model ? s.card.name : std::string());
    gs::json_value labels = gs::json_value::array();
    for (const std::string& l : s.card.labels) labels.push_back(l);
    model.set("labels", s.has_model ? labels : gs::json_value::array());
    model.set("backend", s.backend);
    model.set("note", s.model_note);
    model.set("backend_note", s.backend_note);
    if (s.has_model && s.card.has_tags) {
        gs::json_value t = gs::json_value::object();
        t.set("output", s.card.tag_output);
        t.set("n", double(s.card.tag_labels.size()));
        t.set("rule", s.card.tag_rule.outside_min_score > 0);
        model.set("tags", t);
    }
    gs::json_value about = gs::json_value::array();  // the model panel's plain words
    for (const about_section& sec : s.card.about) {
        gs::json_value lines = gs::json_value::array();
        for (const about_line& l : sec.lines) lines.push_back(l.text);
        about.push_back(gs::json_value::object({{"title", sec.title}, {"lines", lines}}));
    }
    model.set("about", s.has_model ? about : gs::json_value::array());
    j.set("model", model);
    gs::json_value sal = gs::json_value::object();
    sal.set("pending", s.saliency.pending);
    sal.set("valid", s.saliency.valid);
    sal.set("segment", double(s.saliency.segment));
    gs::json_value drop = gs::json_value::array();
    for (float d : s.saliency.drop) drop.push_back(double(d));
    sal.set("drop", drop);
    j.set("saliency", sal);
    const std::string rest = gs::json_write(j, -1);
    return "{\"result\":" + (s.last_result_json.empty() ? std::string("null") : s.last_result_json) + "," + rest.substr(1);
}

}  // namespace gs_web
