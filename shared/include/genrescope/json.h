// Small JSON document model with a strict RFC 8259 parser and a writer (memory only, no exceptions).
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace gs {

// One JSON value of any kind. Values own their children; copying copies the whole subtree.
// Objects keep their members in insertion order. Read accessors never fail: asking a value
// for the wrong kind returns a fallback (0, false, empty string/array/object, a null value).
class json_value {
public:
    enum class kind { null, boolean, number, string, array, object };
    using member = std::pair<std::string, json_value>;

    // Constructors are implicit so that values can be written inline: obj.set("n_fft", 2048).
    json_value() = default;                      // null
    json_value(std::nullptr_t) {}                // null
    json_value(bool b) : kind_(kind::boolean), bool_(b) {}
    json_value(double d) : kind_(kind::number), num_(d) {}
    json_value(int n) : json_value(static_cast<double>(n)) {}
    json_value(long n) : json_value(static_cast<double>(n)) {}
    json_value(long long n) : json_value(static_cast<double>(n)) {}
    json_value(unsigned n) : json_value(static_cast<double>(n)) {}
    json_value(unsigned long n) : json_value(static_cast<double>(n)) {}
    json_value(unsigned long long n) : json_value(static_cast<double>(n)) {}
    json_value(const char* s) : kind_(kind::string), str_(s ? s : "") {}
    json_value(std::string s) : kind_(kind::string), str_(std::move(s)) {}
    // Any other pointer would silently become a bool; refuse it at compile time.
    template <class T> json_value(const T*) = delete;

    // Factories. The value takes ownership of (moves from) the passed containers.
    static json_value array(std::vector<json_value> elements = {});
    static json_value object(std::vector<member> members = {});

    kind type() const { return kind_; }
    bool is_null() const { return kind_ == kind::null; }
    bool is_bool() const { return kind_ == kind::boolean; }
    bool is_number() const { return kind_ == kind::number; }
    bool is_string() const { return kind_ == kind::string; }
    bool is_array() const { return kind_ == kind::array; }
    bool is_object() const { return kind_ == kind::object; }

    // The number, or `fallback` if this is not a number.
    double as_number(double fallback = 0) const { return is_number() ? num_ : fallback; }
    // The number as an integer, or `fallback` if this is not a number, has a fractional part,
    // or lies outside +-2^53 (where doubles stop representing every integer).
    long long as_int(long long fallback = 0) const;
    // The boolean, or `fallback` if this is not a boolean.
    bool as_bool(bool fallback = false) const { return is_bool() ? bool_ : fallback; }
    // The string (UTF-8), or a reference to a static empty string if this is not a string.
    // The reference lives as long as this value is neither modified nor destroyed.
    const std::string& as_string() const;
    // The elements, or a static empty vector if this is not an array.
    const std::vector<json_value>& as_array() const;
    // The members in insertion order, or a static empty vector if this is not an object.
    const std::vector<member>& items() const;

    // Pointer to the member named `key` (first match), or nullptr if absent or not an object.
    // The pointer is owned by this value and is invalidated by any later modification.
    const json_value* find(const std::string& key) const;
    json_value* find(const std::string& key);
    // The member named `key`, or a reference to a static null value if absent / not an object.
    const json_value& operator[](const std::string& key) const;
    // Element `index` of an array, or a static null value if out of range / not an array.
    const json_value& operator[](size_t index) const;

    // Object: replaces the member named `key` in place, or appends it. A value that is not an
    // object is first reset to an empty object (its previous contents are discarded).
    void set(const std::string& key, json_value v);
    // Object: removes the member named `key`; returns whether it was present.
    bool erase(const std::string& key);
    // Array: appends `v`. A value that is not an array is first reset to an empty array.
    void push_back(json_value v);
    // Number of elements (array) or members (object); 0 for every other kind.
    size_t size() const;

    // Deep equality. Object members are compared in order; numbers with == (so NaN != NaN).
    bool operator==(const json_value& other) const;
    bool operator!=(const json_value& other) const { return !(*this == other); }

private:
    kind kind_ = kind::null;
    bool bool_ = false;
    double num_ = 0;
    std::string str_;
    std::vector<json_value> arr_;
    std::vector<member> obj_;
};

// Parses UTF-8 JSON text `text` (RFC 8259, strict: no comments, trailing commas, duplicate
// object keys, invalid UTF-8, lone surrogates, or numbers that overflow a double; a leading
// UTF-8 byte-order mark is ignored; nesting deeper than 256 arrays/objects is refused).
// Number parsing does not depend on the process locale.
// On success stores the document in `out` and returns "". On failure sets `out` to null and
// returns "LINE:COLUMN: message" (both 1-based; the column counts UTF-8 code points).
std::string json_parse(const std::string& text, json_value& out);

// Serialises `v` to UTF-8 JSON text and returns it. `indent` < 0 gives compact output
// (no whitespace); otherwise members/elements go on their own lines indented by `indent`
// spaces per level. Integral numbers below 2^63 in magnitude print as plain integers ("-0"
// for negative zero), other numbers as the shortest of %.15g/%.16g/%.17g that reads back
// exactly, with '.' whatever the process locale; NaN and infinities print as null.
// Invalid UTF-8 in strings is replaced by U+FFFD so the output always parses again.
std::string json_write(const json_value& v, int indent = 2);

}  // namespace gs
