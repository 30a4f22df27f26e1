// ui.cpp: the GenreScope interface in Dear ImGui (one full-window window; two columns, or one when narrow).
//
// [SECTION] helpers (colours, verdict wording)
// [SECTION] feature views (log-mel / MFCC / chroma, live scrolling), saliency overlay
// [SECTION] verdict, bars, progress
// [SECTION] timeline strip + playback
// [SECTION] model and microphone panels
// [SECTION] layout
#include "ui.h"

#include <emscripten.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "genrescope/features.h"
#include "imgui.h"
#include "js_calls.h"

namespace gs_web {
namespace {

// ---- [SECTION] helpers -------------------------------------------------------------------------------

const ImVec4 k_error_colour(1.0f, 0.45f, 0.4f, 1.0f);
const ImVec4 k_dim_colour(0.65f, 0.65f, 0.7f, 1.0f);
const ImVec4 k_accent_colour(0.55f, 0.75f, 1.0f, 1.0f);
constexpr float k_narrow_width = 760.0f;    // below this the panels stack
constexpr float k_blend_margin = 0.12f;     // top two closer than this read as a blend ("rock / metal")

ImU32 genre_colour(int c, int n, float alpha = 1.0f) {
    float r, g, b;
    ImGui::ColorConvertHSVtoRGB(float(c) / float(std::max(1, n)), 0.6f, 0.95f, r, g, b);
    return ImGui::ColorConvertFloat4ToU32(ImVec4(r, g, b, alpha));
}

// Genre indices, most probable first.
std::vector<size_t> by_probability(const std::vector<float>& p) {
    std::vector<size_t> order(p.size());
    std::iota(order.begin(), order.end(), size_t(0));
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return p[a] > p[b]; });
    return order;
}

// "rock", "rock / metal" (top two within k_blend_margin) or "uncertain (rock?)" below the card's threshold.
std::string verdict(const std::vector<float>& p, const model_card& card) {
    if (p.empty() || card.labels.size() != p.size()) return "";
    const std::vector<size_t> order = by_probability(p);
    const std::string& top = card.labels[order[0]];
    if (p[order[0]] < card.uncertain_below) return "uncertain (" + top + "?)";
    if (p.size() > 1 && p[order[0]] - p[order[1]] < k_blend_margin) return top + " / " + card.labels[order[1]];
    return top;
}

// ---- [SECTION] feature views ----------------------------------------------------------------------------

// Computes the chosen view of the job's audio with shared/ (the model's STFT/mel settings, frame-local dB).
void compute_view(const file_job& j, view_mode mode, std::vector<float>& out, size_t& n_frames, int& n_rows) {
    out.clear();
    n_frames = 0;
    n_rows = 0;
    if (mode == view_mode::log_mel && j.card.features.kind == gs::feature_kind::mel_db) {
        out = j.display;  // the model's own input before normalisation
        n_frames = j.n_frames;
        n_rows = j.card.n_bins();
        return;
    }
    gs::feature_config c = j.card.features;
    c.kind = mode == view_mode::mfcc ? gs::feature_kind::mfcc
           : mode == view_mode::chroma ? gs::feature_kind::chroma : gs::feature_kind::mel_db;
    c.norm_mean.clear();
    c.norm_std.clear();
    gs::feature_extractor fx;
    if (!fx.init(c).empty() || !fx.compute(j.audio.data(), j.audio.size(), out, n_frames).empty()) {
        out.clear();
        n_frames = 0;
        return;
    }
    n_rows = fx.n_bins();
    if (mode == view_mode::mfcc) {
        // Coefficient 0 (the frame's level) is an order of magnitude larger than the others and would take the
        // whole colour range: each coefficient is shown as its z-score over the track instead.
        for (int r = 0; r < n_rows; ++r) {
            float* row = out.data() + size_t(r) * n_frames;
            double sum = 0, sq = 0;
            for (size_t t = 0; t < n_frames; ++t) sum += row[t], sq += double(row[t]) * row[t];
            const double mean = sum / double(n_frames);
            const double sd = std::sqrt(std::max(1e-12, sq / double(n_frames) - mean * mean));
            for (size_t t = 0; t < n_frames; ++t) row[t] = float((row[t] - mean) / sd);
        }
    }
}

