// dataset.cpp: folder scanning, CSV lists, and the gtzan-ff / k-fold / list-folder / none splits.
//
// [SECTION] keys and small helpers
// [SECTION] scan_dataset
// [SECTION] read_list_csv (CSV: csv.h)
// [SECTION] make_split (split lists, k-fold)
#include "data/dataset.h"

#include "data/csv.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <map>
#include <random>
#include <system_error>
#include <unordered_map>
#include <utility>

namespace gs {

namespace fs = std::filesystem;

// [SECTION] keys and small helpers

namespace {

constexpr long long kMaxListFileBytes = 256LL << 20;  // CSV and split lists are read whole; refuse more

std::string lowercase(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// The last component of a '/'- or '\\'-separated path.
std::string file_name_of(const std::string& path) {
    const size_t slash = path.find_last_of("/\\");
    return slash == std::string::npos ? path : path.substr(slash + 1);
}


// Assigns label indices from the sorted, unique label set of out.tracks.
void index_labels(dataset& out) {
    out.labels.clear();
    for (const track& t : out.tracks) out.labels.push_back(t.label);
    std::sort(out.labels.begin(), out.labels.end());
    out.labels.erase(std::unique(out.labels.begin(), out.labels.end()), out.labels.end());
    for (track& t : out.tracks) {
        t.label_index = static_cast<int>(std::lower_bound(out.labels.begin(), out.labels.end(), t.label) -
                                         out.labels.begin());
    }
}

}  // namespace

std::string read_text_file(const std::string& path, std::string& out) {
    out.clear();
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return path + ": cannot open file";
    std::string err;
    char chunk[16384];
    for (;;) {
        const size_t got = std::fread(chunk, 1, sizeof(chunk), f);
        out.append(chunk, got);
        if (static_cast<long long>(out.size()) > kMaxListFileBytes) {
            err = path + ": file is larger than 256 MiB";
            break;
        }
        if (got < sizeof(chunk)) {
            if (std::ferror(f)) err = path + ": read error (is it a regular file?)";
            break;
        }
    }
    std::fclose(f);
    if (out.size() >= 3 && static_cast<unsigned char>(out[0]) == 0xEF &&
        static_cast<unsigned char>(out[1]) == 0xBB && static_cast<unsigned char>(out[2]) == 0xBF) {
        out.erase(0, 3);  // UTF-8 byte-order mark
    }
    return err;
}

bool is_audio_extension(const std::string& ext) {
    const std::string e = lowercase(!ext.empty() && ext[0] == '.' ? ext.substr(1) : ext);
    static const char* const kExtensions[] = {"wav", "wave", "au", "snd", "flac", "ogg", "oga", "opus", "mp3"};
    for (const char* k : kExtensions) {
        if (e == k) return true;
    }
    return false;
}

std::string track_key(const std::string& label, const std::string& path) {
    std::string name = file_name_of(path);
    const size_t dot = name.rfind('.');
    if (dot != std::string::npos && dot > 0 && is_audio_extension(name.substr(dot + 1))) name.resize(dot);
    return label + "/" + name;
}

// [SECTION] scan_dataset

namespace {

// Sorted names of the non-hidden entries of `dir` that satisfy keep(path). Returns "" or an error.
template <class Keep>
std::string list_dir(const fs::path& dir, Keep keep, std::vector<std::string>& names) {
    names.clear();
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec) return dir.string() + ": cannot list directory (" + ec.message() + ")";
    for (; it != fs::directory_iterator(); it.increment(ec)) {
        if (ec) return dir.string() + ": cannot list directory (" + ec.message() + ")";
        const std::string name = it->path().filename().string();
        if (name.empty() || name[0] == '.') continue;
        if (keep(it->path())) names.push_back(name);
    }
    if (ec) return dir.string() + ": cannot list directory (" + ec.message() + ")";
    std::sort(names.begin(), names.end());
    return "";
}

std::string scan_dataset_impl(const std::string& dir, dataset& out) {
    std::error_code ec;
    if (dir.empty() || !fs::is_directory(dir, ec)) return dir + ": not a directory";
    fs::path root(dir);
    if (fs::is_directory(root / "genres", ec)) root /= "genres";
    out.source = root.string();

    std::vector<std::string> label_dirs;
    std::string err = list_dir(root, [](const fs::path& p) {
        std::error_code e;
        return fs::is_directory(p, e);
    }, label_dirs);
    if (!err.empty()) return err;

    std::unordered_map<std::string, std::string> seen;  // key -> file name, to catch x.wav next to x.au
    for (const std::string& label : label_dirs) {
        std::vector<std::string> files;
        err = list_dir(root / label, [](const fs::path& p) {
            std::error_code e;
            return fs::is_regular_file(p, e) && is_audio_extension(p.extension().string());
        }, files);
        if (!err.empty()) return err;
        for (const std::string& name : files) {
            track t;
            t.path = (root / label / name).string();
            t.label = label;
            t.key = track_key(label, name);
            auto ins = seen.emplace(t.key, name);
            if (!ins.second) {
                return (root / label).string() + ": " + ins.first->second + " and " + name +
                       " have the same track key " + t.key + " (keep one of them)";
            }
            out.tracks.push_back(std::move(t));
        }
    }
    if (out.tracks.empty()) {
        return root.string() + ": no audio files found (expected DIR/<label>/*.wav|au|flac|ogg|opus|mp3 or "
                               "DIR/genres/<genre>/*)";
    }
    index_labels(out);  // labels = folders holding at least one audio file
    return "";
}

}  // namespace

std::string scan_dataset(const std::string& dir, dataset& out) {
    out = dataset{};
    std::string err;
    try {
        err = scan_dataset_impl(dir, out);
    } catch (const std::exception& e) {
        err = dir + ": " + e.what();
    }
    if (!err.empty()) out = dataset{};
    return err;
}

// [SECTION] read_list_csv (CSV: csv.h)

namespace {

std::string read_list_csv_impl(const std::string& csv_path, dataset& out) {
    std::string text;
    std::string err = read_text_file(csv_path, text);
    if (!err.empty()) return err;
    std::vector<csv_record> records;
    err = parse_csv(text, records);
    if (!err.empty()) return csv_path + ": " + err;
    size_t first = 0;
    if (!records.empty() && records[0].fields.size() == 2 && lowercase(records[0].fields[0]) == "path" &&
        lowercase(records[0].fields[1]) == "label") {
        first = 1;  // header
    }
    const fs::path base = fs::path(csv_path).parent_path();
    std::unordered_map<std::string, int> key_line;
    out.source = csv_path;
    for (size_t r = first; r < records.size(); ++r) {
        const csv_record& rec = records[r];
        const std::string where = csv_path + ": line " + std::to_string(rec.line) + ": ";
        if (rec.fields.size() != 2) {
            return where + "expected 2 fields (path,label), found " + std::to_string(rec.fields.size());
        }
        const std::string& path = rec.fields[0];
        const std::string& label = rec.fields[1];
        if (path.empty()) return where + "empty path";
        if (label.empty()) return where + "empty label";
        if (label.find_first_of("/\\") != std::string::npos) return where + "label '" + label + "' contains a slash";
        track t;
        const fs::path p(path);
        t.path = (p.is_relative() && !base.empty() ? (base / p).lexically_normal() : p).string();
        t.label = label;
        t.key = track_key(label, path);
        auto ins = key_line.emplace(t.key, rec.line);
        if (!ins.second) {
            return where + "duplicate track key " + t.key + " (also on line " + std::to_string(ins.first->second) +
                   ")";
        }
        out.tracks.push_back(std::move(t));
    }
    if (out.tracks.empty()) return csv_path + ": no rows (expected lines \"path,label\")";
    index_labels(out);
    return "";
}

}  // namespace

std::string read_list_csv(const std::string& csv_path, dataset& out) {
    out = dataset{};
    std::string err;
    try {
        err = read_list_csv_impl(csv_path, out);
    } catch (const std::exception& e) {
        err = csv_path + ": " + e.what();
    }
    if (!err.empty()) out = dataset{};
    return err;
}

// [SECTION] make_split (split lists, k-fold)

namespace {

// Reads a split list: one "[folders/]<label>/<file>" entry per line. Returns "" or an error.
std::string read_split_list(const std::string& path, std::vector<std::string>& keys) {
    keys.clear();
    std::string text;
    std::string err = read_text_file(path, text);
    if (!err.empty()) return err;
    size_t pos = 0;
    int line_no = 0;
    while (pos <= text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        const std::string line = trim_blanks(text.substr(pos, end - pos));
        ++line_no;
        pos = end + 1;
        if (line.empty() || line[0] == '#') continue;
        const size_t slash = line.find_last_of("/\\");
        if (slash == std::string::npos || slash == 0 || slash + 1 == line.size()) {
            return path + ": line " + std::to_string(line_no) + ": expected <label>/<file>, got '" + line + "'";
        }
        const std::string label = file_name_of(line.substr(0, slash));
        if (label.empty()) return path + ": line " + std::to_string(line_no) + ": empty label in '" + line + "'";
        keys.push_back(track_key(label, line.substr(slash + 1)));
    }
    return "";
}

// Finds DIR/<name>.txt or DIR/<name>_filtered.txt; "" when neither is a file.
std::string find_list(const fs::path& dir, const std::string& name) {
    std::error_code ec;
    for (const std::string& file : {name + ".txt", name + "_filtered.txt"}) {
        if (fs::is_regular_file(dir / file, ec)) return (dir / file).string();
    }
    return "";
}

std::string counts_text(const split& s) {
    return "train " + std::to_string(s.train.size()) + ", valid " + std::to_string(s.valid.size()) + ", test " +
           std::to_string(s.test.size()) + " tracks";
}

std::string split_from_lists(const dataset& d, const fs::path& dir, const std::string& name, bool require_all,
                             split& out, std::vector<std::string>& warnings) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return dir.string() + ": split folder not found";
    std::unordered_map<std::string, int> by_key;
    for (size_t i = 0; i < d.tracks.size(); ++i) by_key.emplace(d.tracks[i].key, static_cast<int>(i));

