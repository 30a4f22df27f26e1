// library_journal.cpp: the journal's JSON lines, reading it back after a kill, appending and compacting it.
#include "library_journal.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace gs {

json_value journal_header(const json_value& model_info, const std::vector<std::string>& labels) {
    json_value l = json_value::array();
    for (const std::string& s : labels) l.push_back(s);
    return json_value::object({{"format", "genrescope-library-journal"}, {"version", 1}, {"model", model_info}, {"labels", l}});
}

// A float as the double whose shortest decimal digits read back as the same float (short JSON).
static double short_float(float v) {
    if (!std::isfinite(v)) return static_cast<double>(v);
    char buf[64];
    const std::to_chars_result r = std::to_chars(buf, buf + sizeof buf, v);
    double d = static_cast<double>(v);
    std::from_chars(buf, r.ptr, d);
    return d;
}

std::string journal_line(const journal_entry& e) {
    const library_item& it = e.item;
    json_value o = json_value::object();
    o.set("file", it.file);
    o.set("path", e.path);
    o.set("sha256", it.content_sha256);
    o.set("status", it.status);
    if (!it.error.empty()) o.set("error", it.error);
    o.set("duration_s", it.duration_s);
    json_value p = json_value::array();
    for (float v : it.probabilities) p.push_back(static_cast<double>(v));
    o.set("probabilities", p);
    o.set("uncertain", it.uncertain);
    o.set("outside", it.outside);
    o.set("sounds_like", it.sounds_like);
    json_value tags = json_value::array();
    for (const library_tag& t : it.tags) tags.push_back(json_value::object({{"name", t.name}, {"score", static_cast<double>(t.score)}}));
    o.set("tags", tags);
    json_value emb = json_value::array();
    for (float v : it.embedding) emb.push_back(short_float(v));
    o.set("embedding", emb);
    return json_write(o, -1);
}

std::string parse_journal_line(const std::string& line, journal_entry& e) {
    json_value o;
    std::string err = json_parse(line, o);
    if (!err.empty()) return err;
    if (!o.is_object() || !o["file"].is_string() || !o["status"].is_string()) return "not a journal entry";
    e = journal_entry{};
    library_item& it = e.item;
    it.file = o["file"].as_string();
    e.path = o["path"].as_string();
    it.content_sha256 = o["sha256"].as_string();
    it.status = o["status"].as_string();
    if (it.status != "done" && it.status != "error") return "unknown status '" + it.status + "'";
    it.error = o["error"].as_string();
    it.duration_s = o["duration_s"].as_number(0.0);
    for (const json_value& v : o["probabilities"].as_array()) it.probabilities.push_back(static_cast<float>(v.as_number(NAN)));
    it.uncertain = o["uncertain"].as_bool(false);
    it.outside = o["outside"].as_bool(false);
    it.sounds_like = o["sounds_like"].as_string();
    for (const json_value& t : o["tags"].as_array()) {
        it.tags.push_back({t["name"].as_string(), static_cast<float>(t["score"].as_number(0.0))});
    }
    for (const json_value& v : o["embedding"].as_array()) it.embedding.push_back(static_cast<float>(v.as_number(NAN)));
    return "";
}

std::string read_journal(const std::string& path, json_value& header, std::vector<journal_entry>& entries, bool& exists) {
    header = json_value();
    entries.clear();
    std::ifstream in(path, std::ios::binary);
    exists = static_cast<bool>(in);
    if (!exists) return "";
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    size_t pos = 0;
    int line_no = 0;
    while (pos < text.size()) {
        const size_t nl = text.find('\n', pos);
        if (nl == std::string::npos) break;  // a line cut short by a kill: dropped
        const std::string line = text.substr(pos, nl - pos);
        pos = nl + 1;
        ++line_no;
        if (line.empty()) continue;
        if (header.is_null()) {
            std::string err = json_parse(line, header);
            if (!err.empty() || header["format"].as_string() != "genrescope-library-journal") {
                header = json_value();
                return path + ": line 1 is not a genrescope library journal header";
            }
            continue;
        }
        journal_entry e;
        const std::string err = parse_journal_line(line, e);
        if (!err.empty()) return path + ": line " + std::to_string(line_no) + ": " + err;
        entries.push_back(std::move(e));
    }
    if (header.is_null() && !text.empty() && text.find('\n') != std::string::npos) return path + ": no header line";
    return "";
}

std::string journal_matches(const json_value& header, const json_value& want) {
    const std::string a = header["model"]["sha256"].as_string(), b = want["model"]["sha256"].as_string();
    if (a != b) {
        return "it holds results of another model (" + header["model"]["name"].as_string() + ", sha256 " + a.substr(0, 12) +
               "...; this one is " + b.substr(0, 12) + "...)";
    }
    if (!(header["labels"] == want["labels"])) return "its labels differ from the model's";
    return "";
}

std::string journal_writer::open(const std::string& path, const json_value& header) {
    close();
    bool needs_newline = false, empty = true;
    if (std::FILE* r = std::fopen(path.c_str(), "rb")) {
        if (std::fseek(r, 0, SEEK_END) == 0 && std::ftell(r) > 0) {
            empty = false;
            std::fseek(r, -1, SEEK_END);
            needs_newline = std::fgetc(r) != '\n';
        }
        std::fclose(r);
    }
    f_ = std::fopen(path.c_str(), "ab");
    if (!f_) return path + ": cannot write the journal";
    if (needs_newline) std::fputc('\n', f_);
    if (empty) std::fputs((json_write(header, -1) + "\n").c_str(), f_);
    if (std::fflush(f_) != 0) return path + ": cannot write the journal";
    return "";
}

std::string journal_writer::append(const std::string& line) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!f_) return "the journal is not open";
    const std::string text = line + "\n";
    if (std::fwrite(text.data(), 1, text.size(), f_) != text.size() || std::fflush(f_) != 0) return "cannot write the journal";
    return "";
}

void journal_writer::close() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (f_) std::fclose(f_);
    f_ = nullptr;
}

std::string rewrite_journal(const std::string& path, const json_value& header, const std::vector<journal_entry>& entries) {
    const std::string tmp = path + ".tmp";
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) return tmp + ": cannot write";
    bool ok = std::fputs((json_write(header, -1) + "\n").c_str(), f) >= 0;
    for (const journal_entry& e : entries) ok = ok && std::fputs((journal_line(e) + "\n").c_str(), f) >= 0;
    ok = (std::fclose(f) == 0) && ok;
    if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        return path + ": cannot rewrite the journal";
    }
    return "";
}

}  // namespace gs