const char* row_name(view_mode m) { return m == view_mode::mfcc ? "MFCC (z-score)" : m == view_mode::chroma ? "chroma bin" : "mel band"; }
const char* unit_name(view_mode m) { return m == view_mode::log_mel ? "dB" : ""; }

// Keeps the view in step with the current file / mode / live stream.
void refresh_view(ui_context& ui) {
    app_state& s = *ui.state;
    if (s.live.active || (ui.shown_live && !s.has_job)) {
        if (!ui.shown_live || s.live.generation != ui.shown_live_generation) {
            std::vector<float> m;
            size_t n = 0;
            s.live.display_matrix(m, n);
            // Follow the data's range while the stream is young (the first frames are silence or a fade-in).
            const bool reset_range = !ui.shown_live || s.live.audio_s < 3.0;
            ui.view.set_data(std::move(m), s.live.card.n_bins(), n, reset_range, "band", "");
            ui.shown_live = true;
            ui.shown_live_generation = s.live.generation;
            ui.shown_job_id = -1;
        }
        if (s.live.active) return;
    }
    const bool ready = s.has_job && (s.job.where == file_job::stage::inferring || s.job.where == file_job::stage::done);
    if (!ready) {
        if (s.has_job && s.job.where == file_job::stage::failed && ui.shown_job_id != -1) {
            ui.view.clear();
            ui.shown_job_id = -1;
        }
        return;
    }
    if (ui.shown_job_id == s.job.job_id && ui.shown_mode == ui.mode && !ui.shown_live) return;
    std::vector<float> m;
    size_t n = 0;
    int rows = 0;
    compute_view(s.job, view_mode(ui.mode), m, n, rows);
    ui.view.set_data(std::move(m), rows, n, true, row_name(view_mode(ui.mode)), unit_name(view_mode(ui.mode)));
    ui.shown_job_id = s.job.job_id;
    ui.shown_mode = ui.mode;
    ui.shown_live = false;
}

// Red where masking a patch lowered the top genre's probability (the model relied on it), blue where it rose.
void draw_saliency(const app_state& s, ImVec2 p0, ImVec2 p1) {
    const saliency_map& m = s.saliency;
    if (!m.valid || m.job_id != s.job.job_id || s.job.n_frames == 0) return;
    float max_abs = 1e-6f;
    for (float d : m.drop) max_abs = std::max(max_abs, std::fabs(d));
    const double total = double(s.job.n_frames);
    const double f0 = double(s.job.starts[m.segment]);
    const double len = double(s.job.card.segment.frames);
    const float w = p1.x - p0.x, h = p1.y - p0.y;
    ImDrawList* dl = ImGui::GetWindowDrawList();
    for (int r = 0; r < m.rows; ++r)
        for (int c = 0; c < m.cols; ++c) {
            const float d = m.drop[size_t(r * m.cols + c)] / max_abs;
            const float x0 = p0.x + w * float((f0 + len * c / m.cols) / total);
            const float x1 = p0.x + w * float(std::min(total, f0 + len * (c + 1) / m.cols) / total);
            const float y1 = p1.y - h * float(r) / m.rows, y0 = p1.y - h * float(r + 1) / m.rows;
            const ImU32 col = d >= 0 ? ImGui::ColorConvertFloat4ToU32(ImVec4(1.0f, 0.1f, 0.1f, 0.65f * d))
                                     : ImGui::ColorConvertFloat4ToU32(ImVec4(0.2f, 0.5f, 1.0f, -0.65f * d));
            dl->AddRectFilled(ImVec2(x0, y0), ImVec2(x1, y1), col);
        }
    const float sx0 = p0.x + w * float(f0 / total), sx1 = p0.x + w * float(std::min(total, f0 + len) / total);
    dl->AddRect(ImVec2(sx0, p0.y), ImVec2(sx1, p1.y), IM_COL32(255, 255, 255, 200), 0.0f, 0, 2.0f);
}

size_t segment_at(const file_job& j, double t_s) {
    size_t best = 0;
    for (size_t s = 0; s < j.n_segments(); ++s)
        if (j.segment_start_s(s) <= t_s) best = s;
    return best;
}

