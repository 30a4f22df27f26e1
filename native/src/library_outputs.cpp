// library_outputs.cpp: a library's CSV, JSON, similar songs, per-genre playlists and self-contained HTML page.
#include "library_outputs.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <system_error>
#include <thread>

#include "eval/report.h"
#include "eval/report_svg.h"
#include "genrescope/library.h"

namespace gs {

namespace {

constexpr int kSimilar = 5;  // neighbours per song in similar.csv (3 of them in the page)

const char* const kCss = R"(
body{margin:0;background:#f5f6f8;color:#1f2328;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}
main{max-width:1280px;margin:0 auto;padding:20px 24px 40px}
h1{font-size:24px;margin:4px 0} h2{font-size:18px;margin:0 0 4px}
.sub,.how{color:#57606a;margin:0 0 10px}
section{background:#fff;border:1px solid #dfe2e6;border-radius:8px;padding:14px 18px;margin:14px 0;overflow-x:auto}
svg.chart{max-width:100%;height:auto;display:block} svg text{font-family:inherit}
svg .title{font-size:13px;font-weight:600;fill:#1f2328} svg .tick{font-size:11px;fill:#444}
svg .axis{font-size:12px;fill:#333} svg .legend{font-size:12px;fill:#333}
table{border-collapse:collapse;font-size:13px;font-variant-numeric:tabular-nums}
th,td{padding:3px 9px;border-bottom:1px solid #eceef1;text-align:left;vertical-align:top}
thead th{background:#f0f2f5} td.n{text-align:right} .note{color:#6e7781;font-style:italic}
.dot{display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:5px}
)";

std::string file_name_for(const std::string& label) {
    std::string s;
    for (char c : label) s += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
    if (s.empty() || s[0] == '.') s = "_" + s;
    return s;
}

// neighbours[i]: the kSimilar nearest items to item i, computed on `threads` threads.
std::vector<std::vector<library_neighbour>> all_similar(const std::vector<library_item>& items, int threads) {
    std::vector<std::vector<library_neighbour>> out(items.size());
    const size_t n_threads = static_cast<size_t>(std::max(1, std::min<int>(threads, static_cast<int>(items.size()))));
    std::vector<std::thread> pool;
    for (size_t t = 0; t < n_threads; ++t) {
        pool.emplace_back([&, t] {
            for (size_t i = t; i < items.size(); i += n_threads) out[i] = library_similar(items, static_cast<int>(i), kSimilar);
        });
    }
    for (std::thread& th : pool) th.join();
    return out;
}

std::string page(const std::vector<std::string>& labels, const json_value& model_info, const std::vector<library_item>& items,
                 const std::vector<float>& xy, const std::vector<std::vector<library_neighbour>>& similar,
                 const library_output_info& info) {
    std::string h = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                    "<title>GenreScope library</title>\n<style>" + std::string(kCss) + "</style>\n</head>\n<body>\n<main>\n";
    h += "<h1>GenreScope library</h1>\n<p class=\"sub\">" + std::to_string(items.size()) + " files: " +
         std::to_string(info.n_done) + " classified, " + std::to_string(info.n_error) + " could not be read \xC2\xB7 model " +
         html_escape(model_info["name"].as_string()) + "</p>\n";
    // Genre counts.
    std::vector<int> count(labels.size(), 0);
    std::vector<int> top(items.size(), -1);
    for (size_t i = 0; i < items.size(); ++i) {
        top[i] = items[i].status == "done" ? library_top(items[i]) : -1;
        if (top[i] >= 0 && static_cast<size_t>(top[i]) < labels.size()) ++count[static_cast<size_t>(top[i])];
    }
    h += "<section><h2>Genres</h2><p>";
    for (size_t c = 0; c < labels.size(); ++c) {
        h += std::string(c ? " \xC2\xB7 " : "") + "<span class=\"dot\" style=\"background:" + palette_colour(c) + "\"></span>" +
             html_escape(labels[c]) + " " + std::to_string(count[c]);
    }
    h += "</p></section>\n";
    h += "<section><h2>Map</h2><p class=\"how\">Each point is a song, placed by a PCA of its track embedding "
         "(L2-normalised, so songs the model hears alike lie close together), coloured by its top genre.</p>\n";
    if (!info.has_embeddings) {
        h += "<p class=\"note\">No map and no similar songs: this model's card names no embedding output.</p>\n";
    } else {
        h += svg_scatter(make_embedding_points(xy, top), labels, 5000);
    }
    h += "</section>\n<section><h2>Songs</h2>\n<table>\n<thead><tr><th>file</th><th>genre</th><th>confidence</th><th>second</th>"
         "<th>notes</th><th>duration</th><th>similar</th></tr></thead>\n<tbody>\n";
    for (size_t i = 0; i < items.size(); ++i) {
        const library_item& it = items[i];
        if (it.status != "done") continue;
        const int t = top[i], s = library_second(it);
        std::string notes = it.uncertain ? "uncertain" : "";
        if (it.outside) notes += std::string(notes.empty() ? "" : "; ") + "outside: sounds like " + it.sounds_like;
        std::string sim;
        for (size_t k = 0; k < similar[i].size() && k < 3; ++k) {
            sim += (k ? "<br>" : "") + html_escape(items[static_cast<size_t>(similar[i][k].index)].file) + " (" +
                   format_number(similar[i][k].distance, 3) + ")";
        }
        h += "<tr><td>" + html_escape(it.file) + "</td><td><span class=\"dot\" style=\"background:" +
             palette_colour(static_cast<size_t>(std::max(0, t))) + "\"></span>" +
             (t >= 0 && static_cast<size_t>(t) < labels.size() ? html_escape(labels[static_cast<size_t>(t)]) : "") +
             "</td><td class=\"n\">" + (t >= 0 ? format_number(it.probabilities[static_cast<size_t>(t)], 2) : "") + "</td><td>" +
             (s >= 0 && static_cast<size_t>(s) < labels.size()
                  ? html_escape(labels[static_cast<size_t>(s)]) + " " + format_number(it.probabilities[static_cast<size_t>(s)], 2)
                  : "") +
             "</td><td>" + html_escape(notes) + "</td><td class=\"n\">" + format_number(it.duration_s, 1) + " s</td><td>" + sim +
             "</td></tr>\n";
    }
    h += "</tbody></table></section>\n";
    if (info.n_error > 0) {
        h += "<section><h2>Files that could not be classified</h2>\n<table>\n<thead><tr><th>file</th><th>reason</th></tr></thead>\n<tbody>\n";
        for (const library_item& it : items) {
            if (it.status == "done") continue;
            h += "<tr><td>" + html_escape(it.file) + "</td><td>" + html_escape(it.error) + "</td></tr>\n";
        }
        h += "</tbody></table></section>\n";
    }
    h += "</main>\n</body>\n</html>\n";
    return h;
}

}  // namespace

std::string write_text_file(const std::string& path, const std::string& text) {
    const std::string tmp = path + ".tmp";
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) return path + ": cannot write";
    const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
    if (std::fclose(f) != 0 || !ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        return path + ": cannot write";
    }
    return "";
}

std::string write_library_outputs(const std::string& out_dir, const std::vector<std::string>& labels,
                                  const json_value& model_info, const std::vector<journal_entry>& entries, int threads,
                                  library_output_info& info) {
    info = library_output_info{};
    std::error_code ec;
    std::filesystem::create_directories(out_dir + "/playlists", ec);
    if (ec) return out_dir + "/playlists: cannot create (" + ec.message() + ")";
    std::vector<library_item> items;
    items.reserve(entries.size());
    for (const journal_entry& e : entries) {
        items.push_back(e.item);
        if (e.item.status == "done") ++info.n_done;
        else ++info.n_error;
        if (e.item.status == "done" && !e.item.embedding.empty()) info.has_embeddings = true;
    }
    const std::vector<float> xy = info.has_embeddings ? library_map(items) : std::vector<float>{};
    for (size_t i = 0; 2 * i + 1 < xy.size(); ++i) info.n_mapped += std::isfinite(xy[2 * i]) ? 1 : 0;
    std::string err;
    if (!(err = write_text_file(out_dir + "/library.csv", library_csv(labels, items))).empty()) return err;
    if (!(err = write_text_file(out_dir + "/library.json", library_json(labels, items, model_info, true, xy))).empty()) return err;
    const std::vector<std::vector<library_neighbour>> similar =
        info.has_embeddings ? all_similar(items, threads) : std::vector<std::vector<library_neighbour>>(items.size());
    std::string sim = "file,rank,similar_file,distance\r\n";
    auto field = [](const std::string& s) {
        if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
        std::string q = "\"";
        for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
        return q + "\"";
    };
    for (size_t i = 0; i < items.size(); ++i) {
        for (size_t k = 0; k < similar[i].size(); ++k) {
            sim += field(items[i].file) + "," + std::to_string(k + 1) + "," +
                   field(items[static_cast<size_t>(similar[i][k].index)].file) + "," + format_number(similar[i][k].distance, 6) + "\r\n";
        }
    }
    if (!(err = write_text_file(out_dir + "/similar.csv", sim)).empty()) return err;
    // Playlists: absolute paths, so they play from wherever the out folder is.
    std::vector<library_item> absolute = items;
    for (size_t i = 0; i < absolute.size(); ++i) absolute[i].file = entries[i].path.empty() ? items[i].file : entries[i].path;
    for (size_t c = 0; c < labels.size(); ++c) {
        std::vector<int> order;
        for (size_t i = 0; i < items.size(); ++i) {
            if (items[i].status == "done" && library_top(items[i]) == static_cast<int>(c)) order.push_back(static_cast<int>(i));
        }
        std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
            return items[static_cast<size_t>(a)].probabilities[c] > items[static_cast<size_t>(b)].probabilities[c];
        });
        if (!order.empty()) ++info.n_playlists;
        if (!(err = write_text_file(out_dir + "/playlists/" + file_name_for(labels[c]) + ".m3u", library_m3u(absolute, order))).empty()) {
            return err;
        }
    }
    return write_text_file(out_dir + "/library.html", page(labels, model_info, items, xy, similar, info));
}

}  // namespace gs
