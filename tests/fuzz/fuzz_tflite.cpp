// fuzz_tflite.cpp: libFuzzer entry point for gs::tflite_parse / tflite_dequantize: raw inputs, and byte edits of the real YAMNet files.
#include "model/tflite_reader.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#ifndef GS_FUZZ_TFLITE_DIR
#define GS_FUZZ_TFLITE_DIR ""
#endif

namespace {

// A real model kept in memory, and where its flatbuffer tables lie (after the last weight buffer: random edits
// there reach offsets, vtables, counts, indices and types instead of weights).
struct base_model {
    std::vector<uint8_t> bytes;
    size_t tables_begin = 0;
};

base_model load_base(const char* name) {
    base_model b;
    const char* env = std::getenv("GS_FUZZ_TFLITE_DIR");
    const std::string dir = env && *env ? env : GS_FUZZ_TFLITE_DIR;
    std::ifstream f(dir + "/" + name, std::ios::binary);
    if (!f) return b;
    b.bytes.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    gs::tflite_model m;
    if (!gs::tflite_parse(b.bytes.data(), b.bytes.size(), m).empty()) {
        b.bytes.clear();
        return b;
    }
    uint64_t end = 0;
    for (const gs::tflite_buffer& buf : m.buffers) end = std::max(end, buf.offset + buf.size);
    b.tables_begin = static_cast<size_t>(std::min<uint64_t>(end, b.bytes.size() - 1));
    return b;
}

// Parses `size` bytes and checks the reader's contract: a one-line "tflite: " error and an empty model, or a
// model whose references are all in range; then dequantises the small constants (errors allowed).
void check(const uint8_t* data, size_t size) {
    gs::tflite_model m;
    const std::string err = gs::tflite_parse(data, size, m);
    if (!err.empty()) {
        if (err.rfind("tflite: ", 0) != 0 || err.find('\n') != std::string::npos || !m.subgraphs.empty() ||
            !m.buffers.empty()) {
            std::abort();
        }
        return;
    }
    if (m.subgraphs.empty()) std::abort();
    for (const gs::tflite_buffer& b : m.buffers) {
        if (b.offset > size || b.size > size - b.offset) std::abort();
    }
    for (const gs::tflite_subgraph& g : m.subgraphs) {
        for (const gs::tflite_tensor& t : g.tensors) {
            if (t.buffer >= m.buffers.size() || gs::tflite_element_count(t.shape) < 0) std::abort();
        }
        for (const gs::tflite_operator& op : g.operators) {
            if (size_t(op.opcode_index) >= m.operator_codes.size()) std::abort();
            for (int32_t i : op.inputs) {
                if (i < -1 || i >= int32_t(g.tensors.size())) std::abort();
            }
        }
    }
    std::vector<float> v;
    std::vector<int64_t> shape;
    const gs::tflite_subgraph& g = m.subgraphs[0];
    for (size_t t = 0; t < g.tensors.size(); ++t) {
        if (gs::tflite_element_count(g.tensors[t].shape) > 256) continue;  // keeps executions fast
        (void)gs::tflite_dequantize(m, data, size, int(t), v, shape);
    }
}

}  // namespace

// Input: byte 0 picks the mode. Even: the rest is a file. Odd: the rest is a list of edits of a real YAMNet file
// (bit 1 picks spectra_in or waveform_in): 5 bytes each, a little-endian position (mapped into the tables region,
// or the 64-byte header when its top bit is set) and the byte to write there; with bit 2 set, the 1-4 bytes left
// over cut the file short by that many bytes (base 255). The base file is restored after each run.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static base_model bases[2] = {load_base("yamnet_spectra_in.tflite"), load_base("yamnet_waveform_in.tflite")};
    if (size == 0) {
        check(data, 0);
        return 0;
    }
    base_model& base = bases[(data[0] >> 1) & 1];
    if ((data[0] & 1) == 0 || base.bytes.empty()) {
        check(data + 1, size - 1);
        return 0;
    }
    std::vector<uint8_t>& b = base.bytes;
    std::vector<std::pair<size_t, uint8_t>> saved;
    size_t i = 1;
    for (; i + 5 <= size && saved.size() < 64; i += 5) {
        uint32_t raw;
        std::memcpy(&raw, data + i, 4);
        const size_t pos = (raw & 0x80000000u) ? (raw & 63u)
                                               : base.tables_begin + raw % (b.size() - base.tables_begin);
        saved.push_back({pos, b[pos]});
        b[pos] = data[i + 4];
    }
    size_t cut = 0;
    if (data[0] & 4) {
        for (; i < size; ++i) cut = cut * 255 + data[i];
    }
    const size_t n = b.size() - std::min(cut, b.size());
    if (n < b.size()) {
        // The prefix copied to the END of a buffer of the file's size, so a read past it leaves the allocation
        // and AddressSanitizer reports it (one allocation for all runs: a 4 MB one per run is slow under ASan).
        static std::vector<uint8_t> tail_aligned(b.size());
        if (tail_aligned.size() < b.size()) tail_aligned.resize(b.size());
        uint8_t* dst = tail_aligned.data() + tail_aligned.size() - n;
        std::memcpy(dst, b.data(), n);
        check(dst, n);
    } else {
        check(b.data(), n);
    }
    for (auto it = saved.rbegin(); it != saved.rend(); ++it) b[it->first] = it->second;
    return 0;
}
