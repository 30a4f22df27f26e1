// classify_track.h: one audio file through a loaded model (decode, features, segments, aggregation, genre tags, embedding): `classify` and `library` share it.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "genrescope/genre_tags.h"
#include "genrescope/json.h"
#include "model/model_loader.h"

namespace gs {

struct file_result {
    std::string file;
    std::string error;
    std::vector<float> probabilities;             // track level
    std::vector<std::vector<float>> segment_probs;
    std::vector<std::pair<double, double>> segment_times;
    double duration_s = 0;
    tag_verdict verdict;                          // the backbone's genre tags and the outside verdict (card tags)
    std::vector<float> embedding;                 // with want_embedding: mean over the segments of the card's
                                                  // embedding output (empty when the card names none)
};

// The normalised feature matrix of `path` for `card` ([n_bins][n_frames], bin-major), as `classify` computes it
// (decoded, resampled and analysed block by block). Returns "" or a one-line error naming the file.
std::string file_features(const std::string& path, const model_card& card, std::vector<float>& feats,
                          size_t& n_frames, double& duration_s);

// Classifies `path` with `m` into `r` (r.file = path). With want_embedding and a card whose `embedding` names
// an output, also the track embedding. Returns "" or a one-line error naming the file (r.error is not set).
std::string classify_file(const std::string& path, loaded_model& m, file_result& r, bool want_embedding = false);

// `classify --json`'s object for one file: {file, top, uncertain, outside?, sounds_like?, tags?, labels,
// probabilities, segments, duration_s}, or {file, error}.
json_value result_json(const file_result& r, const model_card& card);

// v rounded to 6 decimals (the JSON outputs' precision).
double round6(double v);

// The card's embedding output name and dimension ("" / 0 when the card names none).
std::string card_embedding_output(const model_card& card, int& dim);

}  // namespace gs
