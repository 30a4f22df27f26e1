// csv.h: an RFC 4180 CSV parser for the project's small text tables (dataset lists, class maps).
#pragma once

#include <string>
#include <vector>

namespace gs {

struct csv_record {
    int line = 0;  // 1-based line where the record starts
    std::vector<std::string> fields;
};

// `s` without blanks (spaces, tabs) at either end and without a trailing carriage return.
std::string trim_blanks(const std::string& s);

// Splits `text` into records. Quoted fields keep their content verbatim ("" -> "); unquoted fields are
// trimmed of blanks (and a trailing CR). Blank lines give no record. Returns "" or "line N: problem".
std::string parse_csv(const std::string& text, std::vector<csv_record>& records);

}  // namespace gs
