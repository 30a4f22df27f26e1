// test_augment.cpp: the training batches' low-pass and noise augmentations (device_batcher, segment_sampler).
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "model/archs.h"
#include "train/device_batch.h"
#include "train/train_data.h"

namespace {

using namespace gs;

constexpr int kFrames = 130;   // one segment
constexpr int kClasses = 2;

// genrescope_cnn's features with an identity normalisation, so the batches hold plain dB values.
feature_config db_config() {
    arch_info a;
    EXPECT_EQ(find_arch("genrescope_cnn", "", a), "");
    feature_config c = a.features;
    c.norm_mean = {0.0f};
    c.norm_std = {1.0f};
    return c;
}

// One track of 300 frames whose dB value depends on bin and frame (so every bin and frame differs).
std::vector<track_matrix> one_track(int n_bins) {
    track_matrix t;
    t.n_frames = 300;
    t.label = 0;
    t.data.resize(static_cast<size_t>(n_bins) * t.n_frames);
    for (int b = 0; b < n_bins; ++b) {
        for (size_t f = 0; f < t.n_frames; ++f) t.data[b * t.n_frames + f] = -20.0f - 0.3f * b + 0.01f * f;
    }
    return {t};
}

// A plan of n samples of track 0 from frame 10, with every augmentation off.
batch_plan plain_plan(int n, int n_bins) {
    batch_plan p;
    plain_batch_plan(n, n_bins, kClasses, p);
    p.start.assign(n, 10);
    return p;
}

TEST(Augment, WhiteNoiseTextureHasMeanOneAndFluctuatesMoreInNarrowLowBands) {
    const feature_config c = db_config();
    const int n_bins = c.n_bins();
    const std::vector<track_matrix> tracks = one_track(n_bins);
    device_batcher batcher(tracks, {0}, n_bins, kFrames, segment_fill::zeros, kClasses, c, true, torch::kCPU);
    EXPECT_FALSE(device_batcher(tracks, {0}, n_bins, kFrames, segment_fill::zeros, kClasses, c, false, torch::kCPU).noise_texture().defined())
        << "flat noise needs no texture";
    const torch::Tensor t = batcher.noise_texture();
    ASSERT_TRUE(t.defined());
    ASSERT_EQ(t.size(0), n_bins);
    EXPECT_GT(t.size(1), 1000);  // ~30 s of frames
    EXPECT_NEAR(t.mean().item<double>(), 1.0, 1e-4);
    // Slaney-normalised mel bands see white noise as a nearly flat spectrum...
    const torch::Tensor band_mean = t.mean(1);
    EXPECT_LT((band_mean.max() / band_mean.min()).item<double>(), 2.0);
    // ...whose power fluctuates from frame to frame, more in the narrow low bands (few FFT bins averaged)
    // than in the wide high ones.
    const torch::Tensor cv = t.std(1) / band_mean;
    const double low = cv.slice(0, 2, 12).mean().item<double>(), high = cv.slice(0, n_bins - 10, n_bins).mean().item<double>();
    EXPECT_GT(low, 0.3);
    EXPECT_GT(high, 0.02);
    EXPECT_GT(low, 2.0 * high);
}

TEST(Augment, BandLimitSetsTheBinsFromTheCutUpToTheSegmentsLowestValue) {
    const feature_config c = db_config();
    const int n_bins = c.n_bins();
    const std::vector<track_matrix> tracks = one_track(n_bins);
    device_batcher batcher(tracks, {0}, n_bins, kFrames, segment_fill::zeros, kClasses, c, false, torch::kCPU);
    batch_plan p = plain_plan(2, n_bins);
    const int cut = 110;
    p.band_cut[0] = cut;
    torch::Tensor x, y;
    batcher.materialize(p, x, y);
    ASSERT_EQ(x.sizes(), (std::vector<int64_t>{2, 1, n_bins, kFrames}));
    const auto v = x.accessor<float, 4>();
    const float lowest = -20.0f - 0.3f * (n_bins - 1) + 0.01f * 10;  // top bin, first frame of the crop
    for (int b = 0; b < n_bins; ++b) {
        for (int f = 0; f < kFrames; f += 7) {
            const float original = -20.0f - 0.3f * b + 0.01f * (10 + f);
            EXPECT_NEAR(v[0][0][b][f], b >= cut ? lowest : original, 1e-4) << "bin " << b << " frame " << f;
            EXPECT_NEAR(v[1][0][b][f], original, 1e-4) << "sample without a cut, bin " << b;
        }
    }
}

TEST(Augment, NoiseSitsAtTheRequestedLevelAndOnlyTexturedNoiseFluctuates) {
    const feature_config c = db_config();
    const int n_bins = c.n_bins();
    // A silent-ish constant track at -60 dB, so the noise dominates the result.
    std::vector<track_matrix> tracks(1);
    tracks[0].n_frames = 300;
    tracks[0].label = 0;
    tracks[0].data.assign(static_cast<size_t>(n_bins) * 300, -60.0f);
    for (bool textured : {false, true}) {
        device_batcher batcher(tracks, {0}, n_bins, kFrames, segment_fill::zeros, kClasses, c, textured, torch::kCPU);
        batch_plan p = plain_plan(3, n_bins);
        p.noise_snr_db = {-20.0f, -20.0f, std::numeric_limits<float>::infinity()};  // 20 dB *above* the signal
        p.noise_pos = {0.1f, 0.7f, 0.0f};
        torch::Tensor x, y;
        batcher.materialize(p, x, y);
        const torch::Tensor power = torch::pow(10.0f, x / 10.0f);
        // Mean power: signal (1e-6) + noise (100 x 1e-6) = 101e-6; the texture's crop mean is near 1.
        for (int i = 0; i < 2; ++i) {
            const double db = 10.0 * std::log10(power[i].mean().item<double>());
            EXPECT_NEAR(db, 10.0 * std::log10(101e-6), textured ? 1.5 : 1e-3) << "textured " << textured;
        }
        const double spread = x[0].std().item<double>();
        if (textured) {
            EXPECT_GT(spread, 1.0);                                        // dB fluctuation, as real noise
            EXPECT_GT((x[0] - x[1]).abs().max().item<double>(), 1.0);     // two positions, two noise crops
        } else {
            EXPECT_LT(spread, 1e-3);                                       // a flat floor
        }
        EXPECT_NEAR(x[2].min().item<double>(), -60.0, 1e-4);               // the sample without noise
        EXPECT_NEAR(x[2].max().item<double>(), -60.0, 1e-4);
    }
}

// The plan of 64 samples that a sampler with `aug` draws from seed 7; `rng_after` is the generator's next value.
batch_plan plan_with(const augment_options& aug, uint64_t& rng_after) {
    const feature_config c = db_config();
    static const std::vector<track_matrix> tracks = one_track(c.n_bins());
    static const std::vector<int> train = {0};
    segment_spec spec;
    spec.frames = kFrames;
    spec.hop_frames = kFrames / 2;
    const segment_sampler sampler(&tracks, &train, c.n_bins(), kClasses, spec, aug, c);
    std::mt19937_64 rng(7);
    batch_plan p;
    sampler.plan(64, rng, p);
    rng_after = rng();
    return p;
}

TEST(Augment, SamplerDrawsCutsAndNoisePositionsInRangeAndNothingForOptionsThatAreOff) {
    const int n_bins = db_config().n_bins();
    augment_options off;
    augment_options on = off;
    on.band_limit_prob = 1.0;
    on.noise_texture = true;
    on.noise_prob = 1.0;
    uint64_t next_off = 0, next_on = 0;
    const batch_plan p_off = plan_with(off, next_off), p_on = plan_with(on, next_on);
    for (int i = 0; i < 64; ++i) EXPECT_EQ(p_off.noise_pos[i], 0.0f) << "no texture, no positions drawn";
    for (int i = 0; i < 64; ++i) {
        EXPECT_EQ(p_off.band_cut[i], n_bins);
        EXPECT_GE(p_on.band_cut[i], static_cast<int>(0.8 * n_bins));
        EXPECT_LT(p_on.band_cut[i], n_bins);
        EXPECT_TRUE(std::isfinite(p_on.noise_snr_db[i]));
        EXPECT_GE(p_on.noise_pos[i], 0.0f);
        EXPECT_LT(p_on.noise_pos[i], 1.0f);
    }
    // Options that are off draw nothing from the generator, so runs that do not use them repeat the random
    // sequence of versions before them: textured noise with no noise, and a low-pass range with no low-pass,
    // give exactly the plain plan.
    augment_options idle = off;
    idle.noise_texture = true;
    idle.noise_prob = 0.0;
    idle.band_limit_lowest = 0.5;
    augment_options plain = off;
    plain.noise_prob = 0.0;
    uint64_t next_idle = 0, next_plain = 0;
    const batch_plan p_idle = plan_with(idle, next_idle), p_plain = plan_with(plain, next_plain);
    EXPECT_EQ(p_idle.start, p_plain.start);
    EXPECT_EQ(p_idle.gain_db, p_plain.gain_db);
    EXPECT_EQ(p_idle.mix_with, p_plain.mix_with);
    EXPECT_EQ(next_idle, next_plain);
    // Drawing them does move the sequence on.
    EXPECT_NE(p_on.start, p_off.start);
    EXPECT_NE(next_on, next_off);
}

TEST(Augment, DefaultPlanIsTheSameAsBeforeTheNewAugmentations) {
    // Golden values: the default options' plan for seed 7, computed with the sampler as it was before
    // textured noise and low-pass existed (commit a0abea9, libstdc++). Earlier runs of every architecture
    // that does not use the new options reproduce only while this holds.
    uint64_t next = 0;
    const batch_plan p = plan_with(augment_options{}, next);
    EXPECT_EQ(next, 3506648159702517121ull);
    EXPECT_EQ(std::vector<int64_t>(p.start.begin(), p.start.begin() + 8),
              (std::vector<int64_t>{20, 170, 109, 59, 122, 118, 19, 39}));
}

}  // namespace

