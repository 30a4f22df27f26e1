// test_compact_cnn.cpp: the contained HDF5 reader (real, truncated, garbage files; crashes and hangs in the child)
// and the import of Choi's compact convnet (window, filterbank, kernel layout, graph shapes, card, forward pass).
#include <gtest/gtest.h>

#ifdef GENRESCOPE_HAVE_HDF5

#include <hdf5.h>
#include <signal.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "../common/test_support.h"
#include "data/sha256.h"
#include "genrescope/mel.h"
#include "genrescope/stft.h"
#include "model/import_compact_cnn.h"
#include "model/ir_json.h"
#include "model/ir_reference.h"
#include "model/keras_hdf5.h"

namespace {

std::string weights_path() { return gs_test::shared_dir() + "/pretrained/compact_cnn_msd/weights_tensorflow.hdf5"; }

std::string tmp_path(const std::string& name) {
    return (::testing::TempDir().empty() ? std::string("/tmp/") : ::testing::TempDir()) + "gs_compact_" + name;
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& b) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

// Writes float datasets into a new HDF5 file with libhdf5 (our own, trusted files: in this process).
bool write_h5(const std::string& path, const gs::hdf5_datasets& ds) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0) return false;
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    bool ok = true;
    for (const auto& [name, d] : ds) {
        std::vector<hsize_t> dims(d.shape.begin(), d.shape.end());
        hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
        hid_t set = H5Dcreate2(f, name.c_str(), H5T_IEEE_F32LE, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
        ok = ok && set >= 0 && H5Dwrite(set, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, d.values.data()) >= 0;
        if (set >= 0) H5Dclose(set);
        H5Sclose(space);
    }
    H5Pclose(lcpl);
    H5Fclose(f);
    return ok;
}

gs::hdf5_datasets read_real() {
    gs::hdf5_datasets ds;
    const std::string err = gs::keras_hdf5_read_file(weights_path(), ds);
    EXPECT_EQ(err, "");
    return ds;
}

}  // namespace

TEST(KerasHdf5, RealFileDatasetsAndShapes) {
    const gs::hdf5_datasets ds = read_real();
    // h5py lists 33 datasets: 3 in melgram/, 30 in ConvBNEluDr/ (flatten_1 is an empty group).
    ASSERT_EQ(ds.size(), 33u);
    using shape = std::vector<int64_t>;
    const std::map<std::string, shape> want = {
        {"melgram/Variable:0", {512, 1, 1, 257}},
        {"melgram/Variable_1:0", {512, 1, 1, 257}},
        {"melgram/Variable_2:0", {257, 96}},
        {"ConvBNEluDr/convolution2d_1_W:0", {32, 1, 3, 3}},
        {"ConvBNEluDr/convolution2d_2_W:0", {32, 32, 3, 3}},
        {"ConvBNEluDr/convolution2d_5_W:0", {32, 32, 3, 3}},
        {"ConvBNEluDr/convolution2d_5_b:0", {32}},
        {"ConvBNEluDr/batchnormalization_3_gamma:0", {32}},
        {"ConvBNEluDr/batchnormalization_3_beta:0", {32}},
        {"ConvBNEluDr/batchnormalization_4_running_mean:0", {32}},
        {"ConvBNEluDr/batchnormalization_4_running_std:0", {32}},
    };
    for (const auto& [name, s] : want) {
        auto it = ds.find(name);
        ASSERT_NE(it, ds.end()) << name;
        EXPECT_EQ(it->second.shape, s) << name;
        EXPECT_TRUE(it->second.is_float) << name;
        EXPECT_EQ(static_cast<int64_t>(it->second.values.size()), it->second.n_values()) << name;
    }
    // No dense/output layer in the file: nothing outside melgram/ and ConvBNEluDr/.
    for (const auto& [name, d] : ds) {
        EXPECT_TRUE(name.rfind("melgram/", 0) == 0 || name.rfind("ConvBNEluDr/", 0) == 0) << name;
    }
    // The trap: the stored running statistics are placeholders (h5py: every mean 0, every std 1).
    for (int b = 1; b <= 5; ++b) {
        for (float v : ds.at("ConvBNEluDr/batchnormalization_" + std::to_string(b) + "_running_mean:0").values) EXPECT_EQ(v, 0.0f);
        for (float v : ds.at("ConvBNEluDr/batchnormalization_" + std::to_string(b) + "_running_std:0").values) EXPECT_EQ(v, 1.0f);
    }
    // h5py: gamma of block 1 ranges over [-0.070106246, 3.3546965].
    const auto& g1 = ds.at("ConvBNEluDr/batchnormalization_1_gamma:0").values;
    EXPECT_FLOAT_EQ(*std::min_element(g1.begin(), g1.end()), -0.070106246f);
    EXPECT_FLOAT_EQ(*std::max_element(g1.begin(), g1.end()), 3.3546965f);
}

