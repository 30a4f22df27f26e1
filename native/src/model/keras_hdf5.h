// keras_hdf5.h: reads the float datasets of a Keras HDF5 weights file (untrusted) with libhdf5, in a child process.
//
// A weights file is a user's file, and libhdf5 has a history of crashing (and aborting) on malformed input, so the
// library is never called in the caller's process: keras_hdf5_read_bytes() forks a child that opens the bytes
// as an in-memory file image (core driver, no file-system access: external links are not followed), walks every
// hard link, reads the float datasets under the limits below and sends them back through a pipe. A crash, abort
// or hang inside libhdf5 then becomes a one-line error ("the HDF5 library crashed (signal 11)", "... timed
// out") and the caller goes on. The child silences libhdf5's error-stack printing (H5Eset_auto) and its stderr.
// The parent checks what comes back as untrusted too (sizes, counts). Native only (needs fork and libhdf5).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace gs {

// Limits on what is read (a real Keras weights file is far below them).
constexpr uint64_t kHdf5MaxFileBytes = 512ull << 20;   // the whole file, read into memory first
constexpr size_t kHdf5MaxDatasets = 4096;              // datasets listed
constexpr int kHdf5MaxRank = 8;                        // dimensions of one dataset
constexpr uint64_t kHdf5MaxValues = 1ull << 24;        // values of one dataset (64 MiB as float32)
constexpr uint64_t kHdf5MaxTotalValues = 1ull << 25;   // values of all datasets together (128 MiB)
constexpr size_t kHdf5MaxName = 1024;                  // characters of a dataset's path

// One dataset: its shape (row-major, as stored; rank 0 = scalar) and, for floating-point datasets (any width),
// its values converted to float32 by libhdf5. Other types (integers, strings, ...) are listed with no values.
struct hdf5_dataset {
    std::vector<int64_t> shape;
    bool is_float = false;
    std::vector<float> values;  // product(shape) values when is_float, else empty

    int64_t n_values() const;   // product of shape (1 for a scalar)
};

// Every dataset of the file by its path from the root without a leading '/', e.g. "melgram/Variable_2:0" or
// "ConvBNEluDr/convolution2d_1_W:0" (Keras 1; Keras 2 nests one more group: "layer/layer/kernel:0").
using hdf5_datasets = std::map<std::string, hdf5_dataset>;

struct hdf5_read_options {
    int timeout_s = 60;          // wall-clock limit for the child, seconds, valid 1..3600; then it is killed
    // Tests only: the child raises this signal (e.g. SIGSEGV) instead of reading, to exercise the containment.
    int test_child_signal = 0;
};

// Reads the datasets of the HDF5 file held in data[0..n) (the caller keeps ownership; nothing is retained).
// `out` is cleared first and only filled on success. Returns "" or a one-line error without a path: "not an
// HDF5 file (no signature)", "the HDF5 library crashed (signal N)", "dataset 'x' has N values (limit M)", ...
std::string keras_hdf5_read_bytes(const uint8_t* data, size_t n, hdf5_datasets& out,
                                  const hdf5_read_options& options = {});

// Reads `path` (a regular file of at most kHdf5MaxFileBytes) and its datasets. Errors read
// "cannot read HDF5 file PATH: <reason>".
std::string keras_hdf5_read_file(const std::string& path, hdf5_datasets& out, const hdf5_read_options& options = {});

// The parent's parser of the reader process's answer (format in keras_hdf5.cpp), with the limits above: the
// answer comes from a process that ran libhdf5 on untrusted input. `out` is filled as it goes (clear it on
// error). Returns "" or "the reader process sent a malformed answer" (or the child's own error message).
// Exposed for the fuzz target (tests/fuzz/fuzz_hdf5.cpp); product code gets it through keras_hdf5_read_bytes().
std::string keras_hdf5_decode_answer(const std::string& msg, hdf5_datasets& out);

// The same walk in THIS process, without containment: a crash in libhdf5 crashes the caller. Only for the fuzz
// target's search for such crashes (see tests/fuzz/fuzz_hdf5.cpp); product code uses keras_hdf5_read_bytes().
std::string keras_hdf5_read_bytes_in_process(const uint8_t* data, size_t n, hdf5_datasets& out);

}  // namespace gs
