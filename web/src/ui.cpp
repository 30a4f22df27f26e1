// ui.cpp: the GenreScope interface in Dear ImGui (one full-window window; two columns, or one when narrow): the
// layout and the toolbar. The panels are in ui_views.cpp, ui_result_panel.cpp and ui_model_panel.cpp.
#include "ui.h"

#include <emscripten.h>

#include <algorithm>
#include <cstdio>

#include "js_calls.h"
#include "ui_internal.h"

namespace gs_web {

ImU32 genre_colour(int c, int n, float alpha) {
    float r, g, b;
    ImGui::ColorConvertHSVtoRGB(float(c) / float(std::max(1, n)), 0.6f, 0.95f, r, g, b);
    return ImGui::ColorConvertFloat4ToU32(ImVec4(r, g, b, alpha));
}

namespace {

constexpr float k_narrow_width = 760.0f;  // below this the panels stack

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
    if (ImGui::Button("Open files...")) js_library_open_files();
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Several files: classified one by one into the library");
    ImGui::SameLine();
    if (ImGui::Button("Open folder...")) js_library_open_folder();
    if (!narrow) ImGui::SameLine();
    char lib_label[48];
    std::snprintf(lib_label, sizeof lib_label, "Library (%zu)###library", s.library.items.size());
    ImGui::Checkbox(lib_label, &ui.show_library);
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

// The library panel, map and similar songs in the given height.
void draw_library(ui_context& ui, float height) {
    const float table_h = std::max(180.0f, height * 0.5f);
    ImGui::BeginChild("library_panel", ImVec2(0.0f, table_h), false, ImGuiWindowFlags_NoScrollbar);
    draw_library_panel(ui, table_h);
    ImGui::EndChild();
    const bool has_selection = ui.state->library.selected >= 0;
    const float similar_h = has_selection ? std::min(200.0f, ImGui::GetTextLineHeightWithSpacing() * 12.0f) : 0.0f;
    draw_library_map(ui, std::max(120.0f, height - table_h - similar_h - 40.0f));
    if (has_selection) draw_library_similar(ui);
}

}  // namespace

void draw_ui(ui_context& ui) {
    update_live_rate(ui);
    const size_t n_items = ui.state->library.items.size();
    if (n_items > ui.library_seen) ui.show_library = true;  // a library add opens the panel
    ui.library_seen = n_items;
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
        if (ui.show_library) draw_library(ui, 640.0f);
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
        if (ui.show_library) {
            draw_library(ui, ImGui::GetContentRegionAvail().y);
            ImGui::EndChild();
            ImGui::End();
            return;
        }
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
