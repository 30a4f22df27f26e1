// cmd_quantize.cpp: `genrescope quantize IN.onnx --out OUT.onnx [--activations DIR]`: int8 weights (onnx_quant.h), uint8 activations (act_quant.h), and the card to match.
//
// The input must load (card, sha256 pin, graph, weights) like any model; the output is checked by reading its
// weights back and comparing them with the input's (each within half its channel's scale), then written with a
// copy of the card whose onnx_sha256 pins the new file and whose "weights" says how they are stored.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include "cli_args.h"
#include "commands.h"
#include "data/sha256.h"
#include "file_io.h"
#include "genrescope/json.h"
#include "model/model_loader.h"
#include "model/onnx_export.h"
#include "model/ir_json.h"
#include "model/onnx_quant.h"
#include "quantize_activations.h"

namespace fs = std::filesystem;

namespace gs {

namespace {

const char* kQuantizeUsage =
    "usage: genrescope quantize IN.onnx --out OUT.onnx [--min-elements N]\n"
    "                           [--activations DIR [--calibration-files N] [--calibration-windows N]\n"
    "                            [--activation-min-channels N] [--calibration-percentile P] [--equalize 0|1]\n"
    "                            [--bias-correction 0|1]]\n"
    "  Stores every Conv/Gemm/MatMul weight of at least N (1024) values as int8 with one scale per output channel\n"
    "  (symmetric: scale = max|w| / 127, zero point 0, rounded half to even; a channel already on the int8 grid of\n"
    "  its whole tensor keeps that grid exactly) behind an ONNX DequantizeLinear node; biases, batch-norm\n"
    "  parameters and small tensors stay float. IN.json (the card) is copied to OUT.json with the new file's\n"
    "  sha256 and a \"weights\" entry. ONNX Runtime and `classify` both dequantise as float(q) * scale.\n"
    "  --activations DIR: also stores activations as uint8 (one scale and zero point per tensor; ONNX\n"
    "  QuantizeLinear + DequantizeLinear, which ONNX Runtime runs as integer convolutions), from the input of the\n"
    "  first ungrouped convolution with >= N (128) input channels on (narrower layers are faster in float in\n"
    "  ONNX Runtime Web). Calibration: windows of the audio files under DIR (N files (64) spread over the sorted\n"
    "  list, N windows (16) spread over each). Each tensor's range: the P-th percentile (99.9; 50..100) of its\n"
    "  values, larger ones saturate (100: the maximum; on YAMNet that coarsens every step and changes the top class\n"
    "  of 1 window in 5, 99.9: 1 in 15; docs/RESULTS.md). --equalize 1 (default) first rescales the channels of\n"
    "  each convolution -> ReLU -> depthwise convolution chain so that they span the same range (the float model\n"
    "  computes the same function; act_quant.h); --bias-correction 1 (default) then moves each quantised\n"
    "  convolution's bias so that its outputs' channel means match the float model's on the windows. The card\n"
    "  gets the graph and an \"activations\" entry with how much the probabilities moved on those windows.\n";

constexpr uint64_t kMaxModelBytes = uint64_t(1) << 30;  // as model_loader
constexpr uint64_t kMaxCardBytes = uint64_t(64) << 20;

// Writes bytes to path through a temporary file in the same folder, so a failed write leaves no half file.
std::string write_atomically(const fs::path& path, const std::string& bytes) {
    const fs::path tmp = path.string() + ".tmp";
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        if (!f) return "cannot write " + tmp.string();
        f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        if (!f) return "cannot write " + tmp.string();
    }
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) return "cannot rename " + tmp.string() + ": " + ec.message();
    return "";
}

