// ui.h: the Dear ImGui interface: verdict and bars, progress, timeline with playhead, feature views, saliency,
// microphone and model panels; stacks into one column on narrow (phone-width) windows.
#pragma once

#include <string>
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
};

// Draws one frame of the interface (inside ImGui::NewFrame / Render).
void draw_ui(ui_context& ui);

}  // namespace gs_web
