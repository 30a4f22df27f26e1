// Unit tests for gs::npy_encode and gs::npy_decode, including the librosa reference fixtures.
#include "genrescope/json.h"
#include "genrescope/npy.h"

#include <gtest/gtest.h>

#include "../common/test_support.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>

namespace {

using gs::npy_array;
using gs::npy_decode;
using gs::npy_encode;

using gs_test::shared_dir;

bool read_bytes(const std::string& path, std::vector<uint8_t>& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return true;
}

// Decodes a copy of bytes[0, len) held in an exactly sized heap block, so that AddressSanitizer
// catches any read past the end.
std::string decode_prefix(const std::vector<uint8_t>& bytes, size_t len, npy_array& out) {
    std::vector<uint8_t> copy(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(len));
    return npy_decode(copy.empty() ? nullptr : copy.data(), copy.size(), out);
}

// Builds a .npy file by hand from a header dict text and raw payload bytes.
std::vector<uint8_t> make_npy(const std::string& dict, const std::vector<uint8_t>& payload,
                              uint8_t major = 1) {
    size_t len_field = major == 1 ? 2 : 4;
    std::string header = dict;
    size_t unpadded = 8 + len_field + header.size() + 1;
    header.append((64 - unpadded % 64) % 64, ' ');
    header += '\n';
    std::vector<uint8_t> out = {0x93, 'N', 'U', 'M', 'P', 'Y', major, 0};
    for (size_t i = 0; i < len_field; ++i) out.push_back(static_cast<uint8_t>(header.size() >> (8 * i)));
    out.insert(out.end(), header.begin(), header.end());
    out.insert(out.end(), payload.begin(), payload.end());
    return out;
}

std::string dict_for(const std::string& descr, const std::string& shape) {
    return "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
}

template <class T>
std::vector<uint8_t> le_bytes(const std::vector<T>& values) {
    std::vector<uint8_t> out;
    for (T v : values) {
        uint64_t bits = 0;
        std::memcpy(&bits, &v, sizeof v);
        for (size_t i = 0; i < sizeof v; ++i) out.push_back(static_cast<uint8_t>(bits >> (8 * i)));
    }
    return out;
}

uint32_t float_bits(float f) {
    uint32_t b;
    std::memcpy(&b, &f, 4);
    return b;
}

TEST(Npy, DecodesReferenceFixtures) {
    const std::string root = shared_dir() + "/fixtures/";
    std::vector<uint8_t> manifest_bytes;
    ASSERT_TRUE(read_bytes(root + "manifest.json", manifest_bytes));
    gs::json_value manifest;
    ASSERT_EQ(gs::json_parse(std::string(manifest_bytes.begin(), manifest_bytes.end()), manifest),
              "");
    const gs::json_value& cases = manifest["cases"];
    ASSERT_EQ(cases.size(), 90u);
    for (const gs::json_value& c : cases.as_array()) {
        const std::string path = root + c["output"].as_string();
        SCOPED_TRACE(path);
        std::vector<uint8_t> file;
        ASSERT_TRUE(read_bytes(path, file));
        npy_array a;
        ASSERT_EQ(npy_decode(file.data(), file.size(), a), "");
        ASSERT_EQ(a.shape.size(), 2u);
        EXPECT_EQ(a.shape[0], static_cast<size_t>(c["shape"][0].as_int()));
        EXPECT_EQ(a.shape[1], static_cast<size_t>(c["shape"][1].as_int()));
        ASSERT_EQ(a.data.size(), a.shape[0] * a.shape[1]);
        size_t finite = 0;
        for (float v : a.data) finite += std::isfinite(v) ? 1 : 0;
        EXPECT_EQ(finite, a.data.size());
        // numpy.save and npy_encode agree byte for byte.
        EXPECT_TRUE(npy_encode(a.data.data(), a.shape) == file);
    }
}

TEST(Npy, EncodeLayoutMatchesNumpySave) {
    std::vector<float> data(12);
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<float>(i) - 2.5f;
    std::vector<uint8_t> f = npy_encode(data.data(), {3, 4});
    ASSERT_GE(f.size(), 10u);
    EXPECT_EQ(std::memcmp(f.data(), "\x93NUMPY\x01\x00", 8), 0);
    size_t header_len = f[8] | (static_cast<size_t>(f[9]) << 8);
    EXPECT_EQ((10 + header_len) % 64, 0u);
    ASSERT_EQ(f.size(), 10 + header_len + 48);
    std::string header(f.begin() + 10, f.begin() + 10 + static_cast<std::ptrdiff_t>(header_len));
    EXPECT_EQ(header.rfind("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }", 0), 0u);
    EXPECT_EQ(header.back(), '\n');
    // The data are little-endian float32 regardless of the host.
    EXPECT_EQ(f[10 + header_len + 4 * 3 + 0], static_cast<uint8_t>(float_bits(0.5f)));
    EXPECT_EQ(f[10 + header_len + 4 * 3 + 3], static_cast<uint8_t>(float_bits(0.5f) >> 24));

    std::vector<uint8_t> one = npy_encode(data.data(), {5});
    std::string h1(one.begin() + 10, one.end());
    EXPECT_NE(h1.find("'shape': (5,), }"), std::string::npos);
    std::vector<uint8_t> scalar = npy_encode(data.data(), {});
    std::string h0(scalar.begin() + 10, scalar.end());
    EXPECT_NE(h0.find("'shape': (), }"), std::string::npos);
    EXPECT_EQ(scalar.size(), 128u + 4u);

    // numpy >= 1.24 leaves 21 - len(str(shape[0])) spare spaces so the first axis can grow in
    // place; for 15 dimensions that pushes the header from 118 to 182 bytes.
    std::vector<uint8_t> many = npy_encode(data.data(), std::vector<size_t>(15, 1));
    ASSERT_GE(many.size(), 10u);
    EXPECT_EQ(many[8] | (many[9] << 8), 182);
    EXPECT_EQ(many.size(), 10u + 182u + 4u);
    // A header too long for a 16-bit length switches to version 2.0, still 64-aligned.
    std::vector<uint8_t> v2 = npy_encode(data.data(), std::vector<size_t>(25000, 1));
    ASSERT_GE(v2.size(), 12u);
    EXPECT_EQ(v2[6], 2);
    size_t v2_len = v2[8] | (v2[9] << 8) | (static_cast<size_t>(v2[10]) << 16);
    EXPECT_GT(v2_len, 65535u);
    EXPECT_EQ((12 + v2_len) % 64, 0u);
    EXPECT_EQ(v2.size(), 12 + v2_len + 4);

    EXPECT_TRUE(npy_encode(nullptr, {3, 4}).empty());
    EXPECT_FALSE(npy_encode(nullptr, {3, 0}).empty());
    size_t big = std::numeric_limits<size_t>::max() / 2;
    EXPECT_TRUE(npy_encode(data.data(), {big, 3}).empty());
}

TEST(Npy, RoundTripIsBitExact) {
    std::mt19937 rng(7);
    const std::vector<std::vector<size_t>> shapes = {{}, {0}, {1}, {5}, {3, 4}, {2, 3, 4},
                                                     {1, 0, 7}, {128, 130}, {2, 1, 1, 1, 3}};
    for (const auto& shape : shapes) {
        size_t count = 1;
        for (size_t d : shape) count *= d;
        std::vector<float> data(count);
        for (size_t i = 0; i < count; ++i) {
            uint32_t bits = rng();
            std::memcpy(&data[i], &bits, 4);  // includes NaNs, infinities, denormals, -0
        }
        std::vector<uint8_t> file = npy_encode(data.data(), shape);
        ASSERT_FALSE(file.empty());
        npy_array a;
        ASSERT_EQ(npy_decode(file.data(), file.size(), a), "");
        EXPECT_EQ(a.shape, shape);
        ASSERT_EQ(a.data.size(), count);
        for (size_t i = 0; i < count; ++i) ASSERT_EQ(float_bits(a.data[i]), float_bits(data[i]));
    }
}

TEST(Npy, EveryTruncationFails) {
    std::vector<float> data(12, 1.25f);
    std::vector<uint8_t> file = npy_encode(data.data(), {3, 4});
    npy_array a;
    for (size_t len = 0; len < file.size(); ++len) {
        EXPECT_NE(decode_prefix(file, len, a), "") << "prefix " << len;
        EXPECT_TRUE(a.shape.empty() && a.data.empty());
    }
    EXPECT_EQ(decode_prefix(file, file.size(), a), "");
    file.push_back(0);  // trailing bytes are rejected too
    EXPECT_NE(decode_prefix(file, file.size(), a), "");
    EXPECT_NE(npy_decode(nullptr, 0, a), "");

    std::vector<uint8_t> fixture;
    ASSERT_TRUE(read_bytes(shared_dir() + "/fixtures/ref/chirp_22k_c0_chroma.npy", fixture));
    for (size_t len = 0; len < fixture.size(); ++len) {
        ASSERT_NE(decode_prefix(fixture, len, a), "") << "prefix " << len;
    }
    EXPECT_EQ(decode_prefix(fixture, fixture.size(), a), "");
}

TEST(Npy, RejectsLyingShapes) {
    std::vector<uint8_t> payload = le_bytes(std::vector<float>(12, 2.0f));
    npy_array a;
    std::vector<uint8_t> honest = make_npy(dict_for("<f4", "(3, 4)"), payload);
    EXPECT_EQ(decode_prefix(honest, honest.size(), a), "");
    for (const char* shape : {"(3, 5)", "(3, 3)", "(13,)", "(2, 3)", "()", "(0,)",
                              "(4294967296, 4294967296, 16)", "(18446744073709551615, 2)",
                              "(4611686018427387904,)", "(99999999999999999999999999,)",
                              "(-1, 4)", "(3, -4)", "(3.0, 4)", "(12)", "[3, 4]", "3",
                              "(3, 4", "(3,, 4)", "(a,)"}) {
        std::vector<uint8_t> f = make_npy(dict_for("<f4", shape), payload);
        std::string err = decode_prefix(f, f.size(), a);
        EXPECT_NE(err, "") << shape;
        EXPECT_TRUE(a.data.empty());
    }
}

TEST(Npy, ConvertsOtherDtypes) {
    npy_array a;
    std::vector<uint8_t> f = make_npy(dict_for("<f8", "(3,)"), le_bytes<double>({0.1, -2.5, 1e300}));
    ASSERT_EQ(decode_prefix(f, f.size(), a), "");
    EXPECT_EQ(a.data[0], 0.1f);
    EXPECT_EQ(a.data[1], -2.5f);
    EXPECT_TRUE(std::isinf(a.data[2]));

    f = make_npy(dict_for("<i2", "(1, 3)"), le_bytes<int16_t>({-32768, 32767, -2}));
    ASSERT_EQ(decode_prefix(f, f.size(), a), "");
    EXPECT_EQ(a.shape, (std::vector<size_t>{1, 3}));
    EXPECT_EQ(a.data, (std::vector<float>{-32768.0f, 32767.0f, -2.0f}));

    f = make_npy(dict_for("<i4", "(2,)"), le_bytes<int32_t>({-2147483647 - 1, 123456}));
    ASSERT_EQ(decode_prefix(f, f.size(), a), "");
    EXPECT_EQ(a.data, (std::vector<float>{-2147483648.0f, 123456.0f}));

    f = make_npy(dict_for("<i8", "(2,)"), le_bytes<int64_t>({-(int64_t(1) << 40), 7}));
    ASSERT_EQ(decode_prefix(f, f.size(), a), "");
    EXPECT_EQ(a.data, (std::vector<float>{-1099511627776.0f, 7.0f}));
}

TEST(Npy, AcceptsHeaderVariants) {
    npy_array a;
    std::vector<uint8_t> payload = le_bytes<float>({1.0f, 2.0f});
    // Version 2.0 (32-bit header length), any key order, double quotes, no trailing comma,
    // Python 2 'L' suffixes.
    for (const auto& v : std::vector<std::pair<std::string, uint8_t>>{
             {dict_for("<f4", "(2,)"), 2},
             {dict_for("<f4", "(2,)"), 3},
             {"{'shape': (1, 2), 'fortran_order': False, 'descr': '<f4'}", 1},
             {"{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2L,)}", 1},
             {"{'descr':'<f4','fortran_order':False,'shape':(1,2,)}", 1}}) {
        std::vector<uint8_t> f = make_npy(v.first, payload, v.second);
        EXPECT_EQ(decode_prefix(f, f.size(), a), "") << v.first;
        EXPECT_EQ(a.data, (std::vector<float>{1.0f, 2.0f}));
    }
}

TEST(Npy, RejectsBadHeaders) {
    npy_array a;
    std::vector<uint8_t> payload = le_bytes<float>({1.0f, 2.0f});
    for (const std::string& dict :
         {dict_for(">f4", "(2,)"), dict_for("|u1", "(8,)"), dict_for("<f2", "(4,)"),
          dict_for("f4", "(2,)"), dict_for("<c8", "(1,)"),
          std::string("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }"),
          std::string("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }"),
          std::string("{'descr': '<f4', 'shape': (2,), }"),
          std::string("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}"),
          std::string("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}"),
          std::string("{'descr': '<f4' 'fortran_order': False, 'shape': (2,)}"),
          std::string("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} junk"),
          std::string("{'descr': '<f4, 'fortran_order': False, 'shape': (2,)}"),
          std::string("'descr': '<f4', 'fortran_order': False, 'shape': (2,)"),
          std::string("")}) {
        std::vector<uint8_t> f = make_npy(dict, payload);
        EXPECT_NE(decode_prefix(f, f.size(), a), "") << dict;
    }
    std::vector<uint8_t> good = make_npy(dict_for("<f4", "(2,)"), payload);
    std::vector<uint8_t> bad = good;
    bad[1] = 'X';  // magic
    EXPECT_NE(decode_prefix(bad, bad.size(), a), "");
    bad = good;
    bad[6] = 4;  // version 4.0
    EXPECT_NE(decode_prefix(bad, bad.size(), a), "");
    bad = good;
    bad[7] = 1;  // version 1.1
    EXPECT_NE(decode_prefix(bad, bad.size(), a), "");
    bad = good;
    bad[8] = 0xFF;  // header length past the end
    bad[9] = 0xFF;
    EXPECT_NE(decode_prefix(bad, bad.size(), a), "");
    bad = good;
    bad[6] = 2;  // a v1 file read as v2 gets a bogus 32-bit header length
    EXPECT_NE(decode_prefix(bad, bad.size(), a), "");
}

TEST(Npy, SurvivesRandomCorruption) {
    std::vector<float> data(6, 0.5f);
    std::vector<uint8_t> good = npy_encode(data.data(), {2, 3});
    std::mt19937 rng(99);
    npy_array a;
    int accepted = 0;
    for (int i = 0; i < 5000; ++i) {
        std::vector<uint8_t> f = good;
        int flips = 1 + static_cast<int>(rng() % 4);
        for (int k = 0; k < flips; ++k) {
            size_t at = rng() % 128;  // the header region
            f[at] = static_cast<uint8_t>(rng() % 3 ? rng() : " ,()0123456789'"[rng() % 15]);
        }
        size_t len = rng() % 8 ? f.size() : rng() % f.size();
        if (decode_prefix(f, len, a).empty()) {
            size_t count = 1;
            for (size_t d : a.shape) count *= d;
            ASSERT_EQ(a.data.size(), count);
            ++accepted;
        }
    }
    EXPECT_GT(accepted, 0);  // padding-only flips keep the file valid
}

}  // namespace
