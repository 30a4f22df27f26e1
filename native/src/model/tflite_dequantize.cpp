// tflite_dequantize.cpp: a TFLite tensor's constant values as float (float16 converted, integers dequantised).
#include "tflite_reader.h"

#include "flatbuffer_reader.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <new>

namespace gs {

namespace {

using fb::load;

// IEEE 754 half -> float, exactly (subnormals, infinities and NaN included).
float half_to_float(uint16_t h) {
    const uint32_t sign = uint32_t(h >> 15) << 31;
    const uint32_t exp = (h >> 10) & 0x1f;
    uint32_t mant = h & 0x3ff;
    uint32_t bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else {  // subnormal: normalise
            int e = -1;
            do {
                ++e;
                mant <<= 1;
            } while ((mant & 0x400) == 0);
            bits = sign | (uint32_t(127 - 15 - e) << 23) | ((mant & 0x3ff) << 13);
        }
    } else if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (mant << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    }
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

}  // namespace

std::string tflite_dequantize(const tflite_model& m, const uint8_t* data, size_t size, int tensor,
                              std::vector<float>& out, std::vector<int64_t>& shape) {
    out.clear();
    shape.clear();
    if (m.subgraphs.empty()) return "tflite: the model has no subgraph";
    const tflite_subgraph& g = m.subgraphs[0];
    if (tensor < 0 || size_t(tensor) >= g.tensors.size()) {
        return "tflite: tensor " + std::to_string(tensor) + " of " + std::to_string(g.tensors.size());
    }
    const tflite_tensor& t = g.tensors[size_t(tensor)];
    const std::string what = "tflite: tensor " + std::to_string(tensor) + " (" + t.name + ")";
    if (t.buffer >= m.buffers.size()) {
        return what + " names buffer " + std::to_string(t.buffer) + " of " + std::to_string(m.buffers.size());
    }
    const tflite_buffer& b = m.buffers[t.buffer];
    if (t.buffer == 0 || b.size == 0) return what + " has no constant data (an activation or an input)";
    if (b.offset > size || b.size > size - b.offset) return what + ": its buffer lies outside the given bytes";
    const int64_t count = tflite_element_count(t.shape);
    const size_t esize = tflite_type_size(t.type);
    switch (t.type) {
        case tflite_type::float32: case tflite_type::float16: case tflite_type::int8: case tflite_type::uint8:
        case tflite_type::int16: case tflite_type::int32: case tflite_type::int64: break;
        default: return what + ": type " + std::string(to_string(t.type)) + " cannot be dequantised";
    }
    if (count < 0 || uint64_t(count) > b.size / esize || uint64_t(count) * esize != b.size) {
        return what + ": " + std::to_string(b.size) + " bytes for " + std::to_string(count) + " " +
               to_string(t.type) + " elements";
    }
    const tflite_quantization& q = t.quant;
    const bool is_float = t.type == tflite_type::float32 || t.type == tflite_type::float16;
    const bool quantised = !is_float && !q.scale.empty();
    size_t channels = 1, inner = 1;
    if (quantised) {
        if (!q.zero_point.empty() && q.zero_point.size() != q.scale.size()) {
            return what + ": " + std::to_string(q.scale.size()) + " scales but " + std::to_string(q.zero_point.size()) +
                   " zero points";
        }
        for (float s : q.scale) {
            if (!std::isfinite(s)) return what + " has a non-finite scale";
        }
        channels = q.scale.size();
        if (channels > 1 || (q.quantized_dimension > 0 && size_t(q.quantized_dimension) < t.shape.size())) {
            if (q.quantized_dimension < 0 || size_t(q.quantized_dimension) >= t.shape.size()) {
                return what + ": quantized_dimension " + std::to_string(q.quantized_dimension) + " of a rank-" +
                       std::to_string(t.shape.size()) + " tensor";
            }
            const int32_t dim = t.shape[size_t(q.quantized_dimension)];
            if (channels > 1 && size_t(dim) != channels) {
                return what + ": " + std::to_string(channels) + " scales for " + std::to_string(dim) +
                       " channels along dim " + std::to_string(q.quantized_dimension);
            }
            for (size_t k = size_t(q.quantized_dimension) + 1; k < t.shape.size(); ++k) inner *= size_t(t.shape[k]);
        }
    }
    try {
        out.resize(size_t(count));
    } catch (const std::bad_alloc&) {
        out.clear();
        return what + ": out of memory";
    }
    const uint8_t* p = data + b.offset;
    for (size_t i = 0; i < size_t(count); ++i) {
        const uint8_t* e = p + i * esize;
        double v = 0.0;
        switch (t.type) {
            case tflite_type::float32: out[i] = load<float>(e); continue;
            case tflite_type::float16: out[i] = half_to_float(load<uint16_t>(e)); continue;
            case tflite_type::int8: v = double(load<int8_t>(e)); break;
            case tflite_type::uint8: v = double(*e); break;
            case tflite_type::int16: v = double(load<int16_t>(e)); break;
            case tflite_type::int32: v = double(load<int32_t>(e)); break;
            case tflite_type::int64: v = double(load<int64_t>(e)); break;
            default: break;
        }
        if (quantised) {
            const size_t c = channels > 1 ? (i / inner) % channels : 0;
            const double zp = q.zero_point.empty() ? 0.0 : double(q.zero_point[c]);
            v = (v - zp) * double(q.scale[c]);
        }
        out[i] = float(v);
    }
    shape.assign(t.shape.begin(), t.shape.end());
    return "";
}

}  // namespace gs
