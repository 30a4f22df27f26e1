// test_live_fill.cpp: the page's microphone session (web/src/live_session.cpp, compiled natively) fills a window
// that has not heard a whole segment yet as the card's segment.fill says.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "../common/test_support.h"
#include "live_session.h"
#include "model_card.h"

namespace {

gs_web::model_card default_card(gs::segment_fill fill) {
    const std::vector<uint8_t> bytes = gs_test::read_file_bytes(std::string(GS_REPO_DIR) + "/models/default.json");
    gs_web::model_card card;
    EXPECT_EQ(gs_web::parse_model_card(std::string(bytes.begin(), bytes.end()), card), "");
    card.segment.fill = fill;
    return card;
}

// The request after 0.6 s of a 440-Hz tone plus a slow chirp (so that frames differ), at 16 kHz.
std::vector<float> first_request(const gs_web::model_card& card, size_t& frames_heard) {
    gs_web::live_session s;
    s.start(card);
    EXPECT_TRUE(s.active) << s.error;
    std::vector<float> audio(9600);
    for (size_t i = 0; i < audio.size(); ++i) {
        const double t = double(i) / 16000.0;
        audio[i] = float(0.3 * std::sin(2 * M_PI * 440 * t) + 0.2 * std::sin(2 * M_PI * (200 + 1500 * t) * t));
    }
    EXPECT_EQ(s.push(audio.data(), audio.size(), 16000, 0.0), "");
    EXPECT_TRUE(s.due(1000.0));
    std::vector<float> input;
    s.make_request(1000.0, input);
    std::vector<float> view;
    s.display_matrix(view, frames_heard);
    return input;
}

}  // namespace

TEST(LiveFill, ShortStreamIsZerosOrTiledAsTheCardSays) {
    const gs_web::model_card zeros_card = default_card(gs::segment_fill::zeros);
    size_t n = 0;
    const std::vector<float> z = first_request(zeros_card, n);
    const size_t len = size_t(zeros_card.segment.frames), nb = size_t(zeros_card.n_bins());
    ASSERT_EQ(z.size(), nb * len);
    ASSERT_GT(n, 10u);
    ASSERT_LT(n, len) << "the test needs a stream shorter than one window";
    size_t n2 = 0;
    const std::vector<float> t = first_request(default_card(gs::segment_fill::tile), n2);
    ASSERT_EQ(n2, n);
    ASSERT_EQ(t.size(), z.size());
    for (size_t b = 0; b < nb; ++b) {
        for (size_t j = 0; j < len; ++j) {
            const float zv = z[b * len + j], tv = t[b * len + j];
            if (j >= len - n) {
                ASSERT_EQ(tv, zv) << "heard frames are the same in both: bin " << b << " position " << j;
            } else {
                ASSERT_EQ(zv, 0.0f) << "zeros: bin " << b << " position " << j;
                // tile: periodic with the heard length, the newest frame just left of the oldest
                ASSERT_EQ(tv, t[b * len + j + n]) << "tile: bin " << b << " position " << j;
            }
        }
        ASSERT_EQ(t[b * len + (len - n - 1)], t[b * len + (len - 1)]) << "bin " << b;
    }
    // The tiled part is real audio, not the zero padding (the tone's band is far from 0 in this front end).
    bool differs = false;
    for (size_t k = 0; k < (len - n) * nb && !differs; ++k) differs = t[(k / (len - n)) * len + k % (len - n)] != 0.0f;
    EXPECT_TRUE(differs);
}
