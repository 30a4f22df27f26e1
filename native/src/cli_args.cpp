// cli_args.cpp: option parsing with range-checked numeric getters.
#include "cli_args.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace gs {

cli_args::cli_args(int argc, char** argv, int first, const std::vector<std::string>& valued,
                   const std::vector<std::string>& flags) {
    for (int i = first; i < argc; ++i) {
        const std::string a = argv[i];
        if (a.size() > 2 && a.compare(0, 2, "--") == 0) {
            std::string name = a.substr(2);
            std::string value;
            const size_t eq = name.find('=');
            const bool inline_value = eq != std::string::npos;
            if (inline_value) {
                value = name.substr(eq + 1);
                name = name.substr(0, eq);
            }
            if (std::find(flags.begin(), flags.end(), name) != flags.end()) {
                values_[name] = "1";
            } else if (std::find(valued.begin(), valued.end(), name) != valued.end()) {
                if (!inline_value) {
                    if (i + 1 >= argc) {
                        if (error_.empty()) error_ = "option --" + name + " needs a value";
                        continue;
                    }
                    value = argv[++i];
                }
                values_[name] = value;
            } else if (error_.empty()) {
                error_ = "unknown option --" + name;
            }
        } else {
            positional_.push_back(a);
        }
    }
}

std::string cli_args::get(const std::string& name, const std::string& fallback) const {
    auto it = values_.find(name);
    return it == values_.end() ? fallback : it->second;
}

int cli_args::get_int(const std::string& name, int fallback, int lo, int hi) {
    if (!has(name)) return fallback;
    const std::string s = get(name);
    char* end = nullptr;
    errno = 0;
    const long v = std::strtol(s.c_str(), &end, 10);
    if (s.empty() || *end != '\0' || errno != 0 || v < lo || v > hi) {
        if (error_.empty()) {
            error_ = "--" + name + " must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                     "], got '" + s + "'";
        }
        return fallback;
    }
    return static_cast<int>(v);
}

double cli_args::get_double(const std::string& name, double fallback, double lo, double hi) {
    if (!has(name)) return fallback;
    const std::string s = get(name);
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (s.empty() || *end != '\0' || !std::isfinite(v) || v < lo || v > hi) {
        if (error_.empty()) error_ = "--" + name + " must be a number in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got '" + s + "'";
        return fallback;
    }
    return v;
}

}  // namespace gs
