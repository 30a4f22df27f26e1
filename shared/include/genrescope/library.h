// library.h: a music library's classification results as one table: CSV, JSON and M3U text, the 2-D map
// and similar songs. The one format `genrescope library` (CLI) and the page's library mode both write.
#pragma once

#include <string>
#include <vector>

#include "genrescope/json.h"

namespace gs {

struct library_tag {
    std::string name;   // e.g. "Electronic music" (the card's tag labels)
    float score = 0.0f; // mean over the analysed windows, [0, 1]
};

// One file of the library.
struct library_item {
    std::string file;                  // path relative to the folder it was found in (or the name it was given)
    std::string status = "done";       // "done" or "error"
    std::string error;                 // one line, when status == "error"
    double duration_s = 0.0;           // the decoded audio's length, seconds
    std::vector<float> probabilities;  // one per label, card order (empty on error)
    bool uncertain = false;            // top probability below the card's uncertain_below
    bool outside = false;              // the tag verdict (genre_tags.h): outside the model's genres
    std::string sounds_like;           // the best outside tag's name when outside, else ""
    std::vector<library_tag> tags;     // top genre tags, best first (empty for models without tags)
    std::vector<float> embedding;      // the track embedding: mean over analysed windows of the card's
                                       // embedding output (empty when the model has none)
    std::string content_sha256;        // of the file's bytes (the CLI's resume key; "" when not computed)
};

// Index of the highest probability (the first on ties); -1 when there are none.
int library_top(const library_item& item);
// Index of the second highest probability; -1 with fewer than two.
int library_second(const library_item& item);

// CSV (RFC 4180: comma separated, "\r\n" line ends, fields with , " CR or LF quoted, "" inside quotes), a
// header line and one row per item in the given order. Columns:
//   file, status, error, duration_s, genre, confidence, second_genre, second_confidence, uncertain, outside,
//   sounds_like, p_<label> for every label, tags
// duration_s with 3 decimals, confidences and probabilities with 6; uncertain/outside "true"/"false";
// genre columns and probabilities empty on error rows; tags "name:score" (3 decimals) joined by "; ".
std::string library_csv(const std::vector<std::string>& labels, const std::vector<library_item>& items);

// Parses library_csv's output back (labels from the p_ columns). "" or an error naming the line.
// Embeddings and hashes are not in the CSV and come back empty.
std::string parse_library_csv(const std::string& text, std::vector<std::string>& labels, std::vector<library_item>& items);

// JSON: {"format": "genrescope-library", "version": 1, "model": model_info, "labels": [...],
//        "items": [{file, status, error?, duration_s, genre, confidence, second_genre, uncertain, outside,
//                   sounds_like, probabilities: {label: p}, tags: [{name, score}], sha256?, embedding?}],
//        "map": [{file, x, y}] when map_xy has 2 values per item}
// Embeddings are written only when with_embeddings (they make the file large: 1024 floats a song).
std::string library_json(const std::vector<std::string>& labels, const std::vector<library_item>& items,
                         const json_value& model_info, bool with_embeddings, const std::vector<float>& map_xy = {});

// Parses library_json's output (with or without embeddings). "" or an error.
std::string parse_library_json(const std::string& text, std::vector<std::string>& labels, std::vector<library_item>& items);

// An extended M3U playlist of items[order[i]] (done items only), paths as given in `file` prefixed by
// `prefix` (e.g. "" or "../music/"), #EXTINF with the rounded duration and the file's name.
std::string library_m3u(const std::vector<library_item>& items, const std::vector<int>& order, const std::string& prefix = "");

// The 2-D map of the items that have an embedding of the common length: PCA of the embeddings (projection.h),
// L2-normalised first so cosine neighbours are near on the map. Returns [n][2] for all items, NaN for items
// without one (errors, other lengths). Deterministic.
std::vector<float> library_map(const std::vector<library_item>& items);

// The k items nearest to items[query] by cosine distance of their embeddings (projection.h), nearest first,
// skipping items without a comparable embedding. Empty when the query has none.
struct library_neighbour {
    int index = -1;
    float distance = 0.0f;
};
std::vector<library_neighbour> library_similar(const std::vector<library_item>& items, int query, int k);

}  // namespace gs
