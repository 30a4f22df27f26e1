// Implementation of the gs::json_value document model, its strict parser and its writer.
#include "genrescope/json.h"

#include <cerrno>
#include <clocale>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unordered_set>

namespace gs {

namespace {

const int max_depth = 256;

// Decodes one UTF-8 sequence at s[i] (n bytes available). On success stores the code point
// and its length and returns true; rejects overlong forms, surrogates and values > U+10FFFF.
bool utf8_decode(const unsigned char* s, size_t n, size_t i, uint32_t& cp, size_t& len) {
    unsigned char c = s[i];
    if (c < 0x80) {
        cp = c;
        len = 1;
        return true;
    }
    uint32_t min;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2; cp = c & 0x1F; min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3; cp = c & 0x0F; min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4; cp = c & 0x07; min = 0x10000;
    } else {
        return false;
    }
    if (n - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
        unsigned char cc = s[i + k];
        if ((cc & 0xC0) != 0x80) return false;
        cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    return true;
}

void utf8_append(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
        return;
    }
    static const unsigned lead[] = {0, 0xC0, 0xE0, 0xF0};
    int extra = cp < 0x800 ? 1 : cp < 0x10000 ? 2 : 3;
    out += static_cast<char>(lead[extra] | (cp >> (6 * extra)));
    for (int k = extra - 1; k >= 0; --k) out += static_cast<char>(0x80 | ((cp >> (6 * k)) & 0x3F));
}

// The decimal point of the current C locale (usually "."; "," in e.g. de_DE).
std::string locale_decimal_point() {
    const struct lconv* lc = std::localeconv();
    if (lc && lc->decimal_point && lc->decimal_point[0]) return lc->decimal_point;
    return ".";
}

// Converts a number already validated against the JSON grammar. strtod honours the process
// locale's decimal point, so the '.' is swapped for it first; the result is then the same
// under every locale. Returns false on overflow to infinity.
bool convert_number(const char* begin, size_t len, double& out) {
    std::string buf(begin, len);
    size_t dot = buf.find('.');
    if (dot != std::string::npos) {
        std::string point = locale_decimal_point();
        if (point != ".") buf.replace(dot, 1, point);
    }
    errno = 0;
    char* end = nullptr;
    double d = std::strtod(buf.c_str(), &end);
    if (end != buf.c_str() + buf.size()) return false;
    if (errno == ERANGE && std::isinf(d)) return false;
    out = d;
    return true;
}

class parser {
public:
    explicit parser(const std::string& text)
        : s_(reinterpret_cast<const unsigned char*>(text.data())), n_(text.size()) {}

    std::string run(json_value& out) {
        if (n_ >= 3 && s_[0] == 0xEF && s_[1] == 0xBB && s_[2] == 0xBF) pos_ = start_ = 3;
        skip_ws();
        if (!parse_value(out, 0)) return error_text();
        skip_ws();
        if (pos_ != n_) {
            fail("unexpected data after the JSON value");
            return error_text();
        }
        return "";
    }

private:
    const unsigned char* s_;
    size_t n_;
    size_t pos_ = 0;
    size_t start_ = 0;  // 3 when a byte-order mark was skipped
    size_t err_pos_ = 0;
    std::string err_;

    bool fail(const std::string& msg) { return fail_at(pos_, msg); }
    bool fail_at(size_t at, const std::string& msg) {
        if (err_.empty()) {
            err_pos_ = at;
            err_ = msg;
        }
        return false;
    }

    std::string error_text() const {
        size_t line = 1, col = 1;
        for (size_t i = start_; i < err_pos_ && i < n_; ++i) {
            if (s_[i] == '\n') {
                ++line;
                col = 1;
            } else if ((s_[i] & 0xC0) != 0x80) {
                ++col;  // continuation bytes do not start a new code point
            }
        }
        return std::to_string(line) + ":" + std::to_string(col) + ": " + err_;
    }

    void skip_ws() {
        while (pos_ < n_ && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' ||
                             s_[pos_] == '\r'))
            ++pos_;
    }

    bool literal(const char* word) {
        size_t len = std::strlen(word);
        if (n_ - pos_ < len || std::memcmp(s_ + pos_, word, len) != 0) {
            return fail("invalid literal (expected a JSON value)");
        }
        pos_ += len;
        return true;
    }

