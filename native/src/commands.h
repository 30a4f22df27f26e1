// commands.h: the genrescope sub-commands; each takes argv after the command name and returns an exit code.
#pragma once

namespace gs {

// Exit codes: 0 success, 1 bad input or runtime failure, 2 usage error.
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

int cmd_features(int argc, char** argv);  // genrescope features IN OUT.npy --kind ...
int cmd_filters(int argc, char** argv);   // genrescope filters {mel|chroma} OUT.npy ...
int cmd_bench(int argc, char** argv);     // genrescope bench features [--seconds S] [--repeat N] [--json]
int cmd_train(int argc, char** argv);     // genrescope train --data DIR ... (builds with the trainer only)
int cmd_archs(int argc, char** argv);     // genrescope archs
int cmd_eval(int argc, char** argv);      // genrescope eval --model M.onnx --data DIR [--split ...] [--json]
int cmd_classify(int argc, char** argv);  // genrescope classify [--model M.onnx] [--json|--csv] FILES...
int cmd_calibrate(int argc, char** argv); // genrescope calibrate --model M.onnx RUN_DIR... (pooled validation temperature)
int cmd_import(int argc, char** argv);    // genrescope import yamnet|compact_cnn FILE --out DIR
int cmd_quantize(int argc, char** argv);  // genrescope quantize IN.onnx --out OUT.onnx (int8 weights)
int cmd_library(int argc, char** argv);   // genrescope library DIR... [--out DIR] [--shard I/N] | --merge PART_DIR... --out DIR

}  // namespace gs