void draw_view_controls(ui_context& ui) {
    app_state& s = *ui.state;
    ImGui::SetNextItemWidth(110.0f);
    if (s.live.active) {
        ImGui::TextColored(k_accent_colour, "live model features (scrolling, last %.0f s)", live_session::k_display_s);
    } else {
        ImGui::Combo("view", &ui.mode, "log-mel\0MFCC\0chroma\0");
    }
    ImGui::SameLine();
    spectrogram_view& v = ui.view;
    ImGui::SetNextItemWidth(std::min(260.0f, ImGui::GetContentRegionAvail().x * 0.4f));
    ImGui::DragFloatRange2("range", &v.db_low, &v.db_high, 0.25f, v.data_db_min - 20.0f, v.data_db_max + 20.0f, "%.1f",
                           "%.1f", ImGuiSliderFlags_AlwaysClamp);
    if (v.db_high <= v.db_low) v.db_high = v.db_low + 1.0f;
    ImGui::SameLine();
    ImGui::SetNextItemWidth(90.0f);
    ImGui::Combo("colours", &v.colormap, "ember\0ocean\0");
    if (s.has_job && s.job.where == file_job::stage::done && !s.live.active) {
        ImGui::SameLine();
        const size_t seg = segment_at(s.job, js_playback_position());
        ImGui::BeginDisabled(s.saliency.pending);
        if (ImGui::Button(s.saliency.pending ? "explaining..." : "Why? (saliency)")) {
            request_saliency(s, seg);
            ui.mode = int(view_mode::log_mel);
            ui.show_saliency = true;
        }
        ImGui::EndDisabled();
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("Occlusion: mask patches of segment %zu, re-run the model, show which regions\n"
                              "moved the top genre's probability (red: it relied on them).", seg + 1);
        if (s.saliency.valid) {
            ImGui::SameLine();
            ImGui::Checkbox("overlay", &ui.show_saliency);
        }
    }
}

void draw_feature_view(ui_context& ui, float height) {
    app_state& s = *ui.state;
    refresh_view(ui);
    draw_view_controls(ui);
    const ImVec2 size(ImGui::GetContentRegionAvail().x, std::max(60.0f, height));
    if (!ui.view.has_data()) {
        ImGui::BeginChild("empty_view", size, true);
        ImGui::TextColored(k_dim_colour, s.has_job && s.job.where == file_job::stage::preparing
                                             ? "computing features..." : "Drop an audio file anywhere on the page "
                                                                          "(WAV, AU, mp3, ogg, flac, ...), or start "
                                                                          "the microphone.");
        ImGui::EndChild();
        return;
    }
    const model_card& c = s.live.active ? s.live.card : s.job.card;
    const double spf = double(c.features.stft.hop_length) / c.features.sample_rate_hz;
    const auto rect = ui.view.draw(size, spf);
    if (!s.live.active && s.has_job) {
        if (ui.show_saliency && ui.mode == int(view_mode::log_mel)) draw_saliency(s, rect.first, rect.second);
        const double dur = double(ui.view.n_frames()) * spf;
        if (dur > 0) {
            const float x = rect.first.x + (rect.second.x - rect.first.x) * float(std::min(1.0, js_playback_position() / dur));
            ImGui::GetWindowDrawList()->AddLine(ImVec2(x, rect.first.y), ImVec2(x, rect.second.y),
                                                IM_COL32(255, 255, 255, 220), 2.0f);
        }
    }
}

// ---- [SECTION] verdict, bars, progress ------------------------------------------------------------------

void draw_bars(const std::vector<float>& p, const model_card& card) {
    if (p.size() != card.labels.size()) return;
    const std::vector<size_t> order = by_probability(p);
    const float label_w = 80.0f;
    for (size_t i : order) {
        ImGui::TextUnformatted(card.labels[i].c_str());
        ImGui::SameLine(label_w);
        char overlay[32];
        std::snprintf(overlay, sizeof overlay, "%.1f%%", 100.0 * p[i]);
        ImGui::PushStyleColor(ImGuiCol_PlotHistogram, ImGui::ColorConvertU32ToFloat4(genre_colour(int(i), int(p.size()))));
        ImGui::ProgressBar(p[i], ImVec2(-1.0f, 0.0f), overlay);
        ImGui::PopStyleColor();
    }
}

