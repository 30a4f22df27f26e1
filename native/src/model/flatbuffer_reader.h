// flatbuffer_reader.h: a bounds-checked reader of the FlatBuffers wire format (tables, vtables, vectors, strings)
// for untrusted files, written from the format's description; tflite_reader.cpp decodes TFLite's schema with it.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

namespace gs {
namespace fb {

// ---- little-endian scalar reads (callers check bounds first) ----
template <class T>
inline T load(const uint8_t* p) {
    T v;
    std::memcpy(&v, p, sizeof(T));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    uint8_t b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    for (size_t i = 0; i < sizeof(T) / 2; ++i) std::swap(b[i], b[sizeof(T) - 1 - i]);
    std::memcpy(&v, b, sizeof(T));
#endif
    return v;
}

// A table located and checked: its position, its vtable and the table's inline size.
struct fb_table {
    uint64_t pos = 0;
    uint64_t vtable = 0;
    uint32_t vtable_size = 0;
    uint32_t table_size = 0;
};

// A vector located and checked: element count and the position of element 0.
struct fb_vector {
    uint32_t count = 0;
    uint64_t first = 0;
};

// The bounds-checked decoder. Every read goes through in_bounds(); the first error sticks.
class fb_reader {
public:
    fb_reader(const uint8_t* data, uint64_t size)
        : d_(data), n_(size), budget_(16 * size + (uint64_t(1) << 20)) {}

    const std::string& error() const { return err_; }
    uint64_t size() const { return n_; }

    bool fail(const std::string& msg) {
        if (err_.empty()) err_ = "tflite: " + msg;
        return false;
    }

    bool in_bounds(uint64_t pos, uint64_t len) const { return pos <= n_ && len <= n_ - pos; }

    // Charges `bytes` of decoded memory against the budget (16 x the file size + 1 MiB): FlatBuffers allow many
    // offsets to point at one object, so a small file could otherwise decode into an enormous model.
    bool charge(uint64_t bytes, const std::string& where) {
        if (bytes > budget_) {
            return fail(where + ": the decoded model would exceed " + std::to_string(16 * n_ + (uint64_t(1) << 20)) +
                        " bytes for a file of " + std::to_string(n_) + " (shared or repeated offsets)");
        }
        budget_ -= bytes;
        return true;
    }

    // The object a uoffset at `pos` points to (uoffsets always point forward, so nothing can loop).
    bool follow(uint64_t pos, uint64_t& target, const std::string& what) {
        if (!in_bounds(pos, 4)) return fail(what + ": offset at " + std::to_string(pos) + " is past the end of the file");
        const uint32_t off = load<uint32_t>(d_ + pos);
        if (off == 0) return fail(what + ": zero offset at " + std::to_string(pos));
        target = pos + off;
        if (target >= n_) {
            return fail(what + ": offset at " + std::to_string(pos) + " points to " + std::to_string(target) +
                        ", past the end of the file (" + std::to_string(n_) + " bytes)");
        }
        return true;
    }

    bool table_at(uint64_t pos, fb_table& t, const std::string& what) {
        if (!in_bounds(pos, 4)) return fail(what + ": table at " + std::to_string(pos) + " is past the end of the file");
        const int64_t vt = int64_t(pos) - int64_t(load<int32_t>(d_ + pos));
        if (vt < 0 || !in_bounds(uint64_t(vt), 4)) {
            return fail(what + ": vtable of the table at " + std::to_string(pos) + " is outside the file");
        }
        t.pos = pos;
        t.vtable = uint64_t(vt);
        t.vtable_size = load<uint16_t>(d_ + t.vtable);
        t.table_size = load<uint16_t>(d_ + t.vtable + 2);
        if (t.vtable_size < 4 || t.vtable_size % 2 != 0 || !in_bounds(t.vtable, t.vtable_size)) {
            return fail(what + ": bad vtable at " + std::to_string(t.vtable) + " (size " +
                        std::to_string(t.vtable_size) + ")");
        }
        if (t.table_size < 4 || !in_bounds(pos, t.table_size)) {
            return fail(what + ": table at " + std::to_string(pos) + " of " + std::to_string(t.table_size) +
                        " bytes runs past the end of the file");
        }
        return true;
    }

