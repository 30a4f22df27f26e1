// import_yamnet.cpp: walks a YAMNet TFLite graph from its first convolution and rebuilds it as an ir_graph.
#include "model/import_yamnet.h"

#include <map>

#include "data/csv.h"
#include "data/sha256.h"
#include "file_io.h"
#include "model/ir_json.h"
#include "model/tflite_reader.h"

namespace gs {

namespace {

constexpr uint64_t kMaxTfliteBytes = uint64_t(256) << 20;  // YAMNet is 4 MB
constexpr uint64_t kMaxClassMapBytes = uint64_t(1) << 20;
constexpr int kPatchFrames = 96, kPatchBands = 64, kClasses = 521, kEmbedding = 1024;
constexpr int kSeparableBlocks = 13;

std::string shape_str(const std::vector<int32_t>& s) {
    std::string r = "[";
    for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
    return r + "]";
}

// TensorFlow's SAME padding along one axis: ref: tf.nn.convolution docs, out = ceil(in / stride),
// total = max((out - 1) * stride + kernel - in, 0), begin = total / 2 (the extra one goes at the end).
void same_padding(int64_t in, int64_t kernel, int64_t stride, int64_t& begin, int64_t& end) {
    const int64_t out = (in + stride - 1) / stride;
    const int64_t total = std::max<int64_t>((out - 1) * stride + kernel - in, 0);
    begin = total / 2;
    end = total - begin;
}

class graph_walker {
public:
    graph_walker(const tflite_model& m, const std::vector<uint8_t>& bytes)
        : m_(m), sg_(m.subgraphs.at(0)), bytes_(bytes) {
        for (size_t i = 0; i < sg_.operators.size(); ++i)
            for (int32_t o : sg_.operators[i].outputs)
                if (o >= 0) producer_[o] = static_cast<int>(i);
    }

    std::string run(yamnet_import& out);

private:
    // The tensor holding t's constant data: t itself, or the int8 input of the DEQUANTIZE op that makes t; -1
    // when t is computed (an activation).
    int constant_source(int t) const {
        auto has_data = [&](int i) {
            const tflite_tensor& tt = sg_.tensors.at(i);
            return tt.buffer != 0 && m_.buffers.at(tt.buffer).size > 0;
        };
        if (has_data(t)) return t;
        auto it = producer_.find(t);
        if (it == producer_.end()) return -1;
        const tflite_operator& op = sg_.operators[it->second];
        if (op.builtin_code == tflite_op::dequantize && op.inputs.size() == 1 && op.inputs[0] >= 0 && has_data(op.inputs[0])) {
            return op.inputs[0];
        }
        return -1;
    }
    // The constant values of tensor t, dequantised.
    std::string constant(int t, std::vector<float>& v, std::vector<int64_t>& shape) const {
        const int src = constant_source(t);
        if (src < 0) return "tensor " + std::to_string(t) + " ('" + sg_.tensors.at(t).name + "') is not a constant";
        return tflite_dequantize(m_, bytes_.data(), bytes_.size(), src, v, shape);
    }
    bool is_constant(int t) const { return constant_source(t) >= 0; }

    std::string conv(const tflite_operator& op, size_t index, bool depthwise, yamnet_import& out);
    std::string activation(tflite_activation a, const std::string& x, const std::string& name, std::string& y,
                           ir_graph& g);