    const char* const set_names[3] = {"train", "valid", "test"};
    std::vector<int>* const sets[3] = {&out.train, &out.valid, &out.test};
    std::vector<int> owner(d.tracks.size(), -1);  // which set each track went to
    size_t total_missing = 0;
    for (int s = 0; s < 3; ++s) {
        const std::string list = find_list(dir, set_names[s]);
        if (list.empty()) {
            if (require_all || s == 0) {
                return dir.string() + ": no " + set_names[s] + ".txt or " + set_names[s] + "_filtered.txt";
            }
            warnings.push_back(std::string(set_names[s]) + ": no list in " + dir.string() + ", the set is empty");
            continue;
        }
        std::vector<std::string> keys;
        std::string err = read_split_list(list, keys);
        if (!err.empty()) return err;
        size_t listed = 0, missing = 0, duplicates = 0;
        std::string example;
        std::unordered_map<std::string, bool> seen_here;
        for (const std::string& key : keys) {
            if (!seen_here.emplace(key, true).second) {
                ++duplicates;
                continue;
            }
            ++listed;
            auto it = by_key.find(key);
            if (it == by_key.end()) {
                if (missing++ == 0) example = key;
                continue;
            }
            const int idx = it->second;
            if (owner[idx] >= 0) {
                return "track " + key + " is in both the " + set_names[owner[idx]] + " and the " + set_names[s] +
                       " lists";
            }
            owner[idx] = s;
            sets[s]->push_back(idx);
        }
        if (duplicates > 0) {
            warnings.push_back(std::string(set_names[s]) + ": " + std::to_string(duplicates) +
                               " duplicate lines in " + list + " ignored");
        }
        if (missing > 0) {
            warnings.push_back(std::string(set_names[s]) + ": " + std::to_string(missing) + " of " +
                               std::to_string(listed) + " listed tracks are missing, e.g. " + example);
        }
        total_missing += missing;
        std::sort(sets[s]->begin(), sets[s]->end());
    }
    const size_t unlisted = static_cast<size_t>(std::count(owner.begin(), owner.end(), -1));
    out.description = name + ": " + counts_text(out) + "; " + std::to_string(unlisted) + " of " +
                      std::to_string(d.tracks.size()) + " dataset tracks in no list (ignored); " +
                      std::to_string(total_missing) + " listed tracks missing";
    return "";
}

// Parses a decimal integer made of digits only (no sign, no spaces). False on anything else.
bool parse_small_int(const std::string& s, int& out) {
    if (s.empty() || s.size() > 6) return false;
    int v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + (c - '0');
    }
    out = v;
    return true;
}

