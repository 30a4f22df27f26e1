// test_feature_cache.cpp: cached parallel features: hits return identical data, damage is recomputed,
// bad files fail alone, thread count does not matter, keys follow the config.
#include <gtest/gtest.h>

#include "../common/test_support.h"

#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "audio_load.h"
#include "data/feature_cache.h"
#include "data/sha256.h"
#include "genrescope/audio_io.h"
#include "genrescope/features.h"

namespace {

namespace fs = std::filesystem;

using gs_test::shared_dir;

void write_bytes(const fs::path& path, const std::vector<uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::vector<uint8_t> read_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A mono tone with a little deterministic noise, seconds long.
std::vector<float> tone(double freq_hz, int rate_hz, double seconds) {
    std::vector<float> y(static_cast<size_t>(seconds * rate_hz));
    uint32_t state = 12345;
    for (size_t i = 0; i < y.size(); ++i) {
        state = state * 1664525u + 1013904223u;
        const float noise = (static_cast<float>(state >> 8) / 16777216.0f - 0.5f) * 0.02f;
        y[i] = 0.4f * static_cast<float>(std::sin(2.0 * 3.14159265358979323846 * freq_hz * i / rate_hz)) + noise;
    }
    return y;
}

bool same_features(const gs::track_features& a, const gs::track_features& b) {
    return a.n_bins == b.n_bins && a.n_frames == b.n_frames && a.duration_s == b.duration_s &&
           a.data.size() == b.data.size() &&
           (a.data.empty() || std::memcmp(a.data.data(), b.data.data(), a.data.size() * sizeof(float)) == 0);
}

class FeatureCacheTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/gs_cache_XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        cache_ = (dir_ / "cache").string();
        // Five good files (WAV 16-bit, WAV float, a 16 kHz file that gets resampled, an AU, a stereo WAV),
        // one text file named .wav and one path that does not exist.
        const double freqs[] = {220, 440, 880, 1760, 330};
        for (int i = 0; i < 5; ++i) {
            const int rate = i == 2 ? 16000 : 22050;
            std::vector<float> y = tone(freqs[i], rate, 0.6);
            const fs::path p = dir_ / ("track" + std::to_string(i) + (i == 3 ? ".au" : ".wav"));
            if (i == 3) {
                write_bytes(p, gs::encode_au(y.data(), y.size(), 1, rate, gs::au_encoding::pcm16));
            } else if (i == 4) {
                std::vector<float> stereo;
                for (float v : y) {
                    stereo.push_back(v);
                    stereo.push_back(-0.5f * v);
                }
                write_bytes(p, gs::encode_wav(stereo.data(), y.size(), 2, rate, gs::wav_sample_format::pcm_s16));
            } else {
                const auto fmt = i == 1 ? gs::wav_sample_format::float32 : gs::wav_sample_format::pcm_s16;
                write_bytes(p, gs::encode_wav(y.data(), y.size(), 1, rate, fmt));
            }
            paths_.push_back(p.string());
        }
        std::ofstream(dir_ / "bad.wav") << "this is not a wav file";
        paths_.insert(paths_.begin() + 2, (dir_ / "bad.wav").string());
        paths_.push_back((dir_ / "missing.wav").string());
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    std::vector<fs::path> cache_files() const {
        std::vector<fs::path> files;
        for (const auto& e : fs::directory_iterator(cache_)) files.push_back(e.path());
        std::sort(files.begin(), files.end());
        return files;
    }

    fs::path dir_;
    std::string cache_;
    std::vector<std::string> paths_;  // 5 good, bad.wav at index 2, missing.wav last
    gs::feature_config config_;       // librosa's log-mel defaults
};

TEST_F(FeatureCacheTest, MissThenHitsWithIdenticalData) {
    std::vector<gs::track_features> first, second;
    std::vector<std::string> errors;
    gs::cache_stats stats;
    ASSERT_EQ(gs::compute_features_cached(paths_, config_, cache_, 2, first, errors, stats), "");
    EXPECT_EQ(stats.misses, 5);
    EXPECT_EQ(stats.hits, 0);
    EXPECT_EQ(stats.failures, 2);
    EXPECT_EQ(stats.write_errors, 0) << stats.first_write_error;
    EXPECT_GE(stats.seconds, 0.0);
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_EQ(errors[0].rfind(paths_[2] + ": ", 0), 0u) << errors[0];  // in the order of paths
    EXPECT_EQ(errors[1].rfind(paths_[6] + ": ", 0), 0u) << errors[1];
    ASSERT_EQ(first.size(), paths_.size());
    EXPECT_EQ(first[2].n_frames, 0u);
    EXPECT_TRUE(first[2].data.empty());
    EXPECT_EQ(first[6].n_frames, 0u);
    for (size_t i : {0u, 1u, 3u, 4u, 5u}) {
        EXPECT_EQ(first[i].n_bins, 128);
        EXPECT_EQ(first[i].n_frames, 1 + static_cast<size_t>(0.6 * 22050) / 512) << i;  // centred frames
        EXPECT_EQ(first[i].data.size(), first[i].n_frames * 128u);
        EXPECT_NEAR(first[i].duration_s, 0.6, 1e-3) << i;
    }
    EXPECT_EQ(cache_files().size(), 5u);

    errors.clear();
    ASSERT_EQ(gs::compute_features_cached(paths_, config_, cache_, 3, second, errors, stats), "");
    EXPECT_EQ(stats.hits, 5);
    EXPECT_EQ(stats.misses, 0);
    EXPECT_EQ(stats.failures, 2);
    EXPECT_EQ(errors.size(), 2u);
    for (size_t i = 0; i < paths_.size(); ++i) EXPECT_TRUE(same_features(first[i], second[i])) << i;
}

TEST_F(FeatureCacheTest, MatchesDirectComputationAndKeyFormat) {
    std::vector<gs::track_features> out;
    std::vector<std::string> errors;
    gs::cache_stats stats;
    const std::vector<std::string> one = {paths_[3]};  // the 16 kHz file: resampled on the way
    ASSERT_EQ(gs::compute_features_cached(one, config_, cache_, 1, out, errors, stats), "");
    gs::audio_buffer audio;
    ASSERT_EQ(gs::load_audio_file(one[0], config_.sample_rate_hz, audio), "");
    gs::feature_extractor fx;
    ASSERT_EQ(fx.init(config_), "");
    std::vector<float> direct;
    size_t n_frames = 0;
    ASSERT_EQ(fx.compute(audio.samples.data(), audio.samples.size(), direct, n_frames), "");
    EXPECT_EQ(out[0].n_frames, n_frames);
    EXPECT_EQ(out[0].data, direct);

    std::string file_hex;
    ASSERT_EQ(gs::sha256_file_hex(one[0], file_hex), "");
    const std::string config_hex = gs::sha256_hex(gs::json_write(gs::to_json(config_), -1)).substr(0, 16);
    const std::string key = gs::feature_cache_key(file_hex, config_);
    EXPECT_EQ(key, file_hex + "-" + config_hex);
    EXPECT_TRUE(fs::is_regular_file(fs::path(cache_) / (key + ".gsf")));
    EXPECT_EQ(cache_files().size(), 1u);  // no temporary file left behind
}

TEST_F(FeatureCacheTest, DamagedCacheFilesAreRecomputed) {
    std::vector<gs::track_features> ref, out;
    std::vector<std::string> errors;
    gs::cache_stats stats;
    ASSERT_EQ(gs::compute_features_cached(paths_, config_, cache_, 2, ref, errors, stats), "");
    const std::vector<fs::path> files = cache_files();
    ASSERT_EQ(files.size(), 5u);
    std::vector<uint8_t> b = read_bytes(files[0]);
    b.resize(b.size() - 7);  // truncated
    write_bytes(files[0], b);
    b = read_bytes(files[1]);
    b[b.size() / 2] ^= 0x10;  // one flipped bit in the data
    write_bytes(files[1], b);
    write_bytes(files[2], {});  // empty
    b = read_bytes(files[3]);
    b[0] = 'X';  // wrong magic
    write_bytes(files[3], b);

    ASSERT_EQ(gs::compute_features_cached(paths_, config_, cache_, 2, out, errors, stats), "");
    EXPECT_EQ(stats.corrupt, 4);
    EXPECT_EQ(stats.misses, 4);
    EXPECT_EQ(stats.hits, 1);
    for (size_t i = 0; i < paths_.size(); ++i) EXPECT_TRUE(same_features(ref[i], out[i])) << i;
    for (const fs::path& f : files) EXPECT_EQ(read_bytes(f).empty(), false) << f;  // rewritten

    ASSERT_EQ(gs::compute_features_cached(paths_, config_, cache_, 2, out, errors, stats), "");
    EXPECT_EQ(stats.hits, 5);
    EXPECT_EQ(stats.corrupt, 0);
}

TEST_F(FeatureCacheTest, ThreadCountDoesNotChangeResults) {
    std::vector<gs::track_features> one, four, many;
    std::vector<std::string> e1, e4, e_many;
    gs::cache_stats stats;
    ASSERT_EQ(gs::compute_features_cached(paths_, config_, "", 1, one, e1, stats), "");  // no cache
    EXPECT_EQ(stats.misses, 5);
    EXPECT_FALSE(fs::exists(cache_));
    ASSERT_EQ(gs::compute_features_cached(paths_, config_, "", 4, four, e4, stats), "");
    ASSERT_EQ(gs::compute_features_cached(paths_, config_, "", 0, many, e_many, stats), "");  // hardware count
    EXPECT_EQ(e1, e4);
    EXPECT_EQ(e1, e_many);
    for (size_t i = 0; i < paths_.size(); ++i) {
        EXPECT_TRUE(same_features(one[i], four[i])) << i;
        EXPECT_TRUE(same_features(one[i], many[i])) << i;
    }
}

TEST_F(FeatureCacheTest, ConfigChangesTheKeyButNormalisationDoesNot) {
    std::vector<gs::track_features> out;
    std::vector<std::string> errors;
    gs::cache_stats stats;
    const std::vector<std::string> good = {paths_[0], paths_[1]};
    ASSERT_EQ(gs::compute_features_cached(good, config_, cache_, 2, out, errors, stats), "");
    EXPECT_EQ(stats.misses, 2);

    gs::feature_config normed = config_;
    normed.norm_mean = {-40.0f};
    normed.norm_std = {20.0f};
    EXPECT_EQ(gs::feature_cache_config_hash(normed), gs::feature_cache_config_hash(config_));
    ASSERT_EQ(gs::compute_features_cached(good, normed, cache_, 2, out, errors, stats), "");
    EXPECT_EQ(stats.hits, 2);

    gs::feature_config mfcc = config_;
    mfcc.kind = gs::feature_kind::mfcc;
    EXPECT_NE(gs::feature_cache_config_hash(mfcc), gs::feature_cache_config_hash(config_));
    ASSERT_EQ(gs::compute_features_cached(good, mfcc, cache_, 2, out, errors, stats), "");
    EXPECT_EQ(stats.misses, 2);
    EXPECT_EQ(out[0].n_bins, 20);
    EXPECT_EQ(cache_files().size(), 4u);
    EXPECT_TRUE(errors.empty());
}

TEST_F(FeatureCacheTest, FatalErrors) {
    std::vector<gs::track_features> out;
    std::vector<std::string> errors;
    gs::cache_stats stats;
    gs::feature_config bad = config_;
    bad.n_mels = 0;
    std::string err = gs::compute_features_cached(paths_, bad, cache_, 1, out, errors, stats);
    EXPECT_NE(err.find("invalid feature config"), std::string::npos) << err;
    EXPECT_EQ(out.size(), paths_.size());
    std::ofstream(dir_ / "file") << "x";
    err = gs::compute_features_cached(paths_, config_, (dir_ / "file" / "cache").string(), 1, out, errors, stats);
    EXPECT_NE(err.find("cannot create the cache folder"), std::string::npos) << err;
    // No paths: nothing to do, no error.
    EXPECT_EQ(gs::compute_features_cached({}, config_, cache_, 4, out, errors, stats), "");
    EXPECT_TRUE(out.empty());
}

TEST_F(FeatureCacheTest, GsfRoundTripAndChecks) {
    gs::track_features f;
    f.n_bins = 3;
    f.n_frames = 2;
    f.data = {1.0f, -2.5f, 0.0f, -0.0f, 1e-30f, NAN};
    f.duration_s = 0.5;
    const std::string path = (dir_ / "x.gsf").string();
    ASSERT_EQ(gs::write_gsf(path, f, 16000, 8000), "");
    gs::track_features back;
    int rate = 0;
    ASSERT_EQ(gs::read_gsf(path, back, rate), "");
    EXPECT_EQ(rate, 16000);
    EXPECT_EQ(back.n_bins, 3);
    EXPECT_EQ(back.n_frames, 2u);
    EXPECT_DOUBLE_EQ(back.duration_s, 0.5);
    EXPECT_EQ(std::memcmp(back.data.data(), f.data.data(), 6 * sizeof(float)), 0);  // bits, NaN included
    EXPECT_EQ(read_bytes(path).size(), 28u + 6 * 4 + 16);

    std::vector<uint8_t> b = read_bytes(path);
    b[4] = 4;  // n_bins 4: size no longer matches
    write_bytes(path, b);
    EXPECT_NE(gs::read_gsf(path, back, rate).find("wrong size"), std::string::npos);
    EXPECT_EQ(back.n_frames, 0u);
    b[4] = 3;
    b[30] ^= 1;  // data bit
    write_bytes(path, b);
    EXPECT_NE(gs::read_gsf(path, back, rate).find("checksum mismatch"), std::string::npos);
    EXPECT_NE(gs::read_gsf((dir_ / "none.gsf").string(), back, rate), "");
    f.data.pop_back();  // inconsistent matrix
    EXPECT_NE(gs::write_gsf(path, f, 16000, 8000), "");
}

// The team's real clips (and broken files), when they are present.
TEST_F(FeatureCacheTest, SharedClipsAndBadFiles) {
    const fs::path clips = fs::path(shared_dir()) / "clips";
    if (!fs::is_directory(clips)) GTEST_SKIP() << "no " << clips;
    std::vector<std::string> paths = {(clips / "blues.00005-10s-16s.wav").string(),
                                      (clips / "rock.00005-44k-stereo.wav").string()};
    size_t n_bad = 0;
    for (const auto& e : fs::directory_iterator(clips / "bad")) {
        paths.push_back(e.path().string());
        ++n_bad;
    }
    std::vector<gs::track_features> out;
    std::vector<std::string> errors;
    gs::cache_stats stats;
    ASSERT_EQ(gs::compute_features_cached(paths, config_, cache_, 2, out, errors, stats), "");
    EXPECT_EQ(stats.misses, 2);
    EXPECT_EQ(stats.failures, static_cast<int>(n_bad));
    EXPECT_EQ(errors.size(), n_bad);
    for (const std::string& e : errors) EXPECT_EQ(e.find('\n'), std::string::npos) << e;
    for (int i = 0; i < 2; ++i) {
        EXPECT_NEAR(out[i].duration_s, 6.0, 0.01) << paths[i];
        EXPECT_EQ(out[i].n_frames, 1 + static_cast<size_t>(out[i].duration_s * 22050 + 0.5) / 512) << paths[i];
    }
}

}  // namespace
