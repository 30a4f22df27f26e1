// arch_parity.cpp: for every architecture, libtorch's forward pass vs ONNX Runtime Web (WASM, under Node) on the
// exported model: max |difference| of the output probabilities must be <= 1e-4.
// usage: arch_parity REPO_DIR WORK_DIR
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "genrescope/npy.h"
#include "model/archs.h"
#include "model/ir_torch.h"
#include "model/onnx_export.h"

namespace {

bool write_file(const std::string& path, const void* data, size_t n) {
    std::ofstream f(path, std::ios::binary);
    f.write(static_cast<const char*>(data), static_cast<std::streamsize>(n));
    return static_cast<bool>(f);
}

std::vector<uint8_t> read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: arch_parity REPO_DIR WORK_DIR\n");
        return 2;
    }
    const std::string repo = argv[1], work = argv[2];
    std::system(("mkdir -p '" + work + "'").c_str());
    torch::set_num_threads(1);
    int passed = 0, failed = 0;
    std::vector<std::string> names;
    for (const gs::arch_info& a : gs::arch_list()) names.push_back(a.name);
    names.push_back("vgg_small:mfcc");
    names.push_back("vgg_small:chroma");
    names.push_back("genrescope_cnn+level_align");
    for (const std::string& full : names) {
        const size_t plus = full.find('+');
        const bool level_align = plus != std::string::npos;
        const size_t colon = full.find(':');
        const std::string name = full.substr(0, std::min(colon, plus));
        gs::arch_info info;
        std::string err = gs::find_arch(name, colon == std::string::npos ? "" : full.substr(colon + 1), info);
        const int64_t n_bins = info.features.n_bins();
        const int64_t n_frames = 129;
        const int64_t n_classes = 10;
        const int64_t batch = 3;
        gs::ir_graph g;
        if (err.empty()) err = gs::build_arch(name, n_bins, n_frames, n_classes, g, level_align);
        if (!err.empty()) {
            std::printf("FAIL %s: %s\n", full.c_str(), err.c_str());
            ++failed;
            continue;
        }
        for (gs::ir_node& n : g.nodes) {
            if (n.op == gs::ir_op::scale) n.floats["factor"] = 1.0 / 1.7;  // a non-trivial temperature
        }
        torch::manual_seed(11);
        gs::ir_module m(g);
        // A few training-mode passes give the batch norms non-trivial running statistics.
        m->train();
        {
            torch::NoGradGuard no_grad;
            for (int i = 0; i < 3; ++i) m->forward(torch::randn({8, 1, n_bins, n_frames}) * 2 + 0.5);
        }
        m->eval();
        torch::Tensor db_per_unit;  // level_align: a feature std of 5-20 dB per bin
        if (level_align) {
            gs::feature_config c = info.features;
            c.norm_std.clear();
            for (int64_t b = 0; b < n_bins; ++b) c.norm_std.push_back(5.0f + 15.0f * static_cast<float>(b) / n_bins);
            gs::ir_weights w = m->weights();
            err = gs::set_level_align(g, c, w);
            if (err.empty()) err = m->set_weights(w);
            db_per_unit = torch::from_blob(c.norm_std.data(), {1, 1, n_bins, 1}).clone();
        }
        const torch::Tensor x = torch::randn({batch, 1, n_bins, n_frames});
        torch::Tensor want;
        {
            torch::NoGradGuard no_grad;
            want = m->forward_all(x).at(g.output).contiguous();
            if (level_align && err.empty()) {
                // The point of the node: -12 dB on the audio (x - 12 / s per bin) leaves the output where it was.
                const torch::Tensor quieter = m->forward_all(x - 12.0f / db_per_unit).at(g.output);
                const double d = (quieter - want).abs().max().item<double>();
                if (!(d <= 1e-5)) err = "a -12 dB input changes the output by " + std::to_string(d);
                else std::printf("     %s: -12 dB input changes the output by %.2e\n", full.c_str(), d);
            }
        }
        std::string bytes;
        err = gs::export_onnx(g, m->weights(), gs::onnx_export_options{}, bytes);
        std::string file = full;  // e.g. vgg_small_mfcc, genrescope_cnn_level_align
        std::replace(file.begin(), file.end(), ':', '_');
        std::replace(file.begin(), file.end(), '+', '_');
        const std::string model_path = work + "/" + file + ".onnx", in_path = work + "/" + file + "_in.npy",
                          out_path = work + "/" + file + "_out.npy";
        const std::vector<uint8_t> in_npy =
            gs::npy_encode(x.data_ptr<float>(), {static_cast<size_t>(batch), 1, static_cast<size_t>(n_bins), static_cast<size_t>(n_frames)});
        if (err.empty() && !(write_file(model_path, bytes.data(), bytes.size()) && write_file(in_path, in_npy.data(), in_npy.size()))) {
            err = "cannot write to " + work;
        }
        if (err.empty()) {
            std::remove(out_path.c_str());
            const std::string cmd = "'" + repo + "/tools/node' '" + repo + "/tests/parity/ort_run.mjs' '" + model_path + "' '" + in_path + "' '" + out_path + "'";
            if (std::system(cmd.c_str()) != 0) err = "ort_run failed";
        }
        gs::npy_array got;
        if (err.empty()) {
            const std::vector<uint8_t> out_bytes = read_file(out_path);
            err = gs::npy_decode(out_bytes.data(), out_bytes.size(), got);
        }
        if (err.empty() && got.data.size() != static_cast<size_t>(want.numel())) err = "output size differs";
        double max_diff = 0;
        if (err.empty()) {
            for (size_t i = 0; i < got.data.size(); ++i) max_diff = std::max(max_diff, std::fabs(static_cast<double>(got.data[i]) - want.data_ptr<float>()[i]));
            if (!(max_diff <= 1e-4)) err = "max |dp| " + std::to_string(max_diff) + " > 1e-4";
        }
        if (err.empty()) {
            std::printf("PASS %-18s max |dp| %.2e  (%lld params, %zu bytes ONNX)\n", full.c_str(), max_diff,
                        static_cast<long long>(gs::ir_count_parameters(g)), bytes.size());
            ++passed;
        } else {
            std::printf("FAIL %s: %s\n", full.c_str(), err.c_str());
            ++failed;
        }
    }
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
