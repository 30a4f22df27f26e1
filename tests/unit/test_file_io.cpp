// test_file_io.cpp: gs::read_whole_file (the one whole-file reader of the CLI, trainer and cache).
#include "file_io.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

namespace {

// A file in the working directory with `n` bytes 0, 1, 2, ... (mod 256); removed by the fixture. Named after the
// test: ctest runs each test in its own process, two at a time, so a shared name let one test's TearDown delete
// the file another was reading (a red CI run in session 18).
class FileIo : public ::testing::Test {
protected:
    std::string path_ = std::string("gs_test_file_io_") + ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".bin";
    void write(size_t n) {
        std::FILE* f = std::fopen(path_.c_str(), "wb");
        ASSERT_NE(f, nullptr);
        for (size_t i = 0; i < n; ++i) std::fputc(static_cast<int>(i % 256), f);
        std::fclose(f);
    }
    void TearDown() override { std::remove(path_.c_str()); }
};

TEST_F(FileIo, ReadsEveryByte) {
    write(1000);
    std::vector<uint8_t> b{9, 9};
    ASSERT_EQ(gs::read_whole_file(path_, 1000, b), "");
    ASSERT_EQ(b.size(), 1000u);
    for (size_t i = 0; i < b.size(); ++i) ASSERT_EQ(b[i], i % 256) << i;
}

TEST_F(FileIo, EmptyFileIsEmptyNotAnError) {
    write(0);
    std::vector<uint8_t> b{1, 2, 3};
    EXPECT_EQ(gs::read_whole_file(path_, 10, b), "");
    EXPECT_TRUE(b.empty());
}

TEST_F(FileIo, RefusesFilesAboveTheLimitBeforeReading) {
    write(1025);
    std::vector<uint8_t> b{1};
    EXPECT_EQ(gs::read_whole_file(path_, 1024, b), "file is larger than 1 KiB");
    EXPECT_TRUE(b.empty());
}

TEST_F(FileIo, MissingFileDirectoryAndDeviceAreErrors) {
    std::vector<uint8_t> b{1};
    EXPECT_EQ(gs::read_whole_file("gs_no_such_file.bin", 1024, b), "cannot open file");
    EXPECT_TRUE(b.empty());
    EXPECT_EQ(gs::read_whole_file(".", uint64_t(1) << 40, b), "is a directory, not a file");
    EXPECT_TRUE(b.empty());
    EXPECT_EQ(gs::read_whole_file("/dev/null", 1024, b), "not a regular file");
}

TEST_F(FileIo, StringOverloadReadsTheSameBytesAndRefusesTheSame) {
    write(300);
    std::string s = "old";
    ASSERT_EQ(gs::read_whole_file(path_, 300, s), "");
    ASSERT_EQ(s.size(), 300u);
    for (size_t i = 0; i < s.size(); ++i) ASSERT_EQ(static_cast<uint8_t>(s[i]), i % 256) << i;
    EXPECT_EQ(gs::read_whole_file(path_, 299, s), "file is larger than 299 bytes");
    EXPECT_TRUE(s.empty());
    EXPECT_EQ(gs::read_whole_file(".", 1024, s), "is a directory, not a file");
}

TEST(DescribeBytes, Units) {
    EXPECT_EQ(gs::describe_bytes(uint64_t(2) << 30), "2 GiB");
    EXPECT_EQ(gs::describe_bytes(uint64_t(64) << 20), "64 MiB");
    EXPECT_EQ(gs::describe_bytes(1024), "1 KiB");
    EXPECT_EQ(gs::describe_bytes(1000), "1000 bytes");
}

}  // namespace