void draw_verdict_line(const std::vector<float>& p, const model_card& card) {
    const std::string v = verdict(p, card);
    if (v.empty()) return;
    ImGui::SetWindowFontScale(1.8f);
    ImGui::TextColored(v.rfind("uncertain", 0) == 0 ? k_dim_colour : k_accent_colour, "%s", v.c_str());
    ImGui::SetWindowFontScale(1.0f);
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextColored(k_dim_colour, "calibrated probabilities (temperature %.2f)%s", card.temperature,
                       card.uncertain_below > 0 ? "; 'uncertain' below the card's threshold" : "");
    ImGui::PopTextWrapPos();
}

void draw_result_panel(ui_context& ui) {
    app_state& s = *ui.state;
    if (s.live.active || (s.live.updates > 0 && !s.has_job)) {
        ImGui::TextColored(k_accent_colour, s.live.active ? "Listening (microphone)" : "Microphone stopped");
        ImGui::PushTextWrapPos(0.0f);
        ImGui::TextColored(k_dim_colour, "%.1f updates/s, audio->bars %.0f ms, model %.0f ms, %lld updates, %d Hz in",
                           ui.live_rate_hz, s.live.latency_ms, s.live.inference_ms, s.live.updates, s.live.input_rate_hz);
        ImGui::PopTextWrapPos();
        draw_verdict_line(s.live.probabilities, s.live.card);
        draw_bars(s.live.probabilities, s.live.card);
        return;
    }
    if (!s.has_job || (s.job.where == file_job::stage::failed && s.last_result_json.empty())) {
        ImGui::TextColored(k_dim_colour, "No file yet.");
        return;
    }
    const file_job& j = s.job;
    if (j.where == file_job::stage::failed) {
        ImGui::TextColored(k_dim_colour, "The last file could not be classified (see above).");
        return;
    }
    ImGui::Text("%s", j.file.c_str());
    if (j.where == file_job::stage::preparing || j.where == file_job::stage::inferring) {
        char overlay[64];
        if (j.where == file_job::stage::preparing)
            std::snprintf(overlay, sizeof overlay, "features %.0f%%", 200.0 * j.progress);
        else
            std::snprintf(overlay, sizeof overlay, "segments %zu / %zu", j.n_done, j.n_segments());
        ImGui::ProgressBar(float(j.progress), ImVec2(-1.0f, 0.0f), overlay);
    } else {
        ImGui::TextColored(k_dim_colour, "%.1f s, %zu segments | decode %.0f ms, features %.0f ms, model %.0f ms, total %.0f ms",
                           j.duration_s, j.n_segments(), j.decode_ms, j.features_ms, j.inference_ms, j.total_ms);
    }
    if (j.n_done > 0) {
        draw_verdict_line(j.probabilities, j.card);
        draw_bars(j.probabilities, j.card);
    }
}

// ---- [SECTION] timeline strip + playback ---------------------------------------------------------------