TEST(KerasHdf5, EmptyGarbageAndMissingFilesGiveOneLineErrors) {
    gs::hdf5_datasets ds;
    EXPECT_EQ(gs::keras_hdf5_read_bytes(nullptr, 0, ds), "empty file");
    const std::vector<uint8_t> text = {'h', 'e', 'l', 'l', 'o'};
    EXPECT_EQ(gs::keras_hdf5_read_bytes(text.data(), text.size(), ds), "not an HDF5 file (no signature)");
    // A signature followed by garbage: libhdf5 runs (in the child) and refuses it.
    std::vector<uint8_t> fake = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    std::mt19937 rng(7);
    for (int i = 0; i < 4000; ++i) fake.push_back(static_cast<uint8_t>(rng()));
    const std::string err = gs::keras_hdf5_read_bytes(fake.data(), fake.size(), ds);
    EXPECT_NE(err, "");
    EXPECT_EQ(err.find('\n'), std::string::npos);
    EXPECT_TRUE(ds.empty());

    const std::string empty = tmp_path("empty.h5");
    write_bytes(empty, {});
    std::string e = gs::keras_hdf5_read_file(empty, ds);
    EXPECT_EQ(e, "cannot read HDF5 file " + empty + ": empty file");
    e = gs::keras_hdf5_read_file("/nonexistent/x.h5", ds);
    EXPECT_EQ(e.rfind("cannot read HDF5 file /nonexistent/x.h5: ", 0), 0u) << e;
    e = gs::keras_hdf5_read_file("/tmp", ds);
    EXPECT_NE(e.find("directory"), std::string::npos) << e;
    std::remove(empty.c_str());
}

TEST(KerasHdf5, TruncatedCopiesFailCleanly) {
    const std::vector<uint8_t> bytes = gs_test::read_file_bytes(weights_path());
    ASSERT_GT(bytes.size(), 1000000u);
    std::vector<size_t> lengths = {1, 8, 9, 96, 512, 800, 1024, 2048, 4096, 8192, bytes.size() - 1, bytes.size() - 4096};
    for (int i = 1; i < 32; ++i) lengths.push_back(bytes.size() * i / 32);
    std::map<std::string, int> messages;
    for (size_t n : lengths) {
        gs::hdf5_datasets ds;
        const std::string err = gs::keras_hdf5_read_bytes(bytes.data(), n, ds);
        // Either a clean error, or (for a cut that keeps every dataset's data) the whole file; never a crash here.
        if (err.empty()) {
            EXPECT_EQ(ds.size(), 33u) << n;
        } else {
            EXPECT_EQ(err.find('\n'), std::string::npos);
            EXPECT_TRUE(ds.empty());
            ++messages[err];
        }
    }
    EXPECT_GE(messages.size(), 1u);
    for (const auto& [m, count] : messages) std::printf("  truncated: %d x %s\n", count, m.c_str());
}

