// test_library.cpp: the library table's CSV / JSON / M3U round trips, map and similar songs (shared/library).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "genrescope/library.h"

namespace {

std::vector<gs::library_item> sample_items() {
    std::vector<gs::library_item> v(3);
    v[0].file = "rock/a, \"live\".wav";  // a comma and quotes: must be quoted
    v[0].duration_s = 30.0125;
    v[0].probabilities = {0.1f, 0.7f, 0.2f};
    v[0].tags = {{"Rock music", 0.25f}, {"Punk rock", 0.125f}};
    v[0].embedding = {1, 0, 0};
    v[1].file = "bad.mp3";
    v[1].status = "error";
    v[1].error = "not an audio file\n(second line)";
    v[2].file = "jazz/b.flac";
    v[2].duration_s = 6;
    v[2].probabilities = {0.5f, 0.2f, 0.3f};
    v[2].uncertain = true;
    v[2].outside = true;
    v[2].sounds_like = "Electronic music";
    v[2].embedding = {0.9f, 0.1f, 0};
    return v;
}

// sample_items() plus a fourth song whose embedding is orthogonal to the first's.
std::vector<gs::library_item> items_with_orthogonal() {
    auto items = sample_items();
    gs::library_item d = items[0];
    d.file = "c.wav";
    d.embedding = {0, 0, 1};
    items.push_back(d);
    return items;
}

const std::vector<std::string> k_labels = {"blues", "rock", "jazz"};

TEST(LibraryCsv, RoundTripsEveryColumn) {
    const auto items = sample_items();
    const std::string csv = gs::library_csv(k_labels, items);
    EXPECT_EQ(csv.substr(0, 11), "file,status");
    EXPECT_NE(csv.find("\"rock/a, \"\"live\"\".wav\""), std::string::npos);
    EXPECT_NE(csv.find(",rock,0.700000,jazz,0.200000,false,false,"), std::string::npos) << csv;
    EXPECT_NE(csv.find("Rock music:0.250; Punk rock:0.125"), std::string::npos);
    std::vector<std::string> labels;
    std::vector<gs::library_item> back;
    ASSERT_EQ(gs::parse_library_csv(csv, labels, back), "");
    EXPECT_EQ(labels, k_labels);
    ASSERT_EQ(back.size(), 3u);
    EXPECT_EQ(back[0].file, items[0].file);
    EXPECT_NEAR(back[0].duration_s, 30.013, 1e-9);  // 3 decimals
    for (size_t c = 0; c < 3; ++c) EXPECT_NEAR(back[0].probabilities[c], items[0].probabilities[c], 1e-6);
    ASSERT_EQ(back[0].tags.size(), 2u);
    EXPECT_EQ(back[0].tags[1].name, "Punk rock");
    EXPECT_EQ(back[1].status, "error");
    EXPECT_EQ(back[1].error, "not an audio file (second line)");  // one line
    EXPECT_TRUE(back[1].probabilities.empty());
    EXPECT_TRUE(back[2].uncertain);
    EXPECT_TRUE(back[2].outside);
    EXPECT_EQ(back[2].sounds_like, "Electronic music");
    EXPECT_EQ(gs::library_top(back[2]), 0);
    EXPECT_EQ(gs::library_second(back[2]), 2);
}

TEST(LibraryCsv, RejectsMalformedText) {
    std::vector<std::string> labels;
    std::vector<gs::library_item> items;
    EXPECT_NE(gs::parse_library_csv("", labels, items), "");
    EXPECT_NE(gs::parse_library_csv("a,b,c\r\n", labels, items), "");
    std::string csv = gs::library_csv(k_labels, sample_items());
    EXPECT_NE(gs::parse_library_csv(csv + "\"unterminated", labels, items), "");
    csv.insert(csv.find("jazz/b.flac"), "x,");  // one field too many on that line
    const std::string err = gs::parse_library_csv(csv, labels, items);
    EXPECT_NE(err.find("line 4"), std::string::npos) << err;
}

TEST(LibraryJson, RoundTripsWithEmbeddingsAndMap) {
    const auto items = sample_items();
    const std::vector<float> map = gs::library_map(items);
    const std::string text = gs::library_json(k_labels, items, gs::json_value::object({{"name", "m"}}), true, map);
    std::vector<std::string> labels;
    std::vector<gs::library_item> back;
    ASSERT_EQ(gs::parse_library_json(text, labels, back), "");
    ASSERT_EQ(back.size(), 3u);
    EXPECT_EQ(back[0].embedding, items[0].embedding);
    EXPECT_EQ(back[1].error, "not an audio file (second line)");
    EXPECT_FLOAT_EQ(back[2].probabilities[2], 0.3f);
    gs::json_value j;
    ASSERT_EQ(gs::json_parse(text, j), "");
    EXPECT_EQ(j["map"].size(), 2u);  // the error row has no point
    EXPECT_NE(gs::parse_library_json("{\"format\":\"other\"}", labels, back), "");
}

TEST(LibraryMap, FiniteForEmbeddedItemsOnly) {
    const auto items = items_with_orthogonal();
    const std::vector<float> m = gs::library_map(items);
    ASSERT_EQ(m.size(), 8u);
    EXPECT_TRUE(std::isnan(m[2]) && std::isnan(m[3]));
    for (size_t i : {0u, 2u, 3u}) EXPECT_TRUE(std::isfinite(m[2 * i]) && std::isfinite(m[2 * i + 1])) << i;
    // a and b (cosine-near) lie closer on the map than a and c (orthogonal).
    auto dist = [&](size_t a, size_t b) { return std::hypot(m[2 * a] - m[2 * b], m[2 * a + 1] - m[2 * b + 1]); };
    EXPECT_LT(dist(0, 2), dist(0, 3));
}

TEST(LibrarySimilar, NearestByCosineSkippingErrors) {
    const auto items = items_with_orthogonal();
    const auto nn = gs::library_similar(items, 0, 5);
    ASSERT_EQ(nn.size(), 2u);
    EXPECT_EQ(nn[0].index, 2);
    EXPECT_EQ(nn[1].index, 3);
    EXPECT_NEAR(nn[1].distance, 1.0f, 1e-6f);
    EXPECT_TRUE(gs::library_similar(items, 1, 5).empty());  // the error row has no embedding
    EXPECT_EQ(gs::library_similar(items, 0, 1).size(), 1u);
}

TEST(LibraryM3u, DoneItemsInOrder) {
    const auto items = sample_items();
    const std::string m3u = gs::library_m3u(items, {2, 1, 0}, "../music/");
    EXPECT_EQ(m3u, "#EXTM3U\n#EXTINF:6,b.flac\n../music/jazz/b.flac\n#EXTINF:30,a, \"live\".wav\n../music/rock/a, \"live\".wav\n");
}

}  // namespace