    bool parse_value(json_value& out, int depth) {
        if (pos_ >= n_) return fail("unexpected end of input (expected a JSON value)");
        switch (s_[pos_]) {
        case '{': return parse_container(out, depth + 1, true);
        case '[': return parse_container(out, depth + 1, false);
        case '"': {
            std::string str;
            if (!parse_string(str)) return false;
            out = json_value(std::move(str));
            return true;
        }
        case 't': if (!literal("true")) return false; out = json_value(true); return true;
        case 'f': if (!literal("false")) return false; out = json_value(false); return true;
        case 'n': if (!literal("null")) return false; out = json_value(); return true;
        default:
            if (s_[pos_] == '-' || (s_[pos_] >= '0' && s_[pos_] <= '9')) return parse_number(out);
            return fail("unexpected character (expected a JSON value)");
        }
    }

    bool digit_at(size_t i) const { return i < n_ && s_[i] >= '0' && s_[i] <= '9'; }

    bool parse_number(json_value& out) {
        size_t start = pos_;
        size_t i = pos_;
        if (s_[i] == '-') ++i;
        if (!digit_at(i)) return fail_at(i, "invalid number: expected a digit");
        if (s_[i] == '0') {
            ++i;
            if (digit_at(i)) return fail_at(i, "invalid number: leading zero");
        } else {
            while (digit_at(i)) ++i;
        }
        if (i < n_ && s_[i] == '.') {
            ++i;
            if (!digit_at(i)) return fail_at(i, "invalid number: expected a digit after '.'");
            while (digit_at(i)) ++i;
        }
        if (i < n_ && (s_[i] == 'e' || s_[i] == 'E')) {
            ++i;
            if (i < n_ && (s_[i] == '+' || s_[i] == '-')) ++i;
            if (!digit_at(i)) return fail_at(i, "invalid number: expected a digit in exponent");
            while (digit_at(i)) ++i;
        }
        double d = 0;
        if (!convert_number(reinterpret_cast<const char*>(s_ + start), i - start, d)) {
            return fail_at(start, "number out of range");
        }
        pos_ = i;
        out = json_value(d);
        return true;
    }

    // Reads 4 hex digits at pos_ into v.
    bool hex4(uint32_t& v) {
        if (n_ - pos_ < 4) return fail("unterminated \\u escape");
        v = 0;
        for (size_t k = 0; k < 4; ++k) {
            unsigned char c = s_[pos_ + k];
            uint32_t d;
            if (c >= '0' && c <= '9') d = c - '0';
            else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
            else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
            else return fail_at(pos_ + k, "invalid hex digit in \\u escape");
            v = (v << 4) | d;
        }
        pos_ += 4;
        return true;
    }

    bool parse_escape(std::string& out) {
        static const char names[] = "\"\\/bfnrt", values[] = "\"\\/\b\f\n\r\t";
        size_t esc_start = pos_;  // at the backslash
        ++pos_;
        if (pos_ >= n_) return fail("unterminated string");
        unsigned char c = s_[pos_++];
        if (c != 'u') {
            const char* hit = c ? std::strchr(names, c) : nullptr;
            if (!hit) return fail_at(esc_start, "invalid escape sequence");
            out += values[hit - names];
            return true;
        }
        uint32_t cp;
        if (!hex4(cp)) return false;
        if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return fail_at(esc_start, "unpaired low surrogate in \\u escape");
        }
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (n_ - pos_ < 2 || s_[pos_] != '\\' || s_[pos_ + 1] != 'u') {
                return fail_at(esc_start, "high surrogate not followed by a low surrogate");
            }
            pos_ += 2;
            uint32_t lo;
            if (!hex4(lo)) return false;
            if (lo < 0xDC00 || lo > 0xDFFF) {
                return fail_at(esc_start, "high surrogate not followed by a low surrogate");
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        utf8_append(out, cp);
        return true;
    }

    bool parse_string(std::string& out) {
        size_t start = pos_;
        ++pos_;  // opening quote
        while (true) {
            if (pos_ >= n_) return fail_at(start, "unterminated string");
            unsigned char c = s_[pos_];
            if (c == '"') {
                ++pos_;
                return true;
            }
            if (c == '\\') {
                if (!parse_escape(out)) return false;
            } else if (c < 0x20) {
                return fail("control character in string (must be escaped)");
            } else {
                uint32_t cp;
                size_t len;
                if (!utf8_decode(s_, n_, pos_, cp, len)) return fail("invalid UTF-8 in string");
                out.append(reinterpret_cast<const char*>(s_ + pos_), len);
                pos_ += len;
            }
        }
    }

