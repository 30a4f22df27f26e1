// test_streaming.cpp: streaming features equal the batch extractor bit for bit, for any chunking.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "genrescope/features.h"
#include "genrescope/streaming.h"

namespace {

std::vector<float> test_signal(size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> d(0.0f, 0.3f);
    std::vector<float> y(n);
    for (size_t i = 0; i < n; ++i) y[i] = d(rng) + 0.5f * std::sin(0.05f * static_cast<float>(i));
    return y;
}

// Runs the stream with chunk sizes drawn from `sizes` (cycled), returns frame-major output.
std::vector<float> stream(const gs::feature_config& c, const std::vector<float>& y, const std::vector<size_t>& sizes,
                          size_t& n_frames) {
    gs::streaming_features s;
    EXPECT_EQ(s.init(c), "");
    std::vector<float> out;
    size_t pos = 0, i = 0;
    while (pos < y.size()) {
        const size_t n = std::min(sizes[i++ % sizes.size()], y.size() - pos);
        s.push(y.data() + pos, n, out);
        pos += n;
        s.push(y.data() + pos, 0, out);  // empty pushes are harmless
    }
    s.finish(out);
    n_frames = s.frames_emitted();
    return out;
}

void expect_equal_to_batch(const gs::feature_config& c, size_t n, const std::vector<size_t>& chunks) {
    const std::vector<float> y = test_signal(n, static_cast<unsigned>(n));
    gs::feature_extractor fx;
    ASSERT_EQ(fx.init(c), "");
    std::vector<float> batch;
    size_t batch_frames = 0;
    const std::string err = fx.compute(y.data(), y.size(), batch, batch_frames);
    size_t stream_frames = 0;
    const std::vector<float> streamed = stream(c, y, chunks, stream_frames);
    if (!err.empty()) {  // too short without centring: the stream yields nothing either
        EXPECT_EQ(stream_frames, 0u);
        return;
    }
    ASSERT_EQ(stream_frames, batch_frames) << "n=" << n;
    const int nb = fx.n_bins();
    for (size_t t = 0; t < batch_frames; ++t) {
        for (int b = 0; b < nb; ++b) {
            const float want = batch[static_cast<size_t>(b) * batch_frames + t];
            const float got = streamed[t * nb + b];
            ASSERT_EQ(std::memcmp(&want, &got, sizeof(float)), 0)
                << "n=" << n << " frame " << t << " bin " << b << ": " << got << " vs " << want;
        }
    }
}

std::vector<gs::feature_config> configs() {
    std::vector<gs::feature_config> out;
    gs::feature_config c;
    c.db.top_db = -1;  // frame-local log-mel
    out.push_back(c);
    c.stft.pad = gs::pad_mode::reflect;
    out.push_back(c);
    c.stft.pad = gs::pad_mode::constant;
    c.stft.center = false;
    out.push_back(c);
    gs::feature_config m;
    m.kind = gs::feature_kind::mfcc;
    m.db.top_db = -1;
    m.stft.n_fft = 512;
    m.stft.hop_length = 160;
    m.stft.pad = gs::pad_mode::reflect;
    m.n_mels = 40;
    out.push_back(m);
    gs::feature_config ch;
    ch.kind = gs::feature_kind::chroma;
    ch.stft.hop_length = 700;  // hop > n_fft / 4, not a divisor of n_fft
    out.push_back(ch);
    gs::feature_config big_hop;  // hop > n_fft / 2 with reflect: the tail must still be kept for the mirror
    big_hop.kind = gs::feature_kind::mel_power;
    big_hop.stft.n_fft = 256;
    big_hop.stft.hop_length = 200;
    big_hop.n_mels = 32;
    big_hop.stft.pad = gs::pad_mode::reflect;
    out.push_back(big_hop);
    out.push_back(gs::yamnet_feature_config());  // TF framing: 400-sample frames zero-padded to n_fft 512
    return out;
}

}  // namespace

TEST(Streaming, EqualsBatchForManyLengthsAndChunkings) {
    const std::vector<std::vector<size_t>> chunkings = {{1}, {7, 1, 300}, {512}, {4096}, {100000}, {2049, 3}};
    for (const gs::feature_config& c : configs()) {
        const size_t n_fft = static_cast<size_t>(c.stft.n_fft);
        for (size_t n : {size_t{0}, size_t{1}, size_t{5}, n_fft / 2, n_fft / 2 + 1, n_fft - 1, n_fft, n_fft + 1,
                         size_t{5000}, size_t{22050}}) {
            for (const auto& ch : chunkings) {
                SCOPED_TRACE(std::string(gs::to_string(c.kind)) + (c.stft.center ? " centred" : " uncentred") +
                             (c.stft.pad == gs::pad_mode::reflect ? " reflect" : " constant"));
                expect_equal_to_batch(c, n, ch);
            }
        }
    }
}

TEST(Streaming, RandomChunkSizesOverAMinute) {
    gs::feature_config c;
    c.db.top_db = -1;
    std::mt19937 rng(42);
    std::uniform_int_distribution<size_t> d(1, 5000);
    std::vector<size_t> chunks(200);
    for (size_t& s : chunks) s = d(rng);
    expect_equal_to_batch(c, 60 * 22050 + 123, chunks);
}

TEST(Streaming, RejectsConfigsThatNeedTheWholeArray) {
    gs::streaming_features s;
    gs::feature_config c;  // librosa default: top_db = 80 over the whole array
    EXPECT_NE(s.init(c), "");
    c.db.top_db = -1;
    c.db.ref_max = true;
    EXPECT_NE(s.init(c), "");
    c.db.ref_max = false;
    EXPECT_EQ(s.init(c), "");
}

TEST(Streaming, ResetStartsOver) {
    gs::feature_config c;
    c.db.top_db = -1;
    gs::streaming_features s;
    ASSERT_EQ(s.init(c), "");
    const std::vector<float> y = test_signal(10000, 3);
    std::vector<float> a, b;
    s.push(y.data(), y.size(), a);
    s.finish(a);
    s.reset();
    s.push(y.data(), y.size(), b);
    s.finish(b);
    EXPECT_EQ(a, b);
    EXPECT_EQ(s.push(y.data(), 10, b), 0u);  // finished streams take no more input until reset
}
