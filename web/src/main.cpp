// main.cpp: the GenreScope browser app: SDL2 + Dear ImGui on WebGL2; the functions the page's bridge calls.
//
// [SECTION] app object and the functions JavaScript calls (gs_*)
// [SECTION] frame loop and main()
//
// The page side is web/src/bridge.js: files (drop, <input type=file>, URL, classify()) reach C++ as bytes
// (WAV/AU, decoded by shared/) or as mono PCM the browser decoded; model runs go out to ONNX Runtime Web
// through js_run_batch and come back through gs_batch_done, so the frame loop never waits on inference.
#include <GLES3/gl3.h>
#include <SDL.h>
#include <emscripten.h>
#include <emscripten/html5.h>
#include <malloc.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "app_state.h"
#include "imgui.h"
#include "imgui_impl_sdl.h"
#include "imgui_render.h"
#include "js_calls.h"
#include "model_card.h"
#include "ui.h"

// ---- [SECTION] app object and the functions JavaScript calls --------------------------------------

namespace {

struct app {
    SDL_Window* window = nullptr;
    SDL_GLContext gl_context = nullptr;
    gs_web::app_state state;
    gs_web::ui_context ui;
    std::string json_out;            // backing store of the strings returned to JS
    int canvas_w = 0, canvas_h = 0;  // current canvas size, CSS pixels
    uint64_t n_frames_rendered = 0;
};

app g_app;

std::string str(const char* s) { return s ? s : ""; }

}  // namespace