// A crop of a track shorter than a segment: under segment_fill::tile the frames past the end are the track again
// (the same frames gs::copy_segment gives the CLI and the page), under zeros they are 0 after normalisation.
TEST(Augment, CropsPastAShortTracksEndFollowTheFill) {
    const feature_config c = db_config();
    const int n_bins = c.n_bins();
    std::vector<track_matrix> tracks = one_track(n_bins);
    track_matrix& t = tracks[0];
    const size_t n = 50;  // frames kept of the 300: shorter than kFrames
    std::vector<float> shorter(static_cast<size_t>(n_bins) * n);
    for (int b = 0; b < n_bins; ++b) {
        std::copy_n(t.data.data() + static_cast<size_t>(b) * t.n_frames, n, shorter.data() + static_cast<size_t>(b) * n);
    }
    t.data = shorter;
    t.n_frames = n;
    batch_plan p = plain_plan(1, n_bins);
    p.start.assign(1, 0);
    for (segment_fill fill : {segment_fill::tile, segment_fill::zeros}) {
        device_batcher batcher(tracks, {0}, n_bins, kFrames, fill, kClasses, c, false, torch::kCPU);
        torch::Tensor x, y;
        batcher.materialize(p, x, y);
        const auto v = x.accessor<float, 4>();
        segment_spec spec;
        spec.frames = kFrames;
        spec.fill = fill;
        std::vector<float> expect(static_cast<size_t>(n_bins) * kFrames);
        copy_segment(t.data.data(), n_bins, n, 0, spec, 0.0f, expect.data());
        for (int b = 0; b < n_bins; ++b) {
            for (int f = 0; f < kFrames; ++f) {
                ASSERT_EQ(v[0][0][b][f], expect[static_cast<size_t>(b) * kFrames + f])
                    << to_string(fill) << ", bin " << b << " frame " << f;
            }
        }
        EXPECT_EQ(v[0][0][3][n + 7], fill == segment_fill::tile ? t.data[3 * n + 7] : 0.0f);
    }
}
