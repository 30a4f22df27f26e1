// test_untrusted_cards.cpp: hostile numbers and text in model cards and ONNX errors give one-line errors in both card readers (CLI and page).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../common/test_support.h"
#include "genrescope/json.h"
#include "genrescope/segments.h"
#include "model/model_card.h"
#include "model/onnx_export.h"
#include "model_card.h"  // web/src: the page's reader, compiled natively here

namespace {

std::string default_card_text() {
    const std::vector<uint8_t> bytes = gs_test::read_file_bytes(std::string(GS_REPO_DIR) + "/models/default.json");
    EXPECT_FALSE(bytes.empty());
    return std::string(bytes.begin(), bytes.end());
}

// The default card with segment.<field> replaced by the JSON number text `value`.
std::string with_segment_field(const std::string& field, const std::string& value) {
    gs::json_value j;
    EXPECT_EQ(gs::json_parse(default_card_text(), j), "");
    gs::json_value seg = j["segment"];
    gs::json_value v;
    EXPECT_EQ(gs::json_parse(value, v), "");
    seg.set(field, v);
    j.set("segment", seg);
    return gs::json_write(j);
}

std::string native_error(const std::string& text) {
    gs::json_value j;
    const std::string e = gs::json_parse(text, j);
    if (!e.empty()) return e;
    gs::model_card card;
    return gs::from_json(j, card);
}

std::string web_error(const std::string& text) {
    gs_web::model_card card;
    return gs_web::parse_model_card(text, card);
}

}  // namespace

TEST(UntrustedCards, TheShippedCardReadsInBoth) {
    EXPECT_EQ(native_error(default_card_text()), "");
    EXPECT_EQ(web_error(default_card_text()), "");
}

// Before session 16 both readers cast the JSON double to int: undefined behaviour for 1e300 (found by
// fuzz_model_card under UBSan), and 4294967297 read as 1.
TEST(UntrustedCards, SegmentFramesOutsideTheirRangeAreErrors) {
    for (const std::string field : {"frames", "hop_frames"}) {
        for (const std::string bad : {"1e300", "-1e300", "4294967297", "2147483648", "1048577", "0", "-1", "1.5",
                                      "\"96\"", "null"}) {
            const std::string text = with_segment_field(field, bad);
            const std::string n = native_error(text), w = web_error(text);
            EXPECT_NE(n.find("segment frames and hop must be whole numbers in [1, 1048576]"), std::string::npos)
                << field << "=" << bad << ": " << n;
            EXPECT_NE(w.find("segment frames and hop must be whole numbers in [1, 1048576]"), std::string::npos)
                << field << "=" << bad << ": " << w;
        }
    }
    // The largest allowed value passes this check (the graph's input width is checked elsewhere).
    gs::json_value j;
    ASSERT_EQ(gs::json_parse(with_segment_field("hop_frames", std::to_string(gs::kMaxSegmentFrames)), j), "");
    gs::model_card card;
    EXPECT_EQ(gs::from_json(j, card), "");
    EXPECT_EQ(card.segment_hop_frames, gs::kMaxSegmentFrames);
}

// segment.fill: absent means zeros (cards before session 17); both readers take "tile" and refuse anything else.
TEST(UntrustedCards, SegmentFillIsCheckedInBoth) {
    gs::json_value j;
    gs::model_card card;
    gs_web::model_card web;
    ASSERT_EQ(gs::json_parse(with_segment_field("fill", "\"tile\""), j), "");
    ASSERT_EQ(gs::from_json(j, card), "");
    ASSERT_EQ(gs_web::parse_model_card(with_segment_field("fill", "\"tile\""), web), "");
    EXPECT_EQ(card.fill, gs::segment_fill::tile);
    EXPECT_EQ(web.segment.fill, gs::segment_fill::tile);
    // Written back, the field survives.
    gs::json_value again;
    ASSERT_EQ(gs::json_parse(gs::json_write(gs::to_json(card)), again), "");
    EXPECT_EQ(again["segment"]["fill"].as_string(), "tile");
    // Without the field: zeros.
    gs::json_value old_card;
    ASSERT_EQ(gs::json_parse(default_card_text(), old_card), "");
    gs::json_value seg = old_card["segment"];
    gs::json_value stripped = gs::json_value::object();
    for (const std::string k : {"seconds", "frames", "hop_seconds", "hop_frames", "aggregation", "level_align"}) {
        if (!seg[k].is_null()) stripped.set(k, seg[k]);
    }
    old_card.set("segment", stripped);
    ASSERT_EQ(gs::from_json(old_card, card), "");
    ASSERT_EQ(gs_web::parse_model_card(gs::json_write(old_card), web), "");
    EXPECT_EQ(card.fill, gs::segment_fill::zeros);
    EXPECT_EQ(web.segment.fill, gs::segment_fill::zeros);
    for (const std::string bad : {"\"Tile\"", "\"\"", "1", "true", "[]", "{}"}) {
        const std::string text = with_segment_field("fill", bad);
        EXPECT_NE(native_error(text).find("segment fill must be"), std::string::npos) << bad;
        EXPECT_NE(web_error(text).find("segment fill must be"), std::string::npos) << bad;
    }
}

TEST(UntrustedCards, OnnxLibraryErrorsBecomeOnePrintableLine) {
    // What the ONNX checker throws for a node whose op type holds a newline from the file.
    const char* what = "No Op registered for R\nduceMax with domain_version of 17\n\n==> Context: Bad node\tspec\x01";
    const std::string e = gs::onnx_error("ONNX import: ", what);
    EXPECT_EQ(e, "ONNX import: No Op registered for R duceMax with domain_version of 17 ==> Context: Bad node spec");
    const std::string long_text(5000, 'x');
    EXPECT_EQ(gs::onnx_error("p: ", long_text.c_str()).size(), 3u + 400u);
    EXPECT_EQ(gs::onnx_error("p: ", nullptr), "p:");
}
