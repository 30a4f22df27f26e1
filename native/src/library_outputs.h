// library_outputs.h: writes a library's result files (CSV, JSON with embeddings and map, similar songs, M3U per genre, HTML).
#pragma once

#include <string>
#include <vector>

#include "genrescope/json.h"
#include "library_journal.h"

namespace gs {

// What write_library_outputs wrote, for the summary line.
struct library_output_info {
    int n_done = 0, n_error = 0;
    int n_mapped = 0;       // items with an embedding on the map
    int n_playlists = 0;    // non-empty playlists
    bool has_embeddings = false;
};

// Writes into out_dir (created): library.csv and library.json (shared/library.h; the JSON with embeddings and
// the 2-D map), similar.csv (file, rank, similar_file, distance: the 5 nearest by cosine distance of the
// embeddings), playlists/<genre>.m3u (one per label: the done files whose top genre it is, most confident
// first, absolute paths) and library.html (self-contained: summary, the map as inline SVG coloured by genre,
// the table with similar songs, the errors). `entries` in the order they should appear (sorted by file).
// `threads` parallelises the similar-songs search. Each file is written to a temporary name and renamed.
std::string write_library_outputs(const std::string& out_dir, const std::vector<std::string>& labels,
                                  const json_value& model_info, const std::vector<journal_entry>& entries, int threads,
                                  library_output_info& info);

// Writes `text` to `path` through a temporary file and a rename. Returns "" or an error.
std::string write_text_file(const std::string& path, const std::string& text);

}  // namespace gs
