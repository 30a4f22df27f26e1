// Unit tests for gs::json_value, gs::json_parse and gs::json_write.
#include "genrescope/json.h"

#include <gtest/gtest.h>

#include "../common/test_support.h"

#include <cfloat>
#include <clocale>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>

namespace {

using gs::json_parse;
using gs::json_value;
using gs::json_write;

using gs_test::shared_dir;

bool read_text(const std::string& path, std::string& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    std::ostringstream ss;
    ss << in.rdbuf();
    out = ss.str();
    return true;
}

// Parses text that must be valid and returns the value.
json_value parse_ok(const std::string& text) {
    json_value v;
    std::string err = json_parse(text, v);
    EXPECT_EQ(err, "") << "input: " << text;
    return v;
}

// Returns the error for text that must be rejected.
std::string parse_err(const std::string& text) {
    json_value v = json_value("sentinel");
    std::string err = json_parse(text, v);
    EXPECT_NE(err, "") << "accepted: " << text;
    EXPECT_TRUE(v.is_null()) << "output not reset for: " << text;
    return err;
}

json_value sample_document() {
    json_value doc = json_value::object();
    doc.set("name", "mel \"power\"\n\xC3\xA9");
    doc.set("sr", 22050);
    doc.set("fmax", nullptr);
    doc.set("htk", false);
    doc.set("center", true);
    doc.set("rtol", 1e-4);
    doc.set("neg", -0.5);
    doc.set("shape", json_value::array({128, 130}));
    json_value nested = json_value::object();
    nested.set("empty_array", json_value::array());
    nested.set("empty_object", json_value::object());
    nested.set("deep", json_value::array({json_value::array({json_value::array({1.5})})}));
    doc.set("nested", nested);
    return doc;
}

TEST(Json, BuildAndQuery) {
    json_value doc = sample_document();
    ASSERT_TRUE(doc.is_object());
    EXPECT_EQ(doc.size(), 9u);
    EXPECT_EQ(doc["sr"].as_number(), 22050.0);
    EXPECT_EQ(doc["sr"].as_int(), 22050);
    EXPECT_EQ(doc["rtol"].as_int(-7), -7);  // not integral
    EXPECT_TRUE(doc["fmax"].is_null());
    EXPECT_TRUE(doc["missing"].is_null());
    EXPECT_EQ(doc.find("missing"), nullptr);
    ASSERT_NE(doc.find("htk"), nullptr);
    EXPECT_FALSE(doc["htk"].as_bool(true));
    EXPECT_TRUE(doc["center"].as_bool());
    EXPECT_EQ(doc["shape"].size(), 2u);
    EXPECT_EQ(doc["shape"][1].as_int(), 130);
    EXPECT_TRUE(doc["shape"][2].is_null());
    EXPECT_EQ(doc["nested"]["deep"][0][0][0].as_number(), 1.5);

    // Wrong-kind accessors fall back instead of failing.
    EXPECT_EQ(doc["name"].as_number(3.0), 3.0);
    EXPECT_EQ(doc["sr"].as_string(), "");
    EXPECT_TRUE(doc["sr"].as_array().empty());
    EXPECT_TRUE(doc["sr"].items().empty());
    EXPECT_EQ(doc["sr"].find("x"), nullptr);
    EXPECT_EQ(doc["sr"].size(), 0u);
}

TEST(Json, SetKeepsOrderAndReplacesInPlace) {
    json_value o;
    o.set("b", 1);
    o.set("a", 2);
    o.set("c", 3);
    o.set("a", "replaced");
    ASSERT_EQ(o.items().size(), 3u);
    EXPECT_EQ(o.items()[0].first, "b");
    EXPECT_EQ(o.items()[1].first, "a");
    EXPECT_EQ(o.items()[1].second.as_string(), "replaced");
    EXPECT_EQ(o.items()[2].first, "c");
    EXPECT_EQ(json_write(o, -1), "{\"b\":1,\"a\":\"replaced\",\"c\":3}");
    EXPECT_TRUE(o.erase("b"));
    EXPECT_FALSE(o.erase("b"));
    EXPECT_EQ(json_write(o, -1), "{\"a\":\"replaced\",\"c\":3}");

    json_value a;
    a.push_back(1);
    a.push_back("x");
    EXPECT_EQ(json_write(a, -1), "[1,\"x\"]");
    json_value n(5);
    n.set("k", true);  // a non-object becomes an object
    EXPECT_EQ(json_write(n, -1), "{\"k\":true}");
}

TEST(Json, RoundTripCompactAndPretty) {
    json_value doc = sample_document();
    for (int indent : {-1, 0, 2, 4}) {
        std::string text = json_write(doc, indent);
        json_value back = parse_ok(text);
        EXPECT_EQ(back, doc) << "indent " << indent << ": " << text;
        EXPECT_EQ(json_write(back, indent), text);
    }
    EXPECT_EQ(json_write(doc["shape"], -1), "[128,130]");
}

TEST(Json, PrettyLayout) {
    json_value v = parse_ok("{\"a\":[1,2],\"b\":{},\"c\":{\"d\":null}}");
    EXPECT_EQ(json_write(v, 2),
              "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {},\n  \"c\": {\n    \"d\": null\n  }\n}");
    EXPECT_EQ(json_write(v), json_write(v, 2));
    EXPECT_EQ(json_write(v, -1), "{\"a\":[1,2],\"b\":{},\"c\":{\"d\":null}}");
    EXPECT_EQ(json_write(json_value(), -1), "null");
    EXPECT_EQ(json_write(json_value::array(), 2), "[]");
}

TEST(Json, ParseEscapes) {
    json_value v = parse_ok("\"a\\nb\\\"c\\\\d\\u00e9\\ud83c\\udfb5\\/\\t\\b\\f\\r\\u0000z\"");
    ASSERT_TRUE(v.is_string());
    const std::string expected = std::string("a\nb\"c\\d\xC3\xA9\xF0\x9F\x8E\xB5/\t\b\f\r") +
                                 std::string(1, '\0') + "z";
    EXPECT_EQ(v.as_string(), expected);
    EXPECT_EQ(parse_ok("\"\\u00E9\"").as_string(), "\xC3\xA9");  // upper-case hex
    EXPECT_EQ(parse_ok("\"\\u20ac\"").as_string(), "\xE2\x82\xAC");
    EXPECT_EQ(parse_ok("\"\\uDBFF\\uDFFF\"").as_string(), "\xF4\x8F\xBF\xBF");  // U+10FFFF
    // Raw UTF-8 passes through unchanged.
    EXPECT_EQ(parse_ok("\"\xF0\x9F\x8E\xB5 \xC3\xA9\"").as_string(), "\xF0\x9F\x8E\xB5 \xC3\xA9");
}

TEST(Json, WriteEscapes) {
    std::string s = std::string("a\nb\"c\\d\x01\x1f\xC3\xA9/\t") + std::string(1, '\0');
    std::string text = json_write(json_value(s), -1);
    EXPECT_EQ(text, "\"a\\nb\\\"c\\\\d\\u0001\\u001f\xC3\xA9/\\t\\u0000\"");
    EXPECT_EQ(parse_ok(text).as_string(), s);
    // Invalid UTF-8 is replaced so that the output still parses.
    std::string bad = "x\xFFy\xC3";
    std::string written = json_write(json_value(bad), -1);
    EXPECT_EQ(written, "\"x\xEF\xBF\xBDy\xEF\xBF\xBD\"");
    parse_ok(written);
}

TEST(Json, RejectsBadStrings) {
    parse_err("\"abc");
    parse_err("[\"abc");
    parse_err("\"abc\\");
    parse_err("\"\\u12\"");
    parse_err("\"\\u12g4\"");
    parse_err("\"\\x41\"");
    parse_err("\"\\'\"");
    parse_err("\"a\tb\"");   // raw control character
    parse_err("\"a\nb\"");
    parse_err("\"\\ud83c\"");          // lone high surrogate
    parse_err("\"\\udfb5\"");          // lone low surrogate
    parse_err("\"\\ud83c\\u0041\"");   // high surrogate + non-surrogate
    parse_err("\"\\ud83cx\"");
    parse_err("\"\\ud83c\\ud83c\"");
    parse_err("\"\xC3\"");              // truncated sequence
    parse_err("\"\xC0\x80\"");          // overlong NUL
    parse_err("\"\xE0\x80\xAF\"");      // overlong '/'
    parse_err("\"\xED\xA0\x80\"");      // encoded surrogate
    parse_err("\"\xF4\x90\x80\x80\"");  // beyond U+10FFFF
    parse_err("\"\x80\"");              // stray continuation byte
    parse_err("'single'");
}

TEST(Json, ParseNumbers) {
    EXPECT_EQ(parse_ok("1e-10").as_number(), 1e-10);
    EXPECT_EQ(parse_ok("-0.5").as_number(), -0.5);
    EXPECT_EQ(parse_ok("22050").as_number(), 22050.0);
    EXPECT_EQ(parse_ok("1.7976931348623157e308").as_number(), DBL_MAX);
    EXPECT_EQ(parse_ok("-1.7976931348623157e308").as_number(), -DBL_MAX);
    EXPECT_EQ(parse_ok("4.9e-324").as_number(), std::numeric_limits<double>::denorm_min());
    EXPECT_EQ(parse_ok("1e-400").as_number(), 0.0);  // underflow is not an error
    EXPECT_EQ(parse_ok("1E+2").as_number(), 100.0);
    EXPECT_EQ(parse_ok("0.1").as_number(), 0.1);
    EXPECT_EQ(parse_ok("12345678901234567890").as_number(), 12345678901234567890.0);
    json_value neg_zero = parse_ok("-0");
    EXPECT_EQ(neg_zero.as_number(), 0.0);
    EXPECT_TRUE(std::signbit(neg_zero.as_number()));
    EXPECT_EQ(parse_ok(" \t\r\n 7 \n").as_number(), 7.0);
}

TEST(Json, RejectsBadNumbers) {
    for (const char* text : {"01", "-01", "1.", ".5", "+1", "-", "1e", "1e+", "1.e5", "0x10",
                             "1e400", "-1e400", "Infinity", "-Infinity", "NaN", "--1", "1,5",
                             "1.5.2", "- 1"}) {
        parse_err(text);
    }
}

TEST(Json, WriteNumbers) {
    EXPECT_EQ(json_write(json_value(22050), -1), "22050");
    EXPECT_EQ(json_write(json_value(-0.5), -1), "-0.5");
    EXPECT_EQ(json_write(json_value(1e-10), -1), "1e-10");
    EXPECT_EQ(json_write(json_value(0.1), -1), "0.1");
    EXPECT_EQ(json_write(json_value(0.0), -1), "0");
    EXPECT_EQ(json_write(json_value(-0.0), -1), "-0");
    EXPECT_EQ(json_write(json_value(1e15), -1), "1000000000000000");
    EXPECT_EQ(json_write(json_value(9007199254740993LL), -1), "9007199254740992");
    EXPECT_EQ(json_write(json_value(-123456789012345680.0), -1), "-123456789012345680");
    EXPECT_EQ(json_write(json_value(1e20), -1), "1e+20");
    EXPECT_EQ(json_write(json_value(DBL_MAX), -1), "1.7976931348623157e+308");
    EXPECT_EQ(json_write(json_value(std::nan("")), -1), "null");
    EXPECT_EQ(json_write(json_value(HUGE_VAL), -1), "null");
    EXPECT_EQ(json_write(json_value(-HUGE_VAL), -1), "null");
    // 1/3 needs 16 digits, 0.1+0.2 needs 17.
    EXPECT_EQ(json_write(json_value(1.0 / 3.0), -1), "0.3333333333333333");
    EXPECT_EQ(json_write(json_value(0.1 + 0.2), -1), "0.30000000000000004");
}

TEST(Json, NumbersRoundTripBitExact) {
    std::mt19937_64 rng(12345);
    int checked = 0;
    for (int i = 0; i < 20000; ++i) {
        uint64_t bits = rng();
        double d;
        std::memcpy(&d, &bits, sizeof d);
        if (!std::isfinite(d)) continue;
        if (i % 2) d = static_cast<double>(static_cast<float>(i) / 7.0f);  // float-like values
        json_value back = parse_ok(json_write(json_value(d), -1));
        ASSERT_TRUE(back.is_number());
        uint64_t back_bits;
        double bd = back.as_number();
        std::memcpy(&back_bits, &bd, sizeof bd);
        std::memcpy(&bits, &d, sizeof d);
        ASSERT_EQ(back_bits, bits) << json_write(json_value(d), -1);
        ++checked;
    }
    EXPECT_GT(checked, 10000);
}

TEST(Json, RejectsStructuralErrors) {
    for (const char* text :
         {"", "   ", "[1,2,]", "{\"a\":1,}", "[,]", "[,1]", "{,}", "[1 2]", "{\"a\" 1}",
          "{\"a\":}", "{a:1}", "{'a':1}", "{1:2}", "[", "]", "{", "}", "[1", "{\"a\":1",
          "{\"a\"", "[1,]]", "tru", "nul", "fals", "True", "NULL", "nulll", "falsey", "{} x",
          "1 2", "[]]", "[] []", "// c\n1", "/*c*/1", "1 // c", "{\"a\":1,\"a\":2}",
          "\x01", "\xEF\xBB"}) {
        parse_err(text);
    }
    parse_err(std::string("[1]\0", 4));  // embedded NUL after the value
    parse_err(std::string("\"a\0b\"", 5));  // raw NUL inside a string
}

TEST(Json, DuplicateKeysInLargeObjects) {
    std::string text = "{";
    for (int i = 0; i < 1000; ++i) text += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":1";
    json_value v = parse_ok(text + "}");
    EXPECT_EQ(v.size(), 1000u);
    EXPECT_EQ(v["k999"].as_int(), 1);
    std::string err = parse_err(text + ",\"k500\":2}");
    EXPECT_NE(err.find("duplicate"), std::string::npos) << err;
}

TEST(Json, ErrorsCarryLineAndColumn) {
    std::string err = parse_err("{\n  \"a\": tru\n}");
    EXPECT_EQ(err.rfind("2:8:", 0), 0u) << err;
    err = parse_err("[\"\xC3\xA9\", x]");  // columns count code points, not bytes
    EXPECT_EQ(err.rfind("1:7:", 0), 0u) << err;
    err = parse_err("[1,\n2,\n]");
    EXPECT_EQ(err.rfind("3:1:", 0), 0u) << err;
    err = parse_err("{} x");
    EXPECT_EQ(err.rfind("1:4:", 0), 0u) << err;
    err = parse_err("\n\n  \"abc");  // unterminated string points at its start
    EXPECT_EQ(err.rfind("3:3:", 0), 0u) << err;
}

TEST(Json, DepthLimit) {
    auto nest = [](size_t n) { return std::string(n, '[') + std::string(n, ']'); };
    EXPECT_EQ(parse_ok(nest(256)).size(), 1u);
    std::string err = parse_err(nest(257));
    EXPECT_NE(err.find("deep"), std::string::npos) << err;
    parse_err(nest(100000));
    parse_err(std::string(100000, '['));
    std::string objects;
    for (int i = 0; i < 100000; ++i) objects += "{\"a\":";
    parse_err(objects);
    // Depth counts arrays and objects together.
    std::string mixed;
    for (int i = 0; i < 128; ++i) mixed += "{\"a\":[";
    std::string close;
    for (int i = 0; i < 128; ++i) close += "]}";
    parse_ok(mixed + close);
    parse_err(mixed + "[]" + close);
}

TEST(Json, ByteOrderMarkIsSkipped) {
    EXPECT_EQ(parse_ok("\xEF\xBB\xBF{\"a\":1}")["a"].as_int(), 1);
    std::string err = parse_err("\xEF\xBB\xBF[x]");
    EXPECT_EQ(err.rfind("1:2:", 0), 0u) << err;  // the mark is not a column
}

TEST(Json, EveryTruncationOfADocumentFails) {
    std::string text = json_write(sample_document(), 2);
    size_t end = text.rfind('}');
    for (size_t len = 0; len < end + 1; ++len) {
        json_value v;
        EXPECT_NE(json_parse(text.substr(0, len), v), "") << "prefix length " << len;
    }
    parse_ok(text.substr(0, end + 1));
}

TEST(Json, ParseIsLocaleIndependent) {
    const char* names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8", "de_DE",
                           "German_Germany.1252"};
#ifdef GS_TEST_LOCPATH
    // The build generates a de_DE.UTF-8 locale there (tests/CMakeLists.txt), so this test need not skip.
    if (!std::getenv("LOCPATH")) setenv("LOCPATH", GS_TEST_LOCPATH, 0);
#endif
    std::string saved = std::setlocale(LC_NUMERIC, nullptr);
    const char* got = nullptr;
    for (const char* name : names) {
        if ((got = std::setlocale(LC_NUMERIC, name)) != nullptr) break;
    }
    if (!got || std::strcmp(std::localeconv()->decimal_point, ",") != 0) {
        std::setlocale(LC_NUMERIC, saved.c_str());
        GTEST_SKIP() << "no locale with a ',' decimal point is installed";
    }
    json_value v;
    std::string err = json_parse("[1.5, -0.25e1, 22050]", v);
    std::string written = json_write(json_value(0.1), -1);
    std::string written2 = json_write(json_value(1.0 / 3.0), -1);
    std::setlocale(LC_NUMERIC, saved.c_str());
    EXPECT_EQ(err, "");
    EXPECT_EQ(v[0].as_number(), 1.5);
    EXPECT_EQ(v[1].as_number(), -2.5);
    EXPECT_EQ(written, "0.1");
    EXPECT_EQ(written2, "0.3333333333333333");
}

