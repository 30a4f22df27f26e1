// main.cpp: the GenreScope browser app: SDL2 + Dear ImGui on WebGL2; shows the log-mel spectrogram of a dropped file.
//
// [SECTION] app object and the functions JavaScript calls (gs_load_audio, gs_state_json)
// [SECTION] UI (one full-window ImGui window)
// [SECTION] frame loop and main()
//
// Files reach C++ through web/src/bridge.js: a drop anywhere on the page or the hidden <input type=file>
// reads the bytes, copies them into the wasm heap and calls gs_load_audio (SDL2 2.26's Emscripten backend
// has no SDL_DROPFILE).
#include <SDL.h>
#include <emscripten.h>
#include <emscripten/html5.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>

#include "app_state.h"
#include "imgui.h"
#include "imgui_impl_opengl3.h"
#include "imgui_impl_sdl.h"
#include "spectrogram_view.h"

// ---- [SECTION] app object and the functions JavaScript calls --------------------------------------

namespace {

struct app {
    SDL_Window* window = nullptr;
    SDL_GLContext gl_context = nullptr;
    gs_web::analysis current;  // the last dropped file
    gs_web::spectrogram_view view;
    std::string gl_error;            // shader/GL setup problem, shown in the UI
    std::string state_json;          // backing store of gs_state_json()'s return value
    int canvas_w = 0, canvas_h = 0;  // current canvas size, CSS pixels
    uint64_t n_frames_rendered = 0;
};

app g_app;

// JS hooks installed by bridge.js (no-ops when absent).
EM_JS(void, js_first_frame_rendered, (), {
    if (Module.gs_on_first_frame) Module.gs_on_first_frame();
});
EM_JS(void, js_open_file_dialog, (), {
    if (Module.gs_open_file_dialog) Module.gs_open_file_dialog();
});

}  // namespace

extern "C" {

// Called by bridge.js with a file's bytes. name: UTF-8, data/size: a heap buffer the caller owns and frees
// after the call returns (nothing is retained). Decodes and analyses synchronously.
EMSCRIPTEN_KEEPALIVE void gs_load_audio(const char* name, const uint8_t* data, int size) {
    gs_web::analyse_file(name ? name : "", data, size > 0 ? size_t(size) : 0, g_app.current);
    g_app.view.set_data(g_app.current);
    if (g_app.current.error.empty())
        std::printf("[genrescope] %s: %zu frames x %d mels (decode %.1f ms, features %.1f ms)\n",
                    g_app.current.file.c_str(), g_app.current.n_frames, g_app.current.n_mels, g_app.current.decode_ms,
                    g_app.current.features_ms);
    else
        std::printf("[genrescope] %s: %s\n", g_app.current.file.c_str(), g_app.current.error.c_str());
}

// The app's state as compact JSON (see gs_web::state_json). The pointer stays valid until the next call.
EMSCRIPTEN_KEEPALIVE const char* gs_state_json() {
    g_app.state_json = gs_web::state_json(g_app.current);
    return g_app.state_json.c_str();
}

}  // extern "C"

// ---- [SECTION] UI -------------------------------------------------------------------------------------

