// test_teacher.cpp: distillation targets: the teacher's grid table, its lookup, and how the sampler mixes it in.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "data/sha256.h"
#include "model/archs.h"
#include "model/ir_torch.h"
#include "model/model_card.h"
#include "model/onnx_export.h"
#include "train/teacher.h"
#include "train/train_data.h"

namespace {

using namespace gs;
namespace fs = std::filesystem;

constexpr int kFrames = 130;  // one segment
constexpr int kClasses = 3;
const std::vector<std::string> kLabels = {"a", "b", "c"};

// The `linear` architecture's features (64 log-mel bands) with the given normalisation.
feature_config config_with(float mean, float std_dev) {
    arch_info a;
    EXPECT_EQ(find_arch("linear", "", a), "");
    feature_config c = a.features;
    c.norm_mean = {mean};
    c.norm_std = {std_dev};
    return c;
}

// Tracks of raw dB values that vary with bin, frame and track, normalised with `c`; lengths in frames.
std::vector<track_matrix> make_tracks(const feature_config& c, const std::vector<size_t>& lengths) {
    const int nb = c.n_bins();
    std::vector<track_matrix> out;
    for (size_t i = 0; i < lengths.size(); ++i) {
        track_matrix t;
        t.n_frames = lengths[i];
        t.label = static_cast<int>(i % kClasses);
        t.data.resize(static_cast<size_t>(nb) * t.n_frames);
        for (int b = 0; b < nb; ++b) {
            for (size_t f = 0; f < t.n_frames; ++f) {
                t.data[b * t.n_frames + f] = -40.0f + 10.0f * std::sin(0.1f * b + 0.05f * f + static_cast<float>(i));
            }
        }
        apply_normalisation(c, t.data.data(), static_cast<int>(t.n_frames), t.n_frames, 1);
        out.push_back(t);
    }
    return out;
}

// A randomly initialised `linear` model with its card (features `c`, kFrames frames, `labels`), written to
// DIR/model.onnx + DIR/model.json. Returns the module that the file holds.
ir_module write_teacher(const std::string& dir, const feature_config& c, const std::vector<std::string>& labels) {
    ir_graph g;
    EXPECT_EQ(build_arch("linear", c.n_bins(), kFrames, static_cast<int64_t>(labels.size()), g, false), "");
    torch::manual_seed(3);
    ir_module m(g);
    m->eval();
    std::string bytes;
    EXPECT_EQ(export_onnx(g, m->weights(), onnx_export_options{}, bytes), "");
    model_card card;
    card.name = card.arch = "linear";
    card.labels = labels;
    card.features = c;
    card.segment_frames = kFrames;
    card.segment_hop_frames = kFrames / 2;
    card.onnx_sha256 = sha256_hex(bytes);
    fs::create_directories(dir);
    std::ofstream(dir + "/model.onnx", std::ios::binary) << bytes;
    std::ofstream(dir + "/model.json") << json_write(to_json(card), 2);
    return m;
}

std::string temp_dir(const std::string& name) {
    const std::string d = (fs::temp_directory_path() / ("genrescope_teacher_" + name)).string();
    fs::remove_all(d);
    return d;
}

TEST(Teacher, TableLookupTakesTheNearestGridCropWithinTheTrack) {
    soft_target_table t;
    t.n_classes = 2;
    t.hop_frames = 10;
    t.first_row = {-1, 0};
    t.n_rows = {0, 3};
    t.probs = {0.1f, 0.9f, 0.2f, 0.8f, 0.3f, 0.7f};
    EXPECT_EQ(t.at(0, 0), nullptr) << "a track that was not scored";
    EXPECT_EQ(t.at(2, 0), nullptr) << "a track outside the table";
    EXPECT_EQ(t.at(-1, 0), nullptr);
    EXPECT_EQ(t.at(1, 0), &t.probs[0]);
    EXPECT_EQ(t.at(1, 4), &t.probs[0]);
    EXPECT_EQ(t.at(1, 5), &t.probs[2]);
    EXPECT_EQ(t.at(1, 24), &t.probs[4]);
    EXPECT_EQ(t.at(1, 1000), &t.probs[4]) << "clamped to the last grid crop";
    EXPECT_EQ(t.at(1, -7), &t.probs[0]) << "clamped to the first";
}

TEST(Teacher, ScoresEveryGridCropAsTheModelDoesOnItsOwnNormalisation) {
    const feature_config teacher_cfg = config_with(-35.0f, 8.0f), student_cfg = config_with(-42.0f, 12.0f);
    const std::string dir = temp_dir("score");
    ir_module model = write_teacher(dir, teacher_cfg, kLabels);
    // Track 0: 300 frames; track 1: shorter than a segment; track 2: not in the training set.
    const std::vector<track_matrix> tracks = make_tracks(student_cfg, {300, 90, 200});
    teacher_options o;
    o.model_path = dir + "/model.onnx";
    o.temperature = 2.0;
    soft_target_table table;
    teacher_summary summary;
    ASSERT_EQ(build_teacher_table(o, tracks, {0, 1}, student_cfg, kLabels, kFrames, false, table, summary), "");
    const int hop = table.hop_frames;
    EXPECT_EQ(hop, static_cast<int>(std::lround(0.5 * student_cfg.sample_rate_hz / student_cfg.stft.hop_length)));
    EXPECT_EQ(table.n_rows[0], (300 - kFrames) / hop + 1);
    EXPECT_EQ(table.n_rows[1], 1);
    EXPECT_EQ(table.first_row[2], -1);
    EXPECT_EQ(summary.crops, table.n_rows[0] + table.n_rows[1]);
    EXPECT_EQ(summary.arch, "linear");
    EXPECT_GE(summary.label_agreement, 0.0);
    EXPECT_LE(summary.label_agreement, 1.0);
    // Expected: the same crops normalised the teacher's way (raw values rebuilt from the student's), zero
    // (the teacher's mean) past a track's end, through the model, softmax(logits / T).
    const int nb = student_cfg.n_bins();
    const int64_t last = (table.n_rows[0] - 1) * hop;
    for (const auto& [track, start] : std::vector<std::pair<int, int64_t>>{{0, 0}, {0, 3 * hop}, {0, last}, {1, 0}}) {
        const track_matrix& t = tracks[static_cast<size_t>(track)];
        torch::Tensor x = torch::zeros({1, 1, nb, kFrames});
        for (int b = 0; b < nb; ++b) {
            for (int f = 0; f < kFrames && start + f < static_cast<int64_t>(t.n_frames); ++f) {
                const float raw = t.data[b * t.n_frames + static_cast<size_t>(start + f)] * 12.0f - 42.0f;
                x[0][0][b][f] = (raw - -35.0f) / 8.0f;
            }
        }
        torch::NoGradGuard no_grad;
        const torch::Tensor expect = torch::softmax(model->forward(x) / 2.0, 1)[0];
        const float* got = table.at(track, start);
        ASSERT_NE(got, nullptr);
        double sum = 0;
        for (int k = 0; k < kClasses; ++k) {
            EXPECT_NEAR(got[k], expect[k].item<float>(), 1e-5) << "track " << track << " start " << start;
            sum += got[k];
        }
        EXPECT_NEAR(sum, 1.0, 1e-5);
    }
    // A higher temperature gives a flatter distribution.
    o.temperature = 20.0;
    soft_target_table flat;
    ASSERT_EQ(build_teacher_table(o, tracks, {0, 1}, student_cfg, kLabels, kFrames, false, flat, summary), "");
    auto spread = [](const float* p) { return *std::max_element(p, p + kClasses) - *std::min_element(p, p + kClasses); };
    EXPECT_LT(spread(flat.at(0, 0)), spread(table.at(0, 0)));
    fs::remove_all(dir);
}

TEST(Teacher, RefusesATeacherOfOtherFeaturesSegmentsOrLabels) {
    const feature_config cfg = config_with(-35.0f, 8.0f);
    const std::vector<track_matrix> tracks = make_tracks(cfg, {300});
    soft_target_table table;
    teacher_summary summary;
    teacher_options o;
    auto error_of = [&](const std::string& dir, const feature_config& student, const std::vector<std::string>& labels,
                        int frames) {
        o.model_path = dir + "/model.onnx";
        return build_teacher_table(o, tracks, {0}, student, labels, frames, false, table, summary);
    };
    const std::string dir = temp_dir("refuse");
    write_teacher(dir, cfg, kLabels);
    EXPECT_EQ(error_of(dir, cfg, kLabels, kFrames), "");
    feature_config other = cfg;
    other.stft.hop_length = 256;
    EXPECT_NE(error_of(dir, other, kLabels, kFrames).find("other features"), std::string::npos);
    EXPECT_NE(error_of(dir, cfg, kLabels, kFrames + 1).find("segments"), std::string::npos);
    EXPECT_NE(error_of(dir, cfg, {"b", "a", "c"}, kFrames).find("labels"), std::string::npos);
    EXPECT_NE(error_of(dir + "/missing", cfg, kLabels, kFrames).find("teacher"), std::string::npos);
    o.weight = 1.5;
    EXPECT_NE(error_of(dir, cfg, kLabels, kFrames).find("weight"), std::string::npos);
    fs::remove_all(dir);
}

TEST(Teacher, SamplerMixesTheTeachersDistributionIntoTargetsAndDrawsNothing) {
    const feature_config c = config_with(0.0f, 1.0f);
    const std::vector<track_matrix> tracks = make_tracks(c, {300, 300, 300});
    const std::vector<int> train = {0, 1, 2};
    segment_spec spec;
    spec.frames = kFrames;
    spec.hop_frames = kFrames / 2;
    augment_options aug;
    aug.mixup_alpha = 0;  // targets then come from one crop each
    // A hand-made table: track i's crops all get the distribution with 0.7 on class (i + 1) % 3.
    soft_target_table t;
    t.n_classes = kClasses;
    t.hop_frames = 10;
    for (int i = 0; i < 3; ++i) {
        t.first_row.push_back(t.n_rows.empty() ? 0 : t.first_row.back() + t.n_rows.back());
        t.n_rows.push_back(18);
        for (int r = 0; r < 18; ++r) {
            for (int k = 0; k < kClasses; ++k) t.probs.push_back(k == (i + 1) % kClasses ? 0.7f : 0.15f);
        }
    }
    segment_sampler plain(&tracks, &train, c.n_bins(), kClasses, spec, aug, c);
    segment_sampler taught(&tracks, &train, c.n_bins(), kClasses, spec, aug, c);
    taught.set_teacher(&t, 0.4);
    std::mt19937_64 rng_a(11), rng_b(11);
    batch_plan a, b;
    plain.plan(32, rng_a, a);
    taught.plan(32, rng_b, b);
    EXPECT_EQ(rng_a(), rng_b()) << "the teacher draws no random numbers";
    EXPECT_EQ(a.track, b.track);
    EXPECT_EQ(a.start, b.start);
    EXPECT_EQ(a.labels, b.labels);
    for (int i = 0; i < 32; ++i) {
        const float* q = t.at(b.track[i], b.start[i]);
        for (int k = 0; k < kClasses; ++k) {
            EXPECT_NEAR(b.targets[i * kClasses + k], 0.6f * a.targets[i * kClasses + k] + 0.4f * q[k], 1e-6);
        }
    }
    // Weight 0 is off.
    taught.set_teacher(&t, 0.0);
    std::mt19937_64 rng_c(11);
    taught.plan(32, rng_c, b);
    EXPECT_EQ(a.targets, b.targets);
}

}  // namespace
