// archs.h: the architectures GenreScope trains (the research systems we reproduce, and our own), as IR builders.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "genrescope/feature_config.h"
#include "model/model_ir.h"

namespace gs {

// What an architecture needs besides its graph: its input features and segmenting, and training defaults.
struct arch_info {
    std::string name;
    std::string summary;          // one line for `genrescope archs`
    std::string reference;        // the paper or system it reproduces, with its reported number
    feature_config features;      // input features (frame-local, so the browser can stream them)
    double segment_s = 3.0;       // model input length, seconds
    double segment_hop_s = 1.5;   // hop between segments at evaluation time, seconds
    int epochs = 24;              // training defaults (overridable on the command line); see docs/RESULTS.md
    int batch_size = 32;
    double learning_rate = 1e-3;
    double weight_decay = 1e-2;
    double mixup_alpha = 0.2;     // 0 = off
    bool spec_augment = true;
    bool level_align = false;     // start the graph with a level_align node (gain-invariant log-mel input)
    bool noise_texture = false;   // log-mel: the noise augmentation is textured white noise, not a flat floor
    double band_limit = 0.0;      // log-mel: probability of a random low-pass augmentation, 0..1
    bool fit_normalisation = true; // fit per-bin mean/std on the training tracks (false: a pretrained backbone's
                                   // front end, whose values the network expects as they are)
};

// Every architecture, in the order `genrescope archs` lists them.
const std::vector<arch_info>& arch_list();

// Looks up `name`; `feature` ("", "mel", "mfcc" or "chroma") overrides the input kind where the arch allows
// it (vgg_small). Returns "" or an error listing the known names.
std::string find_arch(const std::string& name, const std::string& feature, arch_info& out);

// Builds the graph for input segments [N, 1, n_bins, n_frames] and n_classes outputs. The graph ends in
// ... -> logits -> scale (factor 1, the calibration temperature's slot) -> softmax. With `level_align` it
// starts with a level_align node (model_ir.h), whose constant set_level_align fills in. Returns "" or an error.
std::string build_arch(const std::string& name, int64_t n_bins, int64_t n_frames, int64_t n_classes, ir_graph& out,
                       bool level_align = false);

// Fills the constant of the graph's level_align node from the features' normalisation: dB per normalised unit
// of each bin (norm_std). Only log-mel (dB) inputs qualify: a gain shifts every bin by the same number of dB.
// Returns "" (also when the graph has no such node) or an error.
std::string set_level_align(const ir_graph& g, const feature_config& c, ir_weights& w);

// Sets the calibration temperature T: the scale node that feeds the final softmax multiplies the logits by 1/T.
// Returns false when the graph has no such node.
bool set_temperature(ir_graph& g, double temperature);

}  // namespace gs
