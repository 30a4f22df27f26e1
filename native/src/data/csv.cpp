// csv.cpp: an RFC 4180 CSV parser (quoted fields, "" escapes, CRLF), with line numbers for error messages.
#include "data/csv.h"

namespace gs {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

}  // namespace

std::string trim_blanks(const std::string& s) {
    size_t b = 0, e = s.size();
    while (b < e && is_blank(s[b])) ++b;
    while (e > b && (is_blank(s[e - 1]) || s[e - 1] == '\r')) --e;
    return s.substr(b, e - b);
}

std::string parse_csv(const std::string& text, std::vector<csv_record>& records) {
    records.clear();
    size_t i = 0;
    int line = 1;
    const size_t n = text.size();
    while (i < n) {
        csv_record rec;
        rec.line = line;
        bool record_done = false;
        while (!record_done) {
            size_t j = i;
            while (j < n && is_blank(text[j])) ++j;
            std::string field;
            if (j < n && text[j] == '"') {  // quoted field
                const int start_line = line;
                i = j + 1;
                for (;;) {
                    if (i >= n) return "line " + std::to_string(start_line) + ": unterminated quoted field";
                    if (text[i] == '"') {
                        if (i + 1 < n && text[i + 1] == '"') {
                            field += '"';
                            i += 2;
                            continue;
                        }
                        ++i;
                        break;
                    }
                    if (text[i] == '\n') ++line;
                    field += text[i++];
                }
                while (i < n && (is_blank(text[i]) || text[i] == '\r')) ++i;
                if (i < n && text[i] != ',' && text[i] != '\n') {
                    return "line " + std::to_string(line) + ": unexpected character after a closing quote";
                }
            } else {  // unquoted field: up to ',' or end of line
                size_t e = i;
                while (e < n && text[e] != ',' && text[e] != '\n') {
                    if (text[e] == '"') return "line " + std::to_string(line) + ": quote inside an unquoted field";
                    ++e;
                }
                field = trim_blanks(text.substr(i, e - i));
                i = e;
            }
            rec.fields.push_back(std::move(field));
            if (i < n && text[i] == ',') {
                ++i;
            } else {
                if (i < n) {  // '\n'
                    ++i;
                    ++line;
                }
                record_done = true;
            }
        }
        const bool blank = rec.fields.size() == 1 && rec.fields[0].empty();
        if (!blank) records.push_back(std::move(rec));
    }
    return "";
}

}  // namespace gs
