// library.cpp: a library's results as CSV / JSON / M3U text, its 2-D map and similar songs (library.h).
#include "genrescope/library.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "genrescope/projection.h"

namespace gs {

namespace {

// Fixed-point text of x with `decimals` digits after '.', independent of the process locale (the page and
// the CLI must write the same bytes). Non-finite values give "".
std::string fixed(double x, int decimals) {
    if (!std::isfinite(x)) return "";
    double scale = 1.0;
    for (int i = 0; i < decimals; ++i) scale *= 10.0;
    const double r = std::round(std::fabs(x) * scale);
    if (r > 9.0e15) return "";  // beyond exact integers in a double: not a value this table holds
    const auto v = static_cast<uint64_t>(r);
    const auto s = static_cast<uint64_t>(scale);
    std::string frac = std::to_string(v % s);
    if (decimals > 0) frac = std::string(static_cast<size_t>(decimals) - frac.size(), '0') + frac;
    std::string out = (x < 0 && v != 0 ? "-" : "") + std::to_string(v / s);
    if (decimals > 0) out += "." + frac;
    return out;
}

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) {
        if (c == '"') q += '"';
        q += c;
    }
    return q + "\"";
}

std::string one_line(const std::string& s) {
    std::string o = s;
    for (char& c : o) {
        if (c == '\r' || c == '\n') c = ' ';
    }
    return o;
}

// Splits RFC 4180 text into rows of fields. "" or an error naming the line.
std::string csv_rows(const std::string& text, std::vector<std::vector<std::string>>& rows) {
    rows.clear();
    std::vector<std::string> row;
    std::string field;
    bool quoted = false, field_started = false;
    size_t line = 1;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"') {
                if (i + 1 < text.size() && text[i + 1] == '"') {
                    field += '"';
                    ++i;
                } else {
                    quoted = false;
                }
            } else {
                if (c == '\n') ++line;
                field += c;
            }
            continue;
        }
        if (c == '"') {
            if (field_started) return "line " + std::to_string(line) + ": a quote inside an unquoted field";
            quoted = field_started = true;
        } else if (c == ',') {
            row.push_back(field);
            field.clear();
            field_started = false;
        } else if (c == '\r' || c == '\n') {
            if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
            row.push_back(field);
            rows.push_back(row);
            row.clear();
            field.clear();
            field_started = false;
            ++line;
        } else {
            field += c;
            field_started = true;
        }
    }
    if (quoted) return "line " + std::to_string(line) + ": unterminated quoted field";
    if (field_started || !row.empty()) {
        row.push_back(field);
        rows.push_back(row);
    }
    return "";
}

// A number field written by fixed() (locale-free: through the JSON parser). NaN when empty or not a number.
double number_field(const std::string& s) {
    if (s.empty()) return std::numeric_limits<double>::quiet_NaN();
    json_value v;
    if (!json_parse(s, v).empty() || !v.is_number()) return std::numeric_limits<double>::quiet_NaN();
    return v.as_number();
}

// A float as the double nearest to it at 7 significant digits (a float's precision), so json_write prints
// about 8 characters instead of the 17 a float widened to double needs. Non-finite values are kept (null).
double short_float(float v) {
    if (!std::isfinite(v) || v == 0.0f) return static_cast<double>(v);
    const int e = static_cast<int>(std::floor(std::log10(std::fabs(static_cast<double>(v)))));
    const double scale = std::pow(10.0, 6 - e);
    return std::isfinite(scale) && scale > 0 ? std::round(static_cast<double>(v) * scale) / scale : static_cast<double>(v);
}

std::string base_name(const std::string& path) {
    const size_t slash = path.find_last_of("/\\");
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The common embedding length of the done items (the most frequent non-zero one; the smallest on ties).
size_t common_dim(const std::vector<library_item>& items) {
    std::vector<std::pair<size_t, int>> counts;
    for (const library_item& it : items) {
        if (it.status != "done" || it.embedding.empty()) continue;
        bool found = false;
        for (auto& c : counts) {
            if (c.first == it.embedding.size()) {
                ++c.second;
                found = true;
            }
        }
        if (!found) counts.push_back({it.embedding.size(), 1});
    }
    size_t best = 0;
    int best_n = 0;
    for (const auto& c : counts) {
        if (c.second > best_n || (c.second == best_n && c.first < best)) {
            best = c.first;
            best_n = c.second;
        }
    }
    return best;
}

bool has_embedding(const library_item& it, size_t dim) {
    if (dim == 0 || it.status != "done" || it.embedding.size() != dim) return false;
    for (float v : it.embedding) {
        if (!std::isfinite(v)) return false;
    }
    return true;
}

}  // namespace

