// cmd_quantize.cpp: `genrescope quantize IN.onnx --out OUT.onnx`: int8 weights (onnx_quant.h) and the card to match.
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
#include "model/onnx_quant.h"

namespace fs = std::filesystem;

namespace gs {

namespace {

const char* kQuantizeUsage =
    "usage: genrescope quantize IN.onnx --out OUT.onnx [--min-elements N]\n"
    "  Stores every Conv/Gemm/MatMul weight of at least N (1024) values as int8 with one scale per output channel\n"
    "  (symmetric: scale = max|w| / 127, zero point 0, rounded half to even; a channel already on the int8 grid of\n"
    "  its whole tensor keeps that grid exactly) behind an ONNX DequantizeLinear node; biases, batch-norm\n"
    "  parameters and small tensors stay float. IN.json (the card) is copied to OUT.json with the new file's\n"
    "  sha256 and a \"weights\" entry. ONNX Runtime and `classify` both dequantise as float(q) * scale.\n";

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

// Reads the int8 model's weights back through the model reader and compares them with the float ones: a
// quantised tensor within half its largest scale (plus float rounding), every other one unchanged.
std::string verify(const std::string& bytes, const loaded_model& m, const onnx_quant_summary& s, double& max_change) {
    ir_weights back;
    std::string e = import_onnx_weights(bytes, m.graph, back);
    if (!e.empty()) return "the quantised model does not read back: " + e;
    const ir_weights before = m.module->weights();
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

}  // namespace

int cmd_quantize(int argc, char** argv) {
    cli_args a(argc, argv, 0, {"out", "min-elements"}, {"help"});
    if (a.has("help")) {
        std::fputs(kQuantizeUsage, stdout);
        return kExitOk;
    }
    onnx_quant_options opt;
    opt.min_elements = a.get_int("min-elements", 1024, 1, 1 << 30);
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
    std::string out;
    onnx_quant_summary s;
    double max_change = 0.0;
    if ((e = onnx_quantize(bytes, opt, out, s)).empty() && s.tensors.empty()) {
        e = "nothing to quantise: no Conv/Gemm/MatMul weight of >= " + std::to_string(opt.min_elements) +
            " values is stored as float";
    }
    if (e.empty()) e = verify(out, m, s, max_change);
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