// Uniform integer in [0, n) from raw mt19937 outputs by rejection (the same on every standard library,
// unlike std::uniform_int_distribution and std::shuffle).
uint32_t bounded(std::mt19937& rng, uint32_t n) {
    const uint64_t range = uint64_t(1) << 32;
    const uint64_t limit = range - range % n;
    for (;;) {
        const uint64_t r = rng();
        if (r < limit) return static_cast<uint32_t>(r % n);
    }
}

std::string split_kfold(const dataset& d, const std::string& spec, split& out) {
    const std::string usage = "bad split '" + spec + "': expected kfold:K:I with 2 <= K <= 100 and 0 <= I < K";
    const size_t colon = spec.find(':', 6);
    if (colon == std::string::npos) return usage;
    int k = 0, fold = 0;
    if (!parse_small_int(spec.substr(6, colon - 6), k) || !parse_small_int(spec.substr(colon + 1), fold)) {
        return usage;
    }
    if (k < 2 || k > 100 || fold >= k) return usage;
    if (d.tracks.size() < static_cast<size_t>(k)) {
        return "split " + spec + " needs at least " + std::to_string(k) + " tracks, the dataset has " +
               std::to_string(d.tracks.size());
    }
    std::map<int, std::vector<int>> by_label;  // label index -> track indices
    for (size_t i = 0; i < d.tracks.size(); ++i) by_label[d.tracks[i].label_index].push_back(static_cast<int>(i));
    const int valid_fold = k == 2 ? -1 : (fold + 1) % k;
    size_t deal = 0;  // round-robin position, carried across labels
    for (auto& entry : by_label) {
        std::vector<int>& idx = entry.second;
        std::sort(idx.begin(), idx.end(), [&](int a, int b) {  // keys are unique in scanned/CSV datasets
            const track& ta = d.tracks[a];
            const track& tb = d.tracks[b];
            return ta.key != tb.key ? ta.key < tb.key : ta.path < tb.path;
        });
        std::mt19937 rng(static_cast<uint32_t>(1234 + entry.first));
        for (size_t i = idx.size(); i > 1; --i) {  // ref: Fisher-Yates (Knuth, TAOCP vol. 2, algorithm P)
            std::swap(idx[i - 1], idx[bounded(rng, static_cast<uint32_t>(i))]);
        }
        for (int t : idx) {
            const int f = static_cast<int>(deal++ % static_cast<size_t>(k));
            (f == fold ? out.test : f == valid_fold ? out.valid : out.train).push_back(t);
        }
    }
    std::sort(out.train.begin(), out.train.end());
    std::sort(out.valid.begin(), out.valid.end());
    std::sort(out.test.begin(), out.test.end());
    out.description = spec + " (stratified " + std::to_string(k) + "-fold, test fold " + std::to_string(fold) +
                      (valid_fold >= 0 ? ", valid fold " + std::to_string(valid_fold) : ", no valid fold") +
                      "): " + counts_text(out);
    return "";
}

