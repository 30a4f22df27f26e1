// fuzz_audio_io.cpp: libFuzzer entry point feeding arbitrary bytes to gs::decode_audio.
#include "genrescope/audio_io.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

// Takes the fuzzer's input (owned by libFuzzer, `size` bytes, possibly 0) and decodes it. Checks
// the decoder's contract: an error leaves the buffer empty, and a success never yields more
// samples than there are input bytes, has a positive rate and at least one channel. Returns 0.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    gs::audio_buffer out;
    const std::string err = gs::decode_audio(data, size, out);
    if (!err.empty()) {
        if (!out.samples.empty() || out.sample_rate_hz != 0 || err.find('\n') != std::string::npos) std::abort();
    } else if (out.samples.size() > size || out.sample_rate_hz <= 0 || out.n_channels_in < 1) {
        std::abort();
    }
    return 0;
}
