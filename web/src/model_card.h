// model_card.h: the parts of a trainer's model card (model.json, format "genrescope-model-card") the page needs.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "genrescope/feature_config.h"
#include "genrescope/genre_tags.h"
#include "genrescope/segments.h"

namespace gs_web {

// One part of the model panel's plain-words description ("What it is", "What it learned from", ...).
struct about_line {
    int level = 0;        // 0: a point, 1: a detail under the point above
    std::string text;
};
struct about_section {
    std::string title;
    std::vector<about_line> lines;
};

// What the page reads from a card. The ONNX file itself lives on the JS side (ONNX Runtime Web).
struct model_card {
    std::string name;                         // e.g. "genrescope_cnn"
    std::string version;
    std::string arch;
    std::vector<std::string> labels;          // class names, output order
    gs::feature_config features;              // the full feature config incl. normalisation
    gs::segment_spec segment;                 // frames / hop_frames per model input
    double segment_s = 3.0;                   // segment length, seconds
    double hop_s = 1.5;                       // segment hop, seconds
    gs::aggregation aggregation = gs::aggregation::mean;
    std::string input_name = "input";         // ONNX graph input
    std::string output_name = "probabilities";  // ONNX graph output (calibrated probabilities)
    double temperature = 1.0;                 // already folded into the ONNX; shown only
    double uncertain_below = 0.0;             // top probability below this reads "uncertain"
    std::string onnx_sha256;                  // pinned hash of the .onnx ("" = not pinned)

    // The backbone's own class scores (card "tags"; e.g. YAMNet's 521 AudioSet classes), when the card has them.
    bool has_tags = false;
    std::string tag_output;                   // ONNX output holding them (may be output_name itself)
    std::vector<std::string> tag_labels;      // one name per score
    gs::tag_rule tag_rule;                    // genre tags shown, and the "outside" rule (off when absent)

    std::vector<about_section> about;         // the model in plain words (model_about.cpp)
    std::vector<std::pair<std::string, std::string>> details;  // the card's training/metrics keys, flattened

    int n_bins() const { return features.n_bins(); }
    int n_classes() const { return int(labels.size()); }
};

// Parses and checks a card's JSON text (the native trainer's rules: >= 2 labels, a valid frame-local feature
// config, segment frames >= 1, an io.input_shape of [batch, 1, n_bins, frames] when given, a "tags" object
// with an output name, label strings and a valid rule (gs::parse_tag_rule) when present).
// Returns "" and fills `out`, or a one-line reason (out untouched).
std::string parse_model_card(const std::string& text, model_card& out);

}  // namespace gs_web
