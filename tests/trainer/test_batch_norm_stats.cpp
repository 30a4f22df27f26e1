// test_batch_norm_stats.cpp: compact_cnn as a trainer backbone: its frame-local front end, and batch-norm statistics estimated from training tracks only.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "model/ir_torch.h"
#include "train/batch_norm_stats.h"

#ifdef GENRESCOPE_HAVE_HDF5

namespace {

// Tracks of 1400 frames x 96 bands of smooth random "dB" values (a level per track, a tilt across bands).
std::vector<gs::track_matrix> random_tracks(int n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> noise(0.0f, 6.0f);
    std::uniform_real_distribution<float> level(-60.0f, 0.0f);
    std::vector<gs::track_matrix> tracks(static_cast<size_t>(n));
    for (gs::track_matrix& t : tracks) {
        t.n_frames = 1400;
        t.data.resize(96 * t.n_frames);
        const float l = level(rng);
        for (int b = 0; b < 96; ++b) {
            for (size_t f = 0; f < t.n_frames; ++f) t.data[b * t.n_frames + f] = l - 0.3f * b + noise(rng);
        }
    }
    return tracks;
}

gs::segment_spec spec_of(const gs::backbone_model& b) {
    gs::segment_spec s;
    s.frames = b.card.segment_frames;
    s.hop_frames = b.card.segment_hop_frames;
    return s;
}

}  // namespace

TEST(CompactCnnBackbone, LoadsWithAFrameLocalFrontEndAndPlaceholderStatistics) {
    gs::backbone_model b;
    ASSERT_EQ(gs::load_backbone("compact_cnn", GENRESCOPE_PRETRAINED_DIR, b), "");
    EXPECT_EQ(b.name, "compact_cnn");
    EXPECT_EQ(b.embedding_dim, 160);
    EXPECT_TRUE(b.card.features.frame_local());
    EXPECT_TRUE(gs::needs_batch_norm_statistics(b));
    EXPECT_EQ(b.info["weights_sha256"].as_string().size(), 64u);
    gs::backbone_model none;
    EXPECT_NE(gs::load_backbone("/nonexistent/w.hdf5", GENRESCOPE_PRETRAINED_DIR, none).find("backbone: "),
              std::string::npos);
    // The caches built on a backbone (embeddings, statistics) tell the segmentings apart, the fill included:
    // a 6-s track's embeddings differ between a tiled and a zero-filled 27.3-s window.
    gs::segment_spec s = spec_of(b), tiled = spec_of(b), shorter = spec_of(b);
    s.fill = gs::segment_fill::zeros;
    tiled.fill = gs::segment_fill::tile;
    shorter.fill = gs::segment_fill::zeros;
    shorter.hop_frames += 1;
    gs::segment_spec same = s;
    EXPECT_EQ(gs::backbone_cache_text(b, s), gs::backbone_cache_text(b, same));
    EXPECT_NE(gs::backbone_cache_text(b, s), gs::backbone_cache_text(b, tiled));
    EXPECT_NE(gs::backbone_cache_text(b, s), gs::backbone_cache_text(b, shorter));
}

