// cli_args.h: a small command-line option reader: positional arguments plus --name [value] options.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace gs {

// Parses argv[first..argc). Options are "--name value" or "--flag"; `flags` names those without a value.
// Unknown options are an error, reported by error(). Positional arguments keep their order.
class cli_args {
public:
    cli_args(int argc, char** argv, int first, const std::vector<std::string>& valued,
             const std::vector<std::string>& flags);

    const std::string& error() const { return error_; }
    const std::vector<std::string>& positional() const { return positional_; }
    bool has(const std::string& name) const { return values_.count(name) > 0; }
    std::string get(const std::string& name, const std::string& fallback = "") const;

    // Typed getters: on a malformed value they record an error (see error()) and return the fallback.
    int get_int(const std::string& name, int fallback, int lo, int hi);
    double get_double(const std::string& name, double fallback, double lo, double hi);

private:
    std::map<std::string, std::string> values_;
    std::vector<std::string> positional_;
    std::string error_;
};

}  // namespace gs
