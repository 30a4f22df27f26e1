// test_model_about.cpp: the model panel's plain words say whether the backbone stayed frozen or was fine-tuned, and whether activations are 8-bit.
#include <gtest/gtest.h>

#include <string>

#include "genrescope/json.h"
#include "model_about.h"

namespace {

std::string all_text(const gs_web::model_card& c) {
    std::string s;
    for (const auto& sec : c.about)
        for (const auto& l : sec.lines) s += l.text + "\n";
    return s;
}

TEST(ModelAbout, SaysWhetherTheBackboneWasFineTuned) {
    const char* frozen = R"({"training": {"backbone": {"name": "yamnet", "head": "linear", "frozen": true}}})";
    const char* tuned = R"({"training": {"backbone": {"name": "yamnet", "head": "linear", "frozen": false,
                         "fine_tune": {"from": "conv13_act", "layers": ["dw13", "conv14"]}}}})";
    gs::json_value j;
    ASSERT_EQ(gs::json_parse(frozen, j), "");
    gs_web::model_card a;
    gs_web::describe_model(j, a);
    EXPECT_NE(all_text(a).find("kept frozen"), std::string::npos) << all_text(a);
    EXPECT_EQ(all_text(a).find("trained further"), std::string::npos);
    ASSERT_EQ(gs::json_parse(tuned, j), "");
    gs_web::model_card b;
    gs_web::describe_model(j, b);
    EXPECT_EQ(all_text(b).find("kept frozen"), std::string::npos) << all_text(b);
    EXPECT_NE(all_text(b).find("its last 2 layers were then trained further"), std::string::npos) << all_text(b);
}

TEST(ModelAbout, SaysWhenActivationsAreEightBit) {
    gs::json_value j;
    ASSERT_EQ(gs::json_parse(R"({"activations": {"from": "dw3_act", "tensors": 22}})", j), "");
    gs_web::model_card a;
    gs_web::describe_model(j, a);
    EXPECT_NE(all_text(a).find("8-bit numbers from its layer 'dw3_act'"), std::string::npos) << all_text(a);
    ASSERT_EQ(gs::json_parse(R"({"weights": {"tensors": 26}})", j), "");
    gs_web::model_card b;
    gs_web::describe_model(j, b);
    EXPECT_EQ(all_text(b).find("8-bit"), std::string::npos) << all_text(b);
}

}  // namespace
