// batch_norm_stats.h: a pretrained backbone's batch-norm statistics estimated from training tracks, for networks published without them.
//
// Choi's compact convnet normalised with each batch's own statistics even at inference (Keras 1 mode 2), so its
// weights file holds placeholder running statistics (0 / 1). Normalising with the statistics of whatever else
// is in a batch leaks the batch's make-up into every clip's features (../shared/pretrained/README.md: the
// genre-sorted batches behind the published GTZAN features). Here the statistics are fixed once, from the
// training tracks of the run, and the network then treats every clip alike; validation and test tracks (and
// augmented copies) are never used.
#pragma once

#include <string>
#include <vector>

#include "genrescope/json.h"
#include "genrescope/segments.h"
#include "train/backbone.h"
#include "train/train_data.h"

namespace gs {

// True when the backbone's card says its batch-norm statistics are placeholders to be estimated
// (training.batch_norm_statistics = "not estimated", as import_compact_cnn writes).
bool needs_batch_norm_statistics(const backbone_model& b);

// For each batch_norm node of b.graph in graph order: runs the network (eval mode, the statistics of earlier
// nodes already set) over every segment of the tracks `ids` (segment_starts with `spec`), and sets the node's
// running_mean and running_var to the per-channel mean and population variance of its input over all
// segments and positions. b.weights is updated; `info` gets {"tracks", "segments", "nodes"} for the card.
// With a cache_dir the statistics are stored there (cache_dir/<sha256 of the backbone's weights, the
// segmenting and every training track's features>.gsf) and read back by a later run on the same tracks
// (head variants, reruns), which then skips the passes. Returns "" or an error.
std::string estimate_batch_norm_statistics(backbone_model& b, const std::vector<track_matrix>& tracks,
                                           const std::vector<int>& ids, int n_bins, const segment_spec& spec,
                                           const std::string& cache_dir, bool quiet, json_value& info);

}  // namespace gs
