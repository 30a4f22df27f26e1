// library_journal.h: `genrescope library`'s journal (OUT/library.journal.jsonl): one JSON line per finished file, so a killed run resumes.
#pragma once

#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "genrescope/json.h"
#include "genrescope/library.h"

namespace gs {

// One finished file: its result and the absolute path it was read from (for playlists).
struct journal_entry {
    library_item item;
    std::string path;
};

// The journal's first line: {"format": "genrescope-library-journal", "version": 1, "model": model_info,
// "labels": [...]}. model_info is {"name", "sha256" (of model.onnx), "embedding" (the card's field or null)}.
json_value journal_header(const json_value& model_info, const std::vector<std::string>& labels);

// One entry as a compact JSON line (no newline): {file, path, sha256, status, error?, duration_s,
// probabilities, uncertain, outside, sounds_like, tags, embedding}. Probabilities keep their float values
// exactly; embedding values are written with the shortest digits that read back as the same float.
std::string journal_line(const journal_entry& e);
// Parses one line back. Returns "" or an error.
std::string parse_journal_line(const std::string& line, journal_entry& e);

// Reads a journal: its header and entries in file order. A missing file gives exists = false and "". A last
// line without its newline (a run killed while writing it) is ignored; any other bad line is an error
// naming its line number.
std::string read_journal(const std::string& path, json_value& header, std::vector<journal_entry>& entries, bool& exists);

// The header's model sha256 and labels must match; returns "" or a one-line reason.
std::string journal_matches(const json_value& header, const json_value& want);

// Appends entries to a journal, one flushed line each (thread-safe). open() writes the header when the file
// is new or empty and ends a cut-off last line first.
class journal_writer {
public:
    journal_writer() = default;
    journal_writer(const journal_writer&) = delete;
    journal_writer& operator=(const journal_writer&) = delete;
    ~journal_writer() { close(); }
    std::string open(const std::string& path, const json_value& header);
    std::string append(const std::string& line);
    void close();

private:
    std::FILE* f_ = nullptr;
    std::mutex mutex_;
};

// Replaces the journal by header + the given entries (written to a temporary file, then renamed).
std::string rewrite_journal(const std::string& path, const json_value& header, const std::vector<journal_entry>& entries);

}  // namespace gs
