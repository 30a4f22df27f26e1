// quantize_activations.h: `genrescope quantize --activations`: calibration windows from audio files, the tensors' ranges, and what quantising them changes.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/act_quant.h"
#include "model/model_loader.h"

namespace gs {

// The model's input windows from a set of audio files, as `classify` computes them.
struct calibration_windows {
    std::vector<float> data;              // [n][1][n_bins][n_frames], row-major
    int64_t n = 0;                        // windows
    std::vector<std::string> files;       // the files they came from
    std::vector<std::string> skipped;     // "<file>: <why>" for each file that did not decode
};

// Up to `max_files` (1..100000) audio files found under `roots` (find_library_files: recursive, sorted by name),
// spread evenly over that list (the first and the last included), and from each up to `per_file` (1..4096) of its
// windows spread evenly over the file (all when it has fewer). A file that fails to decode is skipped and listed;
// it is an error only when no window at all is left. Returns "" or an error.
std::string collect_calibration_windows(const model_card& card, const std::vector<std::string>& roots, int max_files,
                                        int per_file, calibration_windows& out);

// The range of every tensor in `tensors` over all windows, computed by `m` in batches of 16: with `percentile`
// 100, its min and max (each with 0); below 100 (50..100), the value under which `percentile` % of its positive
// values lie (and the mirror for its negative values), read from a 4096-bin histogram over [min, max] in a
// second pass: the rare largest values then saturate instead of coarsening every other value's step.
// Returns "" or an error (an unknown tensor, a non-finite value, a percentile out of range).
std::string activation_ranges(ir_module& m, const ir_graph& g, const calibration_windows& w,
                              const std::vector<std::string>& tensors, double percentile,
                              std::map<std::string, act_range>& out);

// The largest value of each channel (axis 1) of every tensor in `tensors` over all windows (at least 0).
std::string channel_maxima(ir_module& m, const ir_graph& g, const calibration_windows& w,
                           const std::vector<std::string>& tensors, std::map<std::string, std::vector<double>>& out);

// Empirical bias correction. ref: Nagel et al. 2019, section 4.2 (quantisation shifts the mean of a layer's
// output; the shift is subtracted from its bias). For every conv2d of `q` (the quantised graph) that reads a
// quantize node, in graph order: the mean over the windows (and positions) of each output channel under `q` with
// the weights so far, against the same mean under the float graph `f` (weights `float_w`); the difference leaves
// that convolution's bias in `w` (the quantised graph's weights). Later layers are measured with the earlier
// ones corrected. `corrected` gets the number of convolutions changed. Returns "" or an error.
std::string correct_biases(ir_module& f, const ir_graph& q, const calibration_windows& win, ir_weights& w,
                           int& corrected);

// How the quantised graph's probabilities differ from the float graph's on the same windows.
struct quantization_effect {
    int64_t windows = 0;
    double max_abs_change = 0.0;   // the largest |p_quantised - p_float| over windows and classes
    double mean_abs_change = 0.0;  // mean over windows and classes
    double top_agreement = 0.0;    // fraction of windows whose most probable class is the same
};
std::string compare_outputs(ir_module& before, ir_module& after, const ir_graph& g, const calibration_windows& w,
                            quantization_effect& out);

}  // namespace gs
