// audio_io.h: WAV (RIFF) and Sun/NeXT AU decoding to mono float, plus encoders, on memory buffers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace gs {

// Decoded audio. The buffer owns its samples.
struct audio_buffer {
    std::vector<float> samples;   // mono (all channels averaged), nominally [-1, 1]
    int sample_rate_hz = 0;       // > 0 after a successful decode
    int n_channels_in = 0;        // channel count in the file, before the mono downmix (1..65535)
    std::string format;           // short description, e.g. "wav pcm16", "wav float32", "au mulaw"
};

// Largest number of output (mono) samples a decode will produce; bigger inputs are refused.
constexpr uint64_t max_decoded_samples = uint64_t(1) << 31;

// Largest channel count accepted (the WAV field is 16 bits wide; AU is held to the same limit).
constexpr int max_channels = 65535;

// Decodes a WAV (RIFF/WAVE) or Sun/NeXT AU (".snd") file held in memory, choosing the format
// from the magic bytes ("RIFF" or ".snd").
//   data, size: the whole file; the caller keeps ownership, and nothing past data[size-1] is read.
//               data may be null only when size is 0.
//   out:        cleared first; on success it holds the mono samples (channels averaged in float,
//               integers scaled as libsndfile/soundfile do: u8 (x-128)/128, s16 x/32768,
//               s24 x/8388608, s32 x/2147483648, floats as stored, doubles rounded to float).
// Returns "" on success, else a one-line human-readable error, with out left empty.
// Never throws (allocation failure is reported as an error).
std::string decode_audio(const uint8_t* data, size_t size, audio_buffer& out);

// Convenience overload of decode_audio for a byte vector (not retained).
inline std::string decode_audio(const std::vector<uint8_t>& bytes, audio_buffer& out) {
    return decode_audio(bytes.data(), bytes.size(), out);
}

// Decodes a RIFF/WAVE file: PCM 8 (unsigned) / 16 / 24 / 32-bit little-endian (any bit count
// 1..32 stored in its byte container), IEEE float 32/64, and WAVE_FORMAT_EXTENSIBLE with a PCM
// or IEEE-float sub-format. Chunks are walked in order; unknown chunks are skipped (odd sizes
// honour the pad byte); "fmt " must come before "data". A data size of 0 or 0xFFFFFFFF means
// "to the end of the buffer"; any other size larger than the bytes present is an error. A
// partial trailing frame is ignored. Same ownership, return value and guarantees as decode_audio.
std::string decode_wav(const uint8_t* data, size_t size, audio_buffer& out);

// Decodes a big-endian Sun/NeXT AU file (magic ".snd"; header: data offset >= 24, data size
// (0xFFFFFFFF = to end of buffer), encoding, rate in Hz, channels). Encodings: 1 mu-law
// (G.711 table, /32768), 2 signed 8-bit (/128), 3 16-bit, 4 24-bit, 5 32-bit, 6 float, 7 double.
// Same ownership, return value and guarantees as decode_audio.
std::string decode_au(const uint8_t* data, size_t size, audio_buffer& out);

// Sample formats encode_wav can write.
enum class wav_sample_format { pcm_u8, pcm_s16, pcm_s24, pcm_s32, float32, float64 };

// Encodes interleaved float samples as a complete WAV file (meant for tests and tools).
//   interleaved:    n_frames * n_channels values, frame-major; read only, not retained.
//   n_frames:       frames (samples per channel); 0 gives a valid file with an empty data chunk.
//   n_channels:     1..65535.
//   sample_rate_hz: > 0.
//   fmt:            stored sample format. Integer formats scale by 2^(bits-1) (u8 adds 128),
//                   round to nearest and clip to the format's range; NaN becomes 0.
//   extensible:     true writes a WAVE_FORMAT_EXTENSIBLE fmt chunk (valid bits = container bits).
// Float formats also get a "fact" chunk. Returns the file bytes (owned by the caller), or an
// empty vector if an argument is out of range or the data would not fit a 32-bit RIFF size.
std::vector<uint8_t> encode_wav(const float* interleaved, size_t n_frames, int n_channels,
                                int sample_rate_hz, wav_sample_format fmt, bool extensible = false);

// Encodings encode_au can write (AU encoding codes 1..7 in this order).
enum class au_encoding { mulaw8, pcm8, pcm16, pcm24, pcm32, float32, float64 };

// Encodes interleaved float samples as a big-endian AU file with a 24-byte header.
//   Parameters as for encode_wav. mulaw8 stores the G.711 code whose decoded value is nearest
//   to x*32768; pcm8 is signed. Returns the file bytes, or an empty vector on bad arguments or
//   if the data would reach 0xFFFFFFFF bytes.
std::vector<uint8_t> encode_au(const float* interleaved, size_t n_frames, int n_channels,
                               int sample_rate_hz, au_encoding enc);

// The linear value (-32124..32124) of a G.711 mu-law code, as libsndfile decodes it.
int16_t mulaw_to_linear(uint8_t code);

}  // namespace gs