extern "C" {

// A WAV/AU file's bytes (data/size: caller-owned heap buffer, not retained). t0_ms: performance.now() at the
// request. Answers through js_job_done / js_job_failed(job_id).
EMSCRIPTEN_KEEPALIVE void gs_classify_bytes(int job_id, const char* name, const uint8_t* data, int size, double t0_ms) {
    gs_web::start_file_bytes(g_app.state, job_id, str(name), data, size > 0 ? size_t(size) : 0, t0_ms);
}

// Mono PCM the browser decoded (samples: caller-owned, copied), at rate_hz; decode_ms: the browser's time.
EMSCRIPTEN_KEEPALIVE void gs_classify_pcm(int job_id, const char* name, const float* samples, int n, int rate_hz,
                                          double decode_ms, double t0_ms) {
    std::vector<float> mono(samples, samples + std::max(0, n));
    gs_web::start_file_pcm(g_app.state, job_id, str(name), std::move(mono), rate_hz, decode_ms, t0_ms);
}

// A failure before C++ saw the audio (reading, fetching, the browser's decoder).
EMSCRIPTEN_KEEPALIVE void gs_report_error(int job_id, const char* message) {
    gs_web::report_file_error(g_app.state, job_id, str(message));
}

// Checks a card's JSON; returns "" or why it is unusable. The string lives until the next gs_* string call.
EMSCRIPTEN_KEEPALIVE const char* gs_check_card(const char* text) {
    gs_web::model_card c;
    g_app.json_out = gs_web::parse_model_card(str(text), c);
    return g_app.json_out.c_str();
}

// Installs a checked card (its ONNX session is ready on the JS side). Returns "" or an error.
EMSCRIPTEN_KEEPALIVE const char* gs_set_model(const char* text, const char* backend, const char* note, double load_ms) {
    gs_web::model_card c;
    g_app.json_out = gs_web::parse_model_card(str(text), c);
    if (g_app.json_out.empty()) {
        gs_web::set_model(g_app.state, c);
        g_app.state.backend = str(backend);
        g_app.state.backend_note = str(note);
        g_app.state.model_load_ms = load_ms;
        g_app.state.model_note.clear();
        std::printf("[genrescope] model %s (%zu labels) on %s\n", c.name.c_str(), c.labels.size(), backend);
    }
    return g_app.json_out.c_str();
}

// A model that could not be loaded (the current one stays): shown in the model panel and the error line.
EMSCRIPTEN_KEEPALIVE void gs_model_error(const char* message) {
    g_app.state.model_note = "Load model: " + str(message);
    g_app.state.error = g_app.state.model_note;
}

// The backend changed after a failure at run time (WebGPU -> WASM).
EMSCRIPTEN_KEEPALIVE void gs_set_backend(const char* backend, const char* note) {
    g_app.state.backend = str(backend);
    g_app.state.backend_note = str(note);
}

// Model answers: n_values probabilities and n_tag_values backbone tag scores (0 and null for cards without tags;
// both copied) for request_id, or why it failed.
EMSCRIPTEN_KEEPALIVE void gs_batch_done(int request_id, const float* probs, int n_values, const float* tag_scores,
                                        int n_tag_values) {
    gs_web::on_batch_done(g_app.state, request_id, probs, n_values > 0 ? size_t(n_values) : 0, tag_scores,
                          n_tag_values > 0 ? size_t(n_tag_values) : 0);
}
EMSCRIPTEN_KEEPALIVE void gs_batch_failed(int request_id, const char* message) {
    gs_web::on_batch_failed(g_app.state, request_id, str(message));
}

// Microphone: started, a captured chunk (mono at rate_hz, copied; arrival_ms: performance.now()), stopped.
EMSCRIPTEN_KEEPALIVE void gs_mic_started() { gs_web::live_started(g_app.state); }
EMSCRIPTEN_KEEPALIVE void gs_mic_push(const float* samples, int n, int rate_hz, double arrival_ms) {
    gs_web::live_push(g_app.state, samples, n > 0 ? size_t(n) : 0, rate_hz, arrival_ms);
}
EMSCRIPTEN_KEEPALIVE void gs_mic_stopped(const char* error) { gs_web::live_stopped(g_app.state, str(error)); }

// For tests and scripts: switch the feature view (0 log-mel, 1 MFCC, 2 chroma), ask for a saliency map.
EMSCRIPTEN_KEEPALIVE void gs_set_view(int mode) { g_app.ui.mode = std::clamp(mode, 0, 2); }
EMSCRIPTEN_KEEPALIVE void gs_request_saliency(int segment) {
    g_app.ui.mode = 0;
    g_app.ui.show_saliency = true;
    gs_web::request_saliency(g_app.state, segment > 0 ? size_t(segment) : 0);
}

// ---- library mode (web/src/library.h): the bridge's queue reports stages; results come from the file jobs ----
EMSCRIPTEN_KEEPALIVE int gs_library_add(const char* name) {
    return gs_web::library_add(g_app.state.library, str(name), emscripten_get_now());
}
EMSCRIPTEN_KEEPALIVE void gs_library_begin(int index, int job_id) { gs_web::library_begin(g_app.state.library, index, job_id); }
EMSCRIPTEN_KEEPALIVE void gs_library_cancelled(int index) { gs_web::library_cancelled(g_app.state.library, index); }
EMSCRIPTEN_KEEPALIVE void gs_library_clear() { gs_web::library_clear(g_app.state.library); }
// The item the table, map and similar list highlight (the automation API's select()).
EMSCRIPTEN_KEEPALIVE void gs_library_set_selected(int index) {
    gs_web::library_state& l = g_app.state.library;
    l.selected = index >= 0 && size_t(index) < l.items.size() ? index : -1;
}
EMSCRIPTEN_KEEPALIVE void gs_library_set_cancelling(int on) { g_app.state.library.cancelling = on != 0; }
// The embedding output of a batch (values copied), sent before its gs_batch_done.
EMSCRIPTEN_KEEPALIVE void gs_batch_embedding(int request_id, const float* values, int n_values) {
    gs_web::on_batch_embedding(g_app.state, request_id, values, n_values > 0 ? size_t(n_values) : 0);
}
// JSON and text for window.genrescope.library (valid until the next gs_* string call).
EMSCRIPTEN_KEEPALIVE const char* gs_library_json(int what) {
    gs_web::library_state& l = g_app.state.library;
    switch (what) {
    case 0: g_app.json_out = gs_web::library_state_json(l); break;
    case 1: g_app.json_out = gs_web::library_map_json(l); break;
    case 2: g_app.json_out = gs_web::library_view_json(l); break;
    case 3: g_app.json_out = gs_web::library_export_csv(l); break;
    case 4: g_app.json_out = gs_web::library_export_json(l); break;
    case 5: g_app.json_out = gs_web::library_export_m3u(l); break;
    case 6: {  // memory: the wasm heap's bytes in use (malloc) and the library's own share
        const struct mallinfo mi = mallinfo();
        g_app.json_out = "{\"heap_used\":" + std::to_string(mi.uordblks) +
                         ",\"library_bytes\":" + std::to_string(gs_web::library_bytes(l)) +
                         ",\"map_ms\":" + std::to_string(l.map_cost_ms) + "}";
        break;
    }
    default: g_app.json_out.clear();
    }
    return g_app.json_out.c_str();
}
EMSCRIPTEN_KEEPALIVE const char* gs_library_similar(const char* file, int k) {
    g_app.json_out = gs_web::library_similar_json(g_app.state.library, str(file), k);
    return g_app.json_out.c_str();
}
// The table's view as the UI sets it: sort column name ("" = insertion order), direction, genre label ("" = all),
// text filter. Returns "" or an error.
EMSCRIPTEN_KEEPALIVE const char* gs_library_set_view(const char* sort, int ascending, const char* genre, const char* text) {
    gs_web::library_state& l = g_app.state.library;
    const std::string col = str(sort), g = str(genre);
    g_app.json_out.clear();
    const int c = col.empty() ? -1 : gs_web::library_column_of(col);
    if (!col.empty() && c < 0) return (g_app.json_out = "unknown sort column: " + col).c_str();
    int gi = -1;
    if (!g.empty()) {
        const auto it = std::find(l.labels.begin(), l.labels.end(), g);
        if (it == l.labels.end()) return (g_app.json_out = "unknown genre: " + g).c_str();
        gi = int(it - l.labels.begin());
    }
    l.sort_column = c;
    l.ascending = ascending != 0;
    l.genre_filter = gi;
    l.text_filter = str(text);
    g_app.ui.library_filter_sync = true;
    g_app.ui.library_sort_sync = true;
    gs_web::library_touch(l);
    return g_app.json_out.c_str();
}

// The app's state as compact JSON (see gs_web::state_json). Valid until the next gs_* string call.
EMSCRIPTEN_KEEPALIVE const char* gs_state_json() {
    g_app.json_out = gs_web::state_json(g_app.state);
    return g_app.json_out.c_str();
}

}  // extern "C"