void draw_timeline(ui_context& ui) {
    app_state& s = *ui.state;
    if (!s.has_job || s.live.active || s.job.n_segments() == 0 ||
        (s.job.where != file_job::stage::inferring && s.job.where != file_job::stage::done))
        return;
    const file_job& j = s.job;
    const int k = j.card.n_classes();
    const bool playing = js_playback_playing() != 0;
    if (ImGui::Button(playing ? "Pause" : "Play")) js_playback_toggle();
    ImGui::SameLine();
    const double pos = js_playback_position();
    ImGui::Text("%.1f / %.1f s", pos, j.duration_s);
    ImGui::SameLine();
    ImGui::TextColored(k_dim_colour, "timeline: genre x segment (click to seek)");

    const float label_w = 72.0f;
    const float row_h = std::max(6.0f, std::min(12.0f, 160.0f / float(k)));
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    const float w = std::max(50.0f, ImGui::GetContentRegionAvail().x - label_w);
    const ImVec2 strip0(p0.x + label_w, p0.y);
    const ImVec2 strip1(strip0.x + w, strip0.y + row_h * k);
    ImGui::InvisibleButton("timeline", ImVec2(label_w + w, row_h * k));
    const bool hovered = ImGui::IsItemHovered();
    ImDrawList* dl = ImGui::GetWindowDrawList();
    dl->AddRectFilled(strip0, strip1, IM_COL32(25, 25, 32, 255));
    for (int c = 0; c < k; ++c) {
        const float y = strip0.y + row_h * c;
        if (row_h >= 9.0f) dl->AddText(ImGui::GetFont(), row_h * 0.95f, ImVec2(p0.x, y), IM_COL32(200, 200, 210, 255),
                                       j.card.labels[size_t(c)].c_str());
    }
    const double dur = std::max(1e-6, j.duration_s);
    for (size_t sg = 0; sg < j.n_segments(); ++sg) {
        const double t0 = j.segment_start_s(sg);
        const double t1 = sg + 1 < j.n_segments() ? std::max(t0 + 1e-3, j.segment_start_s(sg + 1)) : j.segment_end_s(sg);
        const float x0 = strip0.x + w * float(t0 / dur), x1 = strip0.x + w * float(std::min(dur, t1) / dur);
        for (int c = 0; c < k; ++c) {
            const float y = strip0.y + row_h * c;
            const ImU32 col = j.seg_done[sg] ? genre_colour(c, k, std::min(1.0f, j.seg_probs[sg * size_t(k) + size_t(c)] * 1.2f))
                                             : IM_COL32(60, 60, 70, 255);
            dl->AddRectFilled(ImVec2(x0, y), ImVec2(std::max(x0 + 1.0f, x1 - 0.5f), y + row_h - 1.0f), col);
        }
    }
    const float px = strip0.x + w * float(std::min(1.0, pos / dur));
    dl->AddLine(ImVec2(px, strip0.y - 2), ImVec2(px, strip1.y + 2), IM_COL32(255, 255, 255, 255), 2.0f);
    if (hovered) {
        const float mx = ImGui::GetIO().MousePos.x;
        const double t = std::clamp(double(mx - strip0.x) / w, 0.0, 1.0) * dur;
        const size_t sg = segment_at(j, t);
        if (j.seg_done[sg]) {
            std::vector<float> p(j.seg_probs.begin() + sg * size_t(k), j.seg_probs.begin() + (sg + 1) * size_t(k));
            ImGui::SetTooltip("%.1f s: segment %zu (%.1f-%.1f s): %s", t, sg + 1, j.segment_start_s(sg), j.segment_end_s(sg),
                              verdict(p, j.card).c_str());
        }
        if (ImGui::IsItemClicked() && mx >= strip0.x) js_playback_seek(t);
    }
}

// ---- [SECTION] model and microphone panels --------------------------------------------------------------

void draw_model_panel(ui_context& ui) {
    app_state& s = *ui.state;
    if (!ImGui::CollapsingHeader("Model", ImGuiTreeNodeFlags_DefaultOpen)) return;
    if (!s.has_model) {
        ImGui::TextColored(k_dim_colour, "loading the model...");
        return;
    }
    const model_card& c = s.card;
    ImGui::Text("%s%s%s", c.name.c_str(), c.version.empty() ? "" : " v", c.version.c_str());
    ImGui::TextColored(k_dim_colour, "backend: %s", s.backend.c_str());
    if (!s.backend_note.empty()) {
        ImGui::PushTextWrapPos(0.0f);
        ImGui::TextColored(k_dim_colour, "%s", s.backend_note.c_str());
        ImGui::PopTextWrapPos();
    }
    ImGui::TextColored(k_dim_colour, "load %.0f ms, last run %.1f ms/segment", s.model_load_ms, s.last_batch_ms_per_segment);
    std::string labels;
    for (const std::string& l : c.labels) labels += (labels.empty() ? "" : ", ") + l;
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextColored(k_dim_colour, "labels: %s", labels.c_str());
    ImGui::TextColored(k_dim_colour, "input: %d x %d (%s, %d Hz, hop %d), %.1f s segments every %.1f s",
                       c.n_bins(), c.segment.frames, gs::to_string(c.features.kind), c.features.sample_rate_hz,
                       c.features.stft.hop_length, c.segment_s, c.hop_s);
    for (const auto& m : c.metrics) ImGui::TextColored(k_dim_colour, "%s: %s", m.first.c_str(), m.second.c_str());
    if (!c.training.empty()) ImGui::TextColored(k_dim_colour, "training: %s", c.training.c_str());
    ImGui::PopTextWrapPos();
    if (!s.model_note.empty()) {
        ImGui::PushTextWrapPos(0.0f);
        ImGui::TextColored(k_error_colour, "%s", s.model_note.c_str());
        ImGui::PopTextWrapPos();
    }
}