// Reads the int8 model's weights back through the model reader (graph g) and compares them with the float ones:
// a quantised tensor within half its largest scale (plus float rounding), every other one unchanged.
std::string verify(const std::string& bytes, const ir_graph& g, const ir_weights& before, const onnx_quant_summary& s,
                   double& max_change) {
    ir_weights back;
    std::string e = import_onnx_weights(bytes, g, back);
    if (!e.empty()) return "the quantised model does not read back: " + e;
    max_change = 0.0;
    for (const auto& [name, w] : before) {
        auto it = back.find(name);
        if (it == back.end() || it->second.size() != w.size()) return "weight '" + name + "' did not read back";
        double bound = 0.0;
        for (const onnx_quant_tensor& t : s.tensors) {
            if (t.name == name) bound = 0.5 * t.max_scale * (1.0 + 1e-5);
        }
        for (size_t i = 0; i < w.size(); ++i) {
            const double d = std::fabs(static_cast<double>(w[i]) - it->second[i]);
            if (d > bound) return "weight '" + name + "' changed by " + std::to_string(d) + " (bound " + std::to_string(bound) + ")";
            max_change = std::max(max_change, d);
        }
    }
    return "";
}

// --activations: the tensors (act_quant.h), their ranges on windows of the files under `dir`, the quantised
// graph in `graph`, and the card's "activations" entry in `act`. Returns "" or an error.
std::string quantize_activations(loaded_model& m, const std::string& dir, int max_files, int per_file,
                                 int min_channels, double percentile, bool equalize, bool bias_correction,
                                 ir_graph& graph, ir_weights& weights, json_value& act) {
    for (const ir_node& n : m.graph.nodes) {
        if (n.op == ir_op::quantize) return "the model's activations are already quantised";
    }
    std::string from;
    std::vector<std::string> tensors;
    std::string e = choose_activation_tensors(m.graph, min_channels, from, tensors);
    if (!e.empty()) return "--activations: " + e;
    calibration_windows w;
    if (!(e = collect_calibration_windows(m.card, {dir}, max_files, per_file, w)).empty()) return "--activations " + dir + ": " + e;
    for (const std::string& skip : w.skipped) std::fprintf(stderr, "genrescope quantize: skipped %s\n", skip.c_str());
    // Equalise first (the float graph computes the same function after it), then measure the ranges on it.
    ir_module source = m.module;
    int equalised = 0;
    if (equalize) {
        std::vector<equalize_pair> pairs;
        std::vector<std::string> relus;
        for (const equalize_pair& p : equalizable_pairs(m.graph)) {
            if (std::find(tensors.begin(), tensors.end(), p.relu) == tensors.end()) continue;
            pairs.push_back(p);
            relus.push_back(p.relu);
        }
        std::map<std::string, std::vector<double>> maxima;
        if (!(e = channel_maxima(m.module, m.graph, w, relus, maxima)).empty()) return e;
        for (const equalize_pair& p : pairs) {
            if (!(e = equalize_pair_weights(m.graph, p, maxima.at(p.relu), weights)).empty()) return e;
            ++equalised;
        }
        source = nullptr;
        if (!(e = make_module(m.graph, weights, source)).empty()) return e;
    }
    std::map<std::string, act_range> ranges;
    if (!(e = activation_ranges(source, m.graph, w, tensors, percentile, ranges)).empty()) return e;
    if (!(e = insert_activation_quantizers(graph, ranges)).empty()) return e;
    int corrected = 0;
    if (bias_correction && !(e = correct_biases(source, graph, w, weights, corrected)).empty()) return e;
    ir_module quantised = nullptr;
    if (!(e = make_module(graph, weights, quantised)).empty()) return e;
    quantization_effect fx;
    if (!(e = compare_outputs(m.module, quantised, graph, w, fx)).empty()) return e;
    act.set("storage", "uint8 per tensor (scale = (max - min) / 255 with min <= 0 <= max, zero point round(-min / "
                       "scale)), ONNX QuantizeLinear + DequantizeLinear");
    act.set("from", from);
    act.set("min_channels", static_cast<long long>(min_channels));
    act.set("tensors", static_cast<long long>(tensors.size()));
    act.set("equalised_layer_pairs", static_cast<long long>(equalised));  // act_quant.h: equalize_pair
    act.set("bias_corrected_layers", static_cast<long long>(corrected));  // quantize_activations.h
    json_value cal = json_value::object();
    cal.set("files", static_cast<long long>(w.files.size()));
    cal.set("files_skipped", static_cast<long long>(w.skipped.size()));
    cal.set("windows", static_cast<long long>(w.n));
    cal.set("windows_per_file", static_cast<long long>(per_file));
    cal.set("statistic", percentile >= 100.0 ? std::string("min and max over every value of the windows")
                                             : "the " + std::to_string(percentile) + "th percentile of the positive "
                                               "values (and of the negative values' magnitudes) over the windows");
    cal.set("percentile", percentile);
    act.set("calibration", cal);
    json_value fxj = json_value::object();
    fxj.set("windows", static_cast<long long>(fx.windows));
    fxj.set("max_abs_probability_change", fx.max_abs_change);
    fxj.set("mean_abs_probability_change", fx.mean_abs_change);
    fxj.set("top_class_agreement", fx.top_agreement);
    act.set("change_on_calibration_windows", fxj);
    std::printf("activations: %d layer pairs equalised, %d biases corrected; %zu tensors uint8 from '%s' on; calibration %zu files (%zu skipped), %lld windows; on "
                "them the probabilities moved by at most %.4g (mean %.3g), top class the same for %.2f%%\n",
                equalised, corrected, tensors.size(), from.c_str(), w.files.size(), w.skipped.size(), static_cast<long long>(w.n),
                fx.max_abs_change, fx.mean_abs_change, 100.0 * fx.top_agreement);
    return "";
}

}  // namespace