TEST(KerasHdf5, CrashesAndHangsInTheChildAreContained) {
    const std::vector<uint8_t> bytes = gs_test::read_file_bytes(weights_path());
    ASSERT_FALSE(bytes.empty());
    gs::hdf5_datasets ds;
    gs::hdf5_read_options o;
    o.test_child_signal = SIGSEGV;
    EXPECT_EQ(gs::keras_hdf5_read_bytes(bytes.data(), bytes.size(), ds, o), "the HDF5 library crashed (signal 11)");
    o.test_child_signal = SIGABRT;
    EXPECT_EQ(gs::keras_hdf5_read_bytes(bytes.data(), bytes.size(), ds, o), "the HDF5 library crashed (signal 6)");
    o.test_child_signal = SIGSTOP;  // a child that never answers: killed at the deadline
    o.timeout_s = 1;
    EXPECT_EQ(gs::keras_hdf5_read_bytes(bytes.data(), bytes.size(), ds, o),
              "the HDF5 library did not finish within 1 s");
    // And this process goes on reading.
    EXPECT_EQ(gs::keras_hdf5_read_bytes(bytes.data(), bytes.size(), ds), "");
    EXPECT_EQ(ds.size(), 33u);
}

TEST(CompactCnn, WindowRecoveredFromTheDftKernelsIsOurPeriodicHann) {
    const gs::hdf5_datasets ds = read_real();
    std::vector<float> window;
    double kernel_error = 1.0;
    ASSERT_EQ(gs::compact_cnn_recover_window(ds.at("melgram/Variable:0"), ds.at("melgram/Variable_1:0"), window,
                                             kernel_error), "");
    // numpy: kernels within 2.98e-8 of w[n] cos / +w[n] sin; the window is float32(0.5 - 0.5 cos(2 pi n / 512)).
    EXPECT_LT(kernel_error, 1e-7);
    std::printf("  DFT kernels vs w cos / w sin: max deviation %.3g\n", kernel_error);
    gs::stft_plan plan;
    gs::stft_params p;
    p.n_fft = 512;
    p.hop_length = 256;
    p.center = false;
    ASSERT_EQ(plan.init(p), "");
    double max_diff = 0.0;
    for (int n = 0; n < 512; ++n) max_diff = std::max(max_diff, std::fabs(static_cast<double>(window[n]) - plan.window()[n]));
    std::printf("  recovered window vs shared/'s periodic Hann: max difference %.3g\n", max_diff);
    EXPECT_LE(max_diff, 1e-7);
    EXPECT_EQ(window[0], 0.0f);
    EXPECT_EQ(window[256], 1.0f);
    EXPECT_EQ(window[1], window[511]);  // periodic: w[n] = w[N - n]
    // A symmetric Hann (denominator 511) would differ by up to 4.7e-3 (numpy): not what is stored.
    double sym_diff = 0.0;
    for (int n = 0; n < 512; ++n) {
        sym_diff = std::max(sym_diff, std::fabs(window[n] - (0.5 - 0.5 * std::cos(2 * 3.14159265358979323846 * n / 511.0))));
    }
    EXPECT_GT(sym_diff, 4e-3);
}

TEST(CompactCnn, ImportedFilterbankIsTheFilesAndMatchesSlaney) {
    gs::ir_graph g;
    gs::ir_weights w;
    gs::model_card card;
    ASSERT_EQ(gs::import_compact_cnn(weights_path(), g, w, card), "");
    const gs::hdf5_datasets ds = read_real();
    const std::vector<float>& file_fb = ds.at("melgram/Variable_2:0").values;  // [257][96]
    const std::vector<float>& mw = card.features.mel_weights;                  // [96][257]
    ASSERT_EQ(mw.size(), 96u * 257u);
    for (int k = 0; k < 257; ++k)
        for (int m = 0; m < 96; ++m) ASSERT_EQ(mw[static_cast<size_t>(m) * 257 + k], file_fb[static_cast<size_t>(k) * 96 + m]);
    // numpy: the file is librosa's Slaney filterbank (sr 12000, n_fft 512, 96 bands, 0-6000 Hz) within 1.8e-9.
    gs::mel_filterbank fb;
    ASSERT_EQ(fb.init(gs::compact_cnn_feature_config().mel()), "");
    const std::vector<float> ours = fb.dense();
    double max_diff = 0.0;
    for (size_t i = 0; i < ours.size(); ++i) max_diff = std::max(max_diff, std::fabs(static_cast<double>(ours[i]) - mw[i]));
    std::printf("  stored filterbank vs computed Slaney: max difference %.3g\n", max_diff);
    EXPECT_LT(max_diff, 1e-8);
    // Changing the explicit weights in the card changes nothing else: it round-trips through JSON exactly.
    gs::feature_config back;
    ASSERT_EQ(gs::from_json(gs::to_json(card.features), back), "");
    EXPECT_EQ(back.mel_weights, mw);
}

