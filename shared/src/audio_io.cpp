// audio_io.cpp: WAV / AU decoding to mono float and WAV / AU encoding, all on memory buffers.
#include "genrescope/audio_io.h"

#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <new>
#include <utility>

namespace gs {
namespace {

// ---------------------------------------------------------------- byte access (no casts)

uint16_t rd_u16le(const uint8_t* p) { return uint16_t(p[0] | (p[1] << 8)); }
uint32_t rd_u32le(const uint8_t* p) {
    return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
}
uint32_t rd_u32be(const uint8_t* p) {
    return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}
uint64_t rd_u64le(const uint8_t* p) { return uint64_t(rd_u32le(p)) | (uint64_t(rd_u32le(p + 4)) << 32); }
uint64_t rd_u64be(const uint8_t* p) { return (uint64_t(rd_u32be(p)) << 32) | uint64_t(rd_u32be(p + 4)); }

float bits_to_float(uint32_t u) { float f; std::memcpy(&f, &u, sizeof f); return f; }
double bits_to_double(uint64_t u) { double d; std::memcpy(&d, &u, sizeof d); return d; }
uint32_t float_to_bits(float f) { uint32_t u; std::memcpy(&u, &f, sizeof u); return u; }
uint64_t double_to_bits(double d) { uint64_t u; std::memcpy(&u, &d, sizeof u); return u; }

// Two's-complement sign extension of the low `bits` bits of u.
int32_t sign_extend(uint32_t u, int bits) {
    const uint32_t m = uint32_t(1) << (bits - 1);
    return int32_t(int64_t((u ^ m)) - int64_t(m));
}

// ---------------------------------------------------------------- mu-law

// G.711 mu-law expansion (the table libsndfile uses): -32124..32124.
constexpr int32_t mulaw_linear(uint32_t code) {
    const uint32_t u = ~code & 0xFFu;
    const int32_t magnitude = ((int32_t((u & 0x0Fu) << 3) + 0x84) << ((u >> 4) & 7u)) - 0x84;
    return (u & 0x80u) ? -magnitude : magnitude;
}

// Decoded values of all 256 mu-law codes, scaled to [-1, 1] as libsndfile does (/32768).
struct mulaw_float_table { float v[256]; };
constexpr mulaw_float_table make_mulaw_floats() {
    mulaw_float_table t{};
    for (uint32_t c = 0; c < 256; ++c) t.v[c] = float(mulaw_linear(c)) / 32768.0f;
    return t;
}
constexpr mulaw_float_table mulaw_floats = make_mulaw_floats();

// The mu-law code whose decoded value is nearest to x (16-bit units); halfway picks the smaller
// magnitude. Codes 0xFF - k (k = 0..127) decode to rising magnitudes; 0x7F - k are their negatives.
uint8_t linear_to_mulaw_nearest(double x) {
    if (std::isnan(x)) x = 0;
    const double a = std::fabs(x);
    uint32_t lo = 0, hi = 127;  // find the first k whose magnitude is >= a (or 127)
    while (lo < hi) {
        const uint32_t mid = (lo + hi) / 2;
        if (mulaw_linear(0xFF - mid) < a) lo = mid + 1; else hi = mid;
    }
    if (lo > 0 && a - mulaw_linear(0xFF - (lo - 1)) <= mulaw_linear(0xFF - lo) - a) --lo;
    return uint8_t(x < 0 ? 0x7F - lo : 0xFF - lo);
}

// ---------------------------------------------------------------- sample decoding

enum class sample_kind { u8, s8, mulaw, s16le, s16be, s24le, s24be, s32le, s32be, f32le, f32be, f64le, f64be };

size_t kind_bytes(sample_kind k) {
    static const size_t bytes[13] = {1, 1, 1, 2, 2, 3, 3, 4, 4, 4, 4, 8, 8};
    return bytes[size_t(k)];
}

// One sample as float, scaled like libsndfile: integers divided by 2^(bits-1) (the int -> float
// conversion rounds once, the power-of-two scale is exact), doubles rounded to float.
template <sample_kind K>
float read_sample(const uint8_t* p) {
    switch (K) {
    case sample_kind::u8: return float(int(p[0]) - 128) / 128.0f;
    case sample_kind::s8: return float(sign_extend(p[0], 8)) / 128.0f;
    case sample_kind::mulaw: return mulaw_floats.v[p[0]];
    case sample_kind::s16le: return float(sign_extend(rd_u16le(p), 16)) / 32768.0f;
    case sample_kind::s16be: return float(sign_extend(uint32_t(p[0]) << 8 | p[1], 16)) / 32768.0f;
    case sample_kind::s24le:
        return float(sign_extend(uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16, 24)) / 8388608.0f;
    case sample_kind::s24be:
        return float(sign_extend(uint32_t(p[0]) << 16 | uint32_t(p[1]) << 8 | uint32_t(p[2]), 24)) / 8388608.0f;
    case sample_kind::s32le: return float(sign_extend(rd_u32le(p), 32)) / 2147483648.0f;
    case sample_kind::s32be: return float(sign_extend(rd_u32be(p), 32)) / 2147483648.0f;
    case sample_kind::f32le: return bits_to_float(rd_u32le(p));
    case sample_kind::f32be: return bits_to_float(rd_u32be(p));
    case sample_kind::f64le: return float(bits_to_double(rd_u64le(p)));
    case sample_kind::f64be: return float(bits_to_double(rd_u64be(p)));
    }
    return 0.0f;
}

// Writes one mono value per frame: the single channel as is, or the float sum of the channels
// (accumulated in channel order) divided by the channel count, like numpy's mean in float32.
template <sample_kind K>
void downmix(const uint8_t* p, size_t n_frames, size_t n_channels, float* out) {
    const size_t sb = kind_bytes(K);
    if (n_channels == 1) {
        for (size_t i = 0; i < n_frames; ++i, p += sb) out[i] = read_sample<K>(p);
        return;
    }
    const float n = float(n_channels);
    for (size_t i = 0; i < n_frames; ++i) {
        float sum = 0.0f;
        for (size_t c = 0; c < n_channels; ++c, p += sb) sum += read_sample<K>(p);
        out[i] = sum / n;
    }
}

using downmix_fn = void (*)(const uint8_t*, size_t, size_t, float*);
const downmix_fn downmixers[13] = {
    downmix<sample_kind::u8>,    downmix<sample_kind::s8>,    downmix<sample_kind::mulaw>,
    downmix<sample_kind::s16le>, downmix<sample_kind::s16be>, downmix<sample_kind::s24le>,
    downmix<sample_kind::s24be>, downmix<sample_kind::s32le>, downmix<sample_kind::s32be>,
    downmix<sample_kind::f32le>, downmix<sample_kind::f32be>, downmix<sample_kind::f64le>,
    downmix<sample_kind::f64be>};

// Decodes the whole frames in data[0, n_bytes) into out.samples (a partial trailing frame is
// ignored). The caller guarantees that n_bytes bytes are readable and 1 <= n_channels <= max_channels.
std::string decode_frames(const char* prefix, const uint8_t* data, uint64_t n_bytes, int n_channels,
                          sample_kind kind, audio_buffer& out) {
    const uint64_t frame_bytes = uint64_t(kind_bytes(kind)) * uint64_t(n_channels);  // <= 8 * 65535
    const uint64_t n_frames = n_bytes / frame_bytes;
    if (n_frames > max_decoded_samples) {
        return std::string(prefix) + ": " + std::to_string(n_frames) + " frames exceed the limit of " +
               std::to_string(max_decoded_samples) + " output samples";
    }
    try {
        out.samples.resize(size_t(n_frames));
    } catch (const std::bad_alloc&) {
        return std::string(prefix) + ": out of memory allocating " + std::to_string(n_frames) + " samples";
    }
    downmixers[size_t(kind)](data, size_t(n_frames), size_t(n_channels), out.samples.data());
    return "";
}

// Runs a decoder into a scratch buffer so that `out` is only filled on success; turns any
// exception into an error line.
template <class Fn>
std::string guarded(const char* prefix, const uint8_t* data, size_t size, audio_buffer& out, Fn fn) {
    out = audio_buffer{};
    if (data == nullptr && size != 0) return std::string(prefix) + ": null buffer with nonzero size";
    try {
        audio_buffer tmp;
        std::string err = fn(data, size, tmp);
        if (!err.empty()) return err;
        out = std::move(tmp);
        return "";
    } catch (const std::bad_alloc&) {
        out = audio_buffer{};
        return std::string(prefix) + ": out of memory";
    } catch (...) {
        out = audio_buffer{};
        return std::string(prefix) + ": internal error";
    }
}

// Chunk id made safe for a one-line message.
std::string printable_id(const uint8_t* p) {
    std::string s(4, '?');
    for (size_t i = 0; i < 4; ++i) {
        if (p[i] >= 0x20 && p[i] < 0x7f) s[i] = char(p[i]);
    }
    return s;
}

// ---------------------------------------------------------------- WAV

// KSDATAFORMAT_SUBTYPE_{PCM,IEEE_FLOAT}: the format tag as a 4-byte LE value, then these 12 bytes.
const size_t guid_tail_len = 12;
const uint8_t guid_tail[guid_tail_len] = {0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};

struct wav_fmt {
    int n_channels = 0;
    int sample_rate_hz = 0;
    sample_kind kind = sample_kind::s16le;
    std::string description;
};

// A readable name for well-known unsupported WAV format tags (with a leading space), or "".
const char* tag_name(uint32_t tag) {
    switch (tag) {
    case 0x0002: return " (MS ADPCM)";
    case 0x0006: return " (A-law)";
    case 0x0007: return " (mu-law)";
    case 0x0011: return " (IMA ADPCM)";
    case 0x0055: return " (MPEG layer 3)";
    default: return "";
    }
}

// Parses and validates a fmt chunk body of fsize readable bytes into fmt; returns "" or an error.
std::string parse_wav_fmt(const uint8_t* f, uint32_t fsize, wav_fmt& fmt) {
    if (fsize < 16) return "wav: fmt chunk too short (" + std::to_string(fsize) + " bytes, need 16)";
    uint32_t tag = rd_u16le(f);
    const uint32_t channels = rd_u16le(f + 2);
    const uint32_t rate = rd_u32le(f + 4);
    const uint32_t block_align = rd_u16le(f + 12);
    const uint32_t bits = rd_u16le(f + 14);
    if (channels == 0) return "wav: fmt chunk declares 0 channels";
    if (rate == 0) return "wav: fmt chunk declares a sample rate of 0 Hz";
    if (rate > uint32_t(INT_MAX)) return "wav: sample rate " + std::to_string(rate) + " Hz out of range";

    bool extensible = false;
    uint32_t valid_bits = bits;
    if (tag == 0xFFFE) {
        extensible = true;
        if (fsize < 40) {
            return "wav: WAVE_FORMAT_EXTENSIBLE fmt chunk too short (" + std::to_string(fsize) + " bytes, need 40)";
        }
        const uint32_t cb_size = rd_u16le(f + 16);
        if (cb_size < 22) return "wav: WAVE_FORMAT_EXTENSIBLE cbSize " + std::to_string(cb_size) + " < 22";
        valid_bits = rd_u16le(f + 18);
        if (valid_bits == 0) valid_bits = bits;
        const uint32_t sub = rd_u32le(f + 24);
        if ((sub != 1 && sub != 3) || std::memcmp(f + 28, guid_tail, guid_tail_len) != 0) {
            return "wav: unsupported WAVE_FORMAT_EXTENSIBLE sub-format (only PCM and IEEE float)";
        }
        if (valid_bits > bits) {
            return "wav: valid bits " + std::to_string(valid_bits) + " exceed container bits " + std::to_string(bits);
        }
        if (bits % 8 != 0) return "wav: extensible container of " + std::to_string(bits) + " bits is not whole bytes";
        tag = sub;
    }

    uint32_t container_bytes = 0;
    if (tag == 1) {
        if (bits < 1 || bits > 32) return "wav: unsupported PCM bit depth " + std::to_string(bits);
        container_bytes = (bits + 7) / 8;
        static const sample_kind pcm_kinds[4] = {sample_kind::u8, sample_kind::s16le, sample_kind::s24le,
                                                 sample_kind::s32le};
        fmt.kind = pcm_kinds[container_bytes - 1];
        fmt.description = "pcm" + std::to_string(container_bytes * 8);
    } else if (tag == 3) {
        if (bits != 32 && bits != 64) return "wav: unsupported IEEE float bit depth " + std::to_string(bits);
        container_bytes = bits / 8;
        fmt.kind = bits == 32 ? sample_kind::f32le : sample_kind::f64le;
        fmt.description = bits == 32 ? "float32" : "float64";
    } else {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%04x", unsigned(tag));
        return std::string("wav: unsupported format tag ") + hex + tag_name(tag);
    }
    if (block_align != channels * container_bytes) {
        return "wav: block_align " + std::to_string(block_align) + " inconsistent with " + std::to_string(channels) +
               " channels x " + std::to_string(container_bytes) + " bytes per sample";
    }
    fmt.n_channels = int(channels);
    fmt.sample_rate_hz = int(rate);
    fmt.description = std::string("wav ") + (extensible ? "extensible " : "") + fmt.description;
    if (valid_bits < container_bytes * 8) fmt.description += " (" + std::to_string(valid_bits) + " valid bits)";
    return "";
}

// decode_wav without the exception guard; fills out directly.
std::string decode_wav_impl(const uint8_t* data, size_t size, audio_buffer& out) {
    if (size == 0) return "wav: empty input (0 bytes)";
    if (size < 12) return "wav: too short for a RIFF header (" + std::to_string(size) + " bytes)";
    if (std::memcmp(data, "RIFX", 4) == 0) return "wav: big-endian RIFX files are not supported";
    if (std::memcmp(data, "RF64", 4) == 0) return "wav: RF64 files are not supported";
    if (std::memcmp(data, "RIFF", 4) != 0) return "wav: missing RIFF magic";
    if (std::memcmp(data + 8, "WAVE", 4) != 0) return "wav: RIFF file is not of type WAVE";

    // The RIFF size field is ignored: chunks are walked to the end of the buffer (streaming
    // writers leave it 0 or 0xFFFFFFFF, and many files get it wrong).
    size_t pos = 12;
    bool have_fmt = false;
    wav_fmt fmt;
    while (size - pos >= 8) {
        const uint8_t* h = data + pos;
        const uint32_t csize = rd_u32le(h + 4);
        pos += 8;
        const size_t remaining = size - pos;
        if (std::memcmp(h, "data", 4) == 0) {
            if (!have_fmt) return "wav: data chunk comes before any fmt chunk";
            uint64_t n_bytes = csize;
            if (csize == 0 || csize == 0xFFFFFFFFu) {
                n_bytes = remaining;  // streaming placeholder: audio runs to the end of the buffer
            } else if (uint64_t(csize) > uint64_t(remaining)) {
                return "wav: data chunk declares " + std::to_string(csize) + " bytes but only " +
                       std::to_string(remaining) + " remain (lying size or truncated file)";
            }
            out.sample_rate_hz = fmt.sample_rate_hz;
            out.n_channels_in = fmt.n_channels;
            out.format = fmt.description;
            return decode_frames("wav", data + pos, n_bytes, fmt.n_channels, fmt.kind, out);
        }
        if (uint64_t(csize) > uint64_t(remaining)) {
            return "wav: '" + printable_id(h) + "' chunk declares " + std::to_string(csize) + " bytes but only " +
                   std::to_string(remaining) + " remain before any data chunk";
        }
        if (!have_fmt && std::memcmp(h, "fmt ", 4) == 0) {
            std::string err = parse_wav_fmt(data + pos, csize, fmt);
            if (!err.empty()) return err;
            have_fmt = true;
        }
        // Skip the chunk body plus its pad byte (a missing final pad byte is tolerated).
        const uint64_t advance = uint64_t(csize) + (csize & 1u);
        pos = advance >= remaining ? size : pos + size_t(advance);
    }
    return have_fmt ? "wav: no data chunk" : "wav: no fmt chunk";
}

// ---------------------------------------------------------------- AU

// decode_au without the exception guard; fills out directly.
std::string decode_au_impl(const uint8_t* data, size_t size, audio_buffer& out) {
    if (size == 0) return "au: empty input (0 bytes)";
    if (size < 24) return "au: too short for a header (" + std::to_string(size) + " bytes, need 24)";
    if (std::memcmp(data, ".snd", 4) != 0) return "au: missing .snd magic";
    const uint32_t offset = rd_u32be(data + 4);
    const uint32_t data_size = rd_u32be(data + 8);
    const uint32_t encoding = rd_u32be(data + 12);
    const uint32_t rate = rd_u32be(data + 16);
    const uint32_t channels = rd_u32be(data + 20);
    if (offset < 24) return "au: data offset " + std::to_string(offset) + " is inside the 24-byte header";
    if (uint64_t(offset) > uint64_t(size)) {
        return "au: data offset " + std::to_string(offset) + " is past the end of the " + std::to_string(size) +
               "-byte buffer";
    }
    static const sample_kind kinds[7] = {sample_kind::mulaw, sample_kind::s8,    sample_kind::s16be, sample_kind::s24be,
                                         sample_kind::s32be, sample_kind::f32be, sample_kind::f64be};
    static const char* const names[7] = {"au mulaw", "au pcm8", "au pcm16", "au pcm24", "au pcm32", "au float32",
                                         "au float64"};
    if (encoding < 1 || encoding > 7) {
        return "au: unsupported encoding " + std::to_string(encoding) + (encoding == 27 ? " (A-law)" : "");
    }
    if (channels == 0) return "au: header declares 0 channels";
    if (channels > uint32_t(max_channels)) return "au: channel count " + std::to_string(channels) + " out of range";
    if (rate == 0) return "au: header declares a sample rate of 0 Hz";
    if (rate > uint32_t(INT_MAX)) return "au: sample rate " + std::to_string(rate) + " Hz out of range";
    const size_t remaining = size - size_t(offset);
    uint64_t n_bytes = data_size;
    if (data_size == 0xFFFFFFFFu) {
        n_bytes = remaining;
    } else if (uint64_t(data_size) > uint64_t(remaining)) {
        return "au: header declares " + std::to_string(data_size) + " data bytes but only " +
               std::to_string(remaining) + " remain (lying size or truncated file)";
    }
    out.sample_rate_hz = int(rate);
    out.n_channels_in = int(channels);
    out.format = names[encoding - 1];
    return decode_frames("au", data + offset, n_bytes, int(channels), kinds[encoding - 1], out);
}

// ---------------------------------------------------------------- encoding helpers

void put_u16le(std::vector<uint8_t>& v, uint32_t x) { v.push_back(uint8_t(x)); v.push_back(uint8_t(x >> 8)); }
void put_u32le(std::vector<uint8_t>& v, uint32_t x) { put_u16le(v, x & 0xFFFF); put_u16le(v, x >> 16); }
void put_u32be(std::vector<uint8_t>& v, uint32_t x) {
    for (int s = 24; s >= 0; s -= 8) v.push_back(uint8_t(x >> s));
}
void put_tag(std::vector<uint8_t>& v, const char* t) { v.insert(v.end(), t, t + 4); }

// Round x * scale to nearest (ties to even) and clip to [lo, hi]; NaN gives 0.
int64_t quantise(float x, double scale, int64_t lo, int64_t hi) {
    if (std::isnan(x)) return 0;
    const double v = std::nearbyint(double(x) * scale);
    if (v <= double(lo)) return lo;
    if (v >= double(hi)) return hi;
    return int64_t(v);
}

// Appends one sample of `bytes` bytes holding the low bits of u, little- or big-endian.
void put_bits(std::vector<uint8_t>& v, uint64_t u, size_t bytes, bool big_endian) {
    for (size_t i = 0; i < bytes; ++i) {
        const size_t shift = 8 * (big_endian ? bytes - 1 - i : i);
        v.push_back(uint8_t(u >> shift));
    }
}

bool valid_encode_args(const float* interleaved, size_t n_frames, int n_channels, int sample_rate_hz) {
    return n_channels >= 1 && n_channels <= max_channels && sample_rate_hz > 0 &&
           (interleaved != nullptr || n_frames == 0);
}

}  // namespace

// ---------------------------------------------------------------- public API

int16_t mulaw_to_linear(uint8_t code) { return int16_t(mulaw_linear(code)); }

std::string decode_wav(const uint8_t* data, size_t size, audio_buffer& out) {
    return guarded("wav", data, size, out, decode_wav_impl);
}

std::string decode_au(const uint8_t* data, size_t size, audio_buffer& out) {
    return guarded("au", data, size, out, decode_au_impl);
}

std::string decode_audio(const uint8_t* data, size_t size, audio_buffer& out) {
    out = audio_buffer{};
    if (data == nullptr && size != 0) return "null buffer with nonzero size";
    if (size == 0) return "empty input (0 bytes): not a WAV or AU file";
    if (size < 4) return "not a WAV or AU file (only " + std::to_string(size) + " bytes)";
    if (std::memcmp(data, "RIFF", 4) == 0 || std::memcmp(data, "RIFX", 4) == 0 || std::memcmp(data, "RF64", 4) == 0) {
        return decode_wav(data, size, out);
    }
    if (std::memcmp(data, ".snd", 4) == 0) return decode_au(data, size, out);
    const char* what = "unrecognised leading bytes";
    if (std::memcmp(data, "ID3", 3) == 0 || (data[0] == 0xFF && (data[1] & 0xE0) == 0xE0)) what = "looks like MP3";
    else if (std::memcmp(data, "fLaC", 4) == 0) what = "looks like FLAC";
    else if (std::memcmp(data, "OggS", 4) == 0) what = "looks like Ogg";
    else if (std::memcmp(data, "FORM", 4) == 0) what = "looks like AIFF";
    return std::string("not a WAV or AU file (") + what + ")";
}

std::vector<uint8_t> encode_wav(const float* interleaved, size_t n_frames, int n_channels, int sample_rate_hz,
                                wav_sample_format fmt, bool extensible) {
    if (!valid_encode_args(interleaved, n_frames, n_channels, sample_rate_hz)) return {};
    static const size_t bytes_of[6] = {1, 2, 3, 4, 4, 8};
    const size_t sb = bytes_of[size_t(fmt)];
    const bool is_float = fmt == wav_sample_format::float32 || fmt == wav_sample_format::float64;
    const uint64_t block = uint64_t(sb) * uint64_t(n_channels);
    if (n_frames > (uint64_t(0xFFFFFFFF) / block)) return {};
    const uint64_t data_bytes = uint64_t(n_frames) * block;
    const uint32_t fmt_size = extensible ? 40 : (is_float ? 18 : 16);
    const uint64_t riff_size = 4 + (8 + fmt_size) + (is_float ? 12 : 0) + 8 + data_bytes + (data_bytes & 1);
    if (riff_size > 0xFFFFFFFFu) return {};

    std::vector<uint8_t> v;
    v.reserve(size_t(riff_size + 8));
    put_tag(v, "RIFF");
    put_u32le(v, uint32_t(riff_size));
    put_tag(v, "WAVE");
    put_tag(v, "fmt ");
    put_u32le(v, fmt_size);
    put_u16le(v, extensible ? 0xFFFE : (is_float ? 3 : 1));
    put_u16le(v, uint32_t(n_channels));
    put_u32le(v, uint32_t(sample_rate_hz));
    put_u32le(v, uint32_t(uint64_t(sample_rate_hz) * block));  // byte rate (wraps for absurd rates)
    put_u16le(v, uint32_t(block));
    put_u16le(v, uint32_t(sb * 8));
    if (extensible) {
        put_u16le(v, 22);
        put_u16le(v, uint32_t(sb * 8));  // valid bits
        put_u32le(v, n_channels == 1 ? 0x4u : n_channels == 2 ? 0x3u : 0u);  // speaker mask
        put_u32le(v, is_float ? 3 : 1);
        v.insert(v.end(), guid_tail, guid_tail + guid_tail_len);
    } else if (is_float) {
        put_u16le(v, 0);  // cbSize
    }
    if (is_float) {
        put_tag(v, "fact");
        put_u32le(v, 4);
        put_u32le(v, uint32_t(n_frames));
    }
    put_tag(v, "data");
    put_u32le(v, uint32_t(data_bytes));
    const size_t n = n_frames * size_t(n_channels);
    for (size_t i = 0; i < n; ++i) {
        const float x = interleaved[i];
        switch (fmt) {
        case wav_sample_format::pcm_u8: v.push_back(uint8_t(quantise(x, 128.0, -128, 127) + 128)); break;
        case wav_sample_format::pcm_s16: put_bits(v, uint64_t(quantise(x, 32768.0, -32768, 32767)), 2, false); break;
        case wav_sample_format::pcm_s24:
            put_bits(v, uint64_t(quantise(x, 8388608.0, -8388608, 8388607)), 3, false);
            break;
        case wav_sample_format::pcm_s32:
            put_bits(v, uint64_t(quantise(x, 2147483648.0, INT32_MIN, INT32_MAX)), 4, false);
            break;
        case wav_sample_format::float32: put_bits(v, float_to_bits(x), 4, false); break;
        case wav_sample_format::float64: put_bits(v, double_to_bits(double(x)), 8, false); break;
        }
    }
    if (data_bytes & 1) v.push_back(0);  // pad byte
    return v;
}

std::vector<uint8_t> encode_au(const float* interleaved, size_t n_frames, int n_channels, int sample_rate_hz,
                               au_encoding enc) {
    if (!valid_encode_args(interleaved, n_frames, n_channels, sample_rate_hz)) return {};
    static const size_t bytes_of[7] = {1, 1, 2, 3, 4, 4, 8};
    const size_t sb = bytes_of[size_t(enc)];
    const uint64_t block = uint64_t(sb) * uint64_t(n_channels);
    if (n_frames > (uint64_t(0xFFFFFFFE) / block)) return {};
    const uint64_t data_bytes = uint64_t(n_frames) * block;

    std::vector<uint8_t> v;
    v.reserve(size_t(24 + data_bytes));
    put_tag(v, ".snd");
    put_u32be(v, 24);
    put_u32be(v, uint32_t(data_bytes));
    put_u32be(v, uint32_t(enc) + 1);
    put_u32be(v, uint32_t(sample_rate_hz));
    put_u32be(v, uint32_t(n_channels));
    const size_t n = n_frames * size_t(n_channels);
    for (size_t i = 0; i < n; ++i) {
        const float x = interleaved[i];
        switch (enc) {
        case au_encoding::mulaw8: v.push_back(linear_to_mulaw_nearest(double(x) * 32768.0)); break;
        case au_encoding::pcm8: v.push_back(uint8_t(quantise(x, 128.0, -128, 127))); break;
        case au_encoding::pcm16: put_bits(v, uint64_t(quantise(x, 32768.0, -32768, 32767)), 2, true); break;
        case au_encoding::pcm24: put_bits(v, uint64_t(quantise(x, 8388608.0, -8388608, 8388607)), 3, true); break;
        case au_encoding::pcm32: put_bits(v, uint64_t(quantise(x, 2147483648.0, INT32_MIN, INT32_MAX)), 4, true); break;
        case au_encoding::float32: put_bits(v, float_to_bits(x), 4, true); break;
        case au_encoding::float64: put_bits(v, double_to_bits(double(x)), 8, true); break;
        }
    }
    return v;
}

}  // namespace gs
