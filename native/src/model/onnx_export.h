// onnx_export.h: writes an ir_graph with its weights as an ONNX model, and reads the weights back from one.
//
// The .onnx file is the single artifact of a trained model: every IR param is an initializer named
// "<node>.<param>", except GRU/LSTM weights, which are stored in ONNX layout as "<node>.onnx_W", "<node>.onnx_R",
// "<node>.onnx_B" (gates reordered) and converted back to PyTorch layout on import. Every node carries all its
// attributes explicitly (ONNX Runtime Web's WebGPU kernels do not all apply the spec's defaults).
// No ONNX header is needed to use this one; the implementation links -lonnx -lonnx_proto -lprotobuf.
#pragma once

#include "model_ir.h"

#include <cstdint>
#include <map>
#include <string>

namespace gs {

struct onnx_export_options {
    int64_t opset = 17;                              // default-domain opset, 14..17 (libonnx 1.12 knows <= 17)
    std::string producer_name = "genrescope";
    std::string producer_version;                    // e.g. the git revision; omitted when empty
    std::string doc_string;                          // the model's doc string; omitted when empty
    std::map<std::string, std::string> metadata_props;  // free key/value pairs (e.g. the model card JSON)
};

// Builds the ONNX ModelProto of `g` with weights `w` and serialises it into `bytes_out` (replaced; owned by
// the caller). Graph input g.input: float [batch, 1, n_bins, n_frames] with the symbolic dim "batch"; one
// output g.output: float [batch, n_classes]. ir_version follows the opset (7 for 14, 8 for 15..17).
// The model is checked with onnx::checker::check_model and strict ONNX shape inference before it is returned.
// Returns "" or an error (bad graph, missing/mis-sized weight, checker message); `bytes_out` is empty on error.
// Throws nothing.
std::string export_onnx(const ir_graph& g, const ir_weights& w, const onnx_export_options& opt,
                        std::string& bytes_out);

// Parses the serialised model `bytes`, checks it (onnx_check), checks that its input and output match `g`
// (names, [*, 1, n_bins, n_frames], [*, n_classes]) and fills `w` (cleared first; owned by the caller) with every
// param of `g` from the initializers: "<node>.<param>" when present, else (GRU/LSTM) converted from
// "<node>.onnx_W/onnx_R/onnx_B". Float initializers in raw_data or float_data form are accepted, and so are int8
// weights behind a DequantizeLinear node (onnx_quant.h: the float tensor it outputs stands for the initializer).
// Returns "" or the first error (missing or mis-shaped initializer, ...). Throws nothing.
std::string import_onnx_weights(const std::string& bytes, const ir_graph& g, ir_weights& w);

// Reads the doc string and metadata_props of the serialised model `bytes` (outputs replaced; no checker run).
// Returns "" or a parse error. Throws nothing.
std::string onnx_read_metadata(const std::string& bytes, std::map<std::string, std::string>& metadata_props,
                               std::string& doc_string);

// Parses `bytes` as a ModelProto and runs onnx::checker::check_model plus strict shape inference (type checks,
// node-level errors are errors, inferred shapes must agree with the declared graph outputs).
// Returns "" or the error message. Throws nothing.
std::string onnx_check(const std::string& bytes);

// `prefix` + an exception's text as one printable line, for errors from the ONNX library: its checker's
// messages span several lines and quote names from the (untrusted) file, so every control or non-ASCII byte
// becomes a space, runs of spaces become one, and the text is cut at 400 characters.
// Also applied to every error of import_onnx_weights and onnx_quantize, whose own messages quote file names.
std::string onnx_error(const std::string& prefix, const char* what);

}  // namespace gs
