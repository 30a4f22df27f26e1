// import_yamnet.h: YAMNet (a TFLite MobileNetV1 on 0.96-s log-mel patches) -> ir_graph + weights + model card.
//
// Both YAMNet files of the team's reference material are accepted: the waveform-input export (float
// activations, int8 weights, the front end inside the graph) and the spectrogram-input Coral export (int8
// weights and activations). Only the network is imported: everything before the first CONV_2D on a
// [1, 96, 64, 1] patch (the in-graph front end, quantisation of the input) is replaced by shared/'s
// `yamnet_log_mel` feature kind, and the network runs in float32 with the weights dequantised (per channel
// or per tensor, as stored; weights behind a DEQUANTIZE op are followed to their int8 constant).
//
// Layout: TFLite is NHWC with H = time (96 frames) and W = mel bands (64); our IR is NCHW with H = bins and
// W = frames, so every kernel, stride and padding has its two spatial axes swapped. SAME padding becomes
// explicit (asymmetric) padding. The result: input [N, 1, 64, 96] -> 13 depthwise-separable blocks ->
// global average (the 1024-d embedding) -> linear 1024 -> 521 -> sigmoid (AudioSet scores, multi-label).
#pragma once

#include <string>
#include <vector>

#include "model/model_card.h"
#include "model/model_ir.h"

namespace gs {

struct yamnet_import {
    ir_graph graph;
    ir_weights weights;
    model_card card;            // labels, features (yamnet_feature_config), segment 96 / hop 48 frames, graph
    std::string embedding;      // the 1024-d tensor (global average of the last block)
    std::string source_sha256;  // of the .tflite file
    std::vector<std::string> notes;  // what was found (file kind, quantisation), for the user
};

// Reads `tflite_path` (untrusted: every failure is a one-line error) and `class_map_csv` (AudioSet's
// index,mid,display_name with 521 rows; empty path = "yamnet_class_map.csv" beside the model). Returns "" or
// the error.
std::string import_yamnet(const std::string& tflite_path, const std::string& class_map_csv, yamnet_import& out);

// The display names of AudioSet's classes from yamnet_class_map.csv text (header + "index,mid,name" rows, names
// possibly quoted with "" escapes). Returns "" or an error; `names` is indexed by the index column.
std::string parse_class_map(const std::string& csv, std::vector<std::string>& names);

}  // namespace gs
