// file_io.h: reading a whole file into memory with a size limit (audio, models, cache files).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gs {

// The size of `path` in bytes when it is a regular file; otherwise an error ("is a directory, not a
// file", "not a regular file", "cannot open file"). Returns "" or the error.
std::string regular_file_size(const std::string& path, uint64_t& size);

// Reads all of `path` into `bytes` (cleared first). Refuses files above `max_bytes` (> 0) before
// allocating, and anything that is not a regular file (directories, devices, pipes). Returns "" or an error message
// without the path (callers prefix it).
std::string read_whole_file(const std::string& path, uint64_t max_bytes, std::vector<uint8_t>& bytes);
std::string read_whole_file(const std::string& path, uint64_t max_bytes, std::string& bytes);  // for parsers

// "2 GiB", "512 MiB", "100 KiB", "1000 bytes": a byte limit for error messages.
std::string describe_bytes(uint64_t n);

}  // namespace gs
