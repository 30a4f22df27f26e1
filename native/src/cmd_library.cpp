// cmd_library.cpp: `genrescope library`: classifies a whole music library (resumable, parallel, sharded) and writes its tables, map, playlists and page.
#include <torch/torch.h>

#include <sys/file.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <filesystem>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "classify_track.h"
#include "cli_args.h"
#include "commands.h"
#include "data/sha256.h"
#include "library_files.h"
#include "library_journal.h"
#include "library_outputs.h"
#include "model/model_loader.h"

namespace gs {

namespace {

const char* kLibraryUsage =
    "usage: genrescope library DIR... [--out DIR (./library)] [--model M.onnx] [--threads N] [--shard I/N]\n"
    "       genrescope library --merge PART_DIR... --out DIR\n";

using clock_type = std::chrono::steady_clock;

// Progress and summary lines go to a copy of stderr taken at start: libsndfile's decoder points fd 2 at
// /dev/null while it runs (audio_load.cpp), which would swallow lines written by the other workers meanwhile.
std::FILE* progress_stream() {
    static std::FILE* f = [] {
        const int fd = dup(2);
        std::FILE* s = fd >= 0 ? fdopen(fd, "w") : nullptr;
        return s ? s : stderr;
    }();
    return f;
}

void say(const std::string& line) {
    std::FILE* f = progress_stream();
    std::fprintf(f, "genrescope library: %s\n", line.c_str());
    std::fflush(f);
}

// One run per output folder at a time (a second one would interleave the journal and the outputs): an
// exclusive flock on OUT/library.lock, held until the process exits.
std::string lock_folder(const std::string& out) {
    const int fd = open((out + "/library.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return out + ": cannot create library.lock";
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        close(fd);
        return out + ": another genrescope library run is writing this folder";
    }
    return "";
}

std::string journal_path(const std::string& out) { return out + "/library.journal.jsonl"; }

// The error without the leading "PATH: " that classify's messages carry (the library names the file).
std::string reason_only(const std::string& err, const std::string& path) {
    const std::string prefix = path + ": ";
    return err.compare(0, prefix.size(), prefix) == 0 ? err.substr(prefix.size()) : err;
}

library_item item_from_result(const file_result& r, const model_card& card, const std::string& name, const std::string& sha) {
    library_item it;
    it.file = name;
    it.content_sha256 = sha;
    it.duration_s = r.duration_s;
    it.probabilities = r.probabilities;
    const int top = library_top(it);
    it.uncertain = top >= 0 && it.probabilities[static_cast<size_t>(top)] < card.uncertain_below;
    if (!card.tags.is_null()) {
        const json_value& names = card.tags["labels"];
        it.outside = r.verdict.outside;
        if (r.verdict.outside && r.verdict.sounds_like >= 0) it.sounds_like = names[static_cast<size_t>(r.verdict.sounds_like)].as_string();
        for (const tag_score& t : r.verdict.top) it.tags.push_back({names[static_cast<size_t>(t.index)].as_string(), t.score});
    }
    it.embedding = r.embedding;
    return it;
}

library_item error_item(const std::string& name, const std::string& sha, const std::string& reason) {
    library_item it;
    it.file = name;
    it.content_sha256 = sha;
    it.status = "error";
    it.error = reason;
    for (char& c : it.error) c = (c == '\n' || c == '\r') ? ' ' : c;
    return it;
}

std::string format_seconds(double s) {
    char buf[64];
    if (s >= 3600) std::snprintf(buf, sizeof buf, "%.1f h", s / 3600);
    else if (s >= 120) std::snprintf(buf, sizeof buf, "%.0f min", s / 60);
    else std::snprintf(buf, sizeof buf, "%.0f s", s);
    return buf;
}

int write_outputs(const std::string& out, const json_value& header, const std::vector<journal_entry>& entries, int threads) {
    std::string err = rewrite_journal(journal_path(out), header, entries);
    std::vector<std::string> labels;
    for (const json_value& l : header["labels"].as_array()) labels.push_back(l.as_string());
    library_output_info info;
    if (err.empty()) err = write_library_outputs(out, labels, header["model"], entries, threads, info);
    if (!err.empty()) {
        say(err);
        return kExitFailure;
    }
    say("wrote " + out + "/library.csv, library.json, similar.csv, library.html and " + std::to_string(labels.size()) +
        " playlists (" + std::to_string(info.n_playlists) + " non-empty) under " + out + "/playlists: " +
        std::to_string(info.n_done) + " classified, " + std::to_string(info.n_error) + " errors");
    if (!info.has_embeddings) say("no embeddings: the model's card names no embedding output, so the map and similar songs are empty");
    else say(std::to_string(info.n_mapped) + " songs on the map (embedding dim " + std::to_string(entries.empty() ? 0 : [&] {
                 for (const journal_entry& e : entries) if (!e.item.embedding.empty()) return e.item.embedding.size();
                 return size_t(0);
             }()) + ")");
    return info.n_done > 0 || entries.empty() ? kExitOk : kExitFailure;
}

int run_merge(const std::vector<std::string>& parts, const std::string& out, int threads) {
    json_value header;
    std::map<std::string, journal_entry> by_name;
    for (const std::string& part : parts) {
        json_value h;
        std::vector<journal_entry> entries;
        bool exists = false;
        std::string err = read_journal(journal_path(part), h, entries, exists);
        if (err.empty() && !exists) err = journal_path(part) + ": no journal (not a `genrescope library` output folder)";
        if (err.empty() && h.is_null()) err = journal_path(part) + ": empty journal";
        if (err.empty() && !header.is_null()) {
            const std::string why = journal_matches(h, header);
            if (!why.empty()) err = part + ": cannot merge: " + why;
        }
        if (!err.empty()) {
            say(err);
            return kExitFailure;
        }
        if (header.is_null()) header = h;
        std::map<std::string, journal_entry> mine;  // the part's last entry per file
        for (journal_entry& e : entries) mine[e.item.file] = std::move(e);
        int overlap = 0;
        for (auto& kv : mine) {
            overlap += by_name.count(kv.first) ? 1 : 0;
            by_name[kv.first] = std::move(kv.second);
        }
        say(part + ": " + std::to_string(mine.size()) + " files" +
            (overlap ? " (" + std::to_string(overlap) + " also in an earlier part: this part's result kept)" : ""));
    }
    std::error_code ec;
    std::filesystem::create_directories(out, ec);
    const std::string lock_err = lock_folder(out);
    if (!lock_err.empty()) {
        say(lock_err);
        return kExitFailure;
    }
    std::vector<journal_entry> merged;
    for (auto& kv : by_name) merged.push_back(std::move(kv.second));
    say("merged " + std::to_string(parts.size()) + " parts: " + std::to_string(merged.size()) + " files");
    return write_outputs(out, header, merged, threads);
}

}  // namespace

int cmd_library(int argc, char** argv) {
    cli_args a(argc, argv, 0, {"out", "model", "threads", "shard"}, {"merge"});
    const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const int threads = a.get_int("threads", hw, 1, 1024);
    int shard_i = 0, shard_n = 1;
    std::string usage_err = a.error();
    if (usage_err.empty() && a.positional().empty()) usage_err = a.has("merge") ? "no part folders given" : "no folders given";
    if (usage_err.empty() && a.has("shard")) usage_err = parse_shard(a.get("shard"), shard_i, shard_n);
    if (usage_err.empty() && a.has("merge") && !a.has("out")) usage_err = "--merge needs --out DIR";
    if (usage_err.empty() && a.has("merge") && (a.has("shard") || a.has("model"))) usage_err = "--merge takes no --shard or --model";
    if (!usage_err.empty()) {
        std::fprintf(stderr, "genrescope library: %s\n%s", usage_err.c_str(), kLibraryUsage);
        return kExitUsage;
    }
    const std::string out = a.get("out", "library");
    if (a.has("merge")) return run_merge(a.positional(), out, threads);

    std::error_code ec;
    std::filesystem::create_directories(out, ec);
    std::string err = ec ? out + ": cannot create the output folder (" + ec.message() + ")" : lock_folder(out);
    if (!err.empty()) {
        say(err);
        return kExitFailure;
    }
    torch::set_num_threads(1);  // one intra-op thread per worker: the parallelism is over files
    const std::string model_path = a.get("model", GENRESCOPE_DEFAULT_MODEL);
    loaded_model first;
    err = load_model(model_path, first);
    if (err.empty() && !first.card.features.frame_local()) err = "the model's features are not frame-local (top_db/ref=max)";
    std::string model_sha;
    if (err.empty()) err = sha256_file_hex(model_path, model_sha);
    if (!err.empty()) {
        say(err);
        return kExitFailure;
    }
    const model_card& card = first.card;
    int emb_dim = 0;
    const std::string emb_output = card_embedding_output(card, emb_dim);
    const json_value model_info = json_value::object(
        {{"name", card.name}, {"sha256", model_sha}, {"embedding", card.embedding.is_object() ? card.embedding : json_value()}});
    const json_value header = journal_header(model_info, card.labels);

    std::vector<library_file> all, files;
    std::vector<std::string> warnings;
    err = find_library_files(a.positional(), all, warnings);
    for (const std::string& w : warnings) say(w);
    if (!err.empty()) {
        say(err);
        return kExitFailure;
    }
    for (const library_file& f : all) {
        if (library_shard_of(f.name, shard_n) == shard_i) files.push_back(f);
    }

    json_value old_header;
    std::vector<journal_entry> old_entries;
    bool exists = false;
    err = read_journal(journal_path(out), old_header, old_entries, exists);
    if (err.empty() && !old_header.is_null()) {
        const std::string why = journal_matches(old_header, header);
        if (!why.empty()) err = out + ": " + why + "; use another --out or delete " + journal_path(out);
    }
    if (!err.empty()) {
        say(err);
        return kExitFailure;
    }
    // The journal's results by content (later lines win), and by (name, content) so that copies of one song
    // under several names each find their own line.
    std::map<std::string, journal_entry> by_sha, by_name_sha;
    for (journal_entry& e : old_entries) {
        if (e.item.content_sha256.empty()) continue;
        by_name_sha[e.item.file + '\n' + e.item.content_sha256] = e;
        by_sha[e.item.content_sha256] = std::move(e);
    }
    journal_writer journal;
    if (!(err = journal.open(journal_path(out), header)).empty()) {
        say(err);
        return kExitFailure;
    }
    say(std::to_string(files.size()) + " audio files" +
        (shard_n > 1 ? " in shard " + std::to_string(shard_i) + "/" + std::to_string(shard_n) + " (of " + std::to_string(all.size()) + ")" : "") +
        ", " + std::to_string(by_sha.size()) + " results in the journal; " + std::to_string(std::min<size_t>(threads, std::max<size_t>(files.size(), 1))) +
        " workers, model " + card.name + (emb_output.empty() ? " (no embedding output)" : ""));

    // Workers: each with its own model, taking the next file; one file's audio in memory at a time.
    std::vector<journal_entry> results(files.size());
    std::atomic<size_t> next{0};
    std::atomic<int> n_done{0}, n_skipped{0}, n_errors{0}, n_analysed{0};
    std::mutex fail_mutex;
    std::string fail;  // a journal write failure (stops the run)
    const int n_workers = std::max(1, std::min<int>(threads, static_cast<int>(files.size())));
    auto work = [&](int w) {
        loaded_model own;
        loaded_model* m = &first;
        if (w > 0) {
            const std::string e = load_model(model_path, own);
            if (!e.empty()) {
                std::lock_guard<std::mutex> lock(fail_mutex);
                fail = e;
                return;
            }
            m = &own;
        }
        for (size_t i = next++; i < files.size(); i = next++) {
            {
                std::lock_guard<std::mutex> lock(fail_mutex);
                if (!fail.empty()) return;
            }
            const library_file& f = files[i];
            std::string sha;
            const std::string hash_err = sha256_file_hex(f.path, sha);
            journal_entry e;
            e.path = f.path;
            const journal_entry* known = nullptr;
            if (!sha.empty()) {
                auto by_name = by_name_sha.find(f.name + '\n' + sha);
                auto by_content = by_sha.find(sha);
                if (by_name != by_name_sha.end()) known = &by_name->second;
                else if (by_content != by_sha.end()) known = &by_content->second;
            }
            if (known) {
                e.item = known->item;
                ++n_skipped;
                const bool renamed = e.item.file != f.name;
                e.item.file = f.name;
                if (renamed || known->path != f.path) journal.append(journal_line(e));
            } else {
                if (!hash_err.empty()) {
                    e.item = error_item(f.name, "", reason_only(hash_err, f.path));
                } else {
                    file_result r;
                    std::string cerr;
                    try {  // a file that makes anything throw is one error row, not the end of the run
                        cerr = classify_file(f.path, *m, r, true);
                    } catch (const std::exception& x) {
                        cerr = std::string("analysis failed (") + x.what() + ")";
                    }
                    e.item = cerr.empty() ? item_from_result(r, m->card, f.name, sha) : error_item(f.name, sha, reason_only(cerr, f.path));
                }
                ++n_analysed;
                // What the outputs use is what the journal holds (a resumed run gives the same bytes).
                const std::string line = journal_line(e);
                const std::string jerr = journal.append(line);
                journal_entry back;
                if (parse_journal_line(line, back).empty()) e = std::move(back);
                if (!jerr.empty()) {
                    std::lock_guard<std::mutex> lock(fail_mutex);
                    fail = journal_path(out) + ": " + jerr;
                }
            }
            if (e.item.status != "done") ++n_errors;
            results[i] = std::move(e);
            ++n_done;
        }
    };
    const auto t0 = clock_type::now();
    std::vector<std::thread> pool;
    for (int w = 0; w < n_workers; ++w) pool.emplace_back(work, w);
    // Progress: files done / total, files analysed per second, time left; a line every 2 s at most.
    auto report = [&](bool final) {
        const double el = std::chrono::duration<double>(clock_type::now() - t0).count();
        const int done = n_done, analysed = n_analysed;
        const double rate = el > 0 ? analysed / el : 0.0;
        std::string line = std::to_string(done) + "/" + std::to_string(files.size()) + " files";
        if (rate > 0) {
            char buf[64];
            std::snprintf(buf, sizeof buf, ", %.2f files/s", rate);
            line += buf;
            if (!final) line += ", about " + format_seconds((files.size() - static_cast<size_t>(done)) / rate) + " left";
        }
        if (final) line += " in " + format_seconds(el);
        say(line);
    };
    auto last = clock_type::now();
    while (n_done < static_cast<int>(files.size())) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        {
            std::lock_guard<std::mutex> lock(fail_mutex);
            if (!fail.empty()) break;
        }
        if (clock_type::now() - last >= std::chrono::seconds(2)) {
            report(false);
            last = clock_type::now();
        }
    }
    for (std::thread& t : pool) t.join();
    journal.close();
    if (!fail.empty()) {
        say(fail);
        return kExitFailure;
    }
    report(true);
    say(std::to_string(n_analysed) + " analysed, " + std::to_string(n_skipped) + " skipped (already in the journal), " +
        std::to_string(n_errors) + " errors");
    for (const journal_entry& e : results) {
        if (e.item.status != "done") say(e.item.file + ": " + e.item.error);
    }
    return write_outputs(out, header, results, threads);
}

}  // namespace gs
