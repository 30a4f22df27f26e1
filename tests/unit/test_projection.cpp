// test_projection.cpp: cosine nearest neighbours and the 2-D PCA map of shared/'s projection.h.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "genrescope/projection.h"

namespace {

TEST(CosineDistance, ScaleInvariantAndBounded) {
    const std::vector<float> a = {1, 2, 3}, b = {2, 4, 6}, c = {-1, -2, -3}, z = {0, 0, 0};
    EXPECT_NEAR(gs::cosine_distance(a.data(), b.data(), 3), 0.0f, 1e-6f);
    EXPECT_NEAR(gs::cosine_distance(a.data(), c.data(), 3), 2.0f, 1e-6f);
    EXPECT_EQ(gs::cosine_distance(a.data(), z.data(), 3), 1.0f);
    const std::vector<float> bad = {1, std::numeric_limits<float>::quiet_NaN(), 0};
    EXPECT_EQ(gs::cosine_distance(a.data(), bad.data(), 3), 1.0f);
}

TEST(CosineNeighbours, NearestFirstQueryLeftOut) {
    // Rows: 0 = (1,0), 1 = (0,1), 2 = (0.9,0.1), 3 = (10,0.5), 4 = (-1,0)
    const std::vector<float> X = {1, 0, 0, 1, 0.9f, 0.1f, 10, 0.5f, -1, 0};
    const auto nn = gs::cosine_neighbours(X, 5, 2, 0, 3);
    ASSERT_EQ(nn.size(), 3u);
    EXPECT_EQ(nn[0].index, 3);  // angle atan(0.05) beats atan(0.111)
    EXPECT_EQ(nn[1].index, 2);
    EXPECT_EQ(nn[2].index, 1);
    EXPECT_LE(nn[0].distance, nn[1].distance);
    EXPECT_LE(nn[1].distance, nn[2].distance);
    for (const auto& x : nn) EXPECT_NE(x.index, 0);
    // k beyond n - 1 is clamped; the opposite row comes last at distance 2.
    const auto all = gs::cosine_neighbours(X, 5, 2, 0, 99);
    ASSERT_EQ(all.size(), 4u);
    EXPECT_EQ(all.back().index, 4);
    EXPECT_NEAR(all.back().distance, 2.0f, 1e-6f);
}

TEST(CosineNeighbours, TiesByIndexAndBadInput) {
    // Rows 0 and 3 are identical, so their distances to row 2 are the same bits: the lower index first.
    const std::vector<float> X = {1, 1, 0, 1, 1, 1, 1, 1};
    const auto nn = gs::cosine_neighbours(X, 4, 2, 2, 3);
    ASSERT_EQ(nn.size(), 3u);
    EXPECT_EQ(nn[0].index, 0);
    EXPECT_EQ(nn[1].index, 3);
    EXPECT_EQ(nn[0].distance, nn[1].distance);
    EXPECT_EQ(nn[2].index, 1);
    EXPECT_TRUE(gs::cosine_neighbours(X, 4, 2, 4, 1).empty());   // query out of range
    EXPECT_TRUE(gs::cosine_neighbours(X, 5, 2, 0, 1).empty());   // sizes disagree
    EXPECT_TRUE(gs::cosine_neighbours(X, 4, 2, 0, 0).empty());   // k = 0
}

TEST(Pca2d, SeparatesTwoClustersOnTheFirstAxis) {
    // Two clusters far apart along a direction mixed over 3 dimensions, small spread otherwise.
    std::vector<float> X;
    for (int i = 0; i < 20; ++i) {
        const float s = (i < 10 ? -5.0f : 5.0f);
        const float e = 0.01f * static_cast<float>(i % 5);
        X.insert(X.end(), {s + e, s - e, 0.5f * s + 2 * e});
    }
    const auto P = gs::pca_2d(X, 20, 3);
    ASSERT_EQ(P.size(), 40u);
    for (int i = 0; i < 20; ++i) {
        EXPECT_TRUE(std::isfinite(P[2 * i]) && std::isfinite(P[2 * i + 1]));
        // Every point of one cluster on one side of the first axis.
        EXPECT_EQ(P[2 * i] > 0, P[0] > 0 ? i < 10 : i >= 10) << i;
    }
}

}  // namespace
