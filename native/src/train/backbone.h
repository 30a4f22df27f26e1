// backbone.h: a pretrained network as a frozen feature extractor: loading it, and its cached segment embeddings.
//
// `train --backbone` learns a small head on what a network trained on far more music than ours already
// computes (YAMNet: AudioSet's 2 million clips). The backbone is frozen: every evaluation segment of every track
// goes through it once, and its embedding (and its own class scores) are cached on disk by (features, backbone),
// so heads train in seconds and a second run reads everything back.
#pragma once

#include <string>
#include <vector>

#include "model/ir_torch.h"
#include "model/model_card.h"
#include "train/train_data.h"

namespace gs {

struct backbone_model {
    std::string name;             // "yamnet", or the card's name of a GenreScope model
    ir_graph graph;               // the whole network, its own output included
    ir_weights weights;
    model_card card;              // features, segmenting and labels of the network's own output
    std::string embedding;        // the tensor a head reads
    int64_t embedding_dim = 0;
    std::string scores;           // the network's own output (class scores), renamed so a head can use it
    int64_t n_scores = 0;
    json_value info;              // for the card: name, source, licence, weights_sha256, embedding, scores
    json_value tags;              // the backbone card's tags (model_card::tags) with output = `scores`; null if none
    // Fine-tuning (fine_tune.h): a tensor of the graph whose values are cached with every segment's embedding, so
    // the layers after it can train without running the ones before it; "" = none.
    std::string tap;
    std::vector<int64_t> tap_shape;  // its shape for one segment, without the batch dimension
    int64_t tap_dim = 0;             // values per segment (the product of tap_shape)
};

// spec: "yamnet" (pretrained_dir/yamnet/yamnet_waveform_in.tflite), a .tflite file (import_yamnet),
// "compact_cnn" (pretrained_dir/compact_cnn_msd/weights_tensorflow.hdf5) or a Keras .hdf5/.h5 file
// (import_compact_cnn, with a frame-local front end; its batch-norm statistics still need estimating:
// batch_norm_stats.h), or a
// GenreScope model.onnx with its card (any trained or imported model: its embedding is the input of the layer
// that makes its logits). Returns "" or an error.
std::string load_backbone(const std::string& spec, const std::string& pretrained_dir, backbone_model& out);

// Sets b.tap (and its shape) to `tensor`: the graph's input or any tensor from which the embedding and the
// scores can be computed alone (ir_nodes_after). Returns "" or an error naming the candidate tensors.
std::string set_backbone_tap(backbone_model& b, const std::string& tensor);

// The embeddings and own scores of one track's evaluation segments, segment-major:
// values[s * (embedding_dim + n_scores + tap_dim) + j], j < embedding_dim the embedding, then the scores, then
// the tap's values (when b.tap is set).
struct track_embeddings {
    size_t n_segments = 0;
    std::vector<float> values;
};

// What identifies the network and how tracks are cut into its inputs, for the caches built on it (embeddings,
// batch-norm statistics): its graph, every weight's sha256, and the segmenting (frames, hop, tail, fill).
std::string backbone_cache_text(const backbone_model& b, const segment_spec& spec);

// Runs the backbone (eval mode, no gradients, `threads` libtorch threads) on every segment of every track
// (gs::segment_starts with `spec`; features as prepare_data left them), reading and writing
// cache_dir/<sha256 of the features, the backbone and spec>.gsf ("" = no cache). Tracks with no frames get no
// segments. Returns "" or an error; prints progress unless quiet.
std::string compute_embeddings(backbone_model& b, const std::vector<track_matrix>& tracks, int n_bins,
                               const segment_spec& spec, const std::string& cache_dir, bool quiet,
                               std::vector<track_embeddings>& out);

}  // namespace gs