TEST(CompactCnn, GraphShapesAndMinimumLength) {
    std::map<std::string, std::vector<int64_t>> s;
    ASSERT_EQ(gs::ir_infer_shapes(gs::compact_cnn_graph(1280), 2, s), "");
    EXPECT_EQ(s["pool1"], (std::vector<int64_t>{2, 32, 48, 320}));
    EXPECT_EQ(s["pool2"], (std::vector<int64_t>{2, 32, 16, 80}));
    EXPECT_EQ(s["pool3"], (std::vector<int64_t>{2, 32, 8, 16}));
    EXPECT_EQ(s["pool4"], (std::vector<int64_t>{2, 32, 4, 4}));
    EXPECT_EQ(s["pool5"], (std::vector<int64_t>{2, 32, 1, 1}));
    EXPECT_EQ(s["embedding"], (std::vector<int64_t>{2, 160}));
    EXPECT_EQ(s["probabilities"], (std::vector<int64_t>{2, 160}));
    // The original's 29-s input (1360 frames) also ends at one frame; 1279 frames leave none.
    ASSERT_EQ(gs::ir_infer_shapes(gs::compact_cnn_graph(1360), 1, s), "");
    EXPECT_EQ(s["pool5"], (std::vector<int64_t>{1, 32, 1, 1}));
    EXPECT_NE(gs::ir_infer_shapes(gs::compact_cnn_graph(1279), 1, s), "");
    // The graph survives its JSON form.
    gs::ir_graph back;
    ASSERT_EQ(gs::ir_graph_from_json(gs::ir_graph_to_json(gs::compact_cnn_graph(1280)), back), "");
    EXPECT_EQ(back.nodes.size(), gs::compact_cnn_graph(1280).nodes.size());
}

TEST(CompactCnn, KernelLayoutRowsAreFrequency) {
    // 'tf' [kh, kw, in, out] -> [out, in, kh, kw]: the one non-zero value moves to its place; 'th' is unchanged.
    std::vector<float> tf(3 * 3 * 2 * 4, 0.0f);
    tf[((0 * 3 + 1) * 2 + 1) * 4 + 3] = 5.0f;  // kh 0, kw 1, in 1, out 3
    std::vector<float> out;
    ASSERT_EQ(gs::keras_kernel_to_oihw({3, 3, 2, 4}, tf, false, out), "");
    EXPECT_EQ(out[((3 * 2 + 1) * 3 + 0) * 3 + 1], 5.0f);
    EXPECT_EQ(std::count(out.begin(), out.end(), 0.0f), static_cast<long>(out.size()) - 1);
    ASSERT_EQ(gs::keras_kernel_to_oihw({4, 2, 3, 3}, tf, true, out), "");
    EXPECT_EQ(out, tf);
    EXPECT_NE(gs::keras_kernel_to_oihw({3, 3, 2}, tf, true, out), "");

    // In the graph, kernel row 0 (kh) reaches one bin down in frequency: with w[0][1] = 1 (row 0, centre column),
    // out[f][t] = x[f - 1][t], so an impulse at (bin 5, frame 7) shows at (bin 6, frame 7), not at (5, 8).
    gs::ir_graph g = gs::compact_cnn_graph(1280);
    gs::ir_graph tiny;
    tiny.arch = "t";
    tiny.n_bins = 12;
    tiny.n_frames = 16;
    tiny.n_classes = 12 * 16;
    tiny.logits = "flat";
    tiny.nodes.push_back(g.nodes[0]);  // conv1: 1 -> 32 maps, 3x3, pad 1
    gs::ir_node flat;
    flat.name = flat.output = "flat";
    flat.op = gs::ir_op::flatten;
    tiny.nodes[0].ints["out_channels"] = 1;
    tiny.nodes[0].params = {{"weight", {1, 1, 3, 3}}, {"bias", {1}}};
    flat.inputs = {"conv1"};
    tiny.nodes.push_back(flat);
    gs::ir_node sm;
    sm.name = sm.output = "probabilities";
    sm.op = gs::ir_op::sigmoid;
    sm.inputs = {"flat"};
    tiny.nodes.push_back(sm);
    gs::ir_weights w;
    w["conv1.weight"] = {0, 1, 0, 0, 0, 0, 0, 0, 0};
    w["conv1.bias"] = {0};
    std::vector<float> x(12 * 16, 0.0f);
    x[5 * 16 + 7] = 1.0f;
    std::map<std::string, std::vector<float>> t;
    ASSERT_EQ(gs::ir_reference_forward(tiny, w, x, 1, t), "");
    const std::vector<float>& y = t.at("conv1");
    EXPECT_EQ(y[6 * 16 + 7], 1.0f);
    EXPECT_EQ(y[5 * 16 + 8], 0.0f);
    EXPECT_EQ(std::count(y.begin(), y.end(), 0.0f), static_cast<long>(y.size()) - 1);
}

