// test_import_yamnet.cpp: YAMNet's TFLite files -> IR: front-end constants, layout, structure, agreement, errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <cmath>
#include <string>
#include <vector>

#include "../common/test_support.h"
#include "genrescope/feature_config.h"
#include "genrescope/mel.h"
#include "genrescope/stft.h"
#include "model/import_yamnet.h"
#include "model/ir_reference.h"
#include "model/tflite_reader.h"

namespace {

std::string yamnet_path(const std::string& which) {
    return gs_test::shared_dir() + "/pretrained/yamnet/yamnet_" + which + "_in.tflite";
}

const gs::ir_node* node(const gs::ir_graph& g, const std::string& name) {
    for (const gs::ir_node& n : g.nodes)
        if (n.name == name) return &n;
    return nullptr;
}

// shared/'s yamnet_log_mel against the constants inside the waveform-input export: its analysis window (a MUL
// by a [1, 400] constant), its mel matrix (the FULLY_CONNECTED with int8 [64, 257] weights) and its log offset
// (that layer's bias).
TEST(ImportYamnet, FrontEndMatchesTheWaveformModelsConstants) {
    const std::vector<uint8_t> bytes = gs_test::read_file_bytes(yamnet_path("waveform"));
    ASSERT_FALSE(bytes.empty());
    gs::tflite_model m;
    ASSERT_EQ(gs::tflite_parse(bytes.data(), bytes.size(), m), "");
    const gs::tflite_subgraph& sg = m.subgraphs.at(0);
    const gs::feature_config fc = gs::yamnet_feature_config();
    gs::stft_plan plan;
    ASSERT_EQ(plan.init(fc.stft), "");
    gs::mel_filterbank fb;
    ASSERT_EQ(fb.init(fc.mel()), "");
    const std::vector<float> ours_mel = fb.dense();  // [64][257]
    bool saw_window = false, saw_mel = false;
    for (const gs::tflite_operator& op : sg.operators) {
        for (size_t k = 1; k < op.inputs.size(); ++k) {
            const int t = op.inputs[k];
            if (t < 0 || sg.tensors[t].buffer == 0 || m.buffers[sg.tensors[t].buffer].size == 0) continue;
            std::vector<float> v;
            std::vector<int64_t> s;
            ASSERT_EQ(gs::tflite_dequantize(m, bytes.data(), bytes.size(), t, v, s), "");
            if (op.builtin_code == gs::tflite_op::mul && s == std::vector<int64_t>{1, 400}) {
                saw_window = true;
                double d = 0.0;
                for (int i = 0; i < 400; ++i) d = std::max(d, std::fabs(double(v[i]) - plan.window()[i]));
                EXPECT_LE(d, 1e-6) << "window";
            }
            if (op.builtin_code == gs::tflite_op::fully_connected && s == std::vector<int64_t>{64, 257}) {
                saw_mel = true;
                // int8 weights: each within half a quantisation step (plus float rounding) of ours.
                const double half_step = 0.5 * sg.tensors[t].quant.scale.at(0) + 1e-6;
                double d = 0.0;
                for (size_t i = 0; i < v.size(); ++i) d = std::max(d, std::fabs(double(v[i]) - ours_mel[i]));
                EXPECT_LE(d, half_step) << "mel matrix";
                std::vector<float> bias;
                std::vector<int64_t> bs;
                ASSERT_EQ(gs::tflite_dequantize(m, bytes.data(), bytes.size(), op.inputs.at(2), bias, bs), "");
                for (float b : bias) EXPECT_FLOAT_EQ(b, gs::kYamnetLogOffset);
            }
        }
    }
    EXPECT_TRUE(saw_window);
    EXPECT_TRUE(saw_mel);
}

// Both exports import to the same structure: 14 convolutions (one 3x3 stride 2, 13 pointwise), 13 depthwise,
// a 1024-d average, a dense layer to 521 sigmoids; the card names the source and AudioSet's labels.
TEST(ImportYamnet, BothExportsGiveTheMobileNet) {
    for (const std::string which : {"waveform", "spectra"}) {
        SCOPED_TRACE(which);
        gs::yamnet_import y;
        ASSERT_EQ(gs::import_yamnet(yamnet_path(which), "", y), "");
        const gs::ir_graph& g = y.graph;
        EXPECT_EQ(g.n_bins, 64);
        EXPECT_EQ(g.n_frames, 96);
        EXPECT_EQ(g.n_classes, 521);
        int conv = 0, dw = 0;
        for (const gs::ir_node& n : g.nodes) {
            if (n.op != gs::ir_op::conv2d) continue;
            (n.get_int("groups", 1) > 1 ? dw : conv) += 1;
        }
        EXPECT_EQ(conv, 14);
        EXPECT_EQ(dw, 13);
        EXPECT_EQ(g.nodes.back().op, gs::ir_op::sigmoid);
        // TF's SAME padding of the stride-2 stem on 96 x 64: one row and one column at the end only.
        const gs::ir_node* stem = node(g, "conv1");
        ASSERT_NE(stem, nullptr);
        EXPECT_EQ(stem->get_int("stride_h"), 2);
        EXPECT_EQ(stem->get_int("pad_h"), 0);
        EXPECT_EQ(stem->get_int("pad_h_end"), 1);
        EXPECT_EQ(stem->get_int("pad_w"), 0);
        EXPECT_EQ(stem->get_int("pad_w_end"), 1);
        std::map<std::string, std::vector<int64_t>> shapes;
        ASSERT_EQ(gs::ir_infer_shapes(g, 1, shapes), "");
        EXPECT_EQ(shapes.at(y.embedding), (std::vector<int64_t>{1, 1024}));
        EXPECT_EQ(shapes.at(stem->output), (std::vector<int64_t>{1, 32, 32, 48}));
        EXPECT_GT(gs::ir_count_parameters(g), 3700000);
        EXPECT_LT(gs::ir_count_parameters(g), 3800000);
        EXPECT_EQ(y.card.labels.size(), 521u);
        EXPECT_EQ(y.card.labels.front(), "Speech");
        EXPECT_EQ(y.card.labels.at(132), "Music");
        EXPECT_EQ(y.card.features.kind, gs::feature_kind::yamnet_log_mel);
        EXPECT_EQ(y.card.segment_frames, 96);
        EXPECT_EQ(y.card.segment_hop_frames, 48);
        EXPECT_EQ(y.card.training["licence"].as_string(), "Apache-2.0");
        EXPECT_EQ(y.card.training["weights_sha256"].as_string().size(), 64u);
        EXPECT_FALSE(y.card.graph.is_null());
        // The embedding is a second output; AudioSet's 50 music genres are the card's tags.
        EXPECT_EQ(g.extra_outputs, std::vector<std::string>{y.embedding});
        EXPECT_EQ(y.card.tags["output"].as_string(), g.output);
        EXPECT_EQ(y.card.tags["labels"].size(), 521u);
        ASSERT_EQ(y.card.tags["genres"].size(), 50u);
        EXPECT_EQ(y.card.tags["labels"][static_cast<size_t>(y.card.tags["genres"][size_t{0}].as_int())].as_string(), "Pop music");
        EXPECT_EQ(y.card.tags["labels"][static_cast<size_t>(y.card.tags["genres"][size_t{49}].as_int())].as_string(), "Independent music");
    }
}

// The stem's kernel, read back from our layout [O, 1, freq, time], equals the file's [O, time, freq, 1].
TEST(ImportYamnet, KernelAxesAreSwapped) {
    const std::vector<uint8_t> bytes = gs_test::read_file_bytes(yamnet_path("spectra"));
    gs::tflite_model m;
    ASSERT_EQ(gs::tflite_parse(bytes.data(), bytes.size(), m), "");
    const gs::tflite_subgraph& sg = m.subgraphs.at(0);
    int weights = -1;
    for (const gs::tflite_operator& op : sg.operators) {
        if (op.builtin_code == gs::tflite_op::conv_2d) {
            weights = op.inputs.at(1);
            break;
        }
    }
    ASSERT_GE(weights, 0);
    std::vector<float> tf;
    std::vector<int64_t> s;
    ASSERT_EQ(gs::tflite_dequantize(m, bytes.data(), bytes.size(), weights, tf, s), "");
    ASSERT_EQ(s, (std::vector<int64_t>{32, 3, 3, 1}));
    gs::yamnet_import y;
    ASSERT_EQ(gs::import_yamnet(yamnet_path("spectra"), "", y), "");
    const std::vector<float>& ours = y.weights.at("conv1.weight");
    ASSERT_EQ(ours.size(), tf.size());
    for (int o = 0; o < 32; ++o)
        for (int t = 0; t < 3; ++t)
            for (int f = 0; f < 3; ++f) ASSERT_EQ(ours[(o * 3 + f) * 3 + t], tf[(o * 3 + t) * 3 + f]);
}

// The two exports are differently quantised copies of one network: on the embedded test vector's patch they
// agree (measured: max |d| 0.040 over the 521 scores) and both say "Speech" (the clip is speech).
TEST(ImportYamnet, TheTwoExportsAgreeOnTheTestVector) {
    const std::vector<uint8_t> raw = gs_test::read_file_bytes(gs_test::shared_dir() + "/pretrained/yamnet/yamnet_test_spectra.bin");
    ASSERT_EQ(raw.size(), 96u * 64u * 4u);
    std::vector<float> patch(96 * 64), input(64 * 96);
    std::memcpy(patch.data(), raw.data(), raw.size());
    for (int t = 0; t < 96; ++t)
        for (int b = 0; b < 64; ++b) input[b * 96 + t] = patch[t * 64 + b];  // frame-major -> [bins][frames]
    std::vector<float> scores[2];
    int k = 0;
    for (const std::string which : {"waveform", "spectra"}) {
        gs::yamnet_import y;
        ASSERT_EQ(gs::import_yamnet(yamnet_path(which), "", y), "");
        std::map<std::string, std::vector<float>> t;
        ASSERT_EQ(gs::ir_reference_forward(y.graph, y.weights, input, 1, t), "");
        scores[k++] = t.at(y.graph.output);
    }
    double d = 0.0;
    for (size_t i = 0; i < scores[0].size(); ++i) d = std::max(d, std::fabs(double(scores[0][i]) - scores[1][i]));
    EXPECT_LE(d, 0.06);
    for (const std::vector<float>& s : scores) {
        EXPECT_EQ(std::max_element(s.begin(), s.end()) - s.begin(), 0);  // Speech
        EXPECT_GT(s[0], 0.9f);
    }
    std::cout << "[ yamnet ] waveform vs spectra export on the test vector: max |d| " << d << ", Speech "
              << scores[0][0] << " / " << scores[1][0] << "\n";
}

TEST(ImportYamnet, BadFilesAndClassMaps) {
    gs::yamnet_import y;
    EXPECT_NE(gs::import_yamnet("/nonexistent/yamnet.tflite", "", y), "");
    // A truncated copy: the reader's error, with the file name.
    const std::vector<uint8_t> bytes = gs_test::read_file_bytes(yamnet_path("spectra"));
    const std::string cut = testing::TempDir() + "/yamnet_cut.tflite";
    {
        std::ofstream f(cut, std::ios::binary);
        f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size() / 2));
    }
    const std::string e = gs::import_yamnet(cut, gs_test::shared_dir() + "/pretrained/yamnet/yamnet_class_map.csv", y);
    EXPECT_NE(e.find("yamnet_cut.tflite: tflite:"), std::string::npos) << e;
    // Not YAMNet: a real audio file.
    EXPECT_NE(gs::import_yamnet(gs_test::shared_dir() + "/clips/blues.00005-10s-16s.wav", "", y), "");
    // A class map of the wrong length.
    const std::string short_map = testing::TempDir() + "/short_map.csv";
    {
        std::ofstream f(short_map);
        f << "index,mid,display_name\n0,/m/x,Speech\n1,/m/y,Music\n";
    }
    const std::string e2 = gs::import_yamnet(yamnet_path("spectra"), short_map, y);
    EXPECT_NE(e2.find("2 classes, the model has 521"), std::string::npos) << e2;

    std::vector<std::string> names;
    EXPECT_EQ(gs::parse_class_map("index,mid,display_name\n1,/m/b,\"B, \"\"quoted\"\"\"\r\n0,/m/a,A\n", names), "");
    EXPECT_EQ(names, (std::vector<std::string>{"A", "B, \"quoted\""}));
    EXPECT_NE(gs::parse_class_map("index,mid,display_name\n0,/m/a,A\n2,/m/c,C\n", names), "");   // index 1 missing
    EXPECT_NE(gs::parse_class_map("index,mid,display_name\n0,/m/a,A\n0,/m/b,B\n", names), "");   // twice
    EXPECT_NE(gs::parse_class_map("index,mid,display_name\n0,/m/a,\"A\n", names), "");          // open quote
    EXPECT_NE(gs::parse_class_map("index,mid,display_name\nx,/m/a,A\n", names), "");             // bad index
    EXPECT_NE(gs::parse_class_map("index,mid,display_name\n", names), "");                       // empty
}

}  // namespace