    // Position of field `id` holding `bytes` bytes inline, or 0 when absent. False on a field outside its table.
    bool field(const fb_table& t, int id, uint32_t bytes, uint64_t& pos, const std::string& what) {
        pos = 0;
        const uint32_t slot = 4 + 2 * uint32_t(id);
        if (slot + 2 > t.vtable_size) return true;  // older writer: field absent
        const uint16_t voff = load<uint16_t>(d_ + t.vtable + slot);
        if (voff == 0) return true;
        if (voff < 4 || uint32_t(voff) + bytes > t.table_size) {
            return fail(what + ": field " + std::to_string(id) + " at offset " + std::to_string(voff) +
                        " lies outside its table of " + std::to_string(t.table_size) + " bytes");
        }
        pos = t.pos + voff;
        return true;
    }

    template <class T>
    bool scalar(const fb_table& t, int id, T fallback, T& out, const std::string& what) {
        out = fallback;
        uint64_t p = 0;
        if (!field(t, id, sizeof(T), p, what)) return false;
        if (p) out = load<T>(d_ + p);
        return true;
    }

    // The target of an offset field; `target` 0 when the field is absent.
    bool offset_field(const fb_table& t, int id, uint64_t& target, const std::string& what) {
        target = 0;
        uint64_t p = 0;
        if (!field(t, id, 4, p, what)) return false;
        if (!p) return true;
        return follow(p, target, what);
    }

    bool sub_table(const fb_table& t, int id, fb_table& sub, bool& present, const std::string& what) {
        uint64_t target = 0;
        present = false;
        if (!offset_field(t, id, target, what)) return false;
        if (!target) return true;
        present = true;
        return table_at(target, sub, what) && charge(64, what);
    }

    bool vector_at(uint64_t target, uint32_t elem_size, fb_vector& v, const std::string& what) {
        if (!in_bounds(target, 4)) return fail(what + ": vector length at " + std::to_string(target) + " is past the end");
        v.count = load<uint32_t>(d_ + target);
        v.first = target + 4;
        if (uint64_t(v.count) * elem_size > n_ - v.first) {
            return fail(what + ": vector of " + std::to_string(v.count) + " elements at " + std::to_string(target) +
                        " runs past the end of the file");
        }
        return true;
    }

    // A vector field; count 0 when absent.
    bool vector_field(const fb_table& t, int id, uint32_t elem_size, fb_vector& v, const std::string& what) {
        v = fb_vector{};
        uint64_t target = 0;
        if (!offset_field(t, id, target, what)) return false;
        if (!target) return true;
        return vector_at(target, elem_size, v, what);
    }

    template <class T, class Out>
    bool scalar_vector(const fb_table& t, int id, std::vector<Out>& out, const std::string& what) {
        out.clear();
        fb_vector v;
        if (!vector_field(t, id, sizeof(T), v, what)) return false;
        if (!charge(uint64_t(v.count) * sizeof(Out), what)) return false;
        out.resize(v.count);
        for (uint32_t i = 0; i < v.count; ++i) out[i] = Out(load<T>(d_ + v.first + uint64_t(i) * sizeof(T)));
        return true;
    }

    // The i-th table of a vector of tables.
    bool table_element(const fb_vector& v, uint32_t i, fb_table& t, const std::string& what) {
        uint64_t target = 0;
        return follow(v.first + uint64_t(i) * 4, target, what) && table_at(target, t, what);
    }

    bool string_field(const fb_table& t, int id, std::string& out, const std::string& what) {
        out.clear();
        uint64_t target = 0;
        if (!offset_field(t, id, target, what)) return false;
        if (!target) return true;
        if (!in_bounds(target, 4)) return fail(what + ": string length at " + std::to_string(target) + " is past the end");
        const uint32_t len = load<uint32_t>(d_ + target);
        if (!in_bounds(target + 4, uint64_t(len) + 1)) {
            return fail(what + ": string of " + std::to_string(len) + " bytes at " + std::to_string(target) +
                        " runs past the end of the file");
        }
        if (d_[target + 4 + len] != 0) return fail(what + ": string at " + std::to_string(target) + " is not terminated");
        if (!charge(len, what)) return false;
        out.assign(reinterpret_cast<const char*>(d_ + target + 4), len);
        return true;
    }

private:
    const uint8_t* d_;
    uint64_t n_;
    uint64_t budget_;
    std::string err_;
};

}  // namespace fb
}  // namespace gs
