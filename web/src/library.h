// library.h: the page's library mode: many files' results (shared/'s gs::library_item) with their queue stages, the
// track embedding (mean of the model's embedding output over the analysed windows), the table's sorted/filtered
// view, the 2-D map and similar songs; no ImGui, no JS (app_state and the UI call it).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "genrescope/library.h"
#include "model_card.h"

namespace gs_web {

class file_job;

enum class library_stage { waiting, decoding, classifying, done, error };
const char* library_stage_name(library_stage s);

// Table columns (the ImGui table's column user ids and the view's sort keys).
enum library_column { col_file, col_status, col_duration, col_genre, col_confidence, col_uncertain, col_outside,
                      col_second, col_count };
// "file", "status", "duration", "genre", "confidence", "uncertain", "outside", "second"; -1 for other names.
int library_column_of(const std::string& name);

struct library_state {
    std::vector<gs::library_item> items;
    std::vector<library_stage> stages;   // per item
    std::vector<int> job_ids;            // per item: the file job classifying it (0: none yet)
    std::vector<std::string> labels;     // the card's labels when the first item finished
    std::string model_name;
    std::string model_key;               // the model the finished items came from (name, sha256, labels)
    std::string embedding_note;          // why there is no map ("" when embeddings arrive)

    // Embedding of the job in progress: sum over its analysed windows so far.
    int emb_job_id = 0;
    std::vector<double> emb_sum;
    size_t emb_windows = 0;

    // Throughput: when the queue started (after being idle) and the items finished since.
    double run_t0_ms = -1.0;
    double run_last_ms = -1.0;           // when the last of them finished
    size_t run_finished = 0;
    bool cancelling = false;

    // The view: a sort column (-1: insertion order), direction, a genre filter (label index, -1: all) and a text
    // filter (substring of the file name, case-insensitive).
    int sort_column = -1;
    bool ascending = true;
    int genre_filter = -1;
    std::string text_filter;
    int selected = -1;                   // item shown in the single-song view
    std::vector<int> marked;             // items box-selected on the map (the playlist)

    // Caches (rebuilt when `generation` moves).
    long long generation = 0;
    long long map_generation = -1;
    std::vector<float> map_xy;           // [n][2], NaN for items without an embedding
    double map_t_ms = -1.0;              // when it was computed, and how long that took (PCA of n x dim)
    double map_cost_ms = 0.0;
    long long view_generation = -1;
    std::vector<int> view;               // item indices, filtered and sorted
};

// Queue bookkeeping (the bridge drives the queue; C++ keeps the stages and the results).
// A new waiting item; returns its index. now_ms starts the throughput clock when the queue was idle.
int library_add(library_state& l, const std::string& name, double now_ms);
void library_begin(library_state& l, int index, int job_id);  // decoding (the bridge reads the input)
void library_job_started(library_state& l, int job_id);       // the audio reached a file job: classifying
// The embedding output of n_windows analysed windows of job_id (n_values = n_windows * dim).
void library_embedding(library_state& l, int job_id, const float* values, size_t n_values, size_t n_windows);
void library_job_done(library_state& l, const file_job& j, double now_ms);  // fills the item from a finished job
void library_job_failed(library_state& l, int job_id, const std::string& message, double now_ms);
// Items still waiting become errors ("cancelled") when the bridge gives up on them.
void library_cancelled(library_state& l, int index);
void library_clear(library_state& l);
void library_touch(library_state& l);  // something the caches depend on changed

size_t library_count(const library_state& l, library_stage s);
// Bytes the library's items hold (names, probabilities, tags, embeddings; capacities), for the memory check.
size_t library_bytes(const library_state& l);
bool library_busy(const library_state& l);
// Files per second since the queue started (to now while busy, else to the last finish); 0 when unknown.
double library_rate(const library_state& l, double now_ms);

const std::vector<int>& library_view(library_state& l);   // filtered + sorted item indices
const std::vector<float>& library_map_xy(library_state& l);  // library_map, cached
// For drawing while the queue runs: the cached map until it is max(1.5 s, 10 x its cost) old (PCA of hundreds of
// 1024-d embeddings takes a while; the queue must keep its pace); exact when the queue is idle.
const std::vector<float>& library_map_xy_throttled(library_state& l, double now_ms);
int library_find(const library_state& l, const std::string& file);  // index of the first item named so, -1 if none

// JSON for the automation API.
std::string library_state_json(const library_state& l);  // {total, done, failed, busy, ..., items: [...]}
std::string library_map_json(library_state& l);          // [{file, x, y, top}] (items with a point)
std::string library_similar_json(library_state& l, const std::string& file, int k);  // [{file, distance}]
std::string library_view_json(library_state& l);         // {sort, ascending, genre, text, files: [...]}
// Exports (shared/'s formats).
std::string library_export_csv(const library_state& l);
std::string library_export_json(library_state& l);
// M3U of the marked items, else of the current view.
std::string library_export_m3u(library_state& l);

}  // namespace gs_web