int library_top(const library_item& item) {
    int best = -1;
    for (size_t c = 0; c < item.probabilities.size(); ++c) {
        if (best < 0 || item.probabilities[c] > item.probabilities[static_cast<size_t>(best)]) best = static_cast<int>(c);
    }
    return best;
}

int library_second(const library_item& item) {
    const int top = library_top(item);
    int best = -1;
    for (size_t c = 0; c < item.probabilities.size(); ++c) {
        if (static_cast<int>(c) == top) continue;
        if (best < 0 || item.probabilities[c] > item.probabilities[static_cast<size_t>(best)]) best = static_cast<int>(c);
    }
    return best;
}

std::string library_csv(const std::vector<std::string>& labels, const std::vector<library_item>& items) {
    std::string out = "file,status,error,duration_s,genre,confidence,second_genre,second_confidence,uncertain,outside,sounds_like";
    for (const std::string& l : labels) out += "," + csv_field("p_" + l);
    out += ",tags\r\n";
    for (const library_item& it : items) {
        const bool ok = it.status == "done" && it.probabilities.size() == labels.size();
        const int top = ok ? library_top(it) : -1, second = ok ? library_second(it) : -1;
        out += csv_field(it.file) + "," + csv_field(it.status) + "," + csv_field(one_line(it.error)) + "," +
               fixed(it.duration_s, 3) + ",";
        out += (top >= 0 ? csv_field(labels[static_cast<size_t>(top)]) : "") + ",";
        out += (top >= 0 ? fixed(it.probabilities[static_cast<size_t>(top)], 6) : "") + ",";
        out += (second >= 0 ? csv_field(labels[static_cast<size_t>(second)]) : "") + ",";
        out += (second >= 0 ? fixed(it.probabilities[static_cast<size_t>(second)], 6) : "") + ",";
        out += ok ? (it.uncertain ? "true," : "false,") : ",";
        out += ok ? (it.outside ? "true," : "false,") : ",";
        out += csv_field(it.sounds_like);
        for (size_t c = 0; c < labels.size(); ++c) out += "," + (ok ? fixed(it.probabilities[c], 6) : "");
        std::string tags;
        for (const library_tag& t : it.tags) tags += (tags.empty() ? "" : "; ") + t.name + ":" + fixed(t.score, 3);
        out += "," + csv_field(tags) + "\r\n";
    }
    return out;
}

std::string parse_library_csv(const std::string& text, std::vector<std::string>& labels, std::vector<library_item>& items) {
    labels.clear();
    items.clear();
    std::vector<std::vector<std::string>> rows;
    std::string err = csv_rows(text, rows);
    if (!err.empty()) return "library CSV: " + err;
    if (rows.empty()) return "library CSV: empty";
    const std::vector<std::string>& h = rows[0];
    const std::vector<std::string> fixed_cols = {"file", "status", "error", "duration_s", "genre", "confidence",
                                                 "second_genre", "second_confidence", "uncertain", "outside", "sounds_like"};
    if (h.size() < fixed_cols.size() + 1) return "library CSV: line 1: too few columns";
    for (size_t i = 0; i < fixed_cols.size(); ++i) {
        if (h[i] != fixed_cols[i]) return "library CSV: line 1: column " + std::to_string(i + 1) + " is '" + h[i] + "', expected '" + fixed_cols[i] + "'";
    }
    const size_t n_labels = h.size() - fixed_cols.size() - 1;
    for (size_t c = 0; c < n_labels; ++c) {
        const std::string& name = h[fixed_cols.size() + c];
        if (name.size() < 3 || name.compare(0, 2, "p_") != 0) return "library CSV: line 1: '" + name + "' is not a p_<label> column";
        labels.push_back(name.substr(2));
    }
    if (h.back() != "tags") return "library CSV: line 1: the last column must be 'tags'";
    for (size_t r = 1; r < rows.size(); ++r) {
        const std::vector<std::string>& f = rows[r];
        if (f.size() == 1 && f[0].empty()) continue;  // a blank line
        if (f.size() != h.size()) {
            return "library CSV: line " + std::to_string(r + 1) + ": " + std::to_string(f.size()) + " fields, expected " + std::to_string(h.size());
        }
        library_item it;
        it.file = f[0];
        it.status = f[1];
        it.error = f[2];
        it.duration_s = number_field(f[3]);
        if (!std::isfinite(it.duration_s)) it.duration_s = 0.0;
        it.uncertain = f[8] == "true";
        it.outside = f[9] == "true";
        it.sounds_like = f[10];
        if (it.status == "done") {
            for (size_t c = 0; c < n_labels; ++c) {
                const double p = number_field(f[fixed_cols.size() + c]);
                if (!std::isfinite(p)) return "library CSV: line " + std::to_string(r + 1) + ": bad probability for " + labels[c];
                it.probabilities.push_back(static_cast<float>(p));
            }
        }
        const std::string& tags = f.back();
        size_t start = 0;
        while (start < tags.size()) {
            size_t end = tags.find("; ", start);
            if (end == std::string::npos) end = tags.size();
            const std::string one = tags.substr(start, end - start);
            const size_t colon = one.rfind(':');
            if (colon != std::string::npos) it.tags.push_back({one.substr(0, colon), static_cast<float>(number_field(one.substr(colon + 1)))});
            start = end + 2;
        }
        items.push_back(it);
    }
    return "";
}

