// report.h: the training report (run info, learning curves, metrics, calibration, filters, maps) as JSON and HTML.
//
// The trainer fills a run_report and calls write_report_json / write_report_html. Every field may be left at its
// default; the HTML then says "not recorded" (or leaves out the chart) instead of drawing invented numbers.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "genrescope/projection.h"
#include "eval/metrics.h"
#include "genrescope/json.h"

namespace gs {

// A file the data loader could not use.
struct skipped_file {
    std::string path;
    std::string reason;
};

// How many tracks of each class one split holds.
struct split_count {
    std::string split;            // "train", "valid", "test", ...
    std::vector<int> per_class;   // indexed like run_report::labels
};

// What was trained on what, where and how fast.
struct run_info {
    std::string arch;
    json_value feature_config;    // gs::to_json(feature_config), or null
    std::string data_dir;
    std::string split;            // e.g. "GTZAN fault-filtered split (Sturm 2013)" or "5-fold CV, fold 2"
    std::vector<split_count> counts;
    std::vector<skipped_file> skipped;
    uint64_t seed = 0;
    std::string device;           // e.g. "cuda:0 (NVIDIA H100)" or "cpu"
    int world_size = 1;           // data-parallel processes (distributed.h); 1 = one process
    std::string dist_backend;     // their c10d backend ("gloo", "nccl") when world_size > 1
    int epochs = 0;
    double wall_time_s = std::numeric_limits<double>::quiet_NaN();
    double segments_per_s = std::numeric_limits<double>::quiet_NaN();  // training throughput
    std::string track_aggregation = "mean";  // gs::to_string(aggregation): how segment probabilities became track probabilities
    std::string created;          // free-form timestamp, e.g. ISO 8601
    json_value to_json(const std::vector<std::string>& labels) const;
};

// One epoch of the learning curves. NaN (the default) marks a value that was not measured that epoch;
// the charts leave a gap there.
struct epoch_record {
    int epoch = 0;  // 1-based
    double train_loss = std::numeric_limits<double>::quiet_NaN();
    double valid_loss = std::numeric_limits<double>::quiet_NaN();  // optional
    double train_accuracy = std::numeric_limits<double>::quiet_NaN();
    double valid_segment_accuracy = std::numeric_limits<double>::quiet_NaN();
    double valid_track_accuracy = std::numeric_limits<double>::quiet_NaN();
    double learning_rate = std::numeric_limits<double>::quiet_NaN();
    double seconds = std::numeric_limits<double>::quiet_NaN();         // wall time of the epoch's training steps, s
    double segments_per_s = std::numeric_limits<double>::quiet_NaN();  // training segments / seconds
    json_value to_json() const;
};

// Temperature scaling applied after training.
struct calibration_info {
    double temperature = 1.0;
    double ece_before = std::numeric_limits<double>::quiet_NaN();  // NaN: not measured
    double ece_after = std::numeric_limits<double>::quiet_NaN();
    std::string fitted_on;    // e.g. "valid segments"
    std::string measured_on;  // where ece_before/after were measured, e.g. "test segments"
    // Optional reliability bins before scaling (the "after" bins are those of the metrics the report shows).
    std::vector<reliability_bin> reliability_before;
    json_value to_json() const;
};

// One first-layer convolution kernel (one input channel), row-major [kh][kw].
struct conv_filter {
    int kh = 0;
    int kw = 0;
    std::vector<float> weights;
};

// One point of the 2-D embedding map.
struct embedding_point {
    float x = 0.0f;
    float y = 0.0f;
    int label = 0;  // class index
};

// Mean and standard deviation of one named scalar feature over one class.
struct feature_stat {
    std::string name;  // e.g. "tempo (BPM)", "spectral centroid (Hz)"
    double mean = 0.0;
    double std = 0.0;
};

// One row of the per-genre feature table.
struct feature_stats_row {
    std::string label;
    std::vector<feature_stat> stats;  // same names in the same order in every row
};

// Per-class mean and (sample) std of the columns of `values` ([n][names.size()] row-major), one row per class
// in class order (classes without rows get NaN). `labels` gives each row's class index.
std::vector<feature_stats_row> feature_stats_by_class(const std::vector<float>& values, const std::vector<std::string>& names,
                                                      const std::vector<int>& labels,
                                                      const std::vector<std::string>& class_names);

// Pairs the rows of a 2-D map ([n][2], from pca_2d or lda_2d) with their class labels.
std::vector<embedding_point> make_embedding_points(const std::vector<float>& xy, const std::vector<int>& labels);

struct run_report {
    std::string title = "GenreScope training report";
    run_info info;
    std::vector<std::string> labels;  // class names, index = class
    std::vector<epoch_record> curve;
    // Final metrics; n_samples == 0 means "not evaluated".
    classification_metrics valid_segment, valid_track, test_segment, test_track;
    calibration_info calibration;
    std::vector<conv_filter> filters;
    std::string embedding_method;     // e.g. "LDA of penultimate-layer embeddings, test tracks"
    std::vector<embedding_point> embedding;
    std::vector<feature_stats_row> feature_stats;
    json_value to_json() const;
};

// Serialises the report as indented JSON into `text`. Returns "" (it cannot fail today; kept for symmetry).
std::string write_report_json(const run_report& report, std::string& text);

// Renders the report as one self-contained HTML page (inline CSS and SVG, no scripts, no external requests)
// into `html`. Returns "" or an error (inconsistent sizes, e.g. a confusion matrix that does not match labels).
std::string write_report_html(const run_report& report, std::string& html);

}  // namespace gs
