// cmd_import.cpp: `genrescope import yamnet|compact_cnn FILE --out DIR`: a pretrained network as model.onnx + card.
//
// The result loads like any trained model (`classify`, `eval`, the page's "Load model"), so an importer is
// checked end to end, and it is what `train --backbone` builds on.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include "cli_args.h"
#include "commands.h"
#include "data/sha256.h"
#include "model/import_yamnet.h"
#include "model/onnx_export.h"
#ifdef GENRESCOPE_HAVE_HDF5
#include "model/import_compact_cnn.h"
#endif

namespace fs = std::filesystem;

namespace gs {

namespace {

const char* kImportUsage =
    "usage: genrescope import yamnet FILE.tflite --out DIR [--class-map CSV] [--name NAME]\n"
    "       genrescope import compact_cnn FILE.hdf5 --out DIR [--name NAME]\n"
    "  Writes DIR/model.onnx and DIR/model.json (the card: labels, front end, segmenting, graph, source,\n"
    "  licence and the sha256 of FILE). yamnet: either YAMNet TFLite export (waveform or log-mel input); only\n"
    "  the network is imported (from its first convolution on a 96 x 64 patch), its front end is shared/'s\n"
    "  yamnet_log_mel; --class-map defaults to yamnet_class_map.csv beside FILE. compact_cnn: Choi's Keras\n"
    "  weights (its batch-norm statistics are not in the file; see the card's limits).\n";

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

}  // namespace

int cmd_import(int argc, char** argv) {
    cli_args a(argc, argv, 0, {"out", "class-map", "name"}, {"help"});
    if (a.has("help")) {
        std::fputs(kImportUsage, stdout);
        return kExitOk;
    }
    if (!a.error().empty() || a.positional().size() != 2 || !a.has("out")) {
        std::fprintf(stderr, "genrescope import: %s\n%s", a.error().empty() ? "needs KIND FILE --out DIR" : a.error().c_str(),
                     kImportUsage);
        return kExitUsage;
    }
    const std::string kind = a.positional()[0], file = a.positional()[1];
    ir_graph graph;
    ir_weights weights;
    model_card card;
    std::string e;
    if (kind == "yamnet") {
        yamnet_import y;
        e = import_yamnet(file, a.get("class-map"), y);
        if (e.empty()) {
            graph = std::move(y.graph);
            weights = std::move(y.weights);
            card = std::move(y.card);
            for (const std::string& n : y.notes) std::fprintf(stderr, "genrescope import: %s\n", n.c_str());
        }
    } else if (kind == "compact_cnn") {
#ifdef GENRESCOPE_HAVE_HDF5
        e = import_compact_cnn(file, graph, weights, card);
#else
        e = "this build has no HDF5 support (libhdf5-dev was not found when it was configured)";
#endif
    } else {
        std::fprintf(stderr, "genrescope import: unknown kind '%s' (yamnet, compact_cnn)\n", kind.c_str());
        return kExitUsage;
    }
    if (!e.empty()) {
        std::fprintf(stderr, "genrescope import: %s\n", e.c_str());
        return kExitFailure;
    }
    if (a.has("name")) card.name = a.get("name");
    onnx_export_options opt;
    opt.doc_string = card.name + ": imported by genrescope import " + kind + " from " + file;
    std::string onnx;
    if (!(e = export_onnx(graph, weights, opt, onnx)).empty()) {
        std::fprintf(stderr, "genrescope import: ONNX export: %s\n", e.c_str());
        return kExitFailure;
    }
    card.onnx_sha256 = sha256_hex(onnx);
    const fs::path dir = a.get("out");
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
        std::fprintf(stderr, "genrescope import: cannot create %s: %s\n", dir.c_str(), ec.message().c_str());
        return kExitFailure;
    }
    e = write_atomically(dir / "model.onnx", onnx);
    if (e.empty()) e = write_atomically(dir / "model.json", json_write(to_json(card), 2) + "\n");
    if (!e.empty()) {
        std::fprintf(stderr, "genrescope import: %s\n", e.c_str());
        return kExitFailure;
    }
    std::printf("%s: %zu nodes, %lld parameters, %zu labels -> %s (%.1f MB) + model.json\n", card.name.c_str(),
                graph.nodes.size(), static_cast<long long>(ir_count_parameters(graph)), card.labels.size(),
                (dir / "model.onnx").c_str(), onnx.size() / 1e6);
    return kExitOk;
}

}  // namespace gs