std::string library_json(const std::vector<std::string>& labels, const std::vector<library_item>& items,
                         const json_value& model_info, bool with_embeddings, const std::vector<float>& map_xy) {
    // Written item by item (a 10 000-song library with embeddings is ~100 MB of text; a DOM of it would take
    // gigabytes). The layout is json_write(..., 1)'s.
    json_value head = json_value::object();
    head.set("format", "genrescope-library");
    head.set("version", 1);
    head.set("model", model_info);
    json_value lj = json_value::array();
    for (const std::string& l : labels) lj.push_back(l);
    head.set("labels", lj);
    std::string out = json_write(head, 1);
    out.resize(out.size() - 2);  // drop "\n}": the items follow
    out += ",\n \"items\": [";
    for (size_t n = 0; n < items.size(); ++n) {
        const library_item& it = items[n];
        json_value o = json_value::object();
        o.set("file", it.file);
        o.set("status", it.status);
        if (!it.error.empty()) o.set("error", one_line(it.error));
        o.set("duration_s", it.duration_s);
        const bool ok = it.status == "done" && it.probabilities.size() == labels.size();
        if (ok) {
            const int top = library_top(it), second = library_second(it);
            o.set("genre", labels[static_cast<size_t>(top)]);
            o.set("confidence", static_cast<double>(it.probabilities[static_cast<size_t>(top)]));
            if (second >= 0) o.set("second_genre", labels[static_cast<size_t>(second)]);
            o.set("uncertain", it.uncertain);
            o.set("outside", it.outside);
            o.set("sounds_like", it.sounds_like);
            json_value p = json_value::object();
            for (size_t c = 0; c < labels.size(); ++c) p.set(labels[c], static_cast<double>(it.probabilities[c]));
            o.set("probabilities", p);
            json_value t = json_value::array();
            for (const library_tag& tag : it.tags) {
                t.push_back(json_value::object({{"name", tag.name}, {"score", static_cast<double>(tag.score)}}));
            }
            o.set("tags", t);
        }
        if (!it.content_sha256.empty()) o.set("sha256", it.content_sha256);
        if (with_embeddings && !it.embedding.empty()) {
            json_value e = json_value::array();
            for (float v : it.embedding) e.push_back(short_float(v));
            o.set("embedding", e);
        }
        out += n == 0 ? "\n  " : ",\n  ";
        out += json_write(o, -1);
    }
    out += items.empty() ? "]" : "\n ]";
    if (map_xy.size() == 2 * items.size() && !items.empty()) {
        out += ",\n \"map\": [";
        bool first = true;
        for (size_t i = 0; i < items.size(); ++i) {
            if (!std::isfinite(map_xy[2 * i]) || !std::isfinite(map_xy[2 * i + 1])) continue;
            out += first ? "\n  " : ",\n  ";
            first = false;
            out += json_write(json_value::object({{"file", items[i].file},
                                                  {"x", short_float(map_xy[2 * i])},
                                                  {"y", short_float(map_xy[2 * i + 1])}}), -1);
        }
        out += first ? "]" : "\n ]";
    }
    out += "\n}\n";
    return out;
}

