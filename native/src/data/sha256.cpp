// sha256.cpp: SHA-256 compression function, padding and the file/hex helpers.
#include "data/sha256.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace gs {

namespace {

// ref: FIPS 180-4 section 4.2.2: the first 32 bits of the fractional parts of the cube roots of the
// first 64 primes.
constexpr uint32_t kRoundConstants[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

// ref: FIPS 180-4 section 5.3.3: the first 32 bits of the fractional parts of the square roots of the
// first 8 primes.
constexpr uint32_t kInitialState[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

inline uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

inline uint32_t load_be32(const uint8_t* p) {
    return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

inline void store_be32(uint32_t v, uint8_t* p) {
    p[0] = uint8_t(v >> 24);
    p[1] = uint8_t(v >> 16);
    p[2] = uint8_t(v >> 8);
    p[3] = uint8_t(v);
}

}  // namespace

void sha256::init() {
    std::memcpy(state_, kInitialState, sizeof(state_));
    std::memset(buffer_, 0, sizeof(buffer_));
    buffer_used_ = 0;
    total_bytes_ = 0;
}

void sha256::compress(const uint8_t* block) {
    // ref: FIPS 180-4 section 6.2.2 (message schedule, then 64 rounds).
    uint32_t w[64];
    for (int t = 0; t < 16; ++t) w[t] = load_be32(block + 4 * t);
    for (int t = 16; t < 64; ++t) {
        const uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
        const uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    uint32_t a = state_[0], b = state_[1], c = state_[2], d = state_[3];
    uint32_t e = state_[4], f = state_[5], g = state_[6], h = state_[7];
    for (int t = 0; t < 64; ++t) {
        const uint32_t big_s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
        const uint32_t ch = (e & f) ^ (~e & g);
        const uint32_t t1 = h + big_s1 + ch + kRoundConstants[t] + w[t];
        const uint32_t big_s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
        const uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
        const uint32_t t2 = big_s0 + maj;
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    state_[0] += a;
    state_[1] += b;
    state_[2] += c;
    state_[3] += d;
    state_[4] += e;
    state_[5] += f;
    state_[6] += g;
    state_[7] += h;
}

void sha256::update(const void* data, size_t size) {
    if (size == 0) return;
    const uint8_t* p = static_cast<const uint8_t*>(data);
    total_bytes_ += size;
    if (buffer_used_ > 0) {  // top up the partial block first
        const size_t take = size < 64 - buffer_used_ ? size : 64 - buffer_used_;
        std::memcpy(buffer_ + buffer_used_, p, take);
        buffer_used_ += take;
        p += take;
        size -= take;
        if (buffer_used_ < 64) return;
        compress(buffer_);
        buffer_used_ = 0;
    }
    for (; size >= 64; p += 64, size -= 64) compress(p);  // whole blocks straight from the caller
    if (size > 0) {
        std::memcpy(buffer_, p, size);
        buffer_used_ = size;
    }
}

sha256_digest sha256::final() {
    // ref: FIPS 180-4 section 5.1.1: append 0x80, zeros to 56 mod 64, then the bit length (64-bit BE).
    const uint64_t bit_length = total_bytes_ * 8;
    buffer_[buffer_used_++] = 0x80;
    if (buffer_used_ > 56) {
        std::memset(buffer_ + buffer_used_, 0, 64 - buffer_used_);
        compress(buffer_);
        buffer_used_ = 0;
    }
    std::memset(buffer_ + buffer_used_, 0, 56 - buffer_used_);
    for (int i = 0; i < 8; ++i) buffer_[56 + i] = uint8_t(bit_length >> (56 - 8 * i));
    compress(buffer_);
    buffer_used_ = 0;
    sha256_digest out;
    for (int i = 0; i < 8; ++i) store_be32(state_[i], out.data() + 4 * i);
    return out;
}

sha256_digest sha256_bytes(const void* data, size_t size) {
    sha256 h;
    h.update(data, size);
    return h.final();
}

std::string to_hex(const uint8_t* bytes, size_t size) {
    static const char kDigits[] = "0123456789abcdef";
    std::string s(2 * size, '0');
    for (size_t i = 0; i < size; ++i) {
        s[2 * i] = kDigits[bytes[i] >> 4];
        s[2 * i + 1] = kDigits[bytes[i] & 15];
    }
    return s;
}

std::string sha256_hex(const void* data, size_t size) { return to_hex(sha256_bytes(data, size)); }

std::string sha256_file_hex(const std::string& path, std::string& hex_out) {
    hex_out.clear();
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return path + ": cannot open file (" + std::strerror(errno) + ")";
    sha256 h;
    uint8_t chunk[16384];
    bool failed = false;
    for (;;) {
        const size_t got = std::fread(chunk, 1, sizeof(chunk), f);
        h.update(chunk, got);
        if (got < sizeof(chunk)) {
            failed = std::ferror(f) != 0;
            break;
        }
    }
    std::fclose(f);
    if (failed) return path + ": read error";
    hex_out = to_hex(h.final());
    return "";
}

}  // namespace gs
