// library_files.cpp: the folder walk, the file names and the shard split of `genrescope library`.
#include "library_files.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "data/dataset.h"

namespace gs {

namespace fs = std::filesystem;

static std::string absolute_path(const fs::path& p) {
    std::error_code ec;
    fs::path a = fs::absolute(p, ec);
    if (ec) a = p;
    return a.lexically_normal().generic_string();
}

static std::string root_folder_name(const std::string& root) {
    fs::path p = fs::path(absolute_path(root));
    std::string name = p.filename().generic_string();
    if (name.empty()) name = p.parent_path().filename().generic_string();
    return name.empty() ? "root" : name;
}

std::string find_library_files(const std::vector<std::string>& roots, std::vector<library_file>& out,
                               std::vector<std::string>& warnings) {
    out.clear();
    for (const std::string& root : roots) {
        std::error_code ec;
        const fs::path rp(root);
        if (fs::is_regular_file(rp, ec)) {
            out.push_back({rp.generic_string(), absolute_path(rp)});
            continue;
        }
        if (!fs::is_directory(rp, ec)) {
            warnings.push_back(root + ": not a folder or a file");
            continue;
        }
        const std::string prefix = roots.size() > 1 ? root_folder_name(root) + "/" : "";
        fs::recursive_directory_iterator it(rp, fs::directory_options::skip_permission_denied, ec), end;
        if (ec) {
            warnings.push_back(root + ": cannot read the folder (" + ec.message() + ")");
            continue;
        }
        while (it != end) {
            const fs::path p = it->path();
            const std::string leaf = p.filename().generic_string();
            std::error_code e2;
            if (!leaf.empty() && leaf[0] == '.') {
                if (it->is_directory(e2)) it.disable_recursion_pending();
            } else if (it->is_regular_file(e2) && is_audio_extension(p.extension().generic_string())) {
                out.push_back({prefix + p.lexically_relative(rp).generic_string(), absolute_path(p)});
            }
            it.increment(ec);
            if (ec) {
                warnings.push_back(p.generic_string() + ": " + ec.message());
                break;
            }
        }
    }
    std::stable_sort(out.begin(), out.end(), [](const library_file& a, const library_file& b) { return a.name < b.name; });
    out.erase(std::unique(out.begin(), out.end(), [](const library_file& a, const library_file& b) { return a.name == b.name; }),
              out.end());
    if (out.empty()) return "no audio files found (wav, wave, au, snd, flac, ogg, oga, opus, mp3)";
    return "";
}

int library_shard_of(const std::string& name, int n) {
    uint64_t h = 14695981039346656037ULL;  // ref: FNV-1a 64-bit (offset basis, prime 1099511628211)
    for (unsigned char c : name) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    return n > 0 ? static_cast<int>(h % static_cast<uint64_t>(n)) : 0;
}

std::string parse_shard(const std::string& text, int& index, int& count) {
    const size_t slash = text.find('/');
    auto number = [](const std::string& s, int& v) {
        if (s.empty() || s.size() > 6 || s.find_first_not_of("0123456789") != std::string::npos) return false;
        v = std::stoi(s);
        return true;
    };
    if (slash == std::string::npos || !number(text.substr(0, slash), index) || !number(text.substr(slash + 1), count) ||
        count < 1 || count > 100000 || index >= count) {
        return "--shard wants I/N with 0 <= I < N (e.g. 0/4), got '" + text + "'";
    }
    return "";
}

}  // namespace gs