    // Parses an array (is_obj false) or an object starting at its opening bracket.
    bool parse_container(json_value& out, int depth, bool is_obj) {
        if (depth > max_depth) return fail("nesting too deep (limit 256)");
        const unsigned char close = is_obj ? '}' : ']';
        const std::string what = is_obj ? "object" : "array";
        std::vector<json_value> elems;
        std::vector<json_value::member> members;
        std::unordered_set<std::string> seen;  // object keys so far, to refuse duplicates
        ++pos_;
        for (bool first = true;; first = false) {
            skip_ws();
            if (pos_ < n_ && s_[pos_] == close) {
                if (!first) return fail("trailing comma in " + what);
                ++pos_;
                break;
            }
            json_value* slot;
            if (is_obj) {
                if (pos_ >= n_) return fail("unexpected end of input (expected a key)");
                if (s_[pos_] != '"') return fail("expected a string key");
                size_t key_pos = pos_;
                std::string key;
                if (!parse_string(key)) return false;
                if (!seen.insert(key).second) {
                    return fail_at(key_pos, "duplicate key \"" + key + "\"");
                }
                skip_ws();
                if (pos_ >= n_ || s_[pos_] != ':') return fail("expected ':' after key");
                ++pos_;
                skip_ws();
                members.emplace_back(std::move(key), json_value());
                slot = &members.back().second;
            } else {
                elems.emplace_back();
                slot = &elems.back();
            }
            if (!parse_value(*slot, depth)) return false;
            skip_ws();
            if (pos_ >= n_) return fail("unexpected end of input in " + what);
            if (s_[pos_] == close) {
                ++pos_;
                break;
            }
            if (s_[pos_] != ',') {
                return fail(std::string("expected ',' or '") + char(close) + "' in " + what);
            }
            ++pos_;
        }
        out = is_obj ? json_value::object(std::move(members)) : json_value::array(std::move(elems));
        return true;
    }
};

// Writes `d`: integral values below 2^63 as plain integers, others as the shortest of
// %.15g/%.16g/%.17g that reads back exactly, always with '.' whatever the locale.
void write_number(std::string& out, double d) {
    if (!std::isfinite(d)) {
        out += "null";
        return;
    }
    const double int_limit = 9223372036854775808.0;  // 2^63: long long holds it exactly
    if (std::trunc(d) == d && d > -int_limit && d < int_limit) {
        out += (d == 0 && std::signbit(d)) ? "-0" : std::to_string(static_cast<long long>(d));
        return;
    }
    char buf[40];
    for (int prec = 15; prec <= 17; ++prec) {
        std::snprintf(buf, sizeof buf, "%.*g", prec, d);
        if (prec == 17 || std::strtod(buf, nullptr) == d) break;  // same locale both ways
    }
    std::string text(buf), point = locale_decimal_point();
    size_t at = point == "." ? std::string::npos : text.find(point);
    if (at != std::string::npos) text.replace(at, point.size(), ".");
    out += text;
}

void write_string(std::string& out, const std::string& s) {
    static const char hex[] = "0123456789abcdef";
    static const char specials[] = "\"\\\b\f\n\r\t", names[] = "\"\\bfnrt";
    const unsigned char* p = reinterpret_cast<const unsigned char*>(s.data());
    size_t n = s.size();
    out += '"';
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        uint32_t cp;
        size_t len = 1;
        const char* hit = c ? std::strchr(specials, c) : nullptr;
        if (c >= 0x80) {
            if (utf8_decode(p, n, i, cp, len)) out.append(s, i, len);
            else { out += "\xEF\xBF\xBD"; len = 1; }  // U+FFFD for the one bad byte
        } else if (hit) {
            out += '\\';
            out += names[hit - specials];
        } else if (c < 0x20) {
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 0xF];
        } else {
            out += static_cast<char>(c);
        }
        i += len;
    }
    out += '"';
}

