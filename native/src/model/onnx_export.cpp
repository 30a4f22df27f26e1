// onnx_export.cpp: ir_graph -> ONNX ModelProto (libonnx 1.12 protobuf classes), weight import, checker.
#include "onnx_export.h"

#include "ir_reference.h"
#include "onnx_quant.h"

#include "onnx_proto.h"
#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>

#include <cstring>
#include <exception>
#include <set>
#include <stdexcept>
#include <unordered_map>

namespace gs {

namespace {

using shape_t = std::vector<int64_t>;

// ref: ONNX docs/Operators.md GRU (W/R/B gate order z, r, h) vs PyTorch nn.GRU (r, z, n):
// onnx_gate[p] is the ONNX position of PyTorch gate p.
const int64_t gru_onnx_gate[3] = {1, 0, 2};
// ref: ONNX LSTM (i, o, f, c) vs PyTorch nn.LSTM (i, f, g, o).
const int64_t lstm_onnx_gate[4] = {0, 2, 3, 1};

int64_t numel(const shape_t& s) {
    int64_t n = 1;
    for (int64_t d : s) n *= d;
    return n;
}

// Adds attributes to a NodeProto.
void attr_int(onnx::NodeProto* n, const char* name, int64_t v) {
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
}
void attr_ints(onnx::NodeProto* n, const char* name, const shape_t& v) {
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
}
void attr_float(onnx::NodeProto* n, const char* name, float v) {
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
}
void attr_string(onnx::NodeProto* n, const char* name, const std::string& v) {
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(v);
}

void set_tensor_type(onnx::ValueInfoProto* v, const std::string& name, const std::vector<int64_t>& dims) {
    v->set_name(name);
    onnx::TypeProto_Tensor* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    onnx::TensorShapeProto* s = t->mutable_shape();
    for (size_t i = 0; i < dims.size(); ++i) {
        if (i == 0) s->add_dim()->set_dim_param("batch");
        else s->add_dim()->set_dim_value(dims[i]);
    }
}

// Builds the GraphProto node by node, tracking every value name so helper tensors never collide.
struct graph_builder {
    onnx::GraphProto* graph;
    std::map<std::string, std::string> alias;  // IR tensor name -> ONNX value name (dropout forwards)
    std::set<std::string> names;
    std::string error;

