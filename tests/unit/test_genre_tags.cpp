// test_genre_tags.cpp: the top-tags list and the "outside the model's genres" verdict (shared/genre_tags).
#include <gtest/gtest.h>

#include "genrescope/genre_tags.h"
#include "genrescope/json.h"

namespace {

// Six tags: 0 "Music" (not a genre), 1-2 inside, 3-4 outside, 5 neutral.
gs::tag_rule six_tag_rule(float min_score) {
    gs::tag_rule r;
    r.genres = {1, 2, 3, 4, 5};
    r.inside = {1, 2};
    r.outside = {3, 4};
    r.outside_min_score = min_score;
    return r;
}

TEST(GenreTags, TopTagsAreSegmentMeansBestFirst) {
    // Two segments: tag 3 averages 0.5, tag 1 0.35, tag 5 0.3; "Music" (0.9) is not a genre tag.
    const float s[] = {0.9f, 0.3f, 0.0f, 0.6f, 0.1f, 0.2f,  //
                       0.9f, 0.4f, 0.0f, 0.4f, 0.1f, 0.4f};
    const gs::tag_verdict v = gs::judge_tags(s, 2, 6, six_tag_rule(0.3f), 3);
    ASSERT_EQ(v.top.size(), 3u);
    EXPECT_EQ(v.top[0].index, 3);
    EXPECT_FLOAT_EQ(v.top[0].score, 0.5f);
    EXPECT_EQ(v.top[1].index, 1);
    EXPECT_EQ(v.top[2].index, 5);
    EXPECT_TRUE(v.outside);
    EXPECT_EQ(v.sounds_like, 3);
    EXPECT_FLOAT_EQ(v.best_inside, 0.35f);
}

TEST(GenreTags, InsideTagWinsOrWeakOutsideStaysInside) {
    const float beaten[] = {0.9f, 0.7f, 0.0f, 0.6f, 0.0f, 0.0f};
    EXPECT_FALSE(gs::judge_tags(beaten, 1, 6, six_tag_rule(0.3f)).outside);
    const float weak[] = {0.9f, 0.1f, 0.0f, 0.25f, 0.0f, 0.0f};
    const gs::tag_verdict w = gs::judge_tags(weak, 1, 6, six_tag_rule(0.3f));
    EXPECT_FALSE(w.outside);
    EXPECT_EQ(w.sounds_like, 3);  // still named, just not enough for the verdict
    // A neutral tag never makes music outside, however strong.
    const float neutral[] = {0.9f, 0.0f, 0.0f, 0.0f, 0.0f, 0.99f};
    EXPECT_FALSE(gs::judge_tags(neutral, 1, 6, six_tag_rule(0.3f)).outside);
    // The rule switched off.
    const float strong[] = {0.9f, 0.0f, 0.0f, 0.9f, 0.0f, 0.0f};
    EXPECT_FALSE(gs::judge_tags(strong, 1, 6, six_tag_rule(0.0f)).outside);
    EXPECT_TRUE(gs::judge_tags(strong, 1, 6, six_tag_rule(0.3f)).outside);
}

TEST(GenreTags, EmptyInputGivesEmptyVerdict) {
    const gs::tag_verdict v = gs::judge_tags(nullptr, 0, 6, six_tag_rule(0.3f));
    EXPECT_TRUE(v.top.empty());
    EXPECT_FALSE(v.outside);
    EXPECT_EQ(v.sounds_like, -1);
}

TEST(GenreTags, ParsesTheCardRuleAndRejectsBadOnes) {
    gs::json_value j;
    ASSERT_EQ(gs::json_parse(R"({"output":"s","labels":["a","b","c"],"genres":[1,2],"inside":[1],"outside":[2],
                                "outside_min_score":0.25})", j), "");
    gs::tag_rule r;
    ASSERT_EQ(gs::parse_tag_rule(j, 3, r), "");
    EXPECT_EQ(r.genres, (std::vector<int>{1, 2}));
    EXPECT_EQ(r.inside, (std::vector<int>{1}));
    EXPECT_EQ(r.outside, (std::vector<int>{2}));
    EXPECT_FLOAT_EQ(r.outside_min_score, 0.25f);
    // Cards without the verdict's fields (older imports) parse with the rule off.
    ASSERT_EQ(gs::json_parse(R"({"genres":[0]})", j), "");
    ASSERT_EQ(gs::parse_tag_rule(j, 3, r), "");
    EXPECT_EQ(r.outside_min_score, 0.0f);
    for (const char* bad : {R"({"genres":[3]})", R"({"genres":[-1]})", R"({"genres":[0.5]})", R"({"genres":"x"})",
                            R"({"outside":[1]})", R"({"outside":[1],"outside_min_score":1.5})",
                            R"({"outside_min_score":"high"})", R"([1])"}) {
        ASSERT_EQ(gs::json_parse(bad, j), "") << bad;
        EXPECT_NE(gs::parse_tag_rule(j, 3, r), "") << bad;
    }
}

}  // namespace
