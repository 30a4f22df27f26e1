// import_compact_cnn.h: Choi's compact convnet (Keras 1 HDF5, MSD tagging, MIT) -> ir_graph + weights + model card.
//
// The file (keunwoochoi/music-auto_tagging-keras compact_cnn/weights_tensorflow.hdf5) holds the front end's
// constants (melgram/Variable:0 and Variable_1:0: the windowed DFT kernels, [512, 1, 1, 257]; Variable_2:0:
// the mel filterbank, [257, 96]) and five conv blocks (ConvBNEluDr/convolution2d_i_W:0 [32, C, 3, 3] in Keras 1's
// "th" kernel layout [out, in, rows, cols], _b:0, batchnormalization_i_{gamma,beta,running_mean,running_std}:0).
// It has NO output layer (saved with last_layer=False: "flatten_1" holds no weights), so the import is a backbone.
//
// Front end: shared/'s compact_cnn_melgram kind with the file's own filterbank (mel_weights); the DFT kernels
// are checked to be a periodic-Hann-windowed DFT (the window is recovered from them and compared with ours).
// Network (rows = the 96 mel bands, columns = frames, as in the original's 'th' ordering: input (1, 96, frames)):
//   input [N,1,96,T] -> 5 x (conv 3x3 pad 1, 32 maps -> batch_norm (eps 1e-3) -> elu -> max_pool (freq x time)
//   (2,4), (3,4), (2,5), (2,4), (4,4)) ; the global average of each block's pooled maps, concatenated:
//   "embedding" [N,160] (block-major: 32 values of block 1, then block 2, ...) -> sigmoid "probabilities".
// The sigmoid is only there because every IR graph ends in softmax or sigmoid: the graph's `logits` is the
// embedding itself, its 160 "classes" are the embedding's dimensions (labels "l1_m00" .. "l5_m31"), and a
// classifier head for our genres is to be trained on it.
// Batch norm: the original normalised with per-batch statistics even at inference (Keras 1 mode=2); the file's
// running mean/std are placeholders (0 / 1). The graph gets the file's gamma and beta with running mean 0 and
// var 1, and the card says, in `limits` and in training.batch_norm_statistics = "not estimated", that the
// statistics must be estimated from clean training data before the network is used.
#pragma once

#include <string>
#include <vector>

#include "model/keras_hdf5.h"
#include "model/model_card.h"
#include "model/model_ir.h"

namespace gs {

// The time pools multiply to 4*4*5*4*4 = 1280: the shortest input whose last block still has one frame.
constexpr int kCompactCnnMinFrames = 1280;
constexpr int kCompactCnnBands = 96;
constexpr int kCompactCnnEmbedding = 160;  // 5 blocks x 32 maps

// Builds the backbone graph for inputs of n_frames frames (>= kCompactCnnMinFrames): shapes only, no weights.
ir_graph compact_cnn_graph(int64_t n_frames);

// Keras conv kernel -> our [out, in, kh, kw]. `shape` is the stored shape: [out, in, kh, kw] (Keras 1 "th"
// layout, as in this file: copied unchanged) or [kh, kw, in, out] (TensorFlow / "tf" layout: transposed).
// `layout_th` says which. Returns "" or an error (values.size() must match shape).
std::string keras_kernel_to_oihw(const std::vector<int64_t>& shape, const std::vector<float>& values,
                                 bool layout_th, std::vector<float>& out);

// The analysis window folded into the DFT kernels: re[n][k] = w[n] cos(2 pi n k / N), im[n][k] = +-w[n]
// sin(2 pi n k / N), both [N, 1, 1, N/2+1]. window = re[:, 0]; max_error = the largest |kernel - w cos| or
// |kernel -+ w sin| over all n, k (computed in double). Returns "" or an error (shapes).
std::string compact_cnn_recover_window(const hdf5_dataset& re, const hdf5_dataset& im, std::vector<float>& window,
                                       double& max_error);

// Reads `hdf5_path` (untrusted: every problem is a one-line error, libhdf5 runs in a child process) and fills
// g (n_frames = kCompactCnnMinFrames), w and card. The outputs are only written on success. Returns "" or the
// error.
std::string import_compact_cnn(const std::string& hdf5_path, ir_graph& g, ir_weights& w, model_card& card);

// The same from datasets already read (keras_hdf5_read_bytes): checks them (names, shapes, finite values, the
// DFT kernels and the filterbank) and builds the import. file_name and file_sha256 go into the card. Returns ""
// or an error without the "cannot import" prefix; the outputs are only written on success.
std::string import_compact_cnn_datasets(const hdf5_datasets& ds, const std::string& file_name,
                                        const std::string& file_sha256, ir_graph& g, ir_weights& w,
                                        model_card& card);

}  // namespace gs
