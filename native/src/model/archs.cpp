// archs.cpp: the ten architectures as IR graphs, built with a small shape-tracking graph builder.
#include "model/archs.h"

#include <algorithm>
#include <map>
#include <stdexcept>

namespace gs {

namespace {

// Builds an ir_graph node by node, tracking tensor shapes (without the batch dimension) so that parameter
// shapes follow from the layer sizes. Each method returns the name of the tensor it produced.
class graph_builder {
public:
    graph_builder(const std::string& arch, int64_t n_bins, int64_t n_frames, int64_t n_classes) {
        g_.arch = arch;
        g_.n_bins = n_bins;
        g_.n_frames = n_frames;
        g_.n_classes = n_classes;
        shape_[g_.input] = {1, n_bins, n_frames};
    }
    const std::string& input() const { return g_.input; }
    const std::vector<int64_t>& shape(const std::string& t) const { return shape_.at(t); }

    // 'same' padding for odd kernels.
    std::string conv(const std::string& x, int64_t out, int64_t kh, int64_t kw, int64_t sh = 1, int64_t sw = 1) {
        const auto& s = shape(x);
        const int64_t ph = kh / 2, pw = kw / 2;
        ir_node& n = add(ir_op::conv2d, "conv", {x},
                         {out, (s[1] + 2 * ph - kh) / sh + 1, (s[2] + 2 * pw - kw) / sw + 1});
        n.ints = {{"out_channels", out}, {"kernel_h", kh}, {"kernel_w", kw}, {"stride_h", sh},
                  {"stride_w", sw},      {"pad_h", ph},    {"pad_w", pw}};
        n.params = {{"weight", {out, s[0], kh, kw}}, {"bias", {out}}};
        return n.output;
    }
    std::string bn(const std::string& x) {
        const int64_t c = shape(x)[0];
        ir_node& n = add(ir_op::batch_norm, "bn", {x}, shape(x));
        n.floats = {{"eps", 1e-5}};
        n.params = {{"weight", {c}}, {"bias", {c}}, {"running_mean", {c}}, {"running_var", {c}}};
        return n.output;
    }
    std::string relu(const std::string& x) { return add(ir_op::relu, "relu", {x}, shape(x)).output; }
    std::string level_align(const std::string& x) {
        ir_node& n = add(ir_op::level_align, "level_align", {x}, shape(x));
        n.params = {{"db_per_unit", {1, 1, shape(x)[1], 1}}};
        return n.output;
    }
    // Pools by (kh, kw), shrinking a kernel that is larger than the tensor.
    std::string pool(const std::string& x, int64_t kh, int64_t kw, bool max = true) {
        const auto& s = shape(x);
        kh = std::max<int64_t>(1, std::min(kh, s[1]));
        kw = std::max<int64_t>(1, std::min(kw, s[2]));
        ir_node& n = add(max ? ir_op::max_pool2d : ir_op::avg_pool2d, max ? "maxpool" : "avgpool", {x},
                         {s[0], s[1] / kh, s[2] / kw});
        n.ints = {{"kernel_h", kh}, {"kernel_w", kw}, {"stride_h", kh}, {"stride_w", kw}};
        return n.output;
    }
    std::string global_avg(const std::string& x) { return add(ir_op::global_avg_pool, "gap", {x}, {shape(x)[0]}).output; }
    std::string global_max(const std::string& x) { return add(ir_op::global_max_pool, "gmp", {x}, {shape(x)[0]}).output; }
    // Reduces axis (counted with the batch dimension, so 3 = time for [N,C,F,T]).
    std::string reduce(const std::string& x, int64_t axis, bool max) {
        std::vector<int64_t> s = shape(x);
        s.erase(s.begin() + (axis - 1));
        ir_node& n = add(max ? ir_op::reduce_max : ir_op::reduce_mean, max ? "rmax" : "rmean", {x}, s);
        n.ints = {{"axis", axis}};
        return n.output;
    }
    std::string flatten(const std::string& x) {
        int64_t p = 1;
        for (int64_t d : shape(x)) p *= d;
        return add(ir_op::flatten, "flatten", {x}, {p}).output;
    }
    std::string linear(const std::string& x, int64_t out) {
        const int64_t in = shape(x).at(0);
        ir_node& n = add(ir_op::linear, "fc", {x}, {out});
        n.ints = {{"out_features", out}};
        n.params = {{"weight", {out, in}}, {"bias", {out}}};
        return n.output;
    }
    std::string dropout(const std::string& x, double p) {
        ir_node& n = add(ir_op::dropout, "dropout", {x}, shape(x));
        n.floats = {{"p", p}};
        return n.output;
    }
    std::string sum(const std::string& a, const std::string& b) { return add(ir_op::add, "add", {a, b}, shape(a)).output; }
    std::string concat(const std::vector<std::string>& xs) {
        std::vector<int64_t> s = shape(xs.at(0));
        for (size_t i = 1; i < xs.size(); ++i) s[0] += shape(xs[i])[0];
        ir_node& n = add(ir_op::concat, "concat", xs, s);
        n.ints = {{"axis", 1}};
        return n.output;
    }
    // [N,1,F,T] -> [T,N,F]; recorded here as {T, F} (the batch sits in the middle).
    std::string to_sequence(const std::string& x) {
        const auto& s = shape(x);
        return add(ir_op::to_sequence, "seq", {x}, {s[2], s[1]}).output;
    }
    std::string recurrent(const std::string& x, bool lstm, int64_t hidden, bool bidirectional) {
        const int64_t in = shape(x)[1];
        const int64_t gates = lstm ? 4 : 3;
        ir_node& n = add(lstm ? ir_op::lstm : ir_op::gru, lstm ? "lstm" : "gru", {x},
                         {hidden * (bidirectional ? 2 : 1)});
        n.ints = {{"hidden_size", hidden}, {"bidirectional", bidirectional ? 1 : 0}};
        for (const char* d_c : {"", "_reverse"}) {
            const std::string d = d_c;
            if (!d.empty() && !bidirectional) break;
            n.params.push_back({"weight_ih" + d, {gates * hidden, in}});
            n.params.push_back({"weight_hh" + d, {gates * hidden, hidden}});
            n.params.push_back({"bias_ih" + d, {gates * hidden}});
            n.params.push_back({"bias_hh" + d, {gates * hidden}});
        }
        return n.output;
    }
    // conv -> batch norm -> relu
    std::string conv_bn_relu(const std::string& x, int64_t out, int64_t kh = 3, int64_t kw = 3) {
        return relu(bn(conv(x, out, kh, kw)));
    }
    // A residual block: two 3x3 conv + BN, a 1x1 projection when the width changes, then ReLU.
    std::string residual(const std::string& x, int64_t out) {
        const std::string y = bn(conv(relu(bn(conv(x, out, 3, 3))), out, 3, 3));
        const std::string skip = shape(x)[0] == out ? x : bn(conv(x, out, 1, 1));
        return relu(sum(y, skip));
    }
    ir_graph finish(const std::string& logits) {
        g_.logits = logits;
        ir_node& t = add(ir_op::scale, "temperature", {logits}, shape(logits));
        t.floats = {{"factor", 1.0}};
        ir_node& s = add(ir_op::softmax, "softmax", {t.output}, shape(logits));
        s.output = g_.output;
        shape_[g_.output] = shape_[s.name];
        return g_;
    }

private:
    ir_node& add(ir_op op, const std::string& base, const std::vector<std::string>& inputs,
                 const std::vector<int64_t>& out_shape) {
        const std::string name = base + std::to_string(++count_[base]);
        ir_node n;
        n.name = name;
        n.op = op;
        n.inputs = inputs;
        n.output = name;
        shape_[name] = out_shape;
        g_.nodes.push_back(n);
        return g_.nodes.back();
    }