TEST(CompactCnn, ImportCardAndWeights) {
    gs::ir_graph g;
    gs::ir_weights w;
    gs::model_card card;
    ASSERT_EQ(gs::import_compact_cnn(weights_path(), g, w, card), "");
    EXPECT_EQ(gs::ir_check_weights(g, w), "");
    EXPECT_EQ(g.n_frames, 1280);
    EXPECT_EQ(g.n_bins, 96);
    EXPECT_EQ(g.logits, "embedding");
    for (int b = 1; b <= 5; ++b) {
        const std::string i = std::to_string(b);
        for (float v : w.at("bn" + i + ".running_mean")) EXPECT_EQ(v, 0.0f);
        for (float v : w.at("bn" + i + ".running_var")) EXPECT_EQ(v, 1.0f);
    }
    EXPECT_EQ(card.features.kind, gs::feature_kind::compact_cnn_melgram);
    EXPECT_FALSE(card.features.frame_local());
    EXPECT_EQ(card.segment_frames, 1280);
    EXPECT_NEAR(card.segment_s, 27.3067, 1e-4);
    EXPECT_EQ(card.labels.size(), 160u);
    EXPECT_EQ(card.labels.front(), "l1_m00");
    EXPECT_EQ(card.labels.back(), "l5_m31");
    EXPECT_EQ(card.training["weights_sha256"].as_string(),
              "42e791b8c1b41ffe82c74d0501d8216eaee94d0b727b44de39ccc83ef810aed3");
    EXPECT_EQ(card.training["licence"].as_string(), "MIT");
    EXPECT_NE(card.training["licence_text"].as_string().find("Copyright (c) 2016 Keunwoo Choi"), std::string::npos);
    EXPECT_EQ(card.training["batch_norm_statistics"].as_string(), "not estimated");
    bool says_estimate = false;
    for (const gs::json_value& l : card.limits.as_array()) says_estimate |= l.as_string().find("estimated from clean") != std::string::npos;
    EXPECT_TRUE(says_estimate);
    // The card survives its JSON form, graph included.
    gs::model_card back;
    ASSERT_EQ(gs::from_json(gs::to_json(card), back), "");
    EXPECT_EQ(back.features.mel_weights, card.features.mel_weights);
    gs::ir_graph g2;
    ASSERT_EQ(gs::ir_graph_from_json(back.graph, g2), "");
    EXPECT_EQ(g2.nodes.size(), g.nodes.size());
}

