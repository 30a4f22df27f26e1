// library.cpp: the page's library mode: queue stages, results and embeddings per file, view, map, similar, exports.
#include "library.h"

#include <emscripten.h>

#include <algorithm>
#include <cctype>
#include <cmath>

#include "file_job.h"
#include "genrescope/json.h"

namespace gs_web {
namespace {

constexpr const char* k_column_names[col_count] = {"file",       "status",    "duration", "genre",
                                                   "confidence", "uncertain", "outside",  "second"};

int index_of_job(const library_state& l, int job_id) {
    if (job_id == 0) return -1;
    for (size_t i = 0; i < l.job_ids.size(); ++i)
        if (l.job_ids[i] == job_id && (l.stages[i] == library_stage::decoding || l.stages[i] == library_stage::classifying))
            return int(i);
    return -1;
}

void finish(library_state& l, double now_ms) {
    ++l.run_finished;
    l.run_last_ms = now_ms;
    library_touch(l);
}

std::string lower(std::string s) {
    for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

double round6(double v) { return std::round(v * 1e6) / 1e6; }

std::string label_at(const library_state& l, int i) {
    return i >= 0 && size_t(i) < l.labels.size() ? l.labels[size_t(i)] : std::string();
}

float confidence(const gs::library_item& it) {
    const int t = gs::library_top(it);
    return t >= 0 ? it.probabilities[size_t(t)] : -1.0f;
}

// a < b for the given column (ties fall back to insertion order in the caller).
int compare(const library_state& l, int col, int a, int b) {
    const gs::library_item& x = l.items[size_t(a)];
    const gs::library_item& y = l.items[size_t(b)];
    auto cmp = [](auto u, auto v) { return u < v ? -1 : v < u ? 1 : 0; };
    switch (col) {
    case col_file: return cmp(lower(x.file), lower(y.file));
    case col_status: return cmp(int(l.stages[size_t(a)]), int(l.stages[size_t(b)]));
    case col_duration: return cmp(x.duration_s, y.duration_s);
    case col_genre: return cmp(label_at(l, gs::library_top(x)), label_at(l, gs::library_top(y)));
    case col_confidence: return cmp(confidence(x), confidence(y));
    case col_uncertain: return cmp(int(x.uncertain), int(y.uncertain));
    case col_outside: return cmp(int(x.outside), int(y.outside));
    case col_second: return cmp(label_at(l, gs::library_second(x)), label_at(l, gs::library_second(y)));
    default: return 0;
    }
}

gs::json_value item_json(const library_state& l, size_t i) {
    const gs::library_item& it = l.items[i];
    gs::json_value j = gs::json_value::object();
    j.set("file", it.file);
    j.set("status", library_stage_name(l.stages[i]));
    j.set("duration_s", round6(it.duration_s));
    const int top = gs::library_top(it);
    j.set("top", label_at(l, top));
    j.set("confidence", top >= 0 ? round6(it.probabilities[size_t(top)]) : 0.0);
    j.set("second", label_at(l, gs::library_second(it)));
    gs::json_value p = gs::json_value::array();
    for (float v : it.probabilities) p.push_back(round6(v));
    j.set("probabilities", p);
    j.set("uncertain", it.uncertain);
    j.set("outside", it.outside);
    j.set("sounds_like", it.sounds_like);
    j.set("embedding_dim", double(it.embedding.size()));
    j.set("error", it.error);
    return j;
}

}  // namespace

const char* library_stage_name(library_stage s) {
    switch (s) {
    case library_stage::waiting: return "waiting";
    case library_stage::decoding: return "decoding";
    case library_stage::classifying: return "classifying";
    case library_stage::done: return "done";
    case library_stage::error: return "error";
    }
    return "";
}

int library_column_of(const std::string& name) {
    for (int c = 0; c < col_count; ++c)
        if (name == k_column_names[c]) return c;
    return -1;
}

int library_add(library_state& l, const std::string& name, double now_ms) {
    if (!library_busy(l)) {
        l.run_t0_ms = now_ms;
        l.run_finished = 0;
    }
    gs::library_item it;
    it.file = name;
    it.status = "error";  // until done
    l.items.push_back(std::move(it));
    l.stages.push_back(library_stage::waiting);
    l.job_ids.push_back(0);
    library_touch(l);
    return int(l.items.size()) - 1;
}

void library_begin(library_state& l, int index, int job_id) {
    if (index < 0 || size_t(index) >= l.items.size()) return;
    l.stages[size_t(index)] = library_stage::decoding;
    l.job_ids[size_t(index)] = job_id;
    l.emb_job_id = job_id;
    l.emb_sum.clear();
    l.emb_windows = 0;
    library_touch(l);
}

void library_job_started(library_state& l, int job_id) {
    const int i = index_of_job(l, job_id);
    if (i >= 0) l.stages[size_t(i)] = library_stage::classifying;
}

void library_embedding(library_state& l, int job_id, const float* values, size_t n_values, size_t n_windows) {
    if (job_id != l.emb_job_id || n_windows == 0 || n_values % n_windows != 0) return;
    const size_t dim = n_values / n_windows;
    if (l.emb_sum.empty()) l.emb_sum.assign(dim, 0.0);
    if (l.emb_sum.size() != dim) return;
    for (size_t w = 0; w < n_windows; ++w)
        for (size_t d = 0; d < dim; ++d) l.emb_sum[d] += double(values[w * dim + d]);
    l.emb_windows += n_windows;
}

void library_job_done(library_state& l, const file_job& j, double now_ms) {
    const int idx = index_of_job(l, j.job_id);
    if (idx < 0) return;
    const size_t i = size_t(idx);
    gs::library_item& it = l.items[i];
    const model_card& card = j.card;
    // Results of another model (a model loaded part-way through) have other genres or other embeddings: they
    // are not mixed into one table, map or export. Those items say so and can be added again.
    std::string key = card.name + "\n" + card.onnx_sha256;
    for (const std::string& s : card.labels) key += "\n" + s;
    if (!l.model_key.empty() && l.model_key != key) {
        for (size_t k = 0; k < l.items.size(); ++k) {
            gs::library_item& old = l.items[k];
            if (k == i || l.stages[k] != library_stage::done) continue;
            l.stages[k] = library_stage::error;
            old = gs::library_item{old.file, "error", "classified by the model loaded before (" + l.model_name +
                                                          "); add the file again to classify it with this one"};
        }
        ++l.generation;
    }
    l.model_key = key;
    l.labels = card.labels;
    l.model_name = card.name;
    it.status = "done";
    it.error.clear();
    it.duration_s = j.duration_s;
    it.probabilities = j.probabilities;
    const int top = gs::library_top(it);
    it.uncertain = top >= 0 && it.probabilities[size_t(top)] < float(card.uncertain_below);
    it.outside = j.tags.outside;
    it.sounds_like = j.tags.outside && j.tags.sounds_like >= 0 && size_t(j.tags.sounds_like) < card.tag_labels.size()
                         ? card.tag_labels[size_t(j.tags.sounds_like)]
                         : std::string();
    it.tags.clear();
    for (const gs::tag_score& t : j.tags.top)
        if (t.index >= 0 && size_t(t.index) < card.tag_labels.size())
            it.tags.push_back({card.tag_labels[size_t(t.index)], t.score});
    it.embedding.clear();
    if (l.emb_job_id == j.job_id && l.emb_windows > 0) {
        it.embedding.resize(l.emb_sum.size());
        for (size_t d = 0; d < l.emb_sum.size(); ++d) it.embedding[d] = float(l.emb_sum[d] / double(l.emb_windows));
        l.embedding_note.clear();
    } else {
        l.embedding_note = "this model gives no embedding output (its card names none): no map, no similar songs";
    }
    l.emb_sum.clear();
    l.emb_sum.shrink_to_fit();
    l.emb_windows = 0;
    l.stages[i] = library_stage::done;
    finish(l, now_ms);
}

void library_job_failed(library_state& l, int job_id, const std::string& message, double now_ms) {
    const int idx = index_of_job(l, job_id);
    if (idx < 0) return;
    const size_t i = size_t(idx);
    gs::library_item& it = l.items[i];
    it.status = "error";
    // One line: the file's name is in its own column.
    std::string msg = message;
    const std::string base = it.file.substr(it.file.find_last_of('/') == std::string::npos ? 0 : it.file.find_last_of('/') + 1);
    for (const std::string& prefix : {it.file + ": ", base + ": "})
        if (msg.rfind(prefix, 0) == 0) msg = msg.substr(prefix.size());
    std::replace(msg.begin(), msg.end(), '\n', ' ');
    it.error = msg;
    it.probabilities.clear();
    it.embedding.clear();
    l.stages[i] = library_stage::error;
    finish(l, now_ms);
}

void library_cancelled(library_state& l, int index) {
    if (index < 0 || size_t(index) >= l.items.size() || l.stages[size_t(index)] != library_stage::waiting) return;
    l.items[size_t(index)].status = "error";
    l.items[size_t(index)].error = "cancelled";
    l.stages[size_t(index)] = library_stage::error;
    library_touch(l);
}

void library_clear(library_state& l) {
    library_state fresh;
    fresh.generation = l.generation + 1;
    l = std::move(fresh);
}

void library_touch(library_state& l) { ++l.generation; }

size_t library_count(const library_state& l, library_stage s) {
    return size_t(std::count(l.stages.begin(), l.stages.end(), s));
}

size_t library_bytes(const library_state& l) {
    size_t b = l.items.capacity() * sizeof(gs::library_item);
    for (const gs::library_item& it : l.items) {
        b += it.file.capacity() + it.error.capacity() + it.sounds_like.capacity() + it.content_sha256.capacity();
        b += (it.probabilities.capacity() + it.embedding.capacity()) * sizeof(float);
        for (const gs::library_tag& t : it.tags) b += sizeof t + t.name.capacity();
    }
    return b;
}

bool library_busy(const library_state& l) {
    for (library_stage s : l.stages)
        if (s == library_stage::waiting || s == library_stage::decoding || s == library_stage::classifying) return true;
    return false;
}

double library_rate(const library_state& l, double now_ms) {
    const double end = library_busy(l) ? now_ms : l.run_last_ms;
    if (l.run_t0_ms < 0.0 || end <= l.run_t0_ms || l.run_finished == 0) return 0.0;
    return double(l.run_finished) * 1000.0 / (end - l.run_t0_ms);
}

const std::vector<int>& library_view(library_state& l) {
    if (l.view_generation == l.generation) return l.view;
    l.view.clear();
    const std::string needle = lower(l.text_filter);
    for (size_t i = 0; i < l.items.size(); ++i) {
        const gs::library_item& it = l.items[i];
        if (l.genre_filter >= 0 && gs::library_top(it) != l.genre_filter) continue;
        if (!needle.empty() && lower(it.file).find(needle) == std::string::npos) continue;
        l.view.push_back(int(i));
    }
    if (l.sort_column >= 0) {
        const int col = l.sort_column;
        const bool asc = l.ascending;
        std::stable_sort(l.view.begin(), l.view.end(), [&](int a, int b) {
            const int c = compare(l, col, a, b);
            return asc ? c < 0 : c > 0;
        });
    }
    l.view_generation = l.generation;
    return l.view;
}

const std::vector<float>& library_map_xy(library_state& l) {
    if (l.map_generation != l.generation) {
        const double t0 = emscripten_get_now();
        l.map_xy = gs::library_map(l.items);
        l.map_generation = l.generation;
        l.map_t_ms = emscripten_get_now();
        l.map_cost_ms = l.map_t_ms - t0;
    }
    return l.map_xy;
}

const std::vector<float>& library_map_xy_throttled(library_state& l, double now_ms) {
    if (l.map_generation != l.generation && library_busy(l) && l.map_t_ms >= 0.0 &&
        now_ms - l.map_t_ms < std::max(1500.0, 10.0 * l.map_cost_ms)) {
        l.map_xy.resize(2 * l.items.size(), NAN);  // items added since: no point yet
        return l.map_xy;
    }
    return library_map_xy(l);
}

int library_find(const library_state& l, const std::string& file) {
    for (size_t i = 0; i < l.items.size(); ++i)
        if (l.items[i].file == file) return int(i);
    return -1;
}

std::string library_state_json(const library_state& l) {
    gs::json_value j = gs::json_value::object();
    j.set("total", double(l.items.size()));
    j.set("done", double(library_count(l, library_stage::done)));
    j.set("failed", double(library_count(l, library_stage::error)));
    j.set("waiting", double(library_count(l, library_stage::waiting)));
    j.set("busy", library_busy(l));
    j.set("embedding_note", l.embedding_note);
    gs::json_value labels = gs::json_value::array();
    for (const std::string& s : l.labels) labels.push_back(s);
    j.set("labels", labels);
    gs::json_value items = gs::json_value::array();
    for (size_t i = 0; i < l.items.size(); ++i) items.push_back(item_json(l, i));
    j.set("items", items);
    return gs::json_write(j, -1);
}

std::string library_map_json(library_state& l) {
    const std::vector<float>& xy = library_map_xy(l);
    gs::json_value a = gs::json_value::array();
    for (size_t i = 0; i < l.items.size() && 2 * i + 1 < xy.size(); ++i) {
        if (!std::isfinite(xy[2 * i]) || !std::isfinite(xy[2 * i + 1])) continue;
        a.push_back(gs::json_value::object({{"file", l.items[i].file},
                                            {"x", double(xy[2 * i])},
                                            {"y", double(xy[2 * i + 1])},
                                            {"top", label_at(l, gs::library_top(l.items[i]))}}));
    }
    return gs::json_write(a, -1);
}

std::string library_similar_json(library_state& l, const std::string& file, int k) {
    gs::json_value a = gs::json_value::array();
    const int q = library_find(l, file);
    if (q >= 0)
        for (const gs::library_neighbour& n : gs::library_similar(l.items, q, std::max(0, k)))
            a.push_back(gs::json_value::object({{"file", l.items[size_t(n.index)].file},
                                                {"distance", double(n.distance)}}));
    return gs::json_write(a, -1);
}

std::string library_view_json(library_state& l) {
    gs::json_value j = gs::json_value::object();
    j.set("sort", l.sort_column >= 0 ? std::string(k_column_names[l.sort_column]) : std::string());
    j.set("ascending", l.ascending);
    j.set("genre", label_at(l, l.genre_filter));
    j.set("text", l.text_filter);
    gs::json_value files = gs::json_value::array();
    for (int i : library_view(l)) files.push_back(l.items[size_t(i)].file);
    j.set("files", files);
    return gs::json_write(j, -1);
}

std::string library_export_csv(const library_state& l) {
    std::vector<gs::library_item> finished;
    for (size_t i = 0; i < l.items.size(); ++i)
        if (l.stages[i] == library_stage::done || l.stages[i] == library_stage::error) finished.push_back(l.items[i]);
    return gs::library_csv(l.labels, finished);
}

std::string library_export_json(library_state& l) {
    std::vector<gs::library_item> finished;
    std::vector<float> xy;
    const std::vector<float>& all_xy = library_map_xy(l);
    for (size_t i = 0; i < l.items.size(); ++i) {
        if (l.stages[i] != library_stage::done && l.stages[i] != library_stage::error) continue;
        finished.push_back(l.items[i]);
        xy.push_back(2 * i + 1 < all_xy.size() ? all_xy[2 * i] : NAN);
        xy.push_back(2 * i + 1 < all_xy.size() ? all_xy[2 * i + 1] : NAN);
    }
    const gs::json_value model = gs::json_value::object({{"name", l.model_name}, {"source", std::string("page")}});
    return gs::library_json(l.labels, finished, model, false, xy);
}

std::string library_export_m3u(library_state& l) {
    const std::vector<int> order = l.marked.empty() ? library_view(l) : l.marked;
    return gs::library_m3u(l.items, order);
}

}  // namespace gs_web