    const tflite_model& m_;
    const tflite_subgraph& sg_;
    const std::vector<uint8_t>& bytes_;
    std::map<int, int> producer_;          // tensor -> index of the operator that writes it
    std::map<int, std::string> ir_name_;   // TFLite activation tensor -> IR tensor name
    int n_conv_ = 0, n_depthwise_ = 0;
};

std::string graph_walker::activation(tflite_activation a, const std::string& x, const std::string& name,
                                     std::string& y, ir_graph& g) {
    if (a == tflite_activation::none) {
        y = x;
        return "";
    }
    if (a != tflite_activation::relu && a != tflite_activation::relu6) {
        return std::string("unsupported fused activation ") + to_string(a);
    }
    ir_node n;
    n.name = name;
    n.op = a == tflite_activation::relu ? ir_op::relu : ir_op::relu6;
    n.inputs = {x};
    n.output = name;
    g.nodes.push_back(n);
    y = name;
    return "";
}

std::string graph_walker::conv(const tflite_operator& op, size_t index, bool depthwise, yamnet_import& out) {
    const std::string where = "operator " + std::to_string(index) + " (" + tflite_op_name(op.builtin_code) + "): ";
    if (op.inputs.size() != 3 || op.outputs.size() != 1 || op.inputs[0] < 0 || op.inputs[1] < 0 || op.inputs[2] < 0) {
        return where + "expected input, weights, bias and one output";
    }
    auto in_it = ir_name_.find(op.inputs[0]);
    if (in_it == ir_name_.end()) return where + "its input is not produced by the imported network";
    const tflite_options& o = op.options;
    if (o.dilation_h != 1 || o.dilation_w != 1) return where + "dilated convolutions are not supported";
    std::vector<float> w, b;
    std::vector<int64_t> ws, bs;
    std::string e = constant(op.inputs[1], w, ws);
    if (e.empty()) e = constant(op.inputs[2], b, bs);
    if (!e.empty()) return where + e;
    const tflite_tensor& x = sg_.tensors.at(op.inputs[0]);
    const tflite_tensor& y = sg_.tensors.at(op.outputs[0]);
    if (x.shape.size() != 4 || y.shape.size() != 4 || ws.size() != 4 || bs.size() != 1) {
        return where + "expected NHWC tensors and a 4-D kernel, got input " + shape_str(x.shape) + ", output " +
               shape_str(y.shape);
    }
    // TFLite: input [1, T, F, C]; CONV_2D weights [O, kT, kF, C]; DEPTHWISE_CONV_2D weights [1, kT, kF, C * M].
    const int64_t C = x.shape[3], O = y.shape[3], kt = ws[1], kf = ws[2];
    if (depthwise && (o.depth_multiplier != 1 || ws[0] != 1 || ws[3] != C || O != C)) {
        return where + "only depth multiplier 1 is supported";
    }
    if (!depthwise && (ws[0] != O || ws[3] != C)) return where + "kernel does not match its input and output channels";
    if (bs[0] != O) return where + "bias has " + std::to_string(bs[0]) + " values for " + std::to_string(O) + " channels";
    int64_t pt = 0, pte = 0, pf = 0, pfe = 0;
    if (o.padding == tflite_padding::same) {
        same_padding(x.shape[1], kt, o.stride_h, pt, pte);
        same_padding(x.shape[2], kf, o.stride_w, pf, pfe);
    }
    ir_node n;
    n.name = (depthwise ? "dw" : "conv") + std::to_string(depthwise ? ++n_depthwise_ : ++n_conv_);
    n.op = ir_op::conv2d;
    n.inputs = {in_it->second};
    n.output = n.name;
    // Our H is the mel axis (TFLite's W), our W the time axis (TFLite's H).
    n.ints = {{"out_channels", O}, {"kernel_h", kf},    {"kernel_w", kt},     {"stride_h", o.stride_w},
              {"stride_w", o.stride_h}, {"pad_h", pf}, {"pad_w", pt}, {"pad_h_end", pfe}, {"pad_w_end", pte}};
    const int64_t cin = depthwise ? 1 : C;
    if (depthwise) n.ints["groups"] = C;
    n.params = {{"weight", {O, cin, kf, kt}}, {"bias", {O}}};
    std::vector<float>& wt = out.weights[n.name + ".weight"];
    wt.assign(static_cast<size_t>(O * cin * kf * kt), 0.0f);
    for (int64_t oc = 0; oc < O; ++oc)
        for (int64_t ic = 0; ic < cin; ++ic)
            for (int64_t f = 0; f < kf; ++f)
                for (int64_t t = 0; t < kt; ++t) {
                    const int64_t src = depthwise ? (t * kf + f) * C + oc : ((oc * kt + t) * kf + f) * C + ic;
                    wt[((oc * cin + ic) * kf + f) * kt + t] = w[src];
                }
    out.weights[n.name + ".bias"] = b;
    out.graph.nodes.push_back(n);
    std::string y_name;
    if (!(e = activation(o.activation, n.name, n.name + "_act", y_name, out.graph)).empty()) return where + e;
    ir_name_[op.outputs[0]] = y_name;
    return "";
}

std::string graph_walker::run(yamnet_import& out) {
    ir_graph& g = out.graph;
    g = ir_graph{};
    g.arch = "yamnet";
    g.n_bins = kPatchBands;
    g.n_frames = kPatchFrames;
    g.n_classes = kClasses;
    // The network starts at the first CONV_2D reading a [1, 96, 64, 1] patch; what comes before is the front end.
    size_t start = sg_.operators.size();
    for (size_t i = 0; i < sg_.operators.size(); ++i) {
        const tflite_operator& op = sg_.operators[i];
        if (op.builtin_code != tflite_op::conv_2d || op.inputs.empty() || op.inputs[0] < 0) continue;
        if (sg_.tensors.at(op.inputs[0]).shape == std::vector<int32_t>{1, kPatchFrames, kPatchBands, 1}) {
            start = i;
            break;
        }
    }
    if (start == sg_.operators.size()) {
        return "no CONV_2D on a [1, 96, 64, 1] log-mel patch: not a YAMNet graph";
    }
    ir_name_[sg_.operators[start].inputs[0]] = g.input;
    bool pooled = false, done = false;
    std::string e;
    for (size_t i = start; i < sg_.operators.size() && e.empty(); ++i) {
        const tflite_operator& op = sg_.operators[i];
        const int code = op.builtin_code;
        const std::string where = "operator " + std::to_string(i) + " (" + tflite_op_name(code) + "): ";
        if (code == tflite_op::dequantize && !op.inputs.empty() && op.inputs[0] >= 0 && is_constant(op.inputs[0])) {
            continue;  // a weight's dequantisation: read through constant()
        }
        if (done) {
            if (code == tflite_op::dequantize) continue;  // int8 scores -> float output
            return where + "unexpected after the output";
        }
        if (code == tflite_op::conv_2d || code == tflite_op::depthwise_conv_2d) {
            if (pooled) return where + "a convolution after the pooling";
            e = conv(op, i, code == tflite_op::depthwise_conv_2d, out);
        } else if (code == tflite_op::quantize || code == tflite_op::dequantize || code == tflite_op::reshape ||
                   code == tflite_op::squeeze) {
            // Activation (de)quantisation and reshapes: the same values in our float, NCHW world. A reshape is
            // only allowed where it changes nothing our IR sees (after pooling: [1, 1, 1, C] <-> [1, C]).
            if (op.inputs.empty() || op.inputs[0] < 0 || op.outputs.size() != 1) return where + "unexpected arity";
            auto it = ir_name_.find(op.inputs[0]);
            if (it == ir_name_.end()) return where + "its input is not produced by the imported network";
            if (code != tflite_op::quantize && code != tflite_op::dequantize) {
                const int64_t before = tflite_element_count(sg_.tensors.at(op.inputs[0]).shape);
                const int64_t after = tflite_element_count(sg_.tensors.at(op.outputs[0]).shape);
                if (!pooled || before != after) return where + "a reshape inside the convolutional part";
            }
            ir_name_[op.outputs[0]] = it->second;
        } else if (code == tflite_op::mean) {
            if (op.inputs.size() != 2 || op.inputs[0] < 0 || op.inputs[1] < 0 || op.outputs.size() != 1) {
                return where + "unexpected arity";
            }
            std::vector<float> axes;
            std::vector<int64_t> as;
            if (!(e = constant(op.inputs[1], axes, as)).empty()) return where + e;
            if (axes != std::vector<float>{1, 2}) return where + "only the mean over both spatial axes is supported";
            auto it = ir_name_.find(op.inputs[0]);
            if (it == ir_name_.end()) return where + "its input is not produced by the imported network";
            ir_node n;
            n.name = "embedding";
            n.op = ir_op::global_avg_pool;
            n.inputs = {it->second};
            n.output = "embedding";
            g.nodes.push_back(n);
            ir_name_[op.outputs[0]] = n.output;
            out.embedding = n.output;
            pooled = true;
        } else if (code == tflite_op::fully_connected) {
            if (!pooled) return where + "a dense layer before the pooling";
            if (op.inputs.size() < 2 || op.inputs[0] < 0 || op.inputs[1] < 0 || op.outputs.size() != 1) {
                return where + "unexpected arity";
            }
            auto it = ir_name_.find(op.inputs[0]);
            if (it == ir_name_.end()) return where + "its input is not produced by the imported network";
            std::vector<float> w, b;
            std::vector<int64_t> ws, bs;
            if (!(e = constant(op.inputs[1], w, ws)).empty()) return where + e;
            if (ws.size() != 2) return where + "weights must be 2-D";
            if (op.inputs.size() >= 3 && op.inputs[2] >= 0) {
                if (!(e = constant(op.inputs[2], b, bs)).empty()) return where + e;
            } else {
                b.assign(static_cast<size_t>(ws[0]), 0.0f);
                bs = {ws[0]};
            }
            if (bs.size() != 1 || bs[0] != ws[0]) return where + "bias does not match the weights";
            ir_node n;
            n.name = "classifier";
            n.op = ir_op::linear;
            n.inputs = {it->second};
            n.output = "logits";
            n.ints = {{"out_features", ws[0]}};
            n.params = {{"weight", {ws[0], ws[1]}}, {"bias", {ws[0]}}};
            out.weights["classifier.weight"] = w;  // TFLite's [O, I] is ours
            out.weights["classifier.bias"] = b;
            g.nodes.push_back(n);
            std::string y;
            if (!(e = activation(op.options.activation, n.output, "logits_act", y, g)).empty()) return where + e;
            if (y != n.output) return where + "a fused activation before the sigmoid is not supported";
            ir_name_[op.outputs[0]] = n.output;
            g.logits = n.output;
        } else if (code == tflite_op::logistic) {
            if (g.logits.empty() || op.inputs.empty() || ir_name_[op.inputs[0]] != g.logits) {
                return where + "the sigmoid must follow the dense layer";
            }
            ir_node n;
            n.name = "sigmoid";
            n.op = ir_op::sigmoid;
            n.inputs = {g.logits};
            n.output = g.output;
            g.nodes.push_back(n);
            done = true;
        } else {
            return where + "not supported in the imported network";
        }
    }
    if (!e.empty()) return e;
    if (!done) return "the graph does not end in a sigmoid over the class scores";
    if (n_conv_ != 1 + kSeparableBlocks || n_depthwise_ != kSeparableBlocks) {
        return "found " + std::to_string(n_conv_) + " convolutions and " + std::to_string(n_depthwise_) +
               " depthwise ones; YAMNet's MobileNetV1 has 14 and 13";
    }
    std::map<std::string, std::vector<int64_t>> shapes;
    if (!(e = ir_infer_shapes(g, 1, shapes)).empty()) return "imported graph: " + e;
    if (shapes.at(out.embedding) != std::vector<int64_t>{1, kEmbedding}) return "the embedding is not 1024-d";
    return "";
}

}  // namespace

std::string parse_class_map(const std::string& csv, std::vector<std::string>& names) {
    names.clear();
    std::vector<csv_record> records;
    std::string e = parse_csv(csv, records);
    if (!e.empty()) return "class map " + e;
    std::map<long, std::string> by_index;
    for (size_t r = 1; r < records.size(); ++r) {  // records[0] is the header
        const csv_record& rec = records[r];
        const std::string where = "class map line " + std::to_string(rec.line) + ": ";
        if (rec.fields.size() != 3 || rec.fields[2].empty()) return where + "expected index,mid,display_name";
        const std::string& index_text = rec.fields[0];
        char* end = nullptr;
        const long index = std::strtol(index_text.c_str(), &end, 10);
        if (index_text.empty() || *end != '\0' || index < 0 || index >= 100000) {
            return where + "bad index '" + index_text + "'";
        }
        if (!by_index.emplace(index, rec.fields[2]).second) return where + "index " + index_text + " appears twice";
    }
    long expect = 0;
    for (const auto& [index, name] : by_index) {
        if (index != expect++) return "class map: index " + std::to_string(expect - 1) + " is missing";
        names.push_back(name);
    }
    if (names.empty()) return "class map: no classes";
    return "";
}

std::string import_yamnet(const std::string& tflite_path, const std::string& class_map_csv, yamnet_import& out) {
    std::vector<uint8_t> bytes;
    std::string e = read_whole_file(tflite_path, kMaxTfliteBytes, bytes);
    if (!e.empty()) return tflite_path + ": " + e;
    tflite_model m;
    if (!(e = tflite_parse(bytes.data(), bytes.size(), m)).empty()) return tflite_path + ": " + e;
    if (m.subgraphs.size() != 1) return tflite_path + ": expected one subgraph";
    yamnet_import r;
    graph_walker walker(m, bytes);
    if (!(e = walker.run(r)).empty()) return tflite_path + ": " + e;

    std::string map_path = class_map_csv;
    if (map_path.empty()) {
        const size_t slash = tflite_path.rfind('/');
        map_path = (slash == std::string::npos ? std::string() : tflite_path.substr(0, slash + 1)) + "yamnet_class_map.csv";
    }
    std::string csv;
    if (!(e = read_whole_file(map_path, kMaxClassMapBytes, csv)).empty()) return map_path + ": " + e;
    std::vector<std::string> labels;
    if (!(e = parse_class_map(csv, labels)).empty()) return map_path + ": " + e;
    if (labels.size() != static_cast<size_t>(kClasses)) {
        return map_path + ": " + std::to_string(labels.size()) + " classes, the model has " + std::to_string(kClasses);
    }

    // What kind of export this was: float activations (the waveform-input export) or int8 ones (Coral's).
    const tflite_subgraph& sg = m.subgraphs[0];
    bool int8_activations = false;
    for (const tflite_operator& op : sg.operators) {
        if (op.builtin_code == tflite_op::conv_2d && !op.outputs.empty() && op.outputs[0] >= 0 &&
            sg.tensors.at(op.outputs[0]).type == tflite_type::int8) {
            int8_activations = true;
        }
    }
    r.source_sha256 = sha256_hex(bytes.data(), bytes.size());
    r.notes.push_back(int8_activations ? "int8 activations in the file (run here in float32)"
                                       : "float activations in the file");

    model_card& c = r.card;
    c.name = "yamnet-audioset";
    c.version = "1";
    c.arch = "yamnet";
    c.labels = labels;
    c.features = yamnet_feature_config();
    c.segment_frames = kPatchFrames;
    c.segment_s = kPatchFrames * 0.01;      // 10-ms hop
    c.segment_hop_frames = kPatchFrames / 2;
    c.segment_hop_s = c.segment_hop_frames * 0.01;
    c.fill = segment_fill::tile;  // a file under 0.96 s is repeated (0 would be log(1): a loud flat spectrum)
    c.aggregation = "mean";
    r.graph.extra_outputs = {r.embedding};  // the 1024-d embedding as a second output (maps, similarity)
    c.graph = ir_graph_to_json(r.graph);
    // AudioSet's music genres: the ontology's "Music genre" subtree, classes 211 ("Pop music") to 260
    // ("Independent music") of YAMNet's class map (checked by name, so another class map is refused here).
    if (labels.at(211) != "Pop music" || labels.at(260) != "Independent music") {
        return map_path + ": not YAMNet's AudioSet class order (class 211 should be 'Pop music')";
    }
    c.tags = json_value::object();
    c.tags.set("output", r.graph.output);
    json_value tag_labels = json_value::array(), genres = json_value::array();
    for (const std::string& l : labels) tag_labels.push_back(l);
    for (int i = 211; i <= 260; ++i) genres.push_back(i);
    c.tags.set("labels", tag_labels);
    c.tags.set("genres", genres);
    c.training = json_value::object();
    c.training.set("kind", "imported");
    c.training.set("source", "YAMNet (Google), trained on AudioSet (about 2 million YouTube clips, 521 classes)");
    c.training.set("licence", "Apache-2.0");
    c.training.set("weights_file", tflite_path.substr(tflite_path.rfind('/') == std::string::npos ? 0 : tflite_path.rfind('/') + 1));
    c.training.set("weights_sha256", r.source_sha256);
    c.training.set("weights_format", int8_activations ? "TFLite, int8 weights and activations" : "TFLite, int8 weights, float activations");
    c.training.set("embedding", r.embedding);
    c.limits = json_value::array();
    c.limits.push_back("AudioSet's 521 classes, multi-label: each score is an independent sigmoid, not a share of 1");
    c.limits.push_back("imported, not trained here: the network runs in float32 with its int8 weights dequantised");
    if (int8_activations) {
        c.limits.push_back("this export was quantised for log-mel patches of int16 audio / 8192, i.e. audio 4x (12 dB) "
                           "louder than float audio in [-1, 1], which is what shared/'s front end is given");
    }
    out = std::move(r);
    return "";
}

}  // namespace gs
