// test_sha256.cpp: SHA-256 against the FIPS 180-4 / NIST example vectors, padding edges, incremental == one-shot.
#include <gtest/gtest.h>

#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "data/sha256.h"

namespace {

// ref: NIST "Cryptographic Algorithm Validation Program" SHA-256 examples (FIPS 180-4 appendix messages).
TEST(Sha256, FipsVectors) {
    EXPECT_EQ(gs::sha256_hex(std::string()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(gs::sha256_hex(std::string("abc")),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(gs::sha256_hex(std::string("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    EXPECT_EQ(gs::sha256_hex(std::string("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                                         "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu")),
              "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    const std::string million(1000000, 'a');
    EXPECT_EQ(gs::sha256_hex(million), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, MillionAInOddChunks) {
    gs::sha256 h;
    const std::string chunk(997, 'a');  // prime size: chunks straddle block boundaries everywhere
    size_t left = 1000000;
    while (left > 0) {
        const size_t n = left < chunk.size() ? left : chunk.size();
        h.update(chunk.data(), n);
        left -= n;
    }
    EXPECT_EQ(gs::to_hex(h.final()), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// Lengths around the padding boundaries (55/56 bytes: the length field still fits or needs a new block).
// Reference digests from Python's hashlib.
TEST(Sha256, PaddingBoundaries) {
    const std::pair<size_t, const char*> cases[] = {
        {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
        {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
        {57, "f13b2d724659eb3bf47f2dd6af1accc87b81f09f59f2b75e5c0bed6589dfe8c6"},
        {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
        {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
        {65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
        {119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
        {120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
        {128, "6836cf13bac400e9105071cd6af47084dfacad4e5e302c94bfed24e013afb73e"},
    };
    for (const auto& c : cases) EXPECT_EQ(gs::sha256_hex(std::string(c.first, 'a')), c.second) << c.first;
}

TEST(Sha256, IncrementalEqualsOneShot) {
    std::mt19937 rng(42);
    for (int trial = 0; trial < 200; ++trial) {
        std::vector<uint8_t> msg(rng() % 700);
        for (uint8_t& b : msg) b = static_cast<uint8_t>(rng());
        const gs::sha256_digest expected = gs::sha256_bytes(msg.data(), msg.size());
        gs::sha256 h;
        size_t pos = 0;
        while (pos < msg.size()) {
            const size_t n = std::min<size_t>(msg.size() - pos, rng() % 150);  // 0-byte updates included
            h.update(msg.data() + pos, n);
            pos += n;
        }
        EXPECT_EQ(h.final(), expected) << "trial " << trial << ", " << msg.size() << " bytes";
    }
}

TEST(Sha256, InitResetsAndCopiesContinue) {
    gs::sha256 h;
    h.update(std::string("junk"));
    h.final();
    h.init();
    h.update(std::string("ab"));
    gs::sha256 copy = h;  // a copy continues the same message
    h.update(std::string("c"));
    copy.update(std::string("c"));
    const std::string abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    EXPECT_EQ(gs::to_hex(h.final()), abc);
    EXPECT_EQ(gs::to_hex(copy.final()), abc);
    h.update(nullptr, 0);  // allowed
}

TEST(Sha256, HexHelper) {
    const uint8_t bytes[] = {0x00, 0x0f, 0xa5, 0xff};
    EXPECT_EQ(gs::to_hex(bytes, 4), "000fa5ff");
    EXPECT_EQ(gs::to_hex(bytes, 0), "");
}

TEST(Sha256, FileMatchesBuffer) {
    char tmpl[] = "/tmp/gs_sha256_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    const std::string dir = tmpl;
    const std::string path = dir + "/data.bin";
    std::vector<uint8_t> data(100000);
    std::mt19937 rng(7);
    for (uint8_t& b : data) b = static_cast<uint8_t>(rng());
    std::FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(std::fwrite(data.data(), 1, data.size(), f), data.size());
    std::fclose(f);

    std::string hex;
    EXPECT_EQ(gs::sha256_file_hex(path, hex), "");
    EXPECT_EQ(hex, gs::sha256_hex(data.data(), data.size()));

    const std::string err = gs::sha256_file_hex(dir + "/missing.bin", hex);
    EXPECT_NE(err.find("missing.bin: cannot open"), std::string::npos) << err;
    EXPECT_TRUE(hex.empty());
    EXPECT_NE(gs::sha256_file_hex(dir, hex), "");  // a directory is not readable data
    std::filesystem::remove_all(dir);
}

}  // namespace
