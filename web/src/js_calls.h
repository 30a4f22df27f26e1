// js_calls.h: the functions C++ calls in the page (implemented in js_calls.cpp as EM_JS shims over bridge.js hooks).
#pragma once

extern "C" {

// Inference: the bridge copies n * bins * frames floats from `data` at once (the buffer may be reused after
// the call), runs the model asynchronously and answers with gs_batch_done / gs_batch_failed(request_id, ...);
// for a card with tags the answer carries the backbone's tag scores beside the probabilities.
void js_run_batch(int request_id, const float* data, int n, int bins, int frames);
// A classification finished: result_json (UTF-8 JSON) resolves the job's promise; or it failed with message.
void js_job_done(int job_id, const char* result_json);
void js_job_failed(int job_id, const char* message);
// Playback (WebAudio): the decoded, resampled audio of the current file (copied), play/pause, seek, position.
void js_set_playback(const float* samples, int n, int rate_hz);
void js_playback_toggle();
void js_playback_seek(double t_s);
double js_playback_position();  // seconds
int js_playback_playing();      // 1 while playing
// UI requests the page carries out.
void js_first_frame_rendered();
void js_open_file_dialog();
void js_open_model_dialog();
void js_classify_url(const char* url);
void js_start_microphone();
void js_stop_microphone();
void js_reset_model();
// Library mode: the file pickers (several files; a folder), Cancel, re-open item `index` in the single-song view,
// and a download of `text` as a file named `name` (a Blob URL).
void js_library_open_files();
void js_library_open_folder();
void js_library_cancel();
void js_library_clear();
void js_library_select(int index);
// "Play similar": plays `file` and then its k nearest songs, each to its end (bridge.js).
void js_library_play_similar(const char* file, int k);
void js_download(const char* name, const char* mime, const char* text);

}  // extern "C"
