// armnn_oracle.cpp: runs a TFLite file with Arm NN (Debian's TFLite runtime, an implementation independent of ours).
//
// usage: armnn_oracle run MODEL.tflite PATCH.bin SCORES.npy INPUT_NCHW.npy
//          PATCH.bin: a [96 x 64] frame-major float32 log-mel patch (YAMNet's test vector layout). Writes Arm NN's
//          scores for it and the same patch as our models take it, [1, 1, 64, 96] (bins x frames).
//        armnn_oracle compare A.npy B.npy TOLERANCE
//          exit 0 when both have the same size, the same argmax and max |a - b| <= TOLERANCE.
#include <armnn/ArmNN.hpp>
#include <armnnTfLiteParser/ITfLiteParser.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "genrescope/npy.h"

namespace {

std::vector<uint8_t> read_bytes(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

bool write_npy(const std::string& path, const std::vector<float>& v, const std::vector<size_t>& shape) {
    const std::vector<uint8_t> b = gs::npy_encode(v.data(), shape);
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    return static_cast<bool>(f);
}

int run(const std::string& model, const std::string& patch_path, const std::string& scores_out,
        const std::string& input_out) {
    const std::vector<uint8_t> raw = read_bytes(patch_path);
    constexpr size_t kFrames = 96, kBands = 64;
    if (raw.size() != kFrames * kBands * sizeof(float)) {
        std::fprintf(stderr, "armnn_oracle: %s is not a 96 x 64 float32 patch\n", patch_path.c_str());
        return 1;
    }
    std::vector<float> patch(kFrames * kBands);
    std::memcpy(patch.data(), raw.data(), raw.size());
    try {
        armnnTfLiteParser::ITfLiteParserPtr parser = armnnTfLiteParser::ITfLiteParser::Create();
        armnn::INetworkPtr net = parser->CreateNetworkFromBinaryFile(model.c_str());
        const auto inputs = parser->GetSubgraphInputTensorNames(0);
        const auto outputs = parser->GetSubgraphOutputTensorNames(0);
        if (inputs.size() != 1 || outputs.size() != 1) {
            std::fprintf(stderr, "armnn_oracle: expected one input and one output\n");
            return 1;
        }
        const armnnTfLiteParser::BindingPointInfo in = parser->GetNetworkInputBindingInfo(0, inputs[0]);
        const armnnTfLiteParser::BindingPointInfo out = parser->GetNetworkOutputBindingInfo(0, outputs[0]);
        if (in.second.GetNumElements() != patch.size() || in.second.GetDataType() != armnn::DataType::Float32 ||
            out.second.GetDataType() != armnn::DataType::Float32) {
            std::fprintf(stderr, "armnn_oracle: the model does not take a float [96, 64] patch to float scores\n");
            return 1;
        }
        armnn::IRuntime::CreationOptions options;
        armnn::IRuntimePtr runtime = armnn::IRuntime::Create(options);
        armnn::IOptimizedNetworkPtr opt =
            armnn::Optimize(*net, {armnn::Compute::CpuRef}, runtime->GetDeviceSpec(), armnn::OptimizerOptions());
        armnn::NetworkId id = 0;
        if (runtime->LoadNetwork(id, std::move(opt)) != armnn::Status::Success) {
            std::fprintf(stderr, "armnn_oracle: Arm NN could not load the network\n");
            return 1;
        }
        std::vector<float> scores(out.second.GetNumElements());
        const armnn::InputTensors in_t = {{in.first, armnn::ConstTensor(in.second, patch.data())}};
        const armnn::OutputTensors out_t = {{out.first, armnn::Tensor(out.second, scores.data())}};
        if (runtime->EnqueueWorkload(id, in_t, out_t) != armnn::Status::Success) {
            std::fprintf(stderr, "armnn_oracle: the run failed\n");
            return 1;
        }
        std::vector<float> nchw(kFrames * kBands);
        for (size_t t = 0; t < kFrames; ++t)
            for (size_t b = 0; b < kBands; ++b) nchw[b * kFrames + t] = patch[t * kBands + b];
        if (!write_npy(scores_out, scores, {1, scores.size()}) || !write_npy(input_out, nchw, {1, 1, kBands, kFrames})) {
            std::fprintf(stderr, "armnn_oracle: cannot write the outputs\n");
            return 1;
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "armnn_oracle: %s\n", e.what());
        return 1;
    }
    return 0;
}

int compare(const std::string& a_path, const std::string& b_path, double tolerance) {
    gs::npy_array a, b;
    const std::vector<uint8_t> ab = read_bytes(a_path), bb = read_bytes(b_path);
    std::string e = gs::npy_decode(ab.data(), ab.size(), a);
    if (e.empty()) e = gs::npy_decode(bb.data(), bb.size(), b);
    if (!e.empty() || a.data.size() != b.data.size() || a.data.empty()) {
        std::fprintf(stderr, "armnn_oracle: cannot compare (%s)\n", e.empty() ? "sizes differ" : e.c_str());
        return 1;
    }
    double d = 0.0;
    size_t arg_a = 0, arg_b = 0;
    for (size_t i = 0; i < a.data.size(); ++i) {
        d = std::fmax(d, std::fabs(double(a.data[i]) - b.data[i]));
        if (a.data[i] > a.data[arg_a]) arg_a = i;
        if (b.data[i] > b.data[arg_b]) arg_b = i;
    }
    std::printf("max |d| %.6f (tolerance %.6f), argmax %zu / %zu, top score %.4f / %.4f\n", d, tolerance, arg_a, arg_b,
                a.data[arg_a], b.data[arg_b]);
    return d <= tolerance && arg_a == arg_b ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "run" && argc == 6) return run(argv[2], argv[3], argv[4], argv[5]);
    if (mode == "compare" && argc == 5) return compare(argv[2], argv[3], std::atof(argv[4]));
    std::fprintf(stderr, "usage: armnn_oracle run MODEL.tflite PATCH.bin SCORES.npy INPUT_NCHW.npy\n"
                         "       armnn_oracle compare A.npy B.npy TOLERANCE\n");
    return 2;
}