void update_live_rate(ui_context& ui) {
    const app_state& s = *ui.state;
    const double now = emscripten_get_now();
    if (!s.live.active) {
        ui.live_rate_t0_ms = now;
        ui.live_rate_updates0 = s.live.updates;
        return;
    }
    if (now - ui.live_rate_t0_ms >= 1000.0) {
        ui.live_rate_hz = double(s.live.updates - ui.live_rate_updates0) * 1000.0 / (now - ui.live_rate_t0_ms);
        ui.live_rate_t0_ms = now;
        ui.live_rate_updates0 = s.live.updates;
    }
}

// ---- [SECTION] layout -----------------------------------------------------------------------------------

void draw_toolbar(ui_context& ui, bool narrow) {
    app_state& s = *ui.state;
    ImGui::SetWindowFontScale(1.6f);
    ImGui::TextUnformatted("GenreScope");
    ImGui::SetWindowFontScale(1.0f);
    if (!narrow) {
        ImGui::SameLine();
        ImGui::TextColored(k_dim_colour, "music genre, on your device (audio never leaves this page)");
    }
    if (ImGui::Button("Open file...")) js_open_file_dialog();
    ImGui::SameLine();
    if (s.live.active) {
        if (ImGui::Button("Stop microphone")) js_stop_microphone();
    } else if (ImGui::Button("Microphone")) {
        js_start_microphone();
    }
    if (!narrow) ImGui::SameLine();
    if (ImGui::Button("Load model...")) js_open_model_dialog();
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Choose a trainer's .onnx and its .json card together");
    ImGui::SameLine();
    if (ImGui::Button("Default model")) js_reset_model();
    if (!narrow) ImGui::SameLine();
    ImGui::SetNextItemWidth(narrow ? -60.0f : std::max(120.0f, ImGui::GetContentRegionAvail().x - 60.0f));
    const bool enter = ImGui::InputTextWithHint("##url", "or paste a URL of audio (CORS-permitting)", ui.url,
                                                sizeof ui.url, ImGuiInputTextFlags_EnterReturnsTrue);
    ImGui::SameLine();
    if ((ImGui::Button("Fetch") || enter) && ui.url[0]) js_classify_url(ui.url);
    if (!s.error.empty()) {
        ImGui::PushTextWrapPos(0.0f);
        ImGui::TextColored(k_error_colour, "%s", s.error.c_str());
        ImGui::PopTextWrapPos();
    }
    if (!ui.gl_error.empty()) ImGui::TextColored(k_error_colour, "Graphics error: %s", ui.gl_error.c_str());
    ImGui::Separator();
}

}  // namespace

void draw_ui(ui_context& ui) {
    update_live_rate(ui);
    const ImGuiViewport* vp = ImGui::GetMainViewport();
    ImGui::SetNextWindowPos(vp->WorkPos);
    ImGui::SetNextWindowSize(vp->WorkSize);
    const ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                                   ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoBringToFrontOnFocus;
    const bool narrow = vp->WorkSize.x < k_narrow_width;
    ImGui::Begin("GenreScope", nullptr, flags | (narrow ? 0 : ImGuiWindowFlags_NoScrollbar));
    draw_toolbar(ui, narrow);
    if (narrow) {
        // One column, scrolling: verdict, views, timeline, model.
        draw_result_panel(ui);
        ImGui::Separator();
        draw_feature_view(ui, 200.0f);
        draw_timeline(ui);
        draw_model_panel(ui);
    } else {
        const float left_w = std::min(420.0f, vp->WorkSize.x * 0.34f);
        ImGui::BeginChild("left", ImVec2(left_w, 0.0f), false);
        draw_result_panel(ui);
        ImGui::Spacing();
        draw_model_panel(ui);
        ImGui::EndChild();
        ImGui::SameLine();
        ImGui::BeginChild("right", ImVec2(0.0f, 0.0f), false, ImGuiWindowFlags_NoScrollbar);
        const file_job& j = ui.state->job;
        const bool timeline = ui.state->has_job && !ui.state->live.active && j.n_segments() > 0 &&
                              (j.where == file_job::stage::inferring || j.where == file_job::stage::done);
        const float timeline_h = timeline ? 40.0f + std::min(160.0f, 12.0f * ui.state->job.card.n_classes()) : 0.0f;
        draw_feature_view(ui, ImGui::GetContentRegionAvail().y - timeline_h - 36.0f);
        draw_timeline(ui);
        ImGui::EndChild();
    }
    ImGui::End();
}

}  // namespace gs_web
