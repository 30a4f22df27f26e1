// test_history.cpp: the learning curve a checkpoint stores (history_to_json / history_from_json).
#include <gtest/gtest.h>

#include <cmath>

#include "train/finalize.h"

namespace {

using namespace gs;

TEST(TrainHistory, RoundTripKeepsEveryFieldAndUnmeasuredValues) {
    train_state st;
    for (int e = 1; e <= 3; ++e) {
        epoch_record r;
        r.epoch = e;
        r.train_loss = 2.0 / e;
        r.train_accuracy = 0.3 * e;
        r.learning_rate = 1e-3 / e;
        r.seconds = 10.0 + e;
        r.segments_per_s = 1440.0 / r.seconds;
        if (e != 2) r.valid_segment_accuracy = r.valid_track_accuracy = 0.25 * e;  // epoch 2: not validated
        st.history.push_back(r);
    }
    train_state back;
    ASSERT_EQ(history_from_json(history_to_json(st), back), "");
    ASSERT_EQ(back.history.size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
        const epoch_record& a = st.history[i];
        const epoch_record& b = back.history[i];
        EXPECT_EQ(b.epoch, a.epoch);
        EXPECT_DOUBLE_EQ(b.train_loss, a.train_loss);
        EXPECT_DOUBLE_EQ(b.train_accuracy, a.train_accuracy);
        EXPECT_DOUBLE_EQ(b.learning_rate, a.learning_rate);
        EXPECT_DOUBLE_EQ(b.seconds, a.seconds);
        EXPECT_DOUBLE_EQ(b.segments_per_s, a.segments_per_s);
        if (i == 1) {
            EXPECT_TRUE(std::isnan(b.valid_track_accuracy));
            EXPECT_TRUE(std::isnan(b.valid_segment_accuracy));
        } else {
            EXPECT_DOUBLE_EQ(b.valid_track_accuracy, a.valid_track_accuracy);
        }
    }
}

TEST(TrainHistory, OlderCheckpointsWithoutTimingsReadAsUnmeasured) {
    train_state back;
    ASSERT_EQ(history_from_json(R"([{"epoch": 1, "train_loss": 1.5, "learning_rate": 0.001}])", back), "");
    ASSERT_EQ(back.history.size(), 1u);
    EXPECT_TRUE(std::isnan(back.history[0].seconds));
    EXPECT_TRUE(std::isnan(back.history[0].segments_per_s));
    EXPECT_DOUBLE_EQ(back.history[0].train_loss, 1.5);
}

TEST(TrainHistory, MalformedTextIsAnError) {
    train_state back;
    EXPECT_NE(history_from_json("[{\"epoch\": 1,", back), "");
}

}  // namespace