void newline(std::string& out, int indent, int level) {
    if (indent < 0) return;
    out += '\n';
    out.append(static_cast<size_t>(indent) * static_cast<size_t>(level), ' ');
}

void write_value(std::string& out, const json_value& v, int indent, int level) {
    switch (v.type()) {
    case json_value::kind::null: out += "null"; return;
    case json_value::kind::boolean: out += v.as_bool() ? "true" : "false"; return;
    case json_value::kind::number: write_number(out, v.as_number()); return;
    case json_value::kind::string: write_string(out, v.as_string()); return;
    case json_value::kind::array:
    case json_value::kind::object: break;
    }
    const bool is_obj = v.is_object();
    const size_t n = v.size();
    out += is_obj ? '{' : '[';
    for (size_t i = 0; i < n; ++i) {
        if (i) out += ',';
        newline(out, indent, level + 1);
        if (is_obj) {
            write_string(out, v.items()[i].first);
            out += indent < 0 ? ":" : ": ";
        }
        write_value(out, is_obj ? v.items()[i].second : v.as_array()[i], indent, level + 1);
    }
    if (n) newline(out, indent, level);
    out += is_obj ? '}' : ']';
}

const std::string empty_string;
const std::vector<json_value> empty_array;
const std::vector<json_value::member> empty_object;
const json_value null_value;

}  // namespace

json_value json_value::array(std::vector<json_value> elements) {
    json_value v;
    v.kind_ = kind::array;
    v.arr_ = std::move(elements);
    return v;
}

json_value json_value::object(std::vector<member> members) {
    json_value v;
    v.kind_ = kind::object;
    v.obj_ = std::move(members);
    return v;
}

long long json_value::as_int(long long fallback) const {
    const double limit = 9007199254740992.0;  // 2^53
    if (!is_number() || !(num_ >= -limit && num_ <= limit) || std::trunc(num_) != num_) {
        return fallback;
    }
    return static_cast<long long>(num_);
}

const std::string& json_value::as_string() const { return is_string() ? str_ : empty_string; }

const std::vector<json_value>& json_value::as_array() const {
    return is_array() ? arr_ : empty_array;
}

const std::vector<json_value::member>& json_value::items() const {
    return is_object() ? obj_ : empty_object;
}

const json_value* json_value::find(const std::string& key) const {
    if (!is_object()) return nullptr;
    for (const auto& m : obj_)
        if (m.first == key) return &m.second;
    return nullptr;
}

json_value* json_value::find(const std::string& key) {
    return const_cast<json_value*>(static_cast<const json_value*>(this)->find(key));
}

const json_value& json_value::operator[](const std::string& key) const {
    const json_value* v = find(key);
    return v ? *v : null_value;
}

const json_value& json_value::operator[](size_t index) const {
    return is_array() && index < arr_.size() ? arr_[index] : null_value;
}

void json_value::set(const std::string& key, json_value v) {
    if (!is_object()) *this = object();
    if (json_value* existing = find(key)) {
        *existing = std::move(v);
        return;
    }
    obj_.emplace_back(key, std::move(v));
}

bool json_value::erase(const std::string& key) {
    if (!is_object()) return false;
    for (auto it = obj_.begin(); it != obj_.end(); ++it) {
        if (it->first == key) {
            obj_.erase(it);
            return true;
        }
    }
    return false;
}

void json_value::push_back(json_value v) {
    if (!is_array()) *this = array();
    arr_.push_back(std::move(v));
}

size_t json_value::size() const {
    if (is_array()) return arr_.size();
    if (is_object()) return obj_.size();
    return 0;
}

bool json_value::operator==(const json_value& other) const {
    if (kind_ != other.kind_) return false;
    switch (kind_) {
    case kind::null: return true;
    case kind::boolean: return bool_ == other.bool_;
    case kind::number: return num_ == other.num_;
    case kind::string: return str_ == other.str_;
    case kind::array: return arr_ == other.arr_;
    case kind::object: return obj_ == other.obj_;
    }
    return false;
}

std::string json_parse(const std::string& text, json_value& out) {
    json_value result;
    parser p(text);
    std::string err = p.run(result);
    out = err.empty() ? std::move(result) : json_value();
    return err;
}

std::string json_write(const json_value& v, int indent) {
    std::string out;
    write_value(out, v, indent, 0);
    return out;
}

}  // namespace gs
