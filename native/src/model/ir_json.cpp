// ir_json.cpp: ir_graph <-> JSON with limits and validation (untrusted input: a user's model card).
#include "model/ir_json.h"

#include <cmath>

namespace gs {

bool parse_ir_op(const std::string& name, ir_op& out) {
    for (int op = 0; op <= static_cast<int>(ir_op::softmax); ++op) {
        if (name == to_string(static_cast<ir_op>(op))) {
            out = static_cast<ir_op>(op);
            return true;
        }
    }
    return false;
}

json_value ir_graph_to_json(const ir_graph& g) {
    json_value j = json_value::object();
    j.set("arch", g.arch);
    j.set("input", g.input);
    j.set("n_bins", static_cast<long long>(g.n_bins));
    j.set("n_frames", static_cast<long long>(g.n_frames));
    j.set("logits", g.logits);
    j.set("output", g.output);
    j.set("n_classes", static_cast<long long>(g.n_classes));
    if (!g.extra_outputs.empty()) {
        json_value extra = json_value::array();
        for (const std::string& x : g.extra_outputs) extra.push_back(x);
        j.set("extra_outputs", extra);
    }
    json_value nodes = json_value::array();
    for (const ir_node& n : g.nodes) {
        json_value jn = json_value::object();
        jn.set("name", n.name);
        jn.set("op", to_string(n.op));
        json_value inputs = json_value::array();
        for (const std::string& i : n.inputs) inputs.push_back(i);
        jn.set("inputs", inputs);
        jn.set("output", n.output);
        json_value ints = json_value::object(), floats = json_value::object(), params = json_value::array();
        for (const auto& [k, v] : n.ints) ints.set(k, static_cast<long long>(v));
        for (const auto& [k, v] : n.floats) floats.set(k, v);
        for (const ir_param& p : n.params) {
            json_value shape = json_value::array();
            for (int64_t d : p.shape) shape.push_back(static_cast<long long>(d));
            params.push_back(json_value::object({{"name", p.name}, {"shape", shape}}));
        }
        if (ints.size()) jn.set("ints", ints);
        if (floats.size()) jn.set("floats", floats);
        if (params.size()) jn.set("params", params);
        nodes.push_back(jn);
    }
    j.set("nodes", nodes);
    return j;
}

namespace {

std::string get_name(const json_value& v, const std::string& what, std::string& out) {
    if (!v.is_string() || v.as_string().empty()) return what + " must be a non-empty string";
    if (v.as_string().size() > kIrJsonMaxName) return what + " is longer than " + std::to_string(kIrJsonMaxName);
    out = v.as_string();
    return "";
}

std::string get_int(const json_value& v, const std::string& what, int64_t lo, int64_t hi, int64_t& out) {
    const long long x = v.as_int(INT64_MIN);
    if (!v.is_number() || x == INT64_MIN || x < lo || x > hi) {
        return what + " must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
    }
    out = x;
    return "";
}

std::string read_node(const json_value& jn, size_t index, ir_node& n) {
    const std::string where = "graph node " + std::to_string(index);
    if (!jn.is_object()) return where + " is not an object";
    std::string e;
    if (!(e = get_name(jn["name"], where + " name", n.name)).empty()) return e;
    std::string op;
    if (!(e = get_name(jn["op"], where + " op", op)).empty()) return e;
    if (!parse_ir_op(op, n.op)) return where + " ('" + n.name + "'): unknown op '" + op + "'";
    const json_value& inputs = jn["inputs"];
    if (!inputs.is_array() || inputs.size() > kIrJsonMaxInputs) {
        return where + " inputs must be an array of at most " + std::to_string(kIrJsonMaxInputs);
    }
    for (const json_value& i : inputs.as_array()) {
        std::string s;
        if (!(e = get_name(i, where + " input", s)).empty()) return e;
        n.inputs.push_back(s);
    }
    if (!(e = get_name(jn["output"], where + " output", n.output)).empty()) return e;
    if (jn.find("ints") && !jn["ints"].is_object()) return where + " ints must be an object";
    for (const auto& [k, v] : jn["ints"].items()) {
        int64_t x = 0;
        if (k.size() > kIrJsonMaxName) return where + " has an over-long attribute name";
        if (!(e = get_int(v, where + " ints." + k, -kIrJsonMaxDim, kIrJsonMaxDim, x)).empty()) return e;
        n.ints[k] = x;
    }
    if (jn.find("floats") && !jn["floats"].is_object()) return where + " floats must be an object";
    for (const auto& [k, v] : jn["floats"].items()) {
        if (k.size() > kIrJsonMaxName) return where + " has an over-long attribute name";
        if (!v.is_number() || !std::isfinite(v.as_number())) return where + " floats." + k + " must be a finite number";
        n.floats[k] = v.as_number();
    }
    if (jn.find("params") && !jn["params"].is_array()) return where + " params must be an array";
    for (const json_value& jp : jn["params"].as_array()) {
        ir_param p;
        if (!(e = get_name(jp["name"], where + " param name", p.name)).empty()) return e;
        const json_value& shape = jp["shape"];
        if (!shape.is_array() || shape.size() > 8) return where + " param '" + p.name + "' shape must be <= 8 dims";
        int64_t count = 1;
        for (const json_value& d : shape.as_array()) {
            int64_t x = 0;
            if (!(e = get_int(d, where + " param '" + p.name + "' dimension", 1, kIrJsonMaxDim, x)).empty()) return e;
            p.shape.push_back(x);
            count *= x;
            if (count > (int64_t(1) << 31)) return where + " param '" + p.name + "' is too large";
        }
        n.params.push_back(p);
    }
    return "";
}

}  // namespace

std::string ir_graph_from_json(const json_value& j, ir_graph& out) {
    if (!j.is_object()) return "graph must be a JSON object";
    ir_graph g;
    std::string e;
    if (j.find("arch") && !(e = get_name(j["arch"], "graph arch", g.arch)).empty()) return e;
    if (!(e = get_name(j["input"], "graph input", g.input)).empty()) return e;
    if (!(e = get_name(j["output"], "graph output", g.output)).empty()) return e;
    if (!(e = get_name(j["logits"], "graph logits", g.logits)).empty()) return e;
    if (!(e = get_int(j["n_bins"], "graph n_bins", 1, kIrJsonMaxDim, g.n_bins)).empty()) return e;
    if (!(e = get_int(j["n_frames"], "graph n_frames", 1, kIrJsonMaxDim, g.n_frames)).empty()) return e;
    if (!(e = get_int(j["n_classes"], "graph n_classes", 1, kIrJsonMaxDim, g.n_classes)).empty()) return e;
    if (j.find("extra_outputs")) {
        const json_value& extra = j["extra_outputs"];
        if (!extra.is_array() || extra.size() > 16) return "graph extra_outputs must be an array of at most 16 names";
        for (const json_value& x : extra.as_array()) {
            std::string name;
            if (!(e = get_name(x, "graph extra output", name)).empty()) return e;
            g.extra_outputs.push_back(name);
        }
    }
    const json_value& nodes = j["nodes"];
    if (!nodes.is_array() || nodes.size() < 1 || nodes.size() > kIrJsonMaxNodes) {
        return "graph nodes must be an array of 1.." + std::to_string(kIrJsonMaxNodes);
    }
    for (size_t i = 0; i < nodes.size(); ++i) {
        ir_node n;
        if (!(e = read_node(nodes[i], i, n)).empty()) return e;
        g.nodes.push_back(std::move(n));
    }
    std::map<std::string, std::vector<int64_t>> shapes;
    if (!(e = ir_infer_shapes(g, 1, shapes)).empty()) return "graph: " + e;
    // Every activation must stay a sane size (a hostile card could ask for a huge tensor with small params).
    for (const auto& [name, s] : shapes) {
        double count = 1;
        for (int64_t d : s) count *= static_cast<double>(d);
        if (count > double(int64_t(1) << 28)) return "graph: tensor '" + name + "' would have " + std::to_string(count) + " values";
    }
    out = std::move(g);
    return "";
}

}  // namespace gs
