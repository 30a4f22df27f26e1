// finalize.h: the state shared by the training loop and the finishing steps (evaluation, report, export, card).
#pragma once

#include <functional>

#include <torch/torch.h>

#include <string>
#include <vector>

#include "data/dataset.h"
#include "eval/report.h"
#include "genrescope/feature_config.h"
#include "genrescope/segments.h"
#include "model/archs.h"
#include "model/ir_torch.h"
#include "train/train_data.h"
#include "train/trainer.h"

namespace gs {

// Everything known about a run once the data is prepared.
struct train_context {
    arch_info arch;
    train_options options;
    dataset data;
    split sets;                        // train / valid / test track indices
    std::string split_spec;
    feature_config config;             // the arch's features plus the fitted normalisation
    segment_spec spec;
    std::vector<track_matrix> tracks;  // normalised, one per dataset track (n_frames == 0: unreadable)
    ir_graph graph;
    std::vector<std::string> warnings;
    std::vector<std::string> skipped;  // "path: reason"
    std::string run_dir;
    std::string device_name;
    aggregation track_aggregation = aggregation::mean;  // how segments make a track's verdict (the card's); the
                                                        // temperature is fitted and tracks scored with it
    double total_seconds = 0;
    teacher_summary teacher;           // arch empty: trained without a teacher
    // Data-parallel runs: this process's rank, the number of processes, the c10d backend; and a barrier over
    // them (prepare_data: each rank computes its share of the feature cache, then all read it). world 1: none.
    int dist_rank = 0;
    int dist_world = 1;
    std::string dist_backend;
    std::function<std::string()> dist_barrier;
    json_value backbone;               // null, or the pretrained backbone the model is built on (train
                                       // --backbone): its name, source, licence, weights' sha256, head; the
                                       // card then carries the whole graph (the arch is not in archs.h)
};

// The training loop's progress, saved in every checkpoint.
struct train_state {
    int epoch = 0;          // epochs completed
    int64_t step = 0;       // optimiser steps taken
    int best_epoch = 0;     // epoch of the best validation track accuracy (0 = none yet)
    double best_metric = 0;
    ir_weights best_weights;
    std::vector<epoch_record> history;
    std::string history_json;  // history serialised (what the checkpoint stores)
};

// Predictions on a set of tracks: every evaluation segment's logits, and the accuracies at temperature 1.
struct set_predictions {
    std::vector<float> logits;        // [n_segments][n_classes]
    std::vector<int> labels;          // per segment
    std::vector<int> track_ids;       // per segment: index into the dataset's tracks
    std::vector<float> embeddings;    // [n_segments][embedding_dim] when asked for
    int embedding_dim = 0;
    double segment_accuracy = 0;
    double track_accuracy = 0;
};

// Runs the model (eval mode, no gradients) on every evaluation segment of `indices`.
void predict_set(ir_module& model, const train_context& ctx, const std::vector<int>& indices, torch::Device device,
                 bool with_embeddings, set_predictions& out);

std::string history_to_json(const train_state& st);
std::string history_from_json(const std::string& text, train_state& st);

// After the loop: best weights, temperature, metrics, report.json/html, model.onnx and model.json.
// Returns the process exit code.
int finalize_training(ir_module& model, train_context& ctx, train_state& st, torch::Device device);

}  // namespace gs
