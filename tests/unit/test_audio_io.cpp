// test_audio_io.cpp: unit tests for the WAV / AU decoders and encoders (gs::decode_audio and friends).
#include "genrescope/audio_io.h"

#include <gtest/gtest.h>

#include "../common/test_support.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace {

using bytes = std::vector<uint8_t>;

std::string shared_root() { return gs_test::shared_dir(); }

// Reads a whole file; fails the test if it cannot be opened.
bytes read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    EXPECT_TRUE(f.good()) << "cannot open " << path;
    return bytes(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// ---- hand-built files (independent of the encoders under test)

void put_u16(bytes& v, uint32_t x) { v.push_back(uint8_t(x)); v.push_back(uint8_t(x >> 8)); }
void put_u32(bytes& v, uint32_t x) { put_u16(v, x & 0xFFFF); put_u16(v, x >> 16); }
void put_u32be(bytes& v, uint32_t x) { for (int s = 24; s >= 0; s -= 8) v.push_back(uint8_t(x >> s)); }
void put_tag(bytes& v, const char* t) { v.insert(v.end(), t, t + 4); }

// A chunk: id, declared size (defaults to the body size), body, and a pad byte if the body is odd.
bytes chunk(const char* id, const bytes& body, int64_t declared = -1) {
    bytes v;
    put_tag(v, id);
    put_u32(v, declared < 0 ? uint32_t(body.size()) : uint32_t(declared));
    v.insert(v.end(), body.begin(), body.end());
    if (body.size() % 2) v.push_back(0);
    return v;
}

bytes fmt_body(uint32_t tag, uint32_t channels, uint32_t rate, uint32_t bits, uint32_t block_align) {
    bytes v;
    put_u16(v, tag), put_u16(v, channels), put_u32(v, rate), put_u32(v, rate * block_align);
    put_u16(v, block_align), put_u16(v, bits);
    return v;
}

// fmt body for WAVE_FORMAT_EXTENSIBLE with sub-format `sub` (1 = PCM, 3 = float).
bytes ext_fmt_body(uint32_t sub, uint32_t channels, uint32_t rate, uint32_t bits, uint32_t valid_bits) {
    bytes v = fmt_body(0xFFFE, channels, rate, bits, channels * bits / 8);
    put_u16(v, 22), put_u16(v, valid_bits), put_u32(v, 0), put_u32(v, sub);
    const uint8_t tail[12] = {0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};
    v.insert(v.end(), tail, tail + 12);
    return v;
}

// A RIFF/WAVE file holding the given chunks, with a correct RIFF size.
bytes riff(const std::vector<bytes>& chunks) {
    bytes v = {'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'A', 'V', 'E'};
    for (const bytes& c : chunks) v.insert(v.end(), c.begin(), c.end());
    for (size_t i = 0; i < 4; ++i) v[4 + i] = uint8_t((v.size() - 8) >> (8 * i));
    return v;
}

// The common case: a fmt chunk with the given body, then a data chunk.
bytes wav_of(const bytes& fmt, const bytes& data) { return riff({chunk("fmt ", fmt), chunk("data", data)}); }

bytes au(uint32_t encoding, uint32_t rate, uint32_t channels, const bytes& data, uint32_t data_size,
         uint32_t offset = 24) {
    bytes v;
    put_tag(v, ".snd");
    for (uint32_t field : {offset, data_size, encoding, rate, channels}) put_u32be(v, field);
    v.resize(std::max<size_t>(v.size(), offset), 0);
    v.insert(v.end(), data.begin(), data.end());
    return v;
}

std::string decode(const bytes& b, gs::audio_buffer& out) { return gs::decode_audio(b.data(), b.size(), out); }

// Decodes a file that must succeed.
gs::audio_buffer decode_ok(const bytes& b) {
    gs::audio_buffer out;
    const std::string err = decode(b, out);
    EXPECT_EQ(err, "");
    return out;
}

// Decodes a file that must fail; checks the error contract and returns the message.
std::string decode_err(const bytes& b) {
    gs::audio_buffer out;
    out.samples = {1.0f};
    out.sample_rate_hz = 7;
    const std::string err = decode(b, out);
    EXPECT_NE(err, "");
    EXPECT_EQ(err.find('\n'), std::string::npos) << err;
    EXPECT_TRUE(out.samples.empty());
    EXPECT_EQ(out.sample_rate_hz, 0);
    EXPECT_EQ(out.n_channels_in, 0);
    return err;
}

bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

// Deterministic test signal in [-1, 1): includes -1, 0 and small values.
std::vector<float> signal(size_t n_frames, int n_channels) {
    std::vector<float> v(n_frames * size_t(n_channels));
    for (size_t i = 0; i < v.size(); ++i) v[i] = float(0.97 * std::sin(0.37 * double(i) + 0.1 * double(i % 7)));
    v[0] = -1.0f;
    if (v.size() > 1) v[1] = 0.0f;
    if (v.size() > 2) v[2] = 1e-6f;
    return v;
}

// Mean over channels, in float, channels summed in order (what the decoder promises).
float frame_mean(const float* frame, int n_channels) {
    float s = 0.0f;
    for (int c = 0; c < n_channels; ++c) s += frame[c];
    return n_channels == 1 ? frame[0] : s / float(n_channels);
}

// Value decoded from the mu-law code nearest to x, found by brute force over all 256 codes.
float nearest_mulaw(float x) {
    double best = 1e9;
    float best_v = 0;
    for (int c = 0; c < 256; ++c) {
        const double d = std::fabs(double(gs::mulaw_to_linear(uint8_t(c))) - double(x) * 32768.0);
        if (d < best) { best = d; best_v = float(gs::mulaw_to_linear(uint8_t(c))) / 32768.0f; }
    }
    return best_v;
}

// Decodes an encoded file and compares every output sample with the mean of the input frame:
// exactly for float formats (half_step 0), within half a step for integer ones, and for mu-law
// (half_step < 0) exactly against the mean of the nearest mu-law values.
void check_round_trip(const bytes& file, const std::vector<float>& x, int ch, int rate, const std::string& name,
                      double half_step) {
    ASSERT_FALSE(file.empty());
    const size_t n_frames = x.size() / size_t(ch);
    const gs::audio_buffer a = decode_ok(file);
    EXPECT_EQ(a.sample_rate_hz, rate);
    EXPECT_EQ(a.n_channels_in, ch);
    EXPECT_EQ(a.format, name);
    ASSERT_EQ(a.samples.size(), n_frames);
    for (size_t i = 0; i < n_frames; ++i) {
        std::vector<float> frame(&x[i * size_t(ch)], &x[i * size_t(ch)] + ch);
        if (half_step < 0) for (float& v : frame) v = nearest_mulaw(v);
        const float want = frame_mean(frame.data(), ch);
        if (half_step <= 0) {
            ASSERT_EQ(a.samples[i], want) << "frame " << i;
        } else {
            ASSERT_NEAR(a.samples[i], want, half_step + std::fabs(want) * 2.5e-7) << "frame " << i;
        }
    }
    // -1 is exactly representable in every format but mu-law (whose extreme is -32124 / 32768).
    if (half_step >= 0) {
        EXPECT_EQ(a.samples[0] == -1.0f, ch == 1);
    }
}

const int kChannelCounts[] = {1, 3};

}  // namespace

// ------------------------------------------------------------------ round trips

TEST(AudioIoRoundTrip, WavEveryFormatMonoAndThreeChannelsPlainAndExtensible) {
    struct fmt_case { gs::wav_sample_format f; const char* name; double half_step; };
    const fmt_case cases[] = {{gs::wav_sample_format::pcm_u8, "pcm8", 0.5 / 128},
                              {gs::wav_sample_format::pcm_s16, "pcm16", 0.5 / 32768},
                              {gs::wav_sample_format::pcm_s24, "pcm24", 0.5 / 8388608},
                              {gs::wav_sample_format::pcm_s32, "pcm32", 0.5 / 2147483648.0},
                              {gs::wav_sample_format::float32, "float32", 0},
                              {gs::wav_sample_format::float64, "float64", 0}};
    for (const fmt_case& fc : cases) {
        for (int ch : kChannelCounts) {
            for (bool ext : {false, true}) {
                SCOPED_TRACE(std::string(fc.name) + " ch=" + std::to_string(ch) + " ext=" + std::to_string(ext));
                const std::vector<float> x = signal(101, ch);  // odd: 8-bit mono and 24-bit need a pad byte
                const bytes file = gs::encode_wav(x.data(), 101, ch, 16000, fc.f, ext);
                EXPECT_EQ(file.size() % 2, 0u);
                check_round_trip(file, x, ch, 16000, std::string("wav ") + (ext ? "extensible " : "") + fc.name,
                                 fc.half_step);
            }
        }
    }
}

TEST(AudioIoRoundTrip, AuEveryEncodingMonoAndThreeChannels) {
    struct enc_case { gs::au_encoding e; const char* name; double half_step; };
    const enc_case cases[] = {{gs::au_encoding::mulaw8, "au mulaw", -1},
                              {gs::au_encoding::pcm8, "au pcm8", 0.5 / 128},
                              {gs::au_encoding::pcm16, "au pcm16", 0.5 / 32768},
                              {gs::au_encoding::pcm24, "au pcm24", 0.5 / 8388608},
                              {gs::au_encoding::pcm32, "au pcm32", 0.5 / 2147483648.0},
                              {gs::au_encoding::float32, "au float32", 0},
                              {gs::au_encoding::float64, "au float64", 0}};
    for (const enc_case& ec : cases) {
        for (int ch : kChannelCounts) {
            SCOPED_TRACE(std::string(ec.name) + " ch=" + std::to_string(ch));
            const std::vector<float> x = signal(77, ch);
            check_round_trip(gs::encode_au(x.data(), 77, ch, 8000, ec.e), x, ch, 8000, ec.name, ec.half_step);
        }
    }
}

TEST(AudioIoRoundTrip, EncoderClipsRoundsAndRejectsBadArguments) {
    const float x[] = {1.5f, -2.0f, std::numeric_limits<float>::quiet_NaN(), 0.5f / 32768.0f, 1.5f / 32768.0f};
    const gs::audio_buffer a = decode_ok(gs::encode_wav(x, 5, 1, 100, gs::wav_sample_format::pcm_s16));
    // Clipped, clipped, NaN -> 0, and halfway values round to even (0.5 -> 0, 1.5 -> 2).
    EXPECT_EQ(a.samples, (std::vector<float>{32767 / 32768.0f, -1.0f, 0.0f, 0.0f, 2 / 32768.0f}));
    EXPECT_TRUE(gs::encode_wav(x, 5, 0, 100, gs::wav_sample_format::pcm_s16).empty());
    EXPECT_TRUE(gs::encode_wav(x, 5, 1, 0, gs::wav_sample_format::pcm_s16).empty());
    EXPECT_TRUE(gs::encode_wav(nullptr, 5, 1, 100, gs::wav_sample_format::pcm_s16).empty());
    EXPECT_TRUE(gs::encode_au(x, 5, 70000, 100, gs::au_encoding::pcm16).empty());
    EXPECT_TRUE(gs::encode_wav(x, size_t(1) << 31, 1, 100, gs::wav_sample_format::pcm_s16).empty());  // > 4 GiB
    // Zero frames make a valid, empty file.
    const gs::audio_buffer e = decode_ok(gs::encode_wav(nullptr, 0, 2, 100, gs::wav_sample_format::float32));
    EXPECT_TRUE(e.samples.empty());
    EXPECT_EQ(e.n_channels_in, 2);
}

TEST(AudioIoRoundTrip, EncodedHeadersAreCanonical) {
    const float x[] = {0.25f, -0.25f};
    EXPECT_EQ(gs::encode_wav(x, 1, 2, 44100, gs::wav_sample_format::pcm_s16),
              (bytes{'R', 'I', 'F', 'F', 40, 0,    0,    0,   'W', 'A', 'V', 'E', 'f', 'm', 't', ' ',
                     16,  0,   0,   0,   1,  0,    2,    0,   0x44, 0xAC, 0, 0, 0x10, 0xB1, 2, 0,
                     4,   0,   16,  0,   'd', 'a', 't',  'a', 4,    0,  0,   0,   0,   0x20, 0, 0xE0}));
    EXPECT_EQ(gs::encode_au(x, 1, 2, 8000, gs::au_encoding::pcm16),
              (bytes{'.', 's', 'n', 'd', 0, 0, 0, 24, 0, 0, 0, 4, 0, 0, 0, 3, 0, 0, 0x1F, 0x40, 0, 0, 0, 2,
                     0x20, 0, 0xE0, 0}));
    const bytes ext = gs::encode_wav(x, 1, 2, 44100, gs::wav_sample_format::float32, true);
    ASSERT_EQ(ext.size(), 12u + 48u + 12u + 8u + 8u);  // RIFF, fmt (40), fact, data
    EXPECT_EQ(bytes(ext.begin() + 20, ext.begin() + 22), (bytes{0xFE, 0xFF}));
    EXPECT_EQ(bytes(ext.begin() + 36, ext.begin() + 44), (bytes{22, 0, 32, 0, 3, 0, 0, 0}));  // cbSize, valid, mask
    EXPECT_EQ(std::string(ext.begin() + 60, ext.begin() + 64), "fact");
}

// ------------------------------------------------------------------ known values

TEST(AudioIoKnownValues, WavIntegerScaling) {
    bytes s16;
    for (uint32_t v : {0x8000u, 0x7FFFu, 0x0000u, 0x0001u, 0xFFFFu}) put_u16(s16, v);
    gs::audio_buffer a = decode_ok(wav_of(fmt_body(1, 1, 22050, 16, 2), s16));
    EXPECT_EQ(a.samples, (std::vector<float>{-1.0f, 32767 / 32768.0f, 0.0f, 1 / 32768.0f, -1 / 32768.0f}));
    EXPECT_EQ(a.format, "wav pcm16");

    a = decode_ok(wav_of(fmt_body(1, 1, 8000, 8, 1), {0, 128, 255, 127}));
    EXPECT_EQ(a.samples, (std::vector<float>{-1.0f, 0.0f, 127 / 128.0f, -1 / 128.0f}));

    const bytes s24 = {0x00, 0x00, 0x80, 0xFF, 0xFF, 0x7F, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0xFF};
    a = decode_ok(wav_of(fmt_body(1, 1, 8000, 24, 3), s24));
    EXPECT_EQ(a.samples, (std::vector<float>{-1.0f, 8388607 / 8388608.0f, 1 / 8388608.0f, -1 / 8388608.0f}));

    bytes s32;
    for (uint32_t v : {0x80000000u, 0x7FFFFFFFu, 0x00000001u, 0x00000100u}) put_u32(s32, v);
    a = decode_ok(wav_of(fmt_body(1, 1, 8000, 32, 4), s32));
    // 2147483647 rounds to 2^31 in float, so full scale reads as exactly 1.0 (as in libsndfile).
    EXPECT_EQ(a.samples, (std::vector<float>{-1.0f, 1.0f, std::ldexp(1.0f, -31), std::ldexp(1.0f, -23)}));
}

TEST(AudioIoKnownValues, WavFloatAndExtensibleValidBits) {
    const bytes f64 = {0x9A, 0x99, 0x99, 0x99, 0x99, 0x99, 0xB9, 0x3F};  // 0.1 as a little-endian double
    gs::audio_buffer a = decode_ok(wav_of(fmt_body(3, 1, 8000, 64, 8), f64));
    ASSERT_EQ(a.samples.size(), 1u);
    EXPECT_EQ(a.samples[0], 0.1f);
    EXPECT_EQ(a.format, "wav float64");

    // 24 valid bits left-justified in a 32-bit container: scaled by the container (libsndfile).
    bytes s32;
    put_u32(s32, 0x40000000u);
    a = decode_ok(wav_of(ext_fmt_body(1, 1, 48000, 32, 24), s32));
    EXPECT_EQ(a.samples, std::vector<float>{0.5f});
    EXPECT_EQ(a.format, "wav extensible pcm32 (24 valid bits)");

    // Plain PCM with 12 bits in a 16-bit container.
    bytes s12;
    put_u16(s12, 0xC000);
    a = decode_ok(wav_of(fmt_body(1, 1, 8000, 12, 2), s12));
    EXPECT_EQ(a.samples, std::vector<float>{-0.5f});
}

TEST(AudioIoKnownValues, MulawTable) {
    const std::pair<uint8_t, int> known[] = {{0x00, -32124}, {0x01, -31100}, {0x0F, -16764}, {0x10, -15996},
                                             {0x70, -120},   {0x7E, -8},     {0x7F, 0},      {0x80, 32124},
                                             {0xFE, 8},      {0xFF, 0}};
    for (const auto& k : known) EXPECT_EQ(gs::mulaw_to_linear(k.first), k.second) << int(k.first);
    for (int c = 0; c < 128; ++c) EXPECT_EQ(gs::mulaw_to_linear(uint8_t(c)), -gs::mulaw_to_linear(uint8_t(c + 128)));
}

TEST(AudioIoKnownValues, AuEncodings) {
    gs::audio_buffer a = decode_ok(au(1, 8000, 1, {0x00, 0x80, 0xFF, 0x0F}, 4));
    EXPECT_EQ(a.samples, (std::vector<float>{-32124 / 32768.0f, 32124 / 32768.0f, 0.0f, -16764 / 32768.0f}));
    EXPECT_EQ(a.format, "au mulaw");
    a = decode_ok(au(2, 8000, 1, {0x80, 0x7F, 0xFF}, 3));
    EXPECT_EQ(a.samples, (std::vector<float>{-1.0f, 127 / 128.0f, -1 / 128.0f}));
    a = decode_ok(au(3, 8000, 1, {0x80, 0x00, 0x00, 0x01}, 4));
    EXPECT_EQ(a.samples, (std::vector<float>{-1.0f, 1 / 32768.0f}));
    a = decode_ok(au(4, 8000, 1, {0x80, 0x00, 0x00, 0x00, 0x00, 0x01}, 6));
    EXPECT_EQ(a.samples, (std::vector<float>{-1.0f, 1 / 8388608.0f}));
    a = decode_ok(au(5, 8000, 1, {0xC0, 0x00, 0x00, 0x00}, 4));
    EXPECT_EQ(a.samples, std::vector<float>{-0.5f});
    a = decode_ok(au(6, 8000, 1, {0x3F, 0x00, 0x00, 0x00}, 4));  // 0.5f big-endian
    EXPECT_EQ(a.samples, std::vector<float>{0.5f});
    a = decode_ok(au(7, 8000, 1, {0xBF, 0xD0, 0, 0, 0, 0, 0, 0}, 8));  // -0.25 big-endian
    EXPECT_EQ(a.samples, std::vector<float>{-0.25f});
    a = decode_ok(au(3, 11025, 2, {0x40, 0x00, 0x00, 0x00, 0xAA}, 0xFFFFFFFFu, 32));  // to end, annotation
    EXPECT_EQ(a.samples, std::vector<float>{0.25f});
    EXPECT_EQ(a.sample_rate_hz, 11025);
}

TEST(AudioIoKnownValues, DownmixIsTheFloatMeanOfChannels) {
    const float x[] = {0.1f, 0.7f, -0.3f, 1.0f, 1.0f, 1.0f, -1.0f, 0.5f, 0.25f};
    const gs::audio_buffer a = decode_ok(gs::encode_wav(x, 3, 3, 8000, gs::wav_sample_format::float32));
    ASSERT_EQ(a.samples.size(), 3u);
    EXPECT_EQ(a.samples[0], ((0.1f + 0.7f) + -0.3f) / 3.0f);
    EXPECT_EQ(a.samples[1], 1.0f);
    EXPECT_EQ(a.samples[2], -0.25f / 3.0f);
    bytes st;
    for (uint32_t v : {0x8000u, 0x7FFFu, 0x4000u, 0x4000u}) put_u16(st, v);
    const gs::audio_buffer b = decode_ok(wav_of(fmt_body(1, 2, 8000, 16, 4), st));
    EXPECT_EQ(b.samples, (std::vector<float>{(-1.0f + 32767 / 32768.0f) / 2.0f, 0.5f}));
}

// ------------------------------------------------------------------ chunk walking and sizes

TEST(AudioIoChunks, SkipsUnknownAndOddSizedChunks) {
    bytes pcm;
    for (uint32_t v : {0x1000u, 0x2000u}) put_u16(pcm, v);
    const bytes list = {'I', 'N', 'F', 'O', 'x'};  // odd: needs the pad byte
    const bytes file = riff({chunk("JUNK", {1, 2, 3}), chunk("fmt ", fmt_body(1, 1, 22050, 16, 2)),
                             chunk("LIST", list), chunk("data", pcm), chunk("id3 ", {9, 9})});
    const gs::audio_buffer a = decode_ok(file);
    EXPECT_EQ(a.samples, (std::vector<float>{0.125f, 0.25f}));
    // Same file without the pad byte after LIST: "data" is then misread, so decoding must fail.
    bytes nopad = file;
    const size_t list_at = 12 + 12 + 24;
    ASSERT_EQ(std::memcmp(nopad.data() + list_at, "LIST", 4), 0);
    nopad.erase(nopad.begin() + long(list_at + 8 + 5));
    EXPECT_TRUE(contains(decode_err(nopad), "chunk"));
}

TEST(AudioIoChunks, StreamingDataSizesReadWholeFramesToTheEnd) {
    bytes pcm;
    for (uint32_t v : {0x1000u, 0x2000u, 0x3000u, 0x4000u, 0x5000u}) put_u16(pcm, v);
    pcm.push_back(0x7F);  // 11 bytes: 2 stereo frames + a partial one
    for (uint32_t placeholder : {0xFFFFFFFFu, 0u}) {
        bytes file = riff({chunk("fmt ", fmt_body(1, 2, 8000, 16, 4))});
        put_tag(file, "data");
        put_u32(file, placeholder);
        file.insert(file.end(), pcm.begin(), pcm.end());
        const gs::audio_buffer a = decode_ok(file);
        EXPECT_EQ(a.samples, (std::vector<float>{0.1875f, 0.4375f}));
    }
    // A declared size that is not a whole number of frames: the partial frame is dropped.
    const gs::audio_buffer b = decode_ok(wav_of(fmt_body(1, 2, 8000, 16, 4), pcm));
    EXPECT_EQ(b.samples.size(), 2u);
}

TEST(AudioIoChunks, EveryTruncationPrefixIsSafe) {
    const std::vector<float> x = signal(7, 3);
    // data_end: where the declared data ends (the WAV one has a pad byte after it); 0 = streaming size.
    struct file_case { bytes file; size_t data_at; size_t block; size_t data_end; };
    std::vector<file_case> cases;
    bytes wav = gs::encode_wav(x.data(), 7, 3, 8000, gs::wav_sample_format::pcm_s24);
    ASSERT_EQ(wav.size(), 44u + 63u + 1u);
    cases.push_back({wav, 44, 9, 44 + 63});
    std::memset(wav.data() + 40, 0xFF, 4);  // streaming data size
    cases.push_back({wav, 44, 9, 0});
    bytes snd = gs::encode_au(x.data(), 7, 3, 8000, gs::au_encoding::pcm16);
    cases.push_back({snd, 24, 6, 24 + 42});
    std::memset(snd.data() + 8, 0xFF, 4);
    cases.push_back({snd, 24, 6, 0});
    for (const file_case& fc : cases) {
        for (size_t len = 0; len <= fc.file.size(); ++len) {
            SCOPED_TRACE("len " + std::to_string(len) + " of " + std::to_string(fc.file.size()));
            const bytes prefix(fc.file.begin(), fc.file.begin() + long(len));  // exact-size heap copy
            gs::audio_buffer a;
            const std::string err = decode(prefix, a);
            const bool streaming = fc.data_end == 0;
            // Declared sizes need all the declared data; streaming sizes decode any prefix past the header.
            EXPECT_EQ(err.empty(), streaming ? len >= fc.data_at : len >= fc.data_end) << err;
            if (err.empty()) {  // exactly the whole frames present (never more)
                const size_t avail = (streaming ? len : fc.data_end) - fc.data_at;
                EXPECT_EQ(a.samples.size(), std::min<size_t>(avail / fc.block, 7));
            } else {
                EXPECT_TRUE(a.samples.empty());
            }
        }
    }
}

TEST(AudioIoChunks, HeaderByteMutationsNeverCrash) {
    const std::vector<float> x = signal(5, 2);
    for (const bytes& base : {gs::encode_wav(x.data(), 5, 2, 8000, gs::wav_sample_format::pcm_s16, true),
                              gs::encode_au(x.data(), 5, 2, 8000, gs::au_encoding::pcm24)}) {
        for (size_t pos = 0; pos < std::min<size_t>(base.size(), 72); ++pos) {
            for (uint8_t v : {0x00, 0x01, 0x7F, 0x80, 0xFF}) {
                bytes m = base;
                m[pos] = v;
                gs::audio_buffer a;
                const std::string err = decode(m, a);
                EXPECT_TRUE(err.empty() ? a.samples.size() <= m.size() : a.samples.empty()) << err;
            }
        }
    }
}

// ------------------------------------------------------------------ errors

TEST(AudioIoErrors, SyntheticBadHeaders) {
    const bytes pcm = {0, 0, 0, 0};
    const bytes good_fmt = chunk("fmt ", fmt_body(1, 1, 8000, 16, 2));
    const auto check = [](const bytes& file, const char* part) {
        const std::string err = decode_err(file);
        EXPECT_TRUE(contains(err, part)) << "want '" << part << "', got '" << err << "'";
    };
    const auto with_fmt = [&](const bytes& body) { return wav_of(body, pcm); };
    bytes bad_guid = ext_fmt_body(1, 1, 8000, 16, 16);
    bad_guid.back() ^= 1;
    bytes not_wave = with_fmt(fmt_body(1, 1, 8000, 16, 2)), rifx = not_wave, far = au(3, 8000, 1, pcm, 4);
    std::memcpy(not_wave.data() + 8, "AVI ", 4);
    std::memcpy(rifx.data(), "RIFX", 4);
    far[7] = 200;
    check({}, "empty");
    check({'R', 'I'}, "not a WAV or AU file");
    check({'R', 'I', 'F', 'F', 0, 0}, "too short");
    check(riff({chunk("data", pcm)}), "before any fmt");
    check(riff({chunk("LIST", pcm)}), "no fmt chunk");
    check(riff({good_fmt}), "no data chunk");
    check(with_fmt(fmt_body(0x55, 1, 8000, 16, 2)), "unsupported format tag 0x0055 (MPEG layer 3)");
    check(with_fmt(fmt_body(1, 1, 8000, 0, 2)), "bit depth 0");
    check(with_fmt(fmt_body(1, 1, 8000, 40, 5)), "bit depth 40");
    check(with_fmt(fmt_body(3, 1, 8000, 16, 2)), "float bit depth 16");
    check(with_fmt(fmt_body(1, 2, 8000, 16, 2)), "block_align 2 inconsistent with 2 channels");
    check(with_fmt(fmt_body(1, 1, 0x80000000u, 16, 2)), "out of range");
    check(with_fmt(bytes(14, 1)), "fmt chunk too short");
    check(with_fmt(ext_fmt_body(1, 1, 8000, 16, 24)), "valid bits 24 exceed");
    check(with_fmt(bad_guid), "sub-format");
    check(riff({good_fmt, chunk("data", pcm, 6)}), "lying");
    check(riff({chunk("LIST", pcm, 1000), good_fmt, chunk("data", pcm)}), "'LIST' chunk declares 1000 bytes");
    check(not_wave, "not of type WAVE");
    check(rifx, "RIFX");
    check({'.', 's', 'n', 'd', 0, 0, 0, 24}, "too short");
    check(au(3, 8000, 1, pcm, 4, 16), "inside the 24-byte header");
    check(far, "past the end");
    check(au(27, 8000, 1, pcm, 4), "unsupported encoding 27");
    check(au(3, 8000, 0, pcm, 4), "0 channels");
    check(au(3, 8000, 70000, pcm, 4), "channel count");
    check(au(3, 0, 1, pcm, 4), "0 Hz");
    check(au(3, 0x80000000u, 1, pcm, 4), "out of range");
    check(au(3, 8000, 1, pcm, 5), "lying");
    // Direct decoders refuse the other format; null with a size is an error, not a crash.
    gs::audio_buffer out;
    const bytes wav = riff({good_fmt, chunk("data", pcm)}), snd = au(3, 8000, 1, pcm, 4);
    EXPECT_NE(gs::decode_au(wav.data(), wav.size(), out), "");
    EXPECT_NE(gs::decode_wav(snd.data(), snd.size(), out), "");
    EXPECT_NE(gs::decode_audio(nullptr, 10, out), "");
    EXPECT_EQ(gs::decode_wav(wav.data(), wav.size(), out), "");
    EXPECT_EQ(gs::decode_au(snd.data(), snd.size(), out), "");
}

TEST(AudioIoErrors, SharedBadAndUnsupportedFilesAllFail) {
    const std::pair<const char*, const char*> cases[] = {
        {"bad/empty.wav", "empty"},           {"bad/lying-size.wav", "lying"},   {"bad/text.wav", "not a WAV or AU"},
        {"bad/truncated.wav", "remain"},      {"bad/zero-channels.wav", "0 channels"},
        {"bad/zero-rate.wav", "0 Hz"},        {"bad/random.mp3", "not a WAV or AU file"},
        {"jazz.00005-8s.mp3", "MP3"},         {"metal.00005-8s.ogg", "Ogg"},     {"classical.00005-8s.flac", "FLAC"}};
    for (const auto& c : cases) {
        SCOPED_TRACE(c.first);
        const std::string err = decode_err(read_file(shared_root() + "/clips/" + c.first));
        EXPECT_TRUE(contains(err, c.second)) << err;
    }
}

// ------------------------------------------------------------------ real files

TEST(AudioIoRealFiles, GenreClipsDecodeAsMono16Bit22k) {
    const char* genres[] = {"blues", "classical", "country", "disco", "hiphop",
                            "jazz",  "metal",     "pop",     "reggae", "rock"};
    for (const char* g : genres) {
        SCOPED_TRACE(g);
        const bytes file = read_file(shared_root() + "/clips/" + g + ".00005-10s-16s.wav");
        ASSERT_GT(file.size(), 44u);
        const gs::audio_buffer a = decode_ok(file);
        EXPECT_EQ(a.sample_rate_hz, 22050);
        EXPECT_EQ(a.n_channels_in, 1);
        EXPECT_EQ(a.format, "wav pcm16");
        ASSERT_EQ(a.samples.size(), (file.size() - 44) / 2);  // 6 s
        EXPECT_EQ(a.samples.size(), 132300u);
        for (size_t i : {size_t(0), size_t(1), a.samples.size() / 2, a.samples.size() - 1}) {
            const int16_t raw = int16_t(file[44 + 2 * i] | (file[45 + 2 * i] << 8));
            EXPECT_EQ(a.samples[i], float(raw) / 32768.0f) << "sample " << i;
        }
    }
}

TEST(AudioIoRealFiles, StereoClipDownmixes) {
    const bytes file = read_file(shared_root() + "/clips/rock.00005-44k-stereo.wav");
    ASSERT_GT(file.size(), 44u);
    const gs::audio_buffer a = decode_ok(file);
    EXPECT_EQ(a.sample_rate_hz, 44100);
    EXPECT_EQ(a.n_channels_in, 2);
    ASSERT_EQ(a.samples.size(), 264600u);  // 1058400 data bytes / 4
    for (size_t i = 0; i < a.samples.size(); i += 997) {
        const uint8_t* p = &file[44 + 4 * i];
        const float l = float(int16_t(p[0] | (p[1] << 8))) / 32768.0f;
        const float r = float(int16_t(p[2] | (p[3] << 8))) / 32768.0f;
        ASSERT_EQ(a.samples[i], (l + r) / 2.0f) << "frame " << i;
    }
    EXPECT_EQ(a.samples[4], (-201 / 32768.0f + -200 / 32768.0f) / 2.0f);
}

TEST(AudioIoRealFiles, Fixtures) {
    const std::string dir = shared_root() + "/fixtures/audio/";
    const std::pair<const char*, int> cases[] = {{"chirp_22k.wav", 22050},   {"chords_22k.wav", 22050},
                                                 {"noise_22k.wav", 22050},   {"short_22k.wav", 22050},
                                                 {"silence_22k.wav", 22050}, {"sine440_22k.wav", 22050},
                                                 {"speech_16k.wav", 16000}};
    for (const auto& c : cases) {
        SCOPED_TRACE(c.first);
        const bytes file = read_file(dir + c.first);
        const gs::audio_buffer a = decode_ok(file);
        EXPECT_EQ(a.sample_rate_hz, c.second);
        EXPECT_EQ(a.n_channels_in, 1);
        EXPECT_EQ(a.samples.size(), (file.size() - 44) / 2);
        for (float v : a.samples) ASSERT_TRUE(v >= -1.0f && v < 1.0f);
    }
    const gs::audio_buffer silence = decode_ok(read_file(dir + "silence_22k.wav"));
    for (float v : silence.samples) ASSERT_EQ(v, 0.0f);
    // A 440 Hz sine crosses zero about 880 times a second.
    const gs::audio_buffer sine = decode_ok(read_file(dir + "sine440_22k.wav"));
    size_t crossings = 0;
    for (size_t i = 1; i < sine.samples.size(); ++i) crossings += (sine.samples[i - 1] < 0) != (sine.samples[i] < 0);
    EXPECT_NEAR(double(crossings) / 3.0, 880.0, 5.0);
}