TEST(Json, ParsesFixtureManifest) {
    std::string text;
    const std::string path = shared_dir() + "/fixtures/manifest.json";
    ASSERT_TRUE(read_text(path, text)) << "cannot read " << path;
    json_value m;
    ASSERT_EQ(json_parse(text, m), "");
    ASSERT_TRUE(m.is_object());
    EXPECT_EQ(m["reference"].as_string(), "librosa 0.10.2");
    const json_value& cases = m["cases"];
    ASSERT_TRUE(cases.is_array());
    ASSERT_EQ(cases.size(), 90u);
    for (const json_value& c : cases.as_array()) {
        SCOPED_TRACE(c["name"].as_string());
        ASSERT_TRUE(c.is_object());
        EXPECT_TRUE(c["params"].is_object());
        EXPECT_GT(c["params"].size(), 0u);
        ASSERT_NE(c.find("tolerance"), nullptr);
        EXPECT_TRUE(c["tolerance"].is_object());
        EXPECT_GT(c["sr"].as_int(), 0);
        EXPECT_EQ(c["shape"].size(), 2u);
        EXPECT_FALSE(c["output"].as_string().empty());
    }
    EXPECT_EQ(cases[0]["params"]["n_fft"].as_int(), 2048);
    EXPECT_TRUE(cases[0]["params"]["fmax"].is_null());
    // The whole manifest survives a write/parse round trip.
    for (int indent : {-1, 1}) {
        json_value back;
        ASSERT_EQ(json_parse(json_write(m, indent), back), "");
        EXPECT_EQ(back, m);
    }
}

}  // namespace
