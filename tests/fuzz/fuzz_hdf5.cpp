// fuzz_hdf5.cpp: libFuzzer entry point for the Keras HDF5 import path: the contained reader, its answer parser, and import_compact_cnn_datasets.
//
// What runs in this process is our code: keras_hdf5_read_bytes() forks a child for libhdf5 (whose crashes are
// contained by design and are not what this target looks for), then parses the child's answer; the importer
// then checks the datasets. So the target feeds (a) byte edits of the real compact_cnn weights file through
// the whole product path, (b) raw answers straight into the parent's parser, and (c) datasets of the real file
// with edited shapes and values into the importer. Set GS_FUZZ_HDF5_IN_PROCESS=1 to run mode (a) through
// keras_hdf5_read_bytes_in_process() instead: a search for crashes inside libhdf5 itself (not run by ctest).
#include "model/import_compact_cnn.h"
#include "model/keras_hdf5.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#ifndef GS_FUZZ_HDF5_FILE
#define GS_FUZZ_HDF5_FILE ""
#endif

namespace {

struct base_file {
    std::vector<uint8_t> bytes;
    gs::hdf5_datasets datasets;  // what the real file holds (read once, contained)
};

base_file load_base() {
    base_file b;
    const char* env = std::getenv("GS_FUZZ_HDF5_FILE");
    std::ifstream f(env && *env ? env : GS_FUZZ_HDF5_FILE, std::ios::binary);
    if (!f) return b;
    b.bytes.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    if (!gs::keras_hdf5_read_bytes(b.bytes.data(), b.bytes.size(), b.datasets).empty()) b.bytes.clear();
    return b;
}

// The reader's contract: "" and datasets within the limits, or a one-line error and nothing.
void check_read(const std::string& err, const gs::hdf5_datasets& ds) {
    if (!err.empty()) {
        if (err.find('\n') != std::string::npos || !ds.empty()) std::abort();
        return;
    }
    if (ds.size() > gs::kHdf5MaxDatasets) std::abort();
    uint64_t total = 0;
    for (const auto& [name, d] : ds) {
        if (name.size() > gs::kHdf5MaxName || d.shape.size() > size_t(gs::kHdf5MaxRank)) std::abort();
        if (d.is_float) {
            if (int64_t(d.values.size()) != d.n_values()) std::abort();
            total += d.values.size();
        } else if (!d.values.empty()) {
            std::abort();
        }
    }
    if (total > gs::kHdf5MaxTotalValues) std::abort();
}

// The importer's contract on any datasets: "" and a complete import, or a one-line error and outputs untouched.
void check_import(const gs::hdf5_datasets& ds) {
    gs::ir_graph g;
    gs::ir_weights w;
    gs::model_card card;
    const std::string err = gs::import_compact_cnn_datasets(ds, "fuzz.hdf5", "0", g, w, card);
    if (!err.empty()) {
        if (err.find('\n') != std::string::npos || !w.empty() || !g.nodes.empty() || !card.labels.empty()) {
            std::abort();
        }
        return;
    }
    if (card.labels.size() != size_t(gs::kCompactCnnEmbedding) || w.size() != 5 * 6) std::abort();
}

// Applies up to 64 edits (5 bytes each: a little-endian position and the byte to write) to `b`, runs `fn` on
// the result (cut short by `cut` bytes), and restores `b`.
template <class Fn>
void with_edits(std::vector<uint8_t>& b, const uint8_t* data, size_t size, bool cut_tail, Fn fn) {
    std::vector<std::pair<size_t, uint8_t>> saved;
    size_t i = 0;
    for (; i + 5 <= size && saved.size() < 64; i += 5) {
        uint32_t raw;
        std::memcpy(&raw, data + i, 4);
        const size_t pos = raw % b.size();
        saved.push_back({pos, b[pos]});
        b[pos] = data[i + 4];
    }
    size_t cut = 0;
    if (cut_tail) {
        for (; i < size; ++i) cut = cut * 255 + data[i];
    }
    fn(b.data(), b.size() - std::min(cut, b.size()));
    for (auto it = saved.rbegin(); it != saved.rend(); ++it) b[it->first] = it->second;
}

// Mode (c): the real datasets with one dataset's shape and some values replaced, chosen by the input.
void edit_datasets(const gs::hdf5_datasets& real, const uint8_t* data, size_t size) {
    if (real.empty() || size < 2) return;
    gs::hdf5_datasets ds = real;
    auto it = ds.begin();
    std::advance(it, data[0] % ds.size());
    gs::hdf5_dataset& d = it->second;
    const int rank = data[1] % 5;
    size_t i = 2;
    if (data[1] & 0x80) {  // a new shape (values resized to match when small enough), or the dataset dropped
        if (rank == 0 && (data[1] & 0x40)) {
            ds.erase(it);
            check_import(ds);
            return;
        }
        d.shape.clear();
        int64_t n = 1;
        for (int k = 0; k < rank && i < size; ++k, ++i) {
            static const int64_t dims[8] = {0, 1, 2, 3, 32, 96, 257, 512};  // the file's own dims, and edges
            d.shape.push_back(dims[data[i] % 8]);
            n *= d.shape.back();
        }
        if (d.is_float) d.values.assign(size_t(std::min<int64_t>(n, 1 << 20)), 0.5f);
    }
    for (; i + 5 <= size && !d.values.empty(); i += 5) {  // values: NaN, inf, huge, or raw bits
        uint32_t pos, bits;
        std::memcpy(&pos, data + i, 4);
        bits = uint32_t(data[i + 4]) * 0x01010101u;
        std::memcpy(&d.values[pos % d.values.size()], &bits, 4);
    }
    check_import(ds);
}

}  // namespace

// Input: byte 0 picks the mode (low 2 bits): 0 raw answer for the parser; 1 edits of the real file through
// the contained reader (bit 2: cut the tail), then the importer on what it read; 2 edited datasets into the
// importer; 3 the rest as a file for the reader (an HDF5 signature is put in front when bit 2 is set).
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static base_file base = load_base();
    static const bool in_process = [] {
        const char* e = std::getenv("GS_FUZZ_HDF5_IN_PROCESS");
        return e && *e == '1';
    }();
    if (size == 0) return 0;
    const uint8_t mode = data[0] & 3;
    const bool flag = data[0] & 4;
    ++data;
    --size;
    gs::hdf5_read_options options;
    options.timeout_s = 20;
    auto read = [&](const uint8_t* p, size_t n, gs::hdf5_datasets& ds) {
        return in_process ? gs::keras_hdf5_read_bytes_in_process(p, n, ds) : gs::keras_hdf5_read_bytes(p, n, ds, options);
    };
    gs::hdf5_datasets ds;
    if (mode == 0) {
        const std::string err = gs::keras_hdf5_decode_answer(std::string(reinterpret_cast<const char*>(data), size), ds);
        if (!err.empty()) ds.clear();  // the parser fills as it goes; the caller discards on error
        check_read(err, ds);
    } else if (mode == 1) {
        if (base.bytes.empty()) return 0;
        with_edits(base.bytes, data, size, flag, [&](const uint8_t* p, size_t n) {
            const std::string err = read(p, n, ds);
            check_read(err, ds);
            if (err.empty()) check_import(ds);
        });
    } else if (mode == 2) {
        edit_datasets(base.datasets, data, size);
    } else {
        std::vector<uint8_t> file;
        if (flag) {
            static const uint8_t sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
            file.assign(sig, sig + 8);
        }
        file.insert(file.end(), data, data + size);
        const std::string err = read(file.data(), file.size(), ds);
        check_read(err, ds);
    }
    return 0;
}
