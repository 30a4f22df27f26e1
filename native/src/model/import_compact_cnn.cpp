// import_compact_cnn.cpp: Choi's compact convnet from its Keras 1 HDF5 weights into the IR (see import_compact_cnn.h).
#include "model/import_compact_cnn.h"

#include <cmath>
#include <cstdio>
#include <new>

#include "data/sha256.h"
#include "file_io.h"
#include "genrescope/stft.h"
#include "model/ir_json.h"

namespace gs {

namespace {

constexpr int kBlocks = 5;
constexpr int kMaps = 32;
// ref: compact_cnn/models.py raw_vgg: poolings = [(2, 4), (3, 4), (2, 5), (2, 4), (4, 4)] (rows = mel, cols = time)
constexpr int kPoolFreq[kBlocks] = {2, 3, 2, 2, 4};
constexpr int kPoolTime[kBlocks] = {4, 4, 5, 4, 4};
// ref: Keras 1.2 BatchNormalization(epsilon=1e-3); mode=2 (per-batch statistics) in get_convBNeluMPdrop
constexpr double kBnEps = 1e-3;
constexpr int kNfft = 512;
constexpr double kWindowTolerance = 1e-6;   // recovered vs our periodic Hann (float32 of the same formula)
constexpr double kKernelTolerance = 1e-5;   // kernels vs w[n] cos / sin (the file: 3.0e-8)

// The attribution that must travel with the weights (LICENSE.md of keunwoochoi/music-auto_tagging-keras).
const char* const kLicenceText =
    "MIT License\n\nCopyright (c) 2016 Keunwoo Choi\n\n"
    "Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated "
    "documentation files (the \"Software\"), to deal in the Software without restriction, including without "
    "limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the "
    "Software, and to permit persons to whom the Software is furnished to do so, subject to the following "
    "conditions:\n\nThe above copyright notice and this permission notice shall be included in all copies or "
    "substantial portions of the Software.\n\nTHE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, "
    "EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR "
    "PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, "
    "DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN "
    "CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.\n";

std::string shape_str(const std::vector<int64_t>& s) {
    std::string r = "[";
    for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
    return r + "]";
}

ir_node& add_node(ir_graph& g, ir_op op, const std::string& name, std::vector<std::string> inputs) {
    ir_node n;
    n.op = op;
    n.name = name;
    n.output = name;
    n.inputs = std::move(inputs);
    g.nodes.push_back(std::move(n));
    return g.nodes.back();
}

// The dataset `name` as floats of exactly `shape`, every value finite; "" or an error.
std::string get_tensor(const hdf5_datasets& ds, const std::string& name, const std::vector<int64_t>& shape,
                       const hdf5_dataset*& out) {
    auto it = ds.find(name);
    if (it == ds.end()) return "dataset '" + name + "' is missing (not Choi's compact_cnn weights file?)";
    const hdf5_dataset& d = it->second;
    if (!d.is_float) return "dataset '" + name + "' is not floating point";
    if (!shape.empty() && d.shape != shape) {
        return "dataset '" + name + "' has shape " + shape_str(d.shape) + ", expected " + shape_str(shape);
    }
    for (float v : d.values) {
        if (!std::isfinite(v)) return "dataset '" + name + "' holds a NaN or infinite value";
    }
    out = &d;
    return "";
}

}  // namespace

ir_graph compact_cnn_graph(int64_t n_frames) {
    ir_graph g;
    g.arch = "compact_cnn_msd_backbone";
    g.n_bins = kCompactCnnBands;
    g.n_frames = n_frames;
    g.n_classes = kCompactCnnEmbedding;
    g.output = "probabilities";
    g.logits = "embedding";
    std::string x = g.input;
    std::vector<std::string> pooled_means;
    int64_t in_channels = 1;
    for (int b = 1; b <= kBlocks; ++b) {
        const std::string i = std::to_string(b);
        ir_node& conv = add_node(g, ir_op::conv2d, "conv" + i, {x});
        // ref: Keras 1 Convolution2D(32, 3, 3, border_mode='same'): odd kernel, stride 1 -> pad 1 on every side
        conv.ints = {{"out_channels", kMaps}, {"kernel_h", 3}, {"kernel_w", 3}, {"stride_h", 1},
                     {"stride_w", 1},         {"pad_h", 1},    {"pad_w", 1}};
        conv.params = {{"weight", {kMaps, in_channels, 3, 3}}, {"bias", {kMaps}}};
        ir_node& bn = add_node(g, ir_op::batch_norm, "bn" + i, {"conv" + i});
        bn.floats = {{"eps", kBnEps}};
        bn.params = {{"weight", {kMaps}}, {"bias", {kMaps}}, {"running_mean", {kMaps}}, {"running_var", {kMaps}}};
        ir_node& elu = add_node(g, ir_op::elu, "elu" + i, {"bn" + i});
        elu.floats = {{"alpha", 1.0}};  // ref: keras.layers.advanced_activations.ELU(alpha=1.0)
        ir_node& pool = add_node(g, ir_op::max_pool2d, "pool" + i, {"elu" + i});
        // ref: Keras 1 MaxPooling2D(pool_size) : stride = pool size, border_mode 'valid' (floor)
        pool.ints = {{"kernel_h", kPoolFreq[b - 1]}, {"kernel_w", kPoolTime[b - 1]},
                     {"stride_h", kPoolFreq[b - 1]}, {"stride_w", kPoolTime[b - 1]}};
        add_node(g, ir_op::global_avg_pool, "mean" + i, {"pool" + i});
        pooled_means.push_back("mean" + i);
        x = "pool" + i;
        in_channels = kMaps;
    }
    ir_node& cat = add_node(g, ir_op::concat, "embedding", pooled_means);
    cat.ints = {{"axis", 1}};
    add_node(g, ir_op::sigmoid, "probabilities", {"embedding"});
    return g;
}

std::string keras_kernel_to_oihw(const std::vector<int64_t>& shape, const std::vector<float>& values,
                                 bool layout_th, std::vector<float>& out) {
    if (shape.size() != 4) return "kernel of rank " + std::to_string(shape.size()) + ", expected 4";
    int64_t n = 1;
    for (int64_t d : shape) {
        if (d < 1 || d > 65536) return "kernel dimension out of range";
        n *= d;
    }
    if (static_cast<int64_t>(values.size()) != n) return "kernel values do not match its shape";
    out.assign(values.size(), 0.0f);
    if (layout_th) {  // ref: Keras 1 'th' kernels (nb_filter, stack_size, nb_row, nb_col) = our [O, I, kh, kw]
        out = values;
        return "";
    }
    // ref: Keras 'tf' kernels (nb_row, nb_col, stack_size, nb_filter) = [kh, kw, I, O] -> [O, I, kh, kw]
    const int64_t kh = shape[0], kw = shape[1], ci = shape[2], co = shape[3];
    for (int64_t h = 0; h < kh; ++h)
        for (int64_t x = 0; x < kw; ++x)
            for (int64_t i = 0; i < ci; ++i)
                for (int64_t o = 0; o < co; ++o)
                    out[static_cast<size_t>(((o * ci + i) * kh + h) * kw + x)] =
                        values[static_cast<size_t>(((h * kw + x) * ci + i) * co + o)];
    return "";
}

std::string compact_cnn_recover_window(const hdf5_dataset& re, const hdf5_dataset& im, std::vector<float>& window,
                                       double& max_error) {
    const std::vector<int64_t> want = {kNfft, 1, 1, kNfft / 2 + 1};
    if (re.shape != want || im.shape != want || re.values.size() != im.values.size()) {
        return "DFT kernels have shapes " + shape_str(re.shape) + " and " + shape_str(im.shape) + ", expected " +
               shape_str(want);
    }
    const int n_bins = kNfft / 2 + 1;
    window.assign(kNfft, 0.0f);
    for (int n = 0; n < kNfft; ++n) window[n] = re.values[static_cast<size_t>(n) * n_bins];  // cos(0) = 1
    // ref: kapre 0.0.3 backend.get_stft_kernels: real = cos(w_k n) * window, imag = sin(w_k n) * window,
    // w_k = 2 pi k / n_dft, stored transposed as [n_dft, 1, 1, n_dft/2+1]. The sign of the imaginary part
    // does not change the power; both are accepted.
    const double pi = 3.14159265358979323846;
    double err_re = 0.0, err_im_plus = 0.0, err_im_minus = 0.0;
    for (int n = 0; n < kNfft; ++n) {
        for (int k = 0; k < n_bins; ++k) {
            const double phase = 2.0 * pi * static_cast<double>((static_cast<int64_t>(n) * k) % kNfft) / kNfft;
            const double w = window[n];
            const size_t at = static_cast<size_t>(n) * n_bins + k;
            err_re = std::max(err_re, std::fabs(re.values[at] - w * std::cos(phase)));
            err_im_plus = std::max(err_im_plus, std::fabs(im.values[at] - w * std::sin(phase)));
            err_im_minus = std::max(err_im_minus, std::fabs(im.values[at] + w * std::sin(phase)));
        }
    }
    max_error = std::max(err_re, std::min(err_im_plus, err_im_minus));
    return "";
}

std::string import_compact_cnn(const std::string& hdf5_path, ir_graph& g, ir_weights& w, model_card& card) {
    const std::string where = "cannot read HDF5 file " + hdf5_path + ": ";
    std::vector<uint8_t> bytes;
    std::string err = read_whole_file(hdf5_path, kHdf5MaxFileBytes, bytes);
    if (!err.empty()) return where + err;
    hdf5_datasets ds;
    if (!(err = keras_hdf5_read_bytes(bytes.data(), bytes.size(), ds)).empty()) return where + err;
    const size_t slash = hdf5_path.rfind('/');
    err = import_compact_cnn_datasets(ds, hdf5_path.substr(slash == std::string::npos ? 0 : slash + 1),
                                      sha256_hex(bytes.data(), bytes.size()), g, w, card);
    return err.empty() ? "" : "cannot import " + hdf5_path + " as compact_cnn: " + err;
}

std::string import_compact_cnn_datasets(const hdf5_datasets& ds, const std::string& file_name,
                                        const std::string& file_sha256, ir_graph& g, ir_weights& w,
                                        model_card& card) {
    std::string err;
    try {
        // Front end: the DFT kernels must be a periodic-Hann-windowed DFT (what shared/'s STFT computes).
        const hdf5_dataset *re = nullptr, *im = nullptr, *fb = nullptr;
        if (!(err = get_tensor(ds, "melgram/Variable:0", {kNfft, 1, 1, kNfft / 2 + 1}, re)).empty() ||
            !(err = get_tensor(ds, "melgram/Variable_1:0", {kNfft, 1, 1, kNfft / 2 + 1}, im)).empty() ||
            !(err = get_tensor(ds, "melgram/Variable_2:0", {kNfft / 2 + 1, kCompactCnnBands}, fb)).empty()) {
            return err;
        }
        std::vector<float> window;
        double kernel_error = 0.0;
        if (!(err = compact_cnn_recover_window(*re, *im, window, kernel_error)).empty()) return err;
        if (kernel_error > kKernelTolerance) {
            return "the melgram kernels are not a windowed DFT (max deviation " + std::to_string(kernel_error) + ")";
        }
        feature_config fc = compact_cnn_feature_config();
        stft_plan plan;
        if (!(err = plan.init(fc.stft)).empty()) return err;
        double window_error = 0.0;
        for (int n = 0; n < kNfft; ++n) {
            window_error = std::max(window_error, std::fabs(static_cast<double>(window[n]) - plan.window()[n]));
        }
        if (window_error > kWindowTolerance) {
            return "the melgram window is not a periodic Hann window (max difference " +
                   std::to_string(window_error) + ")";
        }
        // The stored filterbank [257 bins][96 bands] -> mel_weights [96 bands][257 bins]; validated by shared/.
        const int n_bins = kNfft / 2 + 1;
        fc.mel_weights.assign(static_cast<size_t>(kCompactCnnBands) * n_bins, 0.0f);
        for (int k = 0; k < n_bins; ++k) {
            for (int m = 0; m < kCompactCnnBands; ++m) {
                fc.mel_weights[static_cast<size_t>(m) * n_bins + k] = fb->values[static_cast<size_t>(k) * kCompactCnnBands + m];
            }
        }
        if (!(err = validate(fc)).empty()) return "the mel filterbank: " + err;

        // The network.
        ir_graph graph = compact_cnn_graph(kCompactCnnMinFrames);
        ir_weights weights;
        bool placeholder_stats = true;
        for (int b = 1; b <= kBlocks; ++b) {
            const std::string i = std::to_string(b);
            const std::string pre = "ConvBNEluDr/";
            const int64_t in_ch = b == 1 ? 1 : kMaps;
            const hdf5_dataset *k = nullptr, *bias = nullptr, *gamma = nullptr, *beta = nullptr;
            if (!(err = get_tensor(ds, pre + "convolution2d_" + i + "_W:0", {}, k)).empty() ||
                !(err = get_tensor(ds, pre + "convolution2d_" + i + "_b:0", {kMaps}, bias)).empty() ||
                !(err = get_tensor(ds, pre + "batchnormalization_" + i + "_gamma:0", {kMaps}, gamma)).empty() ||
                !(err = get_tensor(ds, pre + "batchnormalization_" + i + "_beta:0", {kMaps}, beta)).empty()) {
                return err;
            }
            const std::vector<int64_t> th = {kMaps, in_ch, 3, 3}, tf = {3, 3, in_ch, kMaps};
            if (k->shape != th && k->shape != tf) {
                return "kernel of block " + i + " has shape " + shape_str(k->shape) + ", expected " +
                       shape_str(th) + " (Keras 1 'th') or " + shape_str(tf) + " ('tf')";
            }
            std::vector<float>& kw = weights["conv" + i + ".weight"];
            if (!(err = keras_kernel_to_oihw(k->shape, k->values, k->shape == th, kw)).empty()) return err;
            weights["conv" + i + ".bias"] = bias->values;
            weights["bn" + i + ".weight"] = gamma->values;
            weights["bn" + i + ".bias"] = beta->values;
            // Not the file's statistics (placeholders: the original normalised per batch) but the identity.
            weights["bn" + i + ".running_mean"].assign(kMaps, 0.0f);
            weights["bn" + i + ".running_var"].assign(kMaps, 1.0f);
            for (const char* s : {"_running_mean:0", "_running_std:0"}) {
                auto it = ds.find(pre + "batchnormalization_" + i + s);
                if (it == ds.end()) continue;
                const float want = std::string(s).find("mean") != std::string::npos ? 0.0f : 1.0f;
                for (float v : it->second.values) placeholder_stats = placeholder_stats && v == want;
            }
        }
        std::map<std::string, std::vector<int64_t>> shapes;
        if (!(err = ir_infer_shapes(graph, 1, shapes)).empty()) return "graph: " + err;

        model_card c;
        c.name = "compact_cnn-msd";
        c.version = "1";
        c.arch = graph.arch;
        for (int b = 1; b <= kBlocks; ++b) {
            for (int m = 0; m < kMaps; ++m) {
                char label[16];
                std::snprintf(label, sizeof label, "l%d_m%02d", b, m);
                c.labels.push_back(label);
            }
        }
        c.features = fc;
        c.segment_frames = kCompactCnnMinFrames;
        c.segment_s = kCompactCnnMinFrames * 256.0 / 12000.0;  // 27.31 s (the original took 29 s: 1360 frames)
        c.segment_hop_frames = kCompactCnnMinFrames / 2;
        c.segment_hop_s = c.segment_hop_frames * 256.0 / 12000.0;
        c.fill = segment_fill::tile;  // a shorter file is repeated: 0 would be a loud 0 dB in this front end
        c.aggregation = "mean";
        c.graph = ir_graph_to_json(graph);
        c.training = json_value::object();
        c.training.set("kind", "imported");
        c.training.set("source", "Choi et al.'s compact convnet (keunwoochoi/music-auto_tagging-keras compact_cnn), "
                                 "trained for Million Song Dataset top-50 tagging; Keras 1 weights");
        c.training.set("licence", "MIT");
        c.training.set("licence_text", kLicenceText);
        c.training.set("weights_file", file_name);
        c.training.set("weights_sha256", file_sha256);
        c.training.set("weights_format", "Keras 1 HDF5, 'th' kernel layout [out, in, mel, time], kernels for "
                                         "cross-correlation (converted from Theano by the authors)");
        c.training.set("embedding", graph.logits);
        c.training.set("batch_norm_statistics", "not estimated");
        c.training.set("window_max_difference", window_error);
        c.training.set("dft_kernel_max_deviation", kernel_error);
        c.limits = json_value::array();
        c.limits.push_back("backbone only: the file has no output layer (its 50 MSD tags are not included); the "
                           "160 outputs are sigmoid(embedding), not class probabilities: train a head on 'embedding'");
        c.limits.push_back(std::string("batch-norm statistics must be estimated from clean training data before use: "
                                       "the original normalised with each batch's statistics, the file's running "
                                       "mean/std are placeholders") +
                           (placeholder_stats ? " (0 / 1)" : " (not 0 / 1, ignored)") +
                           "; the graph uses mean 0, var 1 until then, so its activations are not calibrated. "
                           "`genrescope train --backbone compact_cnn` (or this file) estimates them from its "
                           "training tracks");
        c.limits.push_back("features: dB relative to the whole input's maximum (the original: the maximum over a batch "
                           "of clips), not frame-local, so no streaming");
        g = std::move(graph);
        w = std::move(weights);
        card = std::move(c);
    } catch (const std::bad_alloc&) {
        return "out of memory";
    }
    return "";
}

}  // namespace gs