    ir_graph g_;
    std::map<std::string, std::vector<int64_t>> shape_;
    std::map<std::string, int> count_;
};

feature_config mel_features(int n_mels) {
    feature_config c;
    c.kind = feature_kind::mel_db;
    c.n_mels = n_mels;
    c.db.top_db = -1.0;  // frame-local: streamable in the browser's microphone mode
    return c;
}

feature_config mfcc_features(int n_mfcc) {
    feature_config c = mel_features(128);
    c.kind = feature_kind::mfcc;
    c.n_mfcc = n_mfcc;
    return c;
}

feature_config chroma_features() {
    feature_config c;
    c.kind = feature_kind::chroma;
    return c;
}

arch_info make(const std::string& name, const std::string& summary, const std::string& reference,
               const feature_config& f) {
    arch_info a;
    a.name = name;
    a.summary = summary;
    a.reference = reference;
    a.features = f;
    return a;
}

}  // namespace

const std::vector<arch_info>& arch_list() {
    static const std::vector<arch_info> list = [] {
        std::vector<arch_info> v;
        v.push_back(make("genrescope_cnn", "ours, the default: residual CNN with batch norm and frequency-aware pooling on log-mel",
                         "GenreScope", mel_features(128)));
        v.push_back(make("gs_cnn_wide", "candidate: genrescope_cnn with 28/56/112 channels on 96 mels (same cost; not better, docs/RESULTS.md)",
                         "GenreScope (session 11 candidate)", mel_features(96)));
        v.push_back(make("dong2018", "Dong's CNN on 3-s log-mel segments (64 mels), segment predictions averaged",
                         "Dong 2018, 70% on GTZAN (human level)", mel_features(64)));
        v.push_back(make("gru_mfcc", "GRU over MFCC frames", "GRU on MFCC, 72.3% on 4 genres", mfcc_features(20)));
        v.push_back(make("lstm", "LSTM over log-mel frames", "CNN/LSTM/MLP/linear comparison on spectrograms",
                         mel_features(64)));
        v.push_back(make("mlp", "multilayer perceptron on a pooled log-mel segment",
                         "CNN/LSTM/MLP/linear comparison on spectrograms", mel_features(64)));
        v.push_back(make("linear", "linear (softmax regression) on a pooled log-mel segment",
                         "CNN/LSTM/MLP/linear comparison on spectrograms", mel_features(64)));
        v.push_back(make("linear_mfcc_stats", "SVM-like linear baseline on MFCC statistics (per-coefficient mean and max)",
                         "MFCC+SVM baseline (53.4% on full fault-filtered GTZAN)", mfcc_features(20)));
        v.push_back(make("vgg_small", "VGG-style conv blocks on mel, MFCC or chroma (--feature); trained from scratch",
                         "VGG16 fine-tuned from ImageNet, 90% on 9 Magnatune genres (weights not available offline)",
                         mel_features(128)));
        v.push_back(make("pcrnn", "parallel CNN + bidirectional GRU branches, concatenated",
                         "GenreWiz parallel CNN-RNN, 38% on 50 YouTube clips", mel_features(128)));
        for (arch_info& a : v) {
            if (a.name == "linear" || a.name == "linear_mfcc_stats" || a.name == "mlp") {
                a.spec_augment = false;
                a.mixup_alpha = 0.0;
                a.learning_rate = 3e-3;
            }
            if (a.name == "gru_mfcc" || a.name == "lstm") a.spec_augment = false;
            // Chosen on protocol A's validation tracks (docs/RESULTS.md): level_align 69.7% with, 68.8% without;
            // textured noise + low-pass, over 3 seeds: 70.0% against 64.5%, worst robustness condition -3.4
            // points against -5.5.
            if (a.name == "genrescope_cnn" || a.name == "gs_cnn_wide") {
                a.level_align = true;
                a.noise_texture = true;
                a.band_limit = 0.25;
            }
        }
        return v;
    }();
    return list;
}

std::string find_arch(const std::string& name, const std::string& feature, arch_info& out) {
    std::string names;
    for (const arch_info& a : arch_list()) {
        names += (names.empty() ? "" : ", ") + a.name;
        if (a.name != name) continue;
        out = a;
        if (feature.empty()) return "";
        if (name != "vgg_small") return "--feature applies to vgg_small only";
        if (feature == "mel") out.features = mel_features(128);
        else if (feature == "mfcc") out.features = mfcc_features(20);
        else if (feature == "chroma") out.features = chroma_features();
        else return "--feature must be mel, mfcc or chroma";
        return "";
    }
    return "unknown architecture '" + name + "' (known: " + names + ")";
}

bool set_temperature(ir_graph& g, double temperature) {
    std::string scale_output;
    for (const ir_node& n : g.nodes) {
        if (n.op == ir_op::softmax && n.output == g.output) scale_output = n.inputs.at(0);
    }
    for (ir_node& n : g.nodes) {
        if (n.op == ir_op::scale && n.output == scale_output) {
            n.floats["factor"] = 1.0 / temperature;
            return true;
        }
    }
    return false;
}

std::string set_level_align(const ir_graph& g, const feature_config& c, ir_weights& w) {
    for (const ir_node& n : g.nodes) {
        if (n.op != ir_op::level_align) continue;
        if (c.kind != feature_kind::mel_db) return "level alignment needs log-mel (mel_db) input";
        const size_t nb = static_cast<size_t>(g.n_bins);
        if (c.norm_std.size() != 1 && c.norm_std.size() != nb) return "level alignment needs the normalisation's std";
        std::vector<float>& s = w[n.name + ".db_per_unit"];
        s.resize(nb);
        for (size_t b = 0; b < nb; ++b) s[b] = c.norm_std_at(static_cast<int>(b));
    }
    return "";
}

std::string build_arch(const std::string& name, int64_t n_bins, int64_t n_frames, int64_t n_classes, ir_graph& out,
                       bool level_align) {
    if (n_bins < 1 || n_frames < 1 || n_classes < 2) return "build_arch: need n_bins, n_frames >= 1 and >= 2 classes";
    graph_builder b(name, n_bins, n_frames, n_classes);
    const std::string x = level_align ? b.level_align(b.input()) : b.input();
    std::string logits;
    if (name == "genrescope_cnn" || name == "gs_cnn_wide") {
        // Input batch norm, a stem at full resolution, then residual stages on a 4x4-pooled map (genre lives
        // in timbre and rhythm over seconds, not in single frames or bins).
        // Sized for the browser (~28M multiply-adds, ~0.2M parameters per 3-s segment of 128 x 129).
        // gs_cnn_wide, a candidate successor at the same cost: 96 mel bins instead of 128 pay for 28/56/112
        // channels instead of 24/48/96 (docs/RESULTS.md, session 11: not better on validation, so not the default).
        const int64_t w = name == "genrescope_cnn" ? 24 : 28;
        std::string h = b.conv_bn_relu(b.bn(x), 16);
        h = b.pool(h, 4, 4);
        h = b.pool(b.residual(h, w), 2, 2);
        h = b.pool(b.residual(h, 2 * w), 2, 2);
        h = b.residual(h, 4 * w);
        // Frequency-aware pooling: average over time per frequency band, then both max and mean over
        // frequency, so "which band" and "how much overall" both reach the classifier.
        const std::string per_band = b.reduce(h, 3, false);  // [N, C, F']
        const std::string pooled = b.concat({b.reduce(per_band, 2, true), b.reduce(per_band, 2, false)});
        logits = b.linear(b.dropout(pooled, 0.3), n_classes);
    } else if (name == "dong2018") {
        // ref: Dong 2018: conv 64@3x3, pool 2x4, conv 64@3x5, pool 2x4, dense 32, dense N
        std::string h = b.pool(b.relu(b.conv(x, 64, 3, 3)), 2, 4);
        h = b.pool(b.relu(b.conv(h, 64, 3, 5)), 2, 4);
        h = b.relu(b.linear(b.dropout(b.flatten(h), 0.5), 32));
        logits = b.linear(h, n_classes);
    } else if (name == "gru_mfcc") {
        std::string h = b.recurrent(b.to_sequence(b.bn(x)), false, 96, false);
        logits = b.linear(b.dropout(h, 0.3), n_classes);
    } else if (name == "lstm") {
        std::string h = b.recurrent(b.to_sequence(b.bn(x)), true, 128, false);
        logits = b.linear(b.dropout(h, 0.3), n_classes);
    } else if (name == "mlp") {
        std::string h = b.flatten(b.pool(b.bn(x), 2, 4, false));
        h = b.relu(b.linear(b.dropout(h, 0.2), 256));
        h = b.relu(b.linear(b.dropout(h, 0.3), 128));
        logits = b.linear(h, n_classes);
    } else if (name == "linear") {
        logits = b.linear(b.flatten(b.pool(b.bn(x), 2, 4, false)), n_classes);
    } else if (name == "linear_mfcc_stats") {
        const std::string mean = b.reduce(x, 3, false);  // [N, 1, n_mfcc]
        const std::string peak = b.reduce(x, 3, true);
        std::string h = b.flatten(b.concat({mean, peak}));  // [N, 2 n_mfcc]
        logits = b.linear(b.dropout(h, 0.1), n_classes);
    } else if (name == "vgg_small") {
        std::string h = b.bn(x);
        for (int64_t width : {32, 64, 128, 128}) h = b.pool(b.conv_bn_relu(b.conv_bn_relu(h, width), width), 2, 2);
        logits = b.linear(b.dropout(b.global_avg(h), 0.3), n_classes);
    } else if (name == "pcrnn") {
        // CNN branch
        std::string c = b.bn(x);
        for (int64_t width : {16, 32, 64, 64}) c = b.pool(b.conv_bn_relu(c, width), 2, 2);
        c = b.global_avg(c);
        // RNN branch over frequency-pooled frames
        std::string r = b.recurrent(b.to_sequence(b.pool(b.bn(x), 4, 1, false)), false, 64, true);
        logits = b.linear(b.dropout(b.concat({c, r}), 0.3), n_classes);
    } else {
        arch_info unused;
        return find_arch(name, "", unused);
    }
    out = b.finish(logits);
    return "";
}

}  // namespace gs
