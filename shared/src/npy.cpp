// Implementation of the in-memory .npy encoder/decoder (gs::npy_encode, gs::npy_decode).
#include "genrescope/npy.h"

#include <cstring>
#include <limits>

namespace gs {

namespace {

const char magic[] = "\x93NUMPY";
const size_t magic_len = 6;
const size_t array_align = 64;
// numpy.save leaves room for the first axis to grow to this many digits (numpy >= 1.24).
const size_t growth_axis_max_digits = 21;
const size_t max_ndim = 64;

// Multiplies a * b into out; returns false on size_t overflow.
bool checked_mul(size_t a, size_t b, size_t& out) {
    if (a != 0 && b > std::numeric_limits<size_t>::max() / a) return false;
    out = a * b;
    return true;
}

uint64_t read_le(const uint8_t* p, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
    return v;
}

// Parses the Python dict literal of a .npy header, e.g.
// {'descr': '<f4', 'fortran_order': False, 'shape': (12, 130), }
class header_parser {
public:
    header_parser(const char* s, size_t n) : s_(s), n_(n) {}

    std::string parse(std::string& descr, bool& fortran, std::vector<size_t>& shape) {
        bool have_descr = false, have_fortran = false, have_shape = false;
        skip_ws();
        if (!eat('{')) return "header: expected '{'";
        while (true) {
            skip_ws();
            if (eat('}')) break;
            std::string key;
            if (!parse_str(key)) return "header: expected a quoted key";
            skip_ws();
            if (!eat(':')) return "header: expected ':' after key '" + key + "'";
            skip_ws();
            if (key == "descr") {
                if (have_descr) return "header: duplicate key 'descr'";
                if (!parse_str(descr)) return "header: 'descr' must be a string";
                have_descr = true;
            } else if (key == "fortran_order") {
                if (have_fortran) return "header: duplicate key 'fortran_order'";
                if (!parse_bool(fortran)) return "header: 'fortran_order' must be True or False";
                have_fortran = true;
            } else if (key == "shape") {
                if (have_shape) return "header: duplicate key 'shape'";
                std::string err = parse_shape(shape);
                if (!err.empty()) return err;
                have_shape = true;
            } else {
                return "header: unexpected key '" + key + "'";
            }
            skip_ws();
            if (eat(',')) continue;
            skip_ws();
            if (eat('}')) break;
            return "header: expected ',' or '}'";
        }
        skip_ws();
        if (pos_ != n_) return "header: unexpected data after the dictionary";
        if (!have_descr || !have_fortran || !have_shape) {
            return "header: needs 'descr', 'fortran_order' and 'shape'";
        }
        return "";
    }

private:
    const char* s_;
    size_t n_;
    size_t pos_ = 0;

