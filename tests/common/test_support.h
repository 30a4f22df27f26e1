// test_support.h: small helpers the test files share (where the team's reference data lives, file reading).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#ifndef GS_SHARED_DIR_DEFAULT
#define GS_SHARED_DIR_DEFAULT "../shared"  // CMake passes the configured GENRESCOPE_SHARED_DATA_DIR
#endif

namespace gs_test {

// The team's reference material (fixtures, clips): $GS_SHARED_DIR, else the build's configured folder.
inline std::string shared_dir() {
    const char* env = std::getenv("GS_SHARED_DIR");
    return env && *env ? env : GS_SHARED_DIR_DEFAULT;
}

// The whole file as bytes; empty when it cannot be read.
inline std::vector<uint8_t> read_file_bytes(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return {};
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

}  // namespace gs_test