namespace {

const ImVec4 k_error_colour(1.0f, 0.45f, 0.4f, 1.0f);
const ImVec4 k_dim_colour(0.65f, 0.65f, 0.7f, 1.0f);

void draw_header() {
    ImGui::SetWindowFontScale(2.0f);
    ImGui::TextUnformatted("GenreScope");
    ImGui::SetWindowFontScale(1.0f);
    ImGui::SameLine();
    ImGui::PushTextWrapPos(0.0f);  // wrap at the window's edge on narrow screens
    ImGui::TextColored(k_dim_colour, "music genre, in your browser (audio never leaves this device)");
    ImGui::PopTextWrapPos();
    ImGui::Separator();
}

// The drop hint; large and centred while nothing is loaded, one line afterwards.
void draw_drop_panel(bool compact) {
    const char* hint = "Drop an audio file (WAV/AU) anywhere";
    if (compact) {
        ImGui::TextColored(k_dim_colour, "%s, or", hint);
        ImGui::SameLine();
        if (ImGui::SmallButton("open a file...")) js_open_file_dialog();
        return;
    }
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    ImGui::BeginChild("drop_panel", ImVec2(avail.x, std::max(avail.y, 120.0f)), true);
    const ImVec2 panel = ImGui::GetContentRegionAvail();
    ImGui::SetWindowFontScale(1.5f);
    const ImVec2 text_size = ImGui::CalcTextSize(hint);
    ImGui::SetCursorPos(ImVec2(std::max(8.0f, (panel.x - text_size.x) * 0.5f), std::max(8.0f, panel.y * 0.4f)));
    ImGui::TextUnformatted(hint);
    ImGui::SetWindowFontScale(1.0f);
    const char* button = "or open a file...";
    const float button_w = ImGui::CalcTextSize(button).x + 2 * ImGui::GetStyle().FramePadding.x;
    ImGui::SetCursorPosX(std::max(8.0f, (panel.x - button_w) * 0.5f));
    if (ImGui::Button(button)) js_open_file_dialog();
    ImGui::EndChild();
}

void draw_file_info(const gs_web::analysis& a) {
    ImGui::Text("%s", a.file.c_str());
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextColored(k_dim_colour,
                       "%s, %d Hz, %d ch, %.2f s  |  %zu frames x %d mel bands at %d Hz  |  "
                       "decode %.0f ms, log-mel %.0f ms",
                       a.format.c_str(), a.source_rate_hz, a.n_channels_in, a.duration_s, a.n_frames, a.n_mels,
                       gs_web::k_analysis_rate_hz, a.decode_ms, a.features_ms);
    ImGui::PopTextWrapPos();
}

void draw_controls(gs_web::spectrogram_view& view) {
    const float width = ImGui::GetContentRegionAvail().x;
    ImGui::SetNextItemWidth(std::min(320.0f, width * 0.5f));
    ImGui::DragFloatRange2("dB range", &view.db_low, &view.db_high, 0.25f, view.data_db_min - 20.0f,
                           view.data_db_max + 20.0f, "%.1f dB", "%.1f dB", ImGuiSliderFlags_AlwaysClamp);
    if (view.db_high <= view.db_low) view.db_high = view.db_low + 1.0f;
    ImGui::SameLine();
    ImGui::SetNextItemWidth(110.0f);
    ImGui::Combo("colormap", &view.colormap, "ember\0ocean\0");
}

void draw_ui(app& a) {
    const ImGuiViewport* vp = ImGui::GetMainViewport();
    ImGui::SetNextWindowPos(vp->WorkPos);
    ImGui::SetNextWindowSize(vp->WorkSize);
    const ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                                   ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoBringToFrontOnFocus;
    ImGui::Begin("GenreScope", nullptr, flags);
    draw_header();
    if (!a.gl_error.empty()) ImGui::TextColored(k_error_colour, "Graphics error: %s", a.gl_error.c_str());
    const gs_web::analysis& cur = a.current;
    if (!cur.error.empty())
        ImGui::TextColored(k_error_colour, "Could not read %s: %s", cur.file.c_str(), cur.error.c_str());
    if (!a.view.has_data()) {
        draw_drop_panel(/*compact=*/false);
    } else {
        draw_drop_panel(/*compact=*/true);
        draw_file_info(cur);
        draw_controls(a.view);
        ImVec2 avail = ImGui::GetContentRegionAvail();
        avail.y = std::max(avail.y, 64.0f);
        const double seconds_per_frame = 512.0 / gs_web::k_analysis_rate_hz;  // hop_length / rate
        a.view.draw(avail, seconds_per_frame);
    }
    ImGui::End();
}

// ---- [SECTION] frame loop and main() ------------------------------------------------------------------

// Keeps the canvas' drawing buffer equal to its CSS size (the page lays it out at 100% of the window).
void follow_canvas_size(app& a) {
    double css_w = 0, css_h = 0;
    emscripten_get_element_css_size("#canvas", &css_w, &css_h);
    const int w = std::max(1, int(css_w)), h = std::max(1, int(css_h));
    if (w != a.canvas_w || h != a.canvas_h) {
        a.canvas_w = w;
        a.canvas_h = h;
        SDL_SetWindowSize(a.window, w, h);
    }
}

void frame(void* arg) {
    app& a = *static_cast<app*>(arg);
    follow_canvas_size(a);
    SDL_Event event;
    while (SDL_PollEvent(&event)) ImGui_ImplSDL2_ProcessEvent(&event);

    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplSDL2_NewFrame();
    ImGui::NewFrame();
    draw_ui(a);
    ImGui::Render();

    const ImGuiIO& io = ImGui::GetIO();
    glViewport(0, 0, int(io.DisplaySize.x * io.DisplayFramebufferScale.x),
               int(io.DisplaySize.y * io.DisplayFramebufferScale.y));
    glClearColor(0.07f, 0.07f, 0.09f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    SDL_GL_SwapWindow(a.window);  // a no-op in the browser: the frame is presented when this callback returns

    if (++a.n_frames_rendered == 1) js_first_frame_rendered();
}

}  // namespace

int main(int, char**) {
    // Keyboard events only when the canvas has focus, so the page's own shortcuts keep working.
    SDL_SetHint(SDL_HINT_EMSCRIPTEN_KEYBOARD_ELEMENT, "#canvas");
    if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_TIMER) != 0) {
        std::printf("[genrescope] SDL_Init: %s\n", SDL_GetError());
        return 1;
    }
    // WebGL2 = OpenGL ES 3.0.
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_FLAGS, 0);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK, SDL_GL_CONTEXT_PROFILE_ES);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 0);
    SDL_GL_SetAttribute(SDL_GL_DOUBLEBUFFER, 1);
    SDL_GL_SetAttribute(SDL_GL_DEPTH_SIZE, 0);
    SDL_GL_SetAttribute(SDL_GL_STENCIL_SIZE, 0);

    app& a = g_app;
    double css_w = 0, css_h = 0;
    emscripten_get_element_css_size("#canvas", &css_w, &css_h);
    a.canvas_w = std::max(1, int(css_w));
    a.canvas_h = std::max(1, int(css_h));
    a.window = SDL_CreateWindow("GenreScope", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, a.canvas_w, a.canvas_h,
                                SDL_WINDOW_OPENGL | SDL_WINDOW_SHOWN);
    if (a.window == nullptr) {
        std::printf("[genrescope] SDL_CreateWindow: %s\n", SDL_GetError());
        return 1;
    }
    a.gl_context = SDL_GL_CreateContext(a.window);
    if (a.gl_context == nullptr) {
        std::printf("[genrescope] WebGL2 context: %s\n", SDL_GetError());
        return 1;
    }
    SDL_GL_MakeCurrent(a.window, a.gl_context);
    SDL_GL_SetSwapInterval(1);

    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;  // no settings file in the browser
    io.ConfigFlags |= ImGuiConfigFlags_NavEnableKeyboard;
    ImGui::StyleColorsDark();
    ImGui::GetStyle().WindowRounding = 0.0f;
    ImGui_ImplSDL2_InitForOpenGL(a.window, a.gl_context);
    ImGui_ImplOpenGL3_Init("#version 300 es");

    a.gl_error = a.view.init();
    if (!a.gl_error.empty()) std::printf("[genrescope] %s\n", a.gl_error.c_str());

    // simulate_infinite_loop: main() never returns; the browser calls frame() once per animation frame.
    emscripten_set_main_loop_arg(frame, &a, 0, true);
    return 0;
}