int cmd_quantize(int argc, char** argv) {
    cli_args a(argc, argv, 0,
               {"out", "min-elements", "activations", "calibration-files", "calibration-windows",
                "activation-min-channels", "calibration-percentile", "equalize", "bias-correction"},
               {"help"});
    if (a.has("help")) {
        std::fputs(kQuantizeUsage, stdout);
        return kExitOk;
    }
    onnx_quant_options opt;
    opt.min_elements = a.get_int("min-elements", 1024, 1, 1 << 30);
    const int calibration_files = a.get_int("calibration-files", 64, 1, 100000);
    const int calibration_windows_per_file = a.get_int("calibration-windows", 16, 1, 4096);
    const int min_channels = a.get_int("activation-min-channels", 128, 1, 65536);
    const double percentile = a.get_double("calibration-percentile", 99.9, 50.0, 100.0);
    const bool equalize = a.get_int("equalize", 1, 0, 1) == 1;
    const bool bias_correction = a.get_int("bias-correction", 1, 0, 1) == 1;
    if (!a.error().empty() || a.positional().size() != 1 || !a.has("out")) {
        std::fprintf(stderr, "genrescope quantize: %s\n%s", a.error().empty() ? "needs IN.onnx --out OUT.onnx" : a.error().c_str(),
                     kQuantizeUsage);
        return kExitUsage;
    }
    const std::string in_path = a.positional()[0], out_path = a.get("out");
    const std::string in_card = card_path_for(in_path), out_card = card_path_for(out_path);
    std::error_code ec;
    if (fs::exists(out_path, ec) && fs::equivalent(in_path, out_path, ec)) {
        std::fprintf(stderr, "genrescope quantize: --out must not be the input model\n");
        return kExitUsage;
    }
    if (out_card == out_path) {
        std::fprintf(stderr, "genrescope quantize: --out %s: give the model a .onnx name (its card is NAME.json)\n", out_path.c_str());
        return kExitUsage;
    }
    loaded_model m;
    std::string bytes, card_text;
    json_value card;
    std::string e = load_model(in_path, m);  // the card, its sha256 pin, the graph and the weights all check
    if (e.empty() && !(e = read_whole_file(in_path, kMaxModelBytes, bytes)).empty()) e = in_path + ": " + e;
    if (e.empty() && !m.card.onnx_sha256.empty() && sha256_hex(bytes) != m.card.onnx_sha256) e = in_path + ": changed while reading";
    if (e.empty() && !(e = read_whole_file(in_card, kMaxCardBytes, card_text)).empty()) e = in_card + ": " + e;
    if (e.empty() && !(e = json_parse(card_text, card)).empty()) e = in_card + ": " + e;
    if (!e.empty()) {
        std::fprintf(stderr, "genrescope quantize: %s\n", e.c_str());
        return kExitFailure;
    }
    ir_weights weights = m.module->weights();
    ir_graph graph = m.graph;
    std::string source = bytes;  // the float-activation model whose weights become int8
    json_value act = json_value::object();
    if (a.has("activations") && !(e = quantize_activations(m, a.get("activations"), calibration_files,
                                                          calibration_windows_per_file, min_channels, percentile,
                                                          equalize, bias_correction, graph, weights, act))
                                     .empty()) {
        std::fprintf(stderr, "genrescope quantize: %s\n", e.c_str());
        return kExitFailure;
    }
    if (a.has("activations")) {
        onnx_export_options eo;
        eo.doc_string = "GenreScope " + m.card.arch + ": uint8 activations from '" + act["from"].as_string() + "' on";
        if (!(e = export_onnx(graph, weights, eo, source)).empty()) {
            std::fprintf(stderr, "genrescope quantize: ONNX export failed: %s\n", e.c_str());
            return kExitFailure;
        }
        card.set("graph", ir_graph_to_json(graph));
        card.set("activations", act);
    }
    std::string out;
    onnx_quant_summary s;
    double max_change = 0.0;
    if ((e = onnx_quantize(source, opt, out, s)).empty() && s.tensors.empty()) {
        e = "nothing to quantise: no Conv/Gemm/MatMul weight of >= " + std::to_string(opt.min_elements) +
            " values is stored as float";
    }
    if (e.empty()) e = verify(out, graph, weights, s, max_change);
    if (!e.empty()) {
        std::fprintf(stderr, "genrescope quantize: %s: %s\n", in_path.c_str(), e.c_str());
        return kExitFailure;
    }
    json_value w = json_value::object();
    w.set("storage", "int8 per output channel, symmetric (scale = max|w| / 127, zero point 0, round half to even), "
                     "ONNX DequantizeLinear");
    w.set("tensors", static_cast<long long>(s.tensors.size()));
    w.set("min_elements", static_cast<long long>(opt.min_elements));
    w.set("float_bytes", static_cast<long long>(s.float_bytes));
    w.set("int8_bytes", static_cast<long long>(s.int8_bytes));
    w.set("scale_bytes", static_cast<long long>(s.scale_bytes));
    long long grid_channels = 0, channels = 0;
    for (const onnx_quant_tensor& t : s.tensors) {
        grid_channels += t.tensor_grid_channels;
        channels += t.dims[t.axis];
    }
    w.set("channels", channels);
    w.set("channels_on_tensor_grid", grid_channels);  // already int8 per tensor: stored with that scale, exactly
    w.set("max_abs_weight_change", max_change);
    w.set("float_onnx_sha256", sha256_hex(bytes));
    card.set("onnx_sha256", sha256_hex(out));
    card.set("weights", w);
    model_card check;
    if (!(e = from_json(card, check)).empty()) {  // the copy must still be a card (it was one when loaded)
        std::fprintf(stderr, "genrescope quantize: %s\n", e.c_str());
        return kExitFailure;
    }
    const fs::path dir = fs::path(out_path).parent_path();
    if (!dir.empty()) fs::create_directories(dir, ec);
    if (ec) {
        std::fprintf(stderr, "genrescope quantize: cannot create %s: %s\n", dir.c_str(), ec.message().c_str());
        return kExitFailure;
    }
    e = write_atomically(out_path, out);
    if (e.empty()) e = write_atomically(out_card, json_write(card, 2) + "\n");
    if (!e.empty()) {
        std::fprintf(stderr, "genrescope quantize: %s\n", e.c_str());
        return kExitFailure;
    }
    std::printf("%s: %zu bytes -> %s: %zu bytes (%.2fx smaller); %zu weight tensors int8: %lld float bytes -> %lld int8 "
                "+ %lld scale bytes (%lld of %lld channels already on their tensor's int8 grid); max |weight change| %.3g; "
                "card %s\n",
                in_path.c_str(), bytes.size(), out_path.c_str(), out.size(),
                static_cast<double>(bytes.size()) / static_cast<double>(std::max<size_t>(out.size(), 1)), s.tensors.size(),
                static_cast<long long>(s.float_bytes), static_cast<long long>(s.int8_bytes),
                static_cast<long long>(s.scale_bytes), grid_channels, channels, max_change, out_card.c_str());
    return kExitOk;
}

}  // namespace gs
