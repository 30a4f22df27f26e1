// ui_views.cpp: the interface's feature views (log-mel / MFCC / chroma of the file, the live scrolling view), their
// controls and the saliency overlay.
#include <emscripten.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "genrescope/features.h"
#include "js_calls.h"
#include "ui_internal.h"

namespace gs_web {
namespace {

// Computes the chosen view of the job's audio with shared/ (the model's STFT/mel settings, frame-local dB).
void compute_view(const file_job& j, view_mode mode, std::vector<float>& out, size_t& n_frames, int& n_rows) {
    out.clear();
    n_frames = 0;
    n_rows = 0;
    const gs::feature_kind kind = j.card.features.kind;
    if (mode == view_mode::log_mel && (kind == gs::feature_kind::mel_db || kind == gs::feature_kind::yamnet_log_mel)) {
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
    // librosa's framing for the views, also when the model's front end frames as TensorFlow does (YAMNet's
    // 400-sample frames in a 512-point FFT, no centring), which the librosa kinds refuse.
    c.stft.win_length = 0;
    c.stft.center = true;
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
// YAMNet's log-mel is ln(mel + 0.001), not dB.
const char* unit_name(view_mode m, gs::feature_kind k) {
    return m != view_mode::log_mel ? "" : k == gs::feature_kind::yamnet_log_mel ? "ln" : "dB";
}

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
    ui.view.set_data(std::move(m), rows, n, true, row_name(view_mode(ui.mode)),
                     unit_name(view_mode(ui.mode), s.job.card.features.kind));
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

}  // namespace

size_t segment_at(const file_job& j, double t_s) {
    size_t best = 0;
    for (size_t s = 0; s < j.n_segments(); ++s)
        if (j.segment_start_s(s) <= t_s) best = s;
    return best;
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

}  // namespace gs_web