std::string parse_library_json(const std::string& text, std::vector<std::string>& labels, std::vector<library_item>& items) {
    labels.clear();
    items.clear();
    json_value j;
    std::string err = json_parse(text, j);
    if (!err.empty()) return "library JSON: " + err;
    if (j["format"].as_string() != "genrescope-library") return "library JSON: not a genrescope-library document";
    for (const json_value& l : j["labels"].as_array()) {
        if (!l.is_string()) return "library JSON: labels must be strings";
        labels.push_back(l.as_string());
    }
    for (const json_value& o : j["items"].as_array()) {
        library_item it;
        it.file = o["file"].as_string();
        if (it.file.empty()) return "library JSON: an item without a file";
        it.status = o["status"].as_string();
        it.error = o["error"].as_string();
        it.duration_s = o["duration_s"].as_number(0.0);
        it.uncertain = o["uncertain"].as_bool();
        it.outside = o["outside"].as_bool();
        it.sounds_like = o["sounds_like"].as_string();
        if (it.status == "done") {
            for (const std::string& l : labels) {
                const json_value& p = o["probabilities"][l];
                if (!p.is_number()) return "library JSON: " + it.file + ": no probability for " + l;
                it.probabilities.push_back(static_cast<float>(p.as_number()));
            }
        }
        for (const json_value& t : o["tags"].as_array()) it.tags.push_back({t["name"].as_string(), static_cast<float>(t["score"].as_number())});
        it.content_sha256 = o["sha256"].as_string();
        for (const json_value& v : o["embedding"].as_array()) it.embedding.push_back(static_cast<float>(v.as_number(NAN)));
        items.push_back(it);
    }
    return "";
}

std::string library_m3u(const std::vector<library_item>& items, const std::vector<int>& order, const std::string& prefix) {
    std::string out = "#EXTM3U\n";
    for (int i : order) {
        if (i < 0 || static_cast<size_t>(i) >= items.size() || items[static_cast<size_t>(i)].status != "done") continue;
        const library_item& it = items[static_cast<size_t>(i)];
        out += "#EXTINF:" + std::to_string(static_cast<long long>(std::llround(it.duration_s))) + "," + one_line(base_name(it.file)) + "\n";
        out += prefix + one_line(it.file) + "\n";
    }
    return out;
}

std::vector<float> library_map(const std::vector<library_item>& items) {
    std::vector<float> out(2 * items.size(), std::numeric_limits<float>::quiet_NaN());
    const size_t dim = common_dim(items);
    std::vector<int> rows;
    std::vector<float> X;
    for (size_t i = 0; i < items.size(); ++i) {
        if (!has_embedding(items[i], dim)) continue;
        double norm = 0.0;
        for (float v : items[i].embedding) norm += static_cast<double>(v) * v;
        norm = std::sqrt(norm);
        rows.push_back(static_cast<int>(i));
        for (float v : items[i].embedding) X.push_back(norm > 0 ? static_cast<float>(v / norm) : 0.0f);
    }
    if (rows.empty()) return out;
    if (rows.size() == 1) {  // one point: the centre
        out[2 * static_cast<size_t>(rows[0])] = 0.0f;
        out[2 * static_cast<size_t>(rows[0]) + 1] = 0.0f;
        return out;
    }
    // Components from at most kMapFitRows evenly spaced songs and 100 subspace iterations (a map needs no more;
    // a 10 000-song library otherwise takes most of a minute), every song projected.
    constexpr size_t kMapFitRows = 1000;
    std::vector<int> fit;
    const size_t n_fit = std::min(rows.size(), kMapFitRows);
    for (size_t f = 0; f < n_fit; ++f) fit.push_back(static_cast<int>(n_fit > 1 ? f * (rows.size() - 1) / (n_fit - 1) : 0));
    const std::vector<float> P = pca_project_subset(X, static_cast<int>(rows.size()), static_cast<int>(dim), 2, fit, 100);
    if (P.size() != 2 * rows.size()) return out;
    for (size_t r = 0; r < rows.size(); ++r) {
        out[2 * static_cast<size_t>(rows[r])] = P[2 * r];
        out[2 * static_cast<size_t>(rows[r]) + 1] = P[2 * r + 1];
    }
    return out;
}

std::vector<library_neighbour> library_similar(const std::vector<library_item>& items, int query, int k) {
    std::vector<library_neighbour> out;
    const size_t dim = common_dim(items);
    if (query < 0 || static_cast<size_t>(query) >= items.size() || !has_embedding(items[static_cast<size_t>(query)], dim)) return out;
    const float* q = items[static_cast<size_t>(query)].embedding.data();
    for (size_t i = 0; i < items.size(); ++i) {
        if (static_cast<int>(i) == query || !has_embedding(items[i], dim)) continue;
        out.push_back({static_cast<int>(i), cosine_distance(q, items[i].embedding.data(), static_cast<int>(dim))});
    }
    auto closer = [](const library_neighbour& a, const library_neighbour& b) {
        return a.distance < b.distance || (a.distance == b.distance && a.index < b.index);
    };
    const size_t keep = k < 0 ? out.size() : std::min(out.size(), static_cast<size_t>(k));
    std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(keep), out.end(), closer);
    out.resize(keep);
    return out;
}

}  // namespace gs