// After estimation every batch norm's output, over the training segments, has per-channel mean beta and
// standard deviation |gamma| (the definition of the statistics); each node's statistics are computed with
// the earlier nodes' already set; tracks outside `ids` change nothing.
TEST(CompactCnnBackbone, EstimatedStatisticsNormaliseTheTrainingSegments) {
    gs::backbone_model b;
    ASSERT_EQ(gs::load_backbone("compact_cnn", GENRESCOPE_PRETRAINED_DIR, b), "");
    torch::set_num_threads(2);
    std::vector<gs::track_matrix> tracks = random_tracks(5, 7);
    const std::vector<int> ids = {0, 2, 3};
    const gs::segment_spec spec = spec_of(b);
    gs::json_value info;
    gs::backbone_model est = b;
    ASSERT_EQ(gs::estimate_batch_norm_statistics(est, tracks, ids, 96, spec, "", true, info), "");
    EXPECT_FALSE(gs::needs_batch_norm_statistics(est));
    EXPECT_EQ(info["tracks"].as_int(), 3);
    EXPECT_EQ(info["segments"].as_int(), 6);  // 1400 frames: a segment at 0 and one end-aligned
    EXPECT_EQ(info["nodes"].as_int(), 5);

    // The training segments through the estimated network.
    std::vector<float> inputs;
    for (int id : ids) {
        std::vector<float> x;
        std::vector<size_t> starts;
        gs::track_segments(tracks[static_cast<size_t>(id)], 96, spec, x, starts);
        inputs.insert(inputs.end(), x.begin(), x.end());
    }
    gs::ir_module m(est.graph);
    ASSERT_EQ(m->set_weights(est.weights), "");
    m->eval();
    torch::NoGradGuard no_grad;
    const auto all = m->forward_all(torch::from_blob(inputs.data(), {6, 1, 96, spec.frames}));
    for (int k = 1; k <= 5; ++k) {
        const std::string bn = "bn" + std::to_string(k);
        const torch::Tensor y = all.at(bn).to(torch::kFloat64);
        const torch::Tensor mean = y.mean({0, 2, 3}), sd = y.std({0, 2, 3}, /*unbiased=*/false);
        const std::vector<float>& gamma = est.weights.at(bn + ".weight");
        const std::vector<float>& beta = est.weights.at(bn + ".bias");
        for (int c = 0; c < 32; ++c) {
            const double g = std::fabs(gamma[static_cast<size_t>(c)]);
            EXPECT_NEAR(mean[c].item<double>(), beta[static_cast<size_t>(c)], 2e-3 * std::max(1.0, g)) << bn << " " << c;
            // sqrt(var + eps) in the denominator: a channel with tiny variance comes out a little under |gamma|
            EXPECT_NEAR(sd[c].item<double>(), g, 2e-3 * std::max(1.0, g) + 0.05 * g) << bn << " " << c;
        }
    }

    // Other tracks (valid, test) change nothing; the same tracks give the same statistics again.
    std::vector<gs::track_matrix> other = tracks;
    for (float& v : other[1].data) v += 20.0f;
    for (float& v : other[4].data) v -= 20.0f;
    gs::backbone_model again = b;
    ASSERT_EQ(gs::estimate_batch_norm_statistics(again, other, ids, 96, spec, "", true, info), "");
    for (int k = 1; k <= 5; ++k) {
        for (const char* p : {".running_mean", ".running_var"}) {
            const std::string name = "bn" + std::to_string(k) + p;
            EXPECT_EQ(again.weights.at(name), est.weights.at(name)) << name;
        }
    }
    // Cached: the first run writes the statistics, a second run on the same tracks reads exactly them back
    // (and reports the same counts); other training tracks make another key.
    char tmpl[] = "/tmp/gs_bn_cacheXXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    const std::string cache = tmpl;
    gs::backbone_model first = b, second = b, third = b;
    ASSERT_EQ(gs::estimate_batch_norm_statistics(first, tracks, ids, 96, spec, cache, true, info), "");
    ASSERT_EQ(gs::estimate_batch_norm_statistics(second, tracks, ids, 96, spec, cache, true, info), "");
    EXPECT_EQ(info["tracks"].as_int(), 3);
    EXPECT_EQ(info["segments"].as_int(), 6);
    for (const auto& [name, v] : first.weights) EXPECT_EQ(second.weights.at(name), v) << name;
    EXPECT_EQ(first.weights.at("bn3.running_var"), est.weights.at("bn3.running_var"));
    ASSERT_EQ(gs::estimate_batch_norm_statistics(third, tracks, {0, 1}, 96, spec, cache, true, info), "");
    EXPECT_EQ(info["tracks"].as_int(), 2);
    EXPECT_NE(third.weights.at("bn1.running_mean"), first.weights.at("bn1.running_mean"));
    std::filesystem::remove_all(cache);

    // No training segments: an error, the weights untouched.
    gs::backbone_model empty = b;
    EXPECT_NE(gs::estimate_batch_norm_statistics(empty, tracks, {}, 96, spec, "", true, info), "");
    EXPECT_EQ(empty.weights.at("bn1.running_var"), b.weights.at("bn1.running_var"));
}

#endif  // GENRESCOPE_HAVE_HDF5
