// ui.h: the Dear ImGui interface: verdict and bars, progress, timeline with playhead, feature views, saliency,
// microphone and model panels; stacks into one column on narrow (phone-width) windows.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "app_state.h"
#include "spectrogram_view.h"

namespace gs_web {

enum class view_mode { log_mel = 0, mfcc = 1, chroma = 2 };

// What the UI owns besides the app state: the view and what it currently shows.
struct ui_context {
    app_state* state = nullptr;
    spectrogram_view view;
    std::string gl_error;
    int mode = int(view_mode::log_mel);
    int shown_job_id = -1;        // the job / mode / live generation the view holds
    int shown_mode = -1;
    int shown_live_generation = -1;
    bool shown_live = false;
    bool show_saliency = true;
    char url[512] = "";
    double live_rate_t0_ms = 0.0;  // for the live update-rate figure
    long long live_rate_updates0 = 0;
    double live_rate_hz = 0.0;

    // Library mode (ui_library.cpp, ui_library_map.cpp).
    bool show_library = false;        // the library replaces the feature view (switched on by a library add)
    size_t library_seen = 0;          // items when last drawn (a growing library opens the panel)
    bool library_filter_sync = false; // the view was set through the API: copy its text filter into the box
    bool library_sort_sync = false;   // ... and show its sort column in the table's headers
    bool library_table_init = false;  // the table's first sort specs (none) were consumed
    char library_filter[128] = "";
    bool map_dragging = false;        // a box selection on the map
    float map_drag_x0 = 0, map_drag_y0 = 0;
    int similar_for = -1;             // the item the similar list belongs to
    long long similar_generation = -1;
    std::vector<std::pair<int, float>> similar;  // (item, cosine distance), nearest first
};

// Draws one frame of the interface (inside ImGui::NewFrame / Render).
void draw_ui(ui_context& ui);

}  // namespace gs_web
