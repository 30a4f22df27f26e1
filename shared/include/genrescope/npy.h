// In-memory encoder/decoder for NumPy .npy arrays (format versions 1.0, 2.0 and 3.0).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace gs {

// A decoded array: `shape` in C (row-major) order, `data` holds product(shape) floats
// (1 for a 0-d array). Owns its storage.
struct npy_array {
    std::vector<size_t> shape;
    std::vector<float> data;
};

// Encodes `data` (product(shape) float32 values, C order; may be null when that product is 0)
// as a .npy file the way numpy.save writes it: descr '<f4', fortran_order False, version 1.0
// (2.0 only if the header would not fit a 16-bit length), header padded with spaces and a
// final '\n' so the data starts at a multiple of 64 bytes. The caller keeps ownership of
// `data`; the returned bytes belong to the caller. Returns an empty vector if `data` is null
// while product(shape) > 0, or if the element count or byte size overflows size_t.
std::vector<uint8_t> npy_encode(const float* data, const std::vector<size_t>& shape);

// Decodes the .npy file in bytes[0, size) (not retained; need not be aligned) into `out`.
// Accepts only the little-endian descrs '<f4', '<f8', '<i2', '<i4' and '<i8', converting every
// element to float (f8/i4/i8 values are rounded to the nearest float); fortran_order must be
// False. Validates the magic, the version, the header length
// and syntax, and that the data size equals product(shape) * itemsize exactly (overflow safe;
// never reads outside the buffer). Returns "" on success, otherwise an error message, in
// which case `out` is left empty.
std::string npy_decode(const uint8_t* bytes, size_t size, npy_array& out);

}  // namespace gs