std::string make_split_impl(const dataset& d, const std::string& spec, const std::string& repo_split_dir,
                            split& out, std::vector<std::string>& warnings) {
    if (d.tracks.empty()) return "cannot split an empty dataset";
    std::string err;
    std::error_code ec;
    if (spec == "none") {
        for (size_t i = 0; i < d.tracks.size(); ++i) out.train.push_back(static_cast<int>(i));
        out.description = "none (every track in train): " + counts_text(out);
    } else if (spec == "gtzan-ff") {
        if (repo_split_dir.empty()) return "split gtzan-ff: the folder of the split lists is not set";
        err = split_from_lists(d, repo_split_dir, "gtzan-ff (fault-filtered, artist-conscious GTZAN split)", true,
                               out, warnings);
    } else if (spec.compare(0, 6, "kfold:") == 0) {
        err = split_kfold(d, spec, out);
    } else if (!spec.empty() && fs::is_directory(spec, ec)) {
        err = split_from_lists(d, spec, "lists in " + spec, false, out, warnings);
    } else {
        return "unknown split '" + spec + "': expected gtzan-ff, kfold:K:I, none, or a folder with train.txt, "
                                          "valid.txt, test.txt";
    }
    if (err.empty() && out.train.empty()) err = "split " + spec + ": the train set is empty (" + out.description + ")";
    return err;
}

}  // namespace

std::string make_split(const dataset& d, const std::string& spec, const std::string& repo_split_dir, split& out,
                       std::vector<std::string>& warnings) {
    out = split{};
    std::string err;
    try {
        err = make_split_impl(d, spec, repo_split_dir, out, warnings);
    } catch (const std::exception& e) {
        err = "split " + spec + ": " + e.what();
    }
    if (!err.empty()) out = split{};
    return err;
}

}  // namespace gs