TEST(CompactCnn, ForwardMatchesAnIndependentNumpyPass) {
    // numpy (float64) on the file's kernels read as [out, in, mel, time], cross-correlation, pad 1, BN with mean 0
    // var 1 eps 1e-3, ELU, floor max-pools, on x[f][t] = -40 + 30 sin(0.37 f + 0.011 t (1 + f / 50)) (96 x 1280).
    // Uncalibrated batch norm makes the activations grow layer by layer: these are regression values, not sense.
    gs::ir_graph g;
    gs::ir_weights w;
    gs::model_card card;
    ASSERT_EQ(gs::import_compact_cnn(weights_path(), g, w, card), "");
    std::vector<float> x(96 * 1280);
    for (int f = 0; f < 96; ++f)
        for (int t = 0; t < 1280; ++t)
            x[static_cast<size_t>(f) * 1280 + t] = static_cast<float>(-40.0 + 30.0 * std::sin(0.37 * f + 0.011 * t * (1.0 + f / 50.0)));
    std::map<std::string, std::vector<float>> t;
    ASSERT_EQ(gs::ir_reference_forward(g, w, x, 1, t), "");
    const std::vector<float>& e = t.at("embedding");
    ASSERT_EQ(e.size(), 160u);
    const struct { int i; double v; } golden[] = {{0, 19.3468},  {1, 219.137},  {31, 66.0423},   {32, 1986.59},
                                                  {63, -1.0},    {64, 226.323}, {100, 261846.0}, {159, 2.01411e+06}};
    for (const auto& gv : golden) EXPECT_NEAR(e[gv.i], gv.v, 1e-4 * std::fabs(gv.v) + 1e-4) << gv.i;
    double sum = 0.0;
    for (float v : e) sum += v;
    EXPECT_NEAR(sum, 5.06742e+07, 1e-4 * 5.06742e+07);
}

TEST(CompactCnn, RewrittenFilesTfLayoutAndBadValues) {
    gs::hdf5_datasets ds = read_real();
    gs::ir_graph g0, g;
    gs::ir_weights w0, w;
    gs::model_card c0, c;
    ASSERT_EQ(gs::import_compact_cnn(weights_path(), g0, w0, c0), "");

    // The same weights with every kernel stored 'tf'-style [kh, kw, in, out]: the import gives the same weights.
    gs::hdf5_datasets tf = ds;
    for (int b = 1; b <= 5; ++b) {
        gs::hdf5_dataset& k = tf.at("ConvBNEluDr/convolution2d_" + std::to_string(b) + "_W:0");
        const int64_t o = k.shape[0], i = k.shape[1];
        std::vector<float> v(k.values.size());
        for (int64_t a = 0; a < o; ++a)
            for (int64_t bb = 0; bb < i; ++bb)
                for (int h = 0; h < 3; ++h)
                    for (int x = 0; x < 3; ++x)
                        v[static_cast<size_t>(((h * 3 + x) * i + bb) * o + a)] = k.values[static_cast<size_t>(((a * i + bb) * 3 + h) * 3 + x)];
        k.values = v;
        k.shape = {3, 3, i, o};
    }
    const std::string tf_path = tmp_path("tf_layout.h5");
    ASSERT_TRUE(write_h5(tf_path, tf));
    ASSERT_EQ(gs::import_compact_cnn(tf_path, g, w, c), "");
    for (int b = 1; b <= 5; ++b) EXPECT_EQ(w.at("conv" + std::to_string(b) + ".weight"), w0.at("conv" + std::to_string(b) + ".weight"));

    // A NaN in a kernel, a missing dataset, a wrong shape: one-line errors, outputs untouched.
    gs::hdf5_datasets nan = ds;
    nan.at("ConvBNEluDr/convolution2d_3_W:0").values[17] = std::numeric_limits<float>::quiet_NaN();
    const std::string nan_path = tmp_path("nan.h5");
    ASSERT_TRUE(write_h5(nan_path, nan));
    gs::model_card untouched;
    untouched.name = "keep";
    std::string err = gs::import_compact_cnn(nan_path, g, w, untouched);
    EXPECT_NE(err.find("NaN or infinite"), std::string::npos) << err;
    EXPECT_EQ(untouched.name, "keep");

    gs::hdf5_datasets missing = ds;
    missing.erase("ConvBNEluDr/batchnormalization_5_beta:0");
    const std::string missing_path = tmp_path("missing.h5");
    ASSERT_TRUE(write_h5(missing_path, missing));
    err = gs::import_compact_cnn(missing_path, g, w, untouched);
    EXPECT_NE(err.find("'ConvBNEluDr/batchnormalization_5_beta:0' is missing"), std::string::npos) << err;

    gs::hdf5_datasets not_hann = ds;
    for (float& v : not_hann.at("melgram/Variable:0").values) v *= 1.01f;
    for (float& v : not_hann.at("melgram/Variable_1:0").values) v *= 1.01f;
    const std::string hann_path = tmp_path("not_hann.h5");
    ASSERT_TRUE(write_h5(hann_path, not_hann));
    err = gs::import_compact_cnn(hann_path, g, w, untouched);
    EXPECT_NE(err.find("not a periodic Hann window"), std::string::npos) << err;

    err = gs::import_compact_cnn("/nonexistent.h5", g, w, untouched);
    EXPECT_EQ(err.rfind("cannot read HDF5 file /nonexistent.h5: ", 0), 0u) << err;
    for (const std::string& p : {tf_path, nan_path, missing_path, hann_path}) std::remove(p.c_str());
}

