// js_calls.cpp: EM_JS shims: each forwards to a hook that web/src/bridge.js installs on Module (no-op when absent).
#include "js_calls.h"

#include <emscripten.h>

EM_JS(void, js_run_batch, (int request_id, const float* data, int n, int bins, int frames), {
    const len = n * bins * frames;
    const copy = HEAPF32.slice(data >> 2, (data >> 2) + len);
    if (Module.gs_run_batch) Module.gs_run_batch(request_id, copy, n, bins, frames);
});
EM_JS(void, js_job_done, (int job_id, const char* result_json), {
    if (Module.gs_job_done) Module.gs_job_done(job_id, UTF8ToString(result_json));
});
EM_JS(void, js_job_failed, (int job_id, const char* message), {
    if (Module.gs_job_failed) Module.gs_job_failed(job_id, UTF8ToString(message));
});
EM_JS(void, js_set_playback, (const float* samples, int n, int rate_hz), {
    if (Module.gs_set_playback) Module.gs_set_playback(HEAPF32.slice(samples >> 2, (samples >> 2) + n), rate_hz);
});
EM_JS(void, js_playback_toggle, (), {
    if (Module.gs_playback_toggle) Module.gs_playback_toggle();
});
EM_JS(void, js_playback_seek, (double t_s), {
    if (Module.gs_playback_seek) Module.gs_playback_seek(t_s);
});
EM_JS(double, js_playback_position, (), {
    return Module.gs_playback_position ? Module.gs_playback_position() : 0.0;
});
EM_JS(int, js_playback_playing, (), {
    return Module.gs_playback_playing && Module.gs_playback_playing() ? 1 : 0;
});
EM_JS(void, js_first_frame_rendered, (), {
    if (Module.gs_on_first_frame) Module.gs_on_first_frame();
});
EM_JS(void, js_open_file_dialog, (), {
    if (Module.gs_open_file_dialog) Module.gs_open_file_dialog();
});
EM_JS(void, js_open_model_dialog, (), {
    if (Module.gs_open_model_dialog) Module.gs_open_model_dialog();
});
EM_JS(void, js_classify_url, (const char* url), {
    if (Module.gs_classify_url) Module.gs_classify_url(UTF8ToString(url));
});
EM_JS(void, js_start_microphone, (), {
    if (Module.gs_start_microphone) Module.gs_start_microphone();
});
EM_JS(void, js_stop_microphone, (), {
    if (Module.gs_stop_microphone) Module.gs_stop_microphone();
});
EM_JS(void, js_reset_model, (), {
    if (Module.gs_reset_model) Module.gs_reset_model();
});

EM_JS(void, js_library_open_files, (), {
    if (Module.gs_library_open_files) Module.gs_library_open_files();
});
EM_JS(void, js_library_open_folder, (), {
    if (Module.gs_library_open_folder) Module.gs_library_open_folder();
});
EM_JS(void, js_library_cancel, (), {
    if (Module.gs_library_cancel) Module.gs_library_cancel();
});
EM_JS(void, js_library_play_similar, (const char* file, int k), {
    if (Module.gs_library_play_similar) Module.gs_library_play_similar(UTF8ToString(file), k);
});
EM_JS(void, js_library_select, (int index), {
    if (Module.gs_library_select) Module.gs_library_select(index);
});
EM_JS(void, js_download, (const char* name, const char* mime, const char* text), {
    if (Module.gs_download) Module.gs_download(UTF8ToString(name), UTF8ToString(mime), UTF8ToString(text));
});
EM_JS(void, js_library_clear, (), {
    if (Module.gs_library_clear) Module.gs_library_clear();
});
