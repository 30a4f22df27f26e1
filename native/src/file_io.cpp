// file_io.cpp: reading a whole file into memory with a size limit.
#include "file_io.h"

#include <sys/stat.h>

#include <cstdio>
#include <new>

namespace gs {

std::string describe_bytes(uint64_t n) {
    const uint64_t gib = uint64_t(1) << 30, mib = uint64_t(1) << 20, kib = uint64_t(1) << 10;
    if (n >= gib && n % gib == 0) return std::to_string(n / gib) + " GiB";
    if (n >= mib && n % mib == 0) return std::to_string(n / mib) + " MiB";
    if (n >= kib && n % kib == 0) return std::to_string(n / kib) + " KiB";
    return std::to_string(n) + " bytes";
}

std::string regular_file_size(const std::string& path, uint64_t& size) {
    size = 0;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return "cannot open file";
    if (S_ISDIR(st.st_mode)) return "is a directory, not a file";
    if (!S_ISREG(st.st_mode)) return "not a regular file";
    size = static_cast<uint64_t>(st.st_size);
    return "";
}

namespace {
// Both buffer types the callers want (bytes for decoders, a string for parsers) share this body.
template <class Buffer>
std::string read_whole_file_into(const std::string& path, uint64_t max_bytes, Buffer& bytes) {
    bytes.clear();
    uint64_t size = 0;
    std::string err = regular_file_size(path, size);
    if (!err.empty()) return err;
    if (size > max_bytes) return "file is larger than " + describe_bytes(max_bytes);
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return "cannot open file";
    try {
        bytes.resize(static_cast<size_t>(size));
    } catch (const std::bad_alloc&) {
        err = "out of memory reading the file";
    }
    if (err.empty() && size > 0 && std::fread(&bytes[0], 1, bytes.size(), f) != bytes.size()) err = "read error";
    std::fclose(f);
    if (!err.empty()) bytes.clear();
    return err;
}
}  // namespace

std::string read_whole_file(const std::string& path, uint64_t max_bytes, std::vector<uint8_t>& bytes) {
    return read_whole_file_into(path, max_bytes, bytes);
}

std::string read_whole_file(const std::string& path, uint64_t max_bytes, std::string& bytes) {
    return read_whole_file_into(path, max_bytes, bytes);
}

}  // namespace gs