#else

TEST(CompactCnn, SkippedWithoutLibhdf5) { GTEST_SKIP() << "built without libhdf5 (libhdf5-dev)"; }

#endif

// The parent's parser of the reader process's answer: that process ran libhdf5 on untrusted input, so what it
// sends is untrusted too (fuzz_hdf5 runs this parser on raw answers).
TEST(KerasHdf5, AnswersFromTheReaderProcessAreChecked) {
    auto error_answer = [](const std::string& msg) {
        std::string s("GSH5");
        s.push_back(1);
        const uint64_t n = msg.size();
        s.append(reinterpret_cast<const char*>(&n), sizeof n);
        return s + msg;
    };
    gs::hdf5_datasets ds;
    EXPECT_EQ(gs::keras_hdf5_decode_answer(error_answer("bad superblock"), ds), "bad superblock");
    // A message with control bytes comes out as one printable line; an empty one is not success.
    EXPECT_EQ(gs::keras_hdf5_decode_answer(error_answer("line 1\nline 2\x1b[31m"), ds), "line 1?line 2?[31m");
    EXPECT_EQ(gs::keras_hdf5_decode_answer(error_answer(""), ds), "the reader process sent a malformed answer");
    // Truncated or oversized answers.
    EXPECT_EQ(gs::keras_hdf5_decode_answer("GSH", ds), "the reader process sent a malformed answer");
    std::string ok("GSH5");
    ok.push_back(0);
    const uint64_t huge = gs::kHdf5MaxDatasets + 1;
    ok.append(reinterpret_cast<const char*>(&huge), sizeof huge);
    EXPECT_EQ(gs::keras_hdf5_decode_answer(ok, ds), "the reader process sent a malformed answer");
    // A float dataset with a dimension of 0: no values follow, and it decodes as an empty dataset (fuzz_hdf5
    // without its seed file found the null-pointer memcpy this once did).
    std::string empty("GSH5");
    empty.push_back(0);
    auto u64 = [&](uint64_t v) { empty.append(reinterpret_cast<const char*>(&v), sizeof v); };
    u64(1);  // datasets
    u64(1);  // name length
    empty += "w";
    empty.push_back(1);  // float
    u64(1);  // rank
    u64(0);  // dim
    ASSERT_EQ(gs::keras_hdf5_decode_answer(empty, ds), "");
    EXPECT_TRUE(ds.at("w").values.empty());
    EXPECT_EQ(ds.at("w").shape, std::vector<int64_t>{0});
}