    void skip_ws() {
        while (pos_ < n_ && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' ||
                             s_[pos_] == '\r'))
            ++pos_;
    }
    bool eat(char c) {
        if (pos_ < n_ && s_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }
    bool eat_word(const char* w) {
        size_t len = std::strlen(w);
        if (n_ - pos_ < len || std::memcmp(s_ + pos_, w, len) != 0) return false;
        pos_ += len;
        return true;
    }
    // A Python string literal without escapes, in single or double quotes.
    bool parse_str(std::string& out) {
        if (pos_ >= n_ || (s_[pos_] != '\'' && s_[pos_] != '"')) return false;
        char q = s_[pos_++];
        size_t start = pos_;
        while (pos_ < n_ && s_[pos_] != q) {
            if (s_[pos_] == '\\' || s_[pos_] == '\n') return false;
            ++pos_;
        }
        if (pos_ >= n_) return false;
        out.assign(s_ + start, pos_ - start);
        ++pos_;
        return true;
    }
    bool parse_bool(bool& out) {
        if (eat_word("True")) out = true;
        else if (eat_word("False")) out = false;
        else return false;
        return true;
    }
    // A tuple of non-negative integers: (), (5,), (3, 4) or (3, 4,). A Python 2 'L' suffix
    // (written by very old numpy) is accepted.
    std::string parse_shape(std::vector<size_t>& shape) {
        shape.clear();
        if (!eat('(')) return "header: 'shape' must be a tuple";
        bool trailing_comma = false;
        while (true) {
            skip_ws();
            if (eat(')')) break;
            if (pos_ >= n_ || s_[pos_] < '0' || s_[pos_] > '9') {
                return "header: 'shape' entries must be non-negative integers";
            }
            size_t v = 0;
            while (pos_ < n_ && s_[pos_] >= '0' && s_[pos_] <= '9') {
                size_t digit = static_cast<size_t>(s_[pos_] - '0');
                if (!checked_mul(v, 10, v) || v > std::numeric_limits<size_t>::max() - digit) {
                    return "header: 'shape' entry too large";
                }
                v += digit;
                ++pos_;
            }
            eat('L');
            if (shape.size() >= max_ndim) return "header: too many dimensions";
            shape.push_back(v);
            skip_ws();
            trailing_comma = eat(',');
            if (trailing_comma) continue;
            skip_ws();
            if (eat(')')) break;
            return "header: expected ',' or ')' in 'shape'";
        }
        // In Python "(5)" is the integer 5, not a tuple.
        if (shape.size() == 1 && !trailing_comma) return "header: 'shape' must be a tuple";
        return "";
    }
};

// Converts `count` elements of `itemsize` bytes at p into floats according to `kind`.
void convert(const uint8_t* p, size_t count, char kind, size_t itemsize, float* out) {
    for (size_t i = 0; i < count; ++i, p += itemsize) {
        uint64_t raw = read_le(p, itemsize);
        if (kind == 'f' && itemsize == 4) {
            uint32_t bits = static_cast<uint32_t>(raw);
            std::memcpy(&out[i], &bits, 4);
        } else if (kind == 'f') {
            double d;
            std::memcpy(&d, &raw, 8);
            out[i] = static_cast<float>(d);
        } else if (itemsize == 2) {
            out[i] = static_cast<float>(static_cast<int16_t>(static_cast<uint16_t>(raw)));
        } else if (itemsize == 4) {
            out[i] = static_cast<float>(static_cast<int32_t>(static_cast<uint32_t>(raw)));
        } else {
            out[i] = static_cast<float>(static_cast<int64_t>(raw));
        }
    }
}

void put_le(std::vector<uint8_t>& out, uint64_t v, size_t n) {
    for (size_t i = 0; i < n; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

}  // namespace

std::vector<uint8_t> npy_encode(const float* data, const std::vector<size_t>& shape) {
    size_t count = 1;
    for (size_t d : shape)
        if (!checked_mul(count, d, count)) return {};
    size_t data_bytes;
    if (!checked_mul(count, 4, data_bytes)) return {};
    if (!data && count != 0) return {};

    std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
    for (size_t i = 0; i < shape.size(); ++i) {
        if (i) dict += ", ";
        dict += std::to_string(shape[i]);
    }
    if (shape.size() == 1) dict += ',';
    dict += "), }";
    if (!shape.empty()) {
        size_t digits = std::to_string(shape[0]).size();
        if (digits < growth_axis_max_digits) dict.append(growth_axis_max_digits - digits, ' ');
    }
    // Pad so that magic + version + length field + header (ending in '\n') is 64-aligned;
    // like numpy, an already aligned header still gets a full block of padding.
    uint8_t major = 1;
    size_t len_field = 2;
    std::string header;
    for (;;) {
        size_t unpadded = magic_len + 2 + len_field + dict.size() + 1;
        header = dict;
        header.append(array_align - unpadded % array_align, ' ');
        header += '\n';
        if (major == 2 || header.size() <= 0xFFFF) break;
        major = 2;
        len_field = 4;
    }
    if (header.size() > 0xFFFFFFFFu) return {};

    std::vector<uint8_t> out;
    size_t prefix = magic_len + 2 + len_field + header.size();
    if (data_bytes > std::numeric_limits<size_t>::max() - prefix) return {};
    out.reserve(prefix + data_bytes);
    out.insert(out.end(), magic, magic + magic_len);
    out.push_back(major);
    out.push_back(0);
    put_le(out, header.size(), len_field);
    out.insert(out.end(), header.begin(), header.end());
    for (size_t i = 0; i < count; ++i) {
        uint32_t bits;
        std::memcpy(&bits, &data[i], 4);
        put_le(out, bits, 4);
    }
    return out;
}

std::string npy_decode(const uint8_t* bytes, size_t size, npy_array& out) {
    out.shape.clear();
    out.data.clear();
    if (!bytes && size) return "npy: null buffer";
    if (size < magic_len + 2 || std::memcmp(bytes, magic, magic_len) != 0) {
        return "npy: missing \\x93NUMPY magic";
    }
    uint8_t major = bytes[magic_len], minor = bytes[magic_len + 1];
    if (major < 1 || major > 3 || minor != 0) {
        return "npy: unsupported format version " + std::to_string(major) + "." +
               std::to_string(minor);
    }
    size_t len_field = major == 1 ? 2 : 4;
    size_t pos = magic_len + 2;
    if (size - pos < len_field) return "npy: truncated header length";
    uint64_t header_len = read_le(bytes + pos, len_field);
    pos += len_field;
    if (header_len > size - pos) return "npy: header extends past the end of the data";
    const char* header = reinterpret_cast<const char*>(bytes + pos);
    pos += static_cast<size_t>(header_len);

    std::string descr;
    bool fortran = false;
    std::vector<size_t> shape;
    std::string err = header_parser(header, static_cast<size_t>(header_len))
                          .parse(descr, fortran, shape);
    if (!err.empty()) return "npy: " + err;
    if (fortran) return "npy: fortran_order True is not supported";

    char kind;
    size_t itemsize;
    if (descr == "<f4") { kind = 'f'; itemsize = 4; }
    else if (descr == "<f8") { kind = 'f'; itemsize = 8; }
    else if (descr == "<i2") { kind = 'i'; itemsize = 2; }
    else if (descr == "<i4") { kind = 'i'; itemsize = 4; }
    else if (descr == "<i8") { kind = 'i'; itemsize = 8; }
    else return "npy: unsupported dtype '" + descr + "'";

    size_t count = 1, needed = 0;
    for (size_t d : shape)
        if (!checked_mul(count, d, count)) return "npy: shape element count overflows";
    if (!checked_mul(count, itemsize, needed)) return "npy: shape byte size overflows";
    size_t available = size - pos;
    if (available != needed) {
        return "npy: shape needs " + std::to_string(needed) + " data bytes but " +
               std::to_string(available) + " are present";
    }
    std::vector<float> data(count);
    convert(bytes + pos, count, kind, itemsize, data.data());
    out.shape = std::move(shape);
    out.data = std::move(data);
    return "";
}

}  // namespace gs