// ---- [SECTION] frame loop and main() ------------------------------------------------------------------

namespace {

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

    ImGui_ImplSDL2_NewFrame();
    ImGui::NewFrame();
    gs_web::pump(a.state);
    gs_web::draw_ui(a.ui);
    ImGui::Render();

    // imgui_render leaves the scissor test off (see imgui_render.h), so this clears the whole canvas.
    const ImGuiIO& io = ImGui::GetIO();
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    glViewport(0, 0, int(io.DisplaySize.x * io.DisplayFramebufferScale.x),
               int(io.DisplaySize.y * io.DisplayFramebufferScale.y));
    glClearColor(0.07f, 0.07f, 0.09f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    gs_web::imgui_render_draw(ImGui::GetDrawData());
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
    ImGui_ImplSDL2_InitForOpenGL(a.window, a.gl_context);  // input only; drawing is gs_web::imgui_render
    const std::string render_error = gs_web::imgui_render_init();
    if (!render_error.empty()) {
        std::printf("[genrescope] cannot draw the interface: %s\n", render_error.c_str());
        return 1;
    }

    a.ui.state = &a.state;
    a.ui.gl_error = a.ui.view.init();
    if (!a.ui.gl_error.empty()) std::printf("[genrescope] %s\n", a.ui.gl_error.c_str());

    // simulate_infinite_loop: main() never returns; the browser calls frame() once per animation frame.
    emscripten_set_main_loop_arg(frame, &a, 0, true);
    return 0;
}