    void claim(const std::string& name) {
        if (!names.insert(name).second && error.empty()) error = "ONNX name '" + name + "' used twice";
    }
    std::string value(const std::string& ir_name) const {
        auto it = alias.find(ir_name);
        return it == alias.end() ? ir_name : it->second;
    }
    onnx::NodeProto* node(const std::string& op, const std::string& name, const std::vector<std::string>& in,
                          const std::vector<std::string>& out) {
        onnx::NodeProto* n = graph->add_node();
        n->set_op_type(op);
        n->set_name(name);
        for (const std::string& i : in) n->add_input(i);
        for (const std::string& o : out) {
            n->add_output(o);
            if (!o.empty()) claim(o);
        }
        return n;
    }
    void init_float(const std::string& name, const shape_t& dims, const float* data) {
        claim(name);
        onnx::TensorProto* t = graph->add_initializer();
        t->set_name(name);
        t->set_data_type(onnx::TensorProto::FLOAT);
        for (int64_t d : dims) t->add_dims(d);
        // ref: onnx.proto TensorProto.raw_data: fixed-width little-endian values (x86-64 is little-endian).
        t->set_raw_data(std::string(reinterpret_cast<const char*>(data), sizeof(float) * numel(dims)));
    }
    void init_int64(const std::string& name, const shape_t& dims, const shape_t& data) {
        claim(name);
        onnx::TensorProto* t = graph->add_initializer();
        t->set_name(name);
        t->set_data_type(onnx::TensorProto::INT64);
        for (int64_t d : dims) t->add_dims(d);
        for (int64_t v : data) t->add_int64_data(v);
    }
    void init_uint8(const std::string& name, uint8_t value) {  // a scalar
        claim(name);
        onnx::TensorProto* t = graph->add_initializer();
        t->set_name(name);
        t->set_data_type(onnx::TensorProto::UINT8);
        t->set_raw_data(std::string(1, static_cast<char>(value)));
    }
};

// Exports a GRU or LSTM node: reordered W/R/B initializers, the RNN op, Y_h [D,N,H] -> [N,D*H].
void export_recurrent(graph_builder& b, const ir_node& n, const ir_weights& w, const shape_t& xs) {
    const bool is_gru = n.op == ir_op::gru;
    const int64_t G = is_gru ? 3 : 4, H = n.get_int("hidden_size"), I = xs[2];
    const int64_t D = n.get_int("bidirectional", 0) ? 2 : 1;
    const int64_t* gate = is_gru ? gru_onnx_gate : lstm_onnx_gate;
    std::vector<float> W(D * G * H * I), R(D * G * H * H), B(D * 2 * G * H);
    for (int64_t d = 0; d < D; ++d) {
        const std::string sfx = d ? "_reverse" : "";
        const float* w_ih = w.at(n.name + ".weight_ih" + sfx).data();
        const float* w_hh = w.at(n.name + ".weight_hh" + sfx).data();
        const float* b_ih = w.at(n.name + ".bias_ih" + sfx).data();
        const float* b_hh = w.at(n.name + ".bias_hh" + sfx).data();
        for (int64_t p = 0; p < G; ++p)
            for (int64_t k = 0; k < H; ++k) {
                const int64_t src = p * H + k, dst = gate[p] * H + k;  // row in PyTorch / ONNX layout
                std::memcpy(&W[(d * G * H + dst) * I], &w_ih[src * I], sizeof(float) * I);
                std::memcpy(&R[(d * G * H + dst) * H], &w_hh[src * H], sizeof(float) * H);
                // ref: ONNX GRU/LSTM input B: [Wb (G*H), Rb (G*H)] per direction
                B[d * 2 * G * H + dst] = b_ih[src];
                B[d * 2 * G * H + G * H + dst] = b_hh[src];
            }
    }
    b.init_float(n.name + ".onnx_W", {D, G * H, I}, W.data());
    b.init_float(n.name + ".onnx_R", {D, G * H, H}, R.data());
    b.init_float(n.name + ".onnx_B", {D, 2 * G * H}, B.data());
    const std::string y_h = n.name + "/Y_h", y_t = n.name + "/Y_h_batch_first", shape = n.name + ".onnx_shape";
    onnx::NodeProto* r = b.node(is_gru ? "GRU" : "LSTM", n.name,
                                {b.value(n.inputs[0]), n.name + ".onnx_W", n.name + ".onnx_R", n.name + ".onnx_B"},
                                {"", y_h});
    attr_string(r, "direction", D == 2 ? "bidirectional" : "forward");
    attr_int(r, "hidden_size", H);
    if (!is_gru) attr_int(r, "input_forget", 0);
    attr_int(r, "layout", 0);
    // ref: ONNX GRU linear_before_reset=1: ht = g(Xt*Wh + rt (.) (Ht-1*Rh + Rbh) + Wbh), PyTorch's form.
    if (is_gru) attr_int(r, "linear_before_reset", 1);
    attr_ints(b.node("Transpose", n.name + "/transpose", {y_h}, {y_t}), "perm", {1, 0, 2});
    b.init_int64(shape, {2}, {-1, D * H});  // -1: the (dynamic) batch; D*H: both directions, forward first
    attr_int(b.node("Reshape", n.name + "/reshape", {y_t, shape}, {n.output}), "allowzero", 0);
}

// Adds the ONNX nodes of one IR node. `xs` is the shape of its first input.
void export_node(graph_builder& b, const ir_node& n, const ir_weights& w, const shape_t& xs) {
    std::vector<std::string> in;
    for (const std::string& i : n.inputs) in.push_back(b.value(i));
    if (n.op != ir_op::gru && n.op != ir_op::lstm) {
        for (const ir_param& p : n.params) {
            const std::string full = n.name + "." + p.name;
            b.init_float(full, p.shape, w.at(full).data());
        }
    }
    const std::string& y = n.output;
    switch (n.op) {
    case ir_op::conv2d: {
        const int64_t ph = n.get_int("pad_h", 0), pw = n.get_int("pad_w", 0);
        const int64_t phe = n.get_int("pad_h_end", ph), pwe = n.get_int("pad_w_end", pw);
        onnx::NodeProto* c = b.node("Conv", n.name, {in[0], n.name + ".weight", n.name + ".bias"}, {y});
        attr_string(c, "auto_pad", "NOTSET");
        attr_ints(c, "dilations", {1, 1});
        attr_int(c, "group", n.get_int("groups", 1));
        attr_ints(c, "kernel_shape", {n.get_int("kernel_h"), n.get_int("kernel_w")});
        attr_ints(c, "pads", {ph, pw, phe, pwe});  // ref: ONNX Conv pads = [h_begin, w_begin, h_end, w_end]
        attr_ints(c, "strides", {n.get_int("stride_h", 1), n.get_int("stride_w", 1)});
        break;
    }
    case ir_op::batch_norm: {
        onnx::NodeProto* c = b.node("BatchNormalization", n.name,
                                    {in[0], n.name + ".weight", n.name + ".bias", n.name + ".running_mean",
                                     n.name + ".running_var"},
                                    {y});
        attr_float(c, "epsilon", static_cast<float>(n.get_float("eps", 1e-5)));
        // ref: ONNX BatchNormalization: running = running * momentum + batch * (1 - momentum);
        // PyTorch's momentum 0.1 weighs the batch, so ONNX's is 0.9.
        attr_float(c, "momentum", 0.9f);
        attr_int(c, "training_mode", 0);
        break;
    }
    case ir_op::relu: b.node("Relu", n.name, {in[0]}, {y}); break;
    case ir_op::relu6: {
        // ref: ONNX Clip (opset >= 11): bounds as inputs
        const std::string lo = n.name + "/min", hi = n.name + "/max";
        const float zero = 0.0f, six = 6.0f;
        b.init_float(lo, {}, &zero);
        b.init_float(hi, {}, &six);
        b.node("Clip", n.name, {in[0], lo, hi}, {y});
        break;
    }
    case ir_op::quantize: {
        // ref: ONNX QuantizeLinear / DequantizeLinear (opset 13): a uint8 zero point makes the stored type uint8
        const std::string s = n.name + "/scale", zp = n.name + "/zero_point", q = n.name + "/q";
        const float scale = static_cast<float>(n.get_float("scale", 1.0));
        b.init_float(s, {}, &scale);
        b.init_uint8(zp, static_cast<uint8_t>(n.get_int("zero_point", 0)));
        b.node("QuantizeLinear", n.name + "/quantize", {in[0], s, zp}, {q});
        b.node("DequantizeLinear", n.name, {q, s, zp}, {y});
        break;
    }
    case ir_op::elu: attr_float(b.node("Elu", n.name, {in[0]}, {y}), "alpha", static_cast<float>(n.get_float("alpha", 1.0))); break;
    case ir_op::sigmoid: b.node("Sigmoid", n.name, {in[0]}, {y}); break;
    case ir_op::max_pool2d:
    case ir_op::avg_pool2d: {
        const bool is_max = n.op == ir_op::max_pool2d;
        const int64_t kh = n.get_int("kernel_h"), kw = n.get_int("kernel_w");
        onnx::NodeProto* c = b.node(is_max ? "MaxPool" : "AveragePool", n.name, {in[0]}, {y});
        attr_string(c, "auto_pad", "NOTSET");
        attr_int(c, "ceil_mode", 0);
        if (is_max) attr_ints(c, "dilations", {1, 1});
        else attr_int(c, "count_include_pad", 0);
        attr_ints(c, "kernel_shape", {kh, kw});
        attr_ints(c, "pads", {0, 0, 0, 0});
        if (is_max) attr_int(c, "storage_order", 0);
        attr_ints(c, "strides", {n.get_int("stride_h", kh), n.get_int("stride_w", kw)});
        break;
    }
    case ir_op::global_avg_pool:
    case ir_op::global_max_pool: {
        const std::string pooled = n.name + "/pooled";
        b.node(n.op == ir_op::global_avg_pool ? "GlobalAveragePool" : "GlobalMaxPool", n.name, {in[0]}, {pooled});
        attr_int(b.node("Flatten", n.name + "/flatten", {pooled}, {y}), "axis", 1);
        break;
    }
    case ir_op::reduce_mean:
    case ir_op::reduce_max: {
        // Opset <= 17: axes is an attribute of ReduceMean/ReduceMax (an input from opset 18).
        onnx::NodeProto* c = b.node(n.op == ir_op::reduce_mean ? "ReduceMean" : "ReduceMax", n.name, {in[0]}, {y});
        attr_ints(c, "axes", {n.get_int("axis")});
        attr_int(c, "keepdims", 0);
        break;
    }
    case ir_op::flatten: attr_int(b.node("Flatten", n.name, {in[0]}, {y}), "axis", 1); break;
    case ir_op::linear: {
        // ref: ONNX Gemm: Y = alpha * A * B^T + beta * C with transB = 1 (PyTorch's weight is [out, in]).
        onnx::NodeProto* c = b.node("Gemm", n.name, {in[0], n.name + ".weight", n.name + ".bias"}, {y});
        attr_float(c, "alpha", 1.0f);
        attr_float(c, "beta", 1.0f);
        attr_int(c, "transA", 0);
        attr_int(c, "transB", 1);
        break;
    }
    case ir_op::dropout: b.alias[y] = in[0]; break;  // identity at inference: not exported
    case ir_op::add: b.node("Add", n.name, in, {y}); break;
    case ir_op::concat: attr_int(b.node("Concat", n.name, in, {y}), "axis", n.get_int("axis", 1)); break;
    case ir_op::to_sequence: {
        // [N,1,F,T] -Squeeze(axes=[1])-> [N,F,T] -Transpose(perm=[2,0,1])-> [T,N,F]
        const std::string axes = n.name + ".onnx_axes", squeezed = n.name + "/squeezed";
        b.init_int64(axes, {1}, {1});
        b.node("Squeeze", n.name, {in[0], axes}, {squeezed});
        attr_ints(b.node("Transpose", n.name + "/transpose", {squeezed}, {y}), "perm", {2, 0, 1});
        break;
    }
    case ir_op::gru:
    case ir_op::lstm: export_recurrent(b, n, w, xs); break;
    case ir_op::scale: {
        const std::string factor = n.name + ".onnx_factor";
        const float f = static_cast<float>(n.get_float("factor", 1.0));
        b.init_float(factor, {}, &f);
        b.node("Mul", n.name, {in[0], factor}, {y});
        break;
    }
    case ir_op::level_align: {
        // y = x - ReduceMean(x * s, axes [1,2,3]) / s, s = db_per_unit [1,1,F,1] (broadcast over N and T).
        const std::string s = n.name + ".db_per_unit", xs_db = n.name + "/x_db", level = n.name + "/level",
                          shift = n.name + "/shift";
        b.node("Mul", n.name + "/to_db", {in[0], s}, {xs_db});
        onnx::NodeProto* r = b.node("ReduceMean", n.name + "/mean", {xs_db}, {level});
        attr_ints(r, "axes", {1, 2, 3});
        attr_int(r, "keepdims", 1);
        b.node("Div", n.name + "/per_bin", {level, s}, {shift});
        b.node("Sub", n.name, {in[0], shift}, {y});
        break;
    }
    case ir_op::softmax: attr_int(b.node("Softmax", n.name, {in[0]}, {y}), "axis", 1); break;
    }
}

// Runs the checker and strict shape inference on `m`; throws on failure.
// Throws when a node (of the graph or of a subgraph) has a size attribute that ONNX's shape inference divides by
// and that is not positive: libonnx 1.13's convPoolShapeInference divides by strides and dilations unchecked,
// and an edited file with a zero stride crashed the process with SIGFPE (found by fuzz_onnx_weights).
void check_divisors(const onnx::GraphProto& g) {
    for (const onnx::NodeProto& n : g.node()) {
        for (const onnx::AttributeProto& a : n.attribute()) {
            const std::string& name = a.name();
            if (name == "strides" || name == "dilations" || name == "kernel_shape" || name == "group" ||
                name == "blocksize") {
                bool ok = a.ints_size() > 0 || a.has_i();
                for (int64_t v : a.ints()) ok = ok && v >= 1;
                if (a.has_i()) ok = ok && a.i() >= 1;
                if (!ok) throw std::runtime_error("node '" + n.name() + "' (" + n.op_type() + "): " + name + " must be >= 1");
            }
            if (a.has_g()) check_divisors(a.g());
            for (const onnx::GraphProto& sub : a.graphs()) check_divisors(sub);
        }
    }
}

void check_model_strict(const onnx::ModelProto& m) {
    onnx::checker::check_model(m);
    check_divisors(m.graph());
    onnx::ModelProto copy = m;
    onnx::ShapeInferenceOptions options(/*check_type=*/true, /*error_mode=*/1, /*data_propagation=*/true);
    onnx::shape_inference::InferShapes(copy, onnx::OpSchemaRegistry::Instance(), options);
}

// Reads a float initializer's values (raw_data or float_data); returns "" or an error.
std::string initializer_values(const onnx::TensorProto& t, std::vector<float>& out) {
    if (t.data_type() != onnx::TensorProto::FLOAT) return "initializer '" + t.name() + "' is not float";
    if (t.data_location() == onnx::TensorProto::EXTERNAL) return "initializer '" + t.name() + "' is external";
    shape_t dims(t.dims().begin(), t.dims().end());
    const int64_t count = numel(dims);
    if (t.has_raw_data()) {
        if (t.raw_data().size() != sizeof(float) * static_cast<size_t>(count)) {
            return "initializer '" + t.name() + "' has " + std::to_string(t.raw_data().size()) + " raw bytes";
        }
        out.resize(count);
        if (count) std::memcpy(out.data(), t.raw_data().data(), t.raw_data().size());
    } else {
        if (t.float_data_size() != count) return "initializer '" + t.name() + "' has the wrong number of values";
        out.assign(t.float_data().begin(), t.float_data().end());
    }
    return "";
}

std::string shape_str(const shape_t& s) {
    std::string r = "[";
    for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
    return r + "]";
}

// Checks a graph input/output's name and its dims after the batch one.
std::string check_io(const onnx::ValueInfoProto& v, const std::string& name, const shape_t& tail) {
    if (v.name() != name) return "model tensor '" + v.name() + "' where '" + name + "' was expected";
    const onnx::TensorShapeProto& s = v.type().tensor_type().shape();
    bool ok = s.dim_size() == static_cast<int>(tail.size()) + 1;
    for (size_t i = 0; ok && i < tail.size(); ++i) ok = s.dim(static_cast<int>(i + 1)).dim_value() == tail[i];
    return ok ? "" : "model tensor '" + name + "' does not have shape [batch, " + shape_str(tail).substr(1);
}

}  // namespace

std::string export_onnx(const ir_graph& g, const ir_weights& w, const onnx_export_options& opt,
                        std::string& bytes_out) {
    bytes_out.clear();
    try {
        if (opt.opset < 14 || opt.opset > 17) return "opset must be in [14, 17], got " + std::to_string(opt.opset);
        std::map<std::string, shape_t> shapes;
        std::string e = ir_infer_shapes(g, 1, shapes);
        if (e.empty()) e = ir_check_weights(g, w);
        if (!e.empty()) return e;

        onnx::ModelProto m;
        // ref: ONNX docs/Versioning.md: opset 14 ships with IR version 7, opsets 15-17 with IR version 8.
        m.set_ir_version(opt.opset >= 15 ? 8 : 7);
        onnx::OperatorSetIdProto* os = m.add_opset_import();
        os->set_domain("");
        os->set_version(opt.opset);
        m.set_producer_name(opt.producer_name);
        if (!opt.producer_version.empty()) m.set_producer_version(opt.producer_version);
        if (!opt.doc_string.empty()) m.set_doc_string(opt.doc_string);
        for (const auto& kv : opt.metadata_props) {
            onnx::StringStringEntryProto* p = m.add_metadata_props();
            p->set_key(kv.first);
            p->set_value(kv.second);
        }
        onnx::GraphProto* graph = m.mutable_graph();
        graph->set_name(g.arch.empty() ? "genrescope" : g.arch);
        graph_builder b{graph, {}, {}, ""};
        b.claim(g.input);
        set_tensor_type(graph->add_input(), g.input, shapes.at(g.input));
        for (const ir_node& n : g.nodes) export_node(b, n, w, shapes.at(n.inputs.at(0)));
        if (!b.error.empty()) return b.error;
        set_tensor_type(graph->add_output(), g.output, shapes.at(g.output));
        for (const std::string& x : g.extra_outputs) {
            // A dropout's output is not a value of the exported graph (dropout is the identity at inference):
            // name it with an Identity node.
            if (b.alias.count(x)) b.node("Identity", x + "/output", {b.alias.at(x)}, {x});
            set_tensor_type(graph->add_output(), x, shapes.at(x));
        }

        check_model_strict(m);
        if (!m.SerializeToString(&bytes_out)) {
            bytes_out.clear();
            return "ModelProto serialisation failed";
        }
        return "";
    } catch (const std::exception& ex) {
        bytes_out.clear();
        return onnx_error("ONNX export: ", ex.what());
    } catch (...) {
        bytes_out.clear();
        return "ONNX export: unknown exception";
    }
}

std::string onnx_error(const std::string& prefix, const char* what) {
    constexpr size_t kMaxChars = 400;
    std::string out = prefix;
    for (const char* c = what ? what : ""; *c && out.size() < prefix.size() + kMaxChars; ++c) {
        const unsigned char u = static_cast<unsigned char>(*c);
        const char ch = (u >= 0x20 && u < 0x7f) ? *c : ' ';
        if (ch == ' ' && (out.empty() || out.back() == ' ')) continue;
        out.push_back(ch);
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

std::string onnx_check(const std::string& bytes) {
    try {
        onnx::ModelProto m;
        if (!m.ParseFromString(bytes)) return "not a valid ONNX ModelProto";
        check_model_strict(m);
        return "";
    } catch (const std::exception& ex) {
        return onnx_error("ONNX check: ", ex.what());
    } catch (...) {
        return "ONNX check: unknown exception";
    }
}

std::string onnx_read_metadata(const std::string& bytes, std::map<std::string, std::string>& metadata_props,
                               std::string& doc_string) {
    metadata_props.clear();
    doc_string.clear();
    try {
        onnx::ModelProto m;
        if (!m.ParseFromString(bytes)) return "not a valid ONNX ModelProto";
        for (const onnx::StringStringEntryProto& p : m.metadata_props()) metadata_props[p.key()] = p.value();
        doc_string = m.doc_string();
        return "";
    } catch (const std::exception& ex) {
        return onnx_error("ONNX metadata: ", ex.what());
    } catch (...) {
        return "ONNX metadata: unknown exception";
    }
}

namespace {

// import_onnx_weights without the exception guard; may leave `w` partly filled on error.
std::string import_weights(const std::string& bytes, const ir_graph& g, ir_weights& w) {
    std::map<std::string, shape_t> shapes;
    std::string e = ir_infer_shapes(g, 1, shapes);
    if (!e.empty()) return e;
    onnx::ModelProto m;
    if (!m.ParseFromString(bytes)) return "not a valid ONNX ModelProto";
    // The checker (structure, schemas) but not ONNX's shape inference: the weights go into the card's graph,
    // whose shapes are checked below and by ir_infer_shapes, and libonnx's inference is not safe on hostile
    // files (see check_divisors).
    onnx::checker::check_model(m);
    check_divisors(m.graph());
    const onnx::GraphProto& graph = m.graph();
    if (graph.input_size() < 1 || graph.output_size() != 1 + static_cast<int>(g.extra_outputs.size())) {
        return "model needs 1 input and " + std::to_string(1 + g.extra_outputs.size()) + " output(s)";
    }
    e = check_io(graph.input(0), g.input, {1, g.n_bins, g.n_frames});
    if (e.empty()) e = check_io(graph.output(0), g.output, {g.n_classes});
    for (size_t i = 0; e.empty() && i < g.extra_outputs.size(); ++i) {
        e = check_io(graph.output(static_cast<int>(i + 1)), g.extra_outputs[i], {shapes.at(g.extra_outputs[i])[1]});
    }
    if (!e.empty()) return e;
    std::unordered_map<std::string, const onnx::TensorProto*> inits;
    for (const onnx::TensorProto& t : graph.initializer()) inits[t.name()] = &t;
    std::map<std::string, onnx::TensorProto> dequantized;  // int8 weights behind DequantizeLinear (onnx_quant.h)
    if (!(e = onnx_dequantize_initializers(graph, dequantized)).empty()) return e;
    for (const auto& [name, t] : dequantized) inits[name] = &t;

    // Copies initializer `name` into w[name] after checking its dims against `dims`.
    auto take = [&](const std::string& name, const shape_t& dims, std::vector<float>& out) -> std::string {
        auto it = inits.find(name);
        if (it == inits.end()) return "missing initializer '" + name + "'";
        const shape_t have(it->second->dims().begin(), it->second->dims().end());
        if (have != dims) {
            return "initializer '" + name + "' has shape " + shape_str(have) + ", expected " + shape_str(dims);
        }
        return initializer_values(*it->second, out);
    };
    for (const ir_node& n : g.nodes) {
        const bool rnn = n.op == ir_op::gru || n.op == ir_op::lstm;
        bool all_present = true;
        for (const ir_param& p : n.params) all_present = all_present && inits.count(n.name + "." + p.name);
        if (!rnn || all_present) {
            for (const ir_param& p : n.params) {
                if (!(e = take(n.name + "." + p.name, p.shape, w[n.name + "." + p.name])).empty()) return e;
            }
            continue;
        }
        // GRU/LSTM in ONNX layout: undo the gate reordering of export_recurrent.
        const shape_t& xs = shapes.at(n.inputs.at(0));
        const bool is_gru = n.op == ir_op::gru;
        const int64_t G = is_gru ? 3 : 4, H = n.get_int("hidden_size"), I = xs[2];
        const int64_t D = n.get_int("bidirectional", 0) ? 2 : 1;
        const int64_t* gate = is_gru ? gru_onnx_gate : lstm_onnx_gate;
        std::vector<float> W, R, B;
        if (!(e = take(n.name + ".onnx_W", {D, G * H, I}, W)).empty()) return e;
        if (!(e = take(n.name + ".onnx_R", {D, G * H, H}, R)).empty()) return e;
        if (!(e = take(n.name + ".onnx_B", {D, 2 * G * H}, B)).empty()) return e;
        for (int64_t d = 0; d < D; ++d) {
            const std::string pre = n.name + ".", sfx = d ? "_reverse" : "";
            std::vector<float>& w_ih = w[pre + "weight_ih" + sfx];
            std::vector<float>& w_hh = w[pre + "weight_hh" + sfx];
            std::vector<float>& b_ih = w[pre + "bias_ih" + sfx];
            std::vector<float>& b_hh = w[pre + "bias_hh" + sfx];
            w_ih.resize(G * H * I);
            w_hh.resize(G * H * H);
            b_ih.resize(G * H);
            b_hh.resize(G * H);
            for (int64_t p = 0; p < G; ++p)
                for (int64_t k = 0; k < H; ++k) {
                    const int64_t dst = p * H + k, src = gate[p] * H + k;
                    std::memcpy(&w_ih[dst * I], &W[(d * G * H + src) * I], sizeof(float) * I);
                    std::memcpy(&w_hh[dst * H], &R[(d * G * H + src) * H], sizeof(float) * H);
                    b_ih[dst] = B[d * 2 * G * H + src];
                    b_hh[dst] = B[d * 2 * G * H + G * H + src];
                }
        }
    }
    return "";
}

}  // namespace

std::string import_onnx_weights(const std::string& bytes, const ir_graph& g, ir_weights& w) {
    w.clear();
    std::string e;
    try {
        e = import_weights(bytes, g, w);
    } catch (const std::exception& ex) {
        e = onnx_error("ONNX import: ", ex.what());
    } catch (...) {
        e = "ONNX import: unknown exception";
    }
    if (!e.empty()) w.clear();
    // Our own messages quote names from the file too ("model tensor 'proba\nilities' where ..."; found by
    // fuzz_onnx_weights): every error leaves here as one printable line.
    return onnx_error("", e.c_str());
}

}  // namespace gs
