// sha256.h: SHA-256 (FIPS 180-4), incremental and one-shot, with hex helpers (cache keys, model checksums).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace gs {

// A SHA-256 digest: 32 bytes, most significant byte of the first word first (the usual hex order).
using sha256_digest = std::array<uint8_t, 32>;

// Incremental SHA-256. Usage: init() (the constructor calls it), update() any number of times with
// chunks of any size, then final(). After final() the state is spent: call init() before hashing again.
// Holds no pointers to caller data. Not thread-safe; copyable (a copy continues the same message).
class sha256 {
public:
    sha256() { init(); }

    // Resets to the FIPS 180-4 initial hash value with an empty message.
    void init();

    // Appends `size` bytes at `data` to the message. data may be null only when size is 0; it is read,
    // not retained. Messages up to 2^61 - 1 bytes are supported (the standard's 2^64-bit limit).
    void update(const void* data, size_t size);
    void update(const std::string& s) { update(s.data(), s.size()); }

    // Pads the message and returns its digest.
    sha256_digest final();

private:
    void compress(const uint8_t* block);  // one 64-byte block into state_

    uint32_t state_[8];
    uint8_t buffer_[64];      // the partial block not yet compressed
    size_t buffer_used_ = 0;  // bytes in buffer_, 0..63
    uint64_t total_bytes_ = 0;
};

// One-shot digest of `size` bytes at `data` (may be null only when size is 0; not retained).
sha256_digest sha256_bytes(const void* data, size_t size);

// Lowercase hex of `size` bytes at `bytes` (2 * size characters).
std::string to_hex(const uint8_t* bytes, size_t size);
inline std::string to_hex(const sha256_digest& d) { return to_hex(d.data(), d.size()); }

// One-shot digest as 64 lowercase hex characters.
std::string sha256_hex(const void* data, size_t size);
inline std::string sha256_hex(const std::string& s) { return sha256_hex(s.data(), s.size()); }

// Hashes the file at `path` in chunks (any size; not loaded whole). On success writes 64 lowercase hex
// characters to hex_out and returns ""; otherwise returns a one-line error naming the file and leaves
// hex_out empty.
std::string sha256_file_hex(const std::string& path, std::string& hex_out);

}  // namespace gs
