// act_quant.cpp: choosing the uint8 activations of a graph and inserting their quantize nodes (act_quant.h).
#include "model/act_quant.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace gs {

std::string choose_activation_tensors(const ir_graph& g, int64_t min_channels, std::string& from,
                                      std::vector<std::string>& tensors) {
    from.clear();
    tensors.clear();
    if (min_channels < 1 || min_channels > 65536) return "min_channels must be in [1, 65536]";
    std::map<std::string, std::vector<int64_t>> shapes;
    const std::string err = ir_infer_shapes(g, 1, shapes);
    if (!err.empty()) return err;
    for (const ir_node& n : g.nodes) {
        if (n.op != ir_op::conv2d || n.get_int("groups", 1) != 1) continue;
        if (shapes.at(n.inputs[0])[1] >= min_channels) {
            from = n.inputs[0];
            break;
        }
    }
    if (from.empty()) return "no convolution (groups 1) has >= " + std::to_string(min_channels) + " input channels";
    std::map<std::string, const ir_node*> producer;
    for (const ir_node& n : g.nodes) producer[n.output] = &n;
    tensors.push_back(from);
    for (size_t i : ir_nodes_after(g, from)) {
        const ir_node& n = g.nodes[i];
        if (n.op != ir_op::relu && n.op != ir_op::relu6) continue;
        auto it = producer.find(n.inputs[0]);
        if (it != producer.end() && it->second->op == ir_op::conv2d && n.output != from) tensors.push_back(n.output);
    }
    // At least one convolution must read a chosen tensor and feed one through its ReLU, or nothing would run as an
    // integer kernel (e.g. convolutions followed by ELU): the quantize nodes would only cost time.
    // Every chosen tensor after `from` is a ReLU of a convolution: one whose input is chosen too is enough.
    const std::set<std::string> chosen(tensors.begin(), tensors.end());
    for (size_t i = 1; i < tensors.size(); ++i) {
        const ir_node& conv = *producer.at(producer.at(tensors[i])->inputs[0]);
        if (chosen.count(conv.inputs[0])) return "";
    }
    tensors.clear();
    return "no convolution from '" + from + "' on is followed by a relu or relu6 (its output could not be stored as "
           "uint8, so nothing would run on integers)";
}

void act_grid(const act_range& r, float& scale, int64_t& zero_point) {
    const double lo = std::min(0.0, r.lo), hi = std::max(0.0, r.hi);
    scale = static_cast<float>((hi - lo) / 255.0);
    if (!(scale > 0.0f) || !std::isfinite(scale)) scale = 1.0f / 255.0f;
    zero_point = std::clamp<int64_t>(static_cast<int64_t>(std::nearbyint(-lo / scale)), 0, 255);
}

std::string insert_activation_quantizers(ir_graph& g, const std::map<std::string, act_range>& ranges) {
    std::set<std::string> names;
    for (const ir_node& n : g.nodes) {
        names.insert(n.name);
        names.insert(n.output);
    }
    for (const auto& [t, r] : ranges) {
        if (t != g.input && !names.count(t)) return "no tensor '" + t + "' in the graph";
        if (names.count(t + "_quant")) return "'" + t + "_quant' is already in the graph";
        if (!(std::isfinite(r.lo) && std::isfinite(r.hi))) return "tensor '" + t + "': its range is not finite";
    }
    std::vector<ir_node> out;
    out.reserve(g.nodes.size() + ranges.size());
    std::map<std::string, std::string> renamed;  // float tensor -> its quantised copy, for the nodes after it
    auto add_quantizer = [&](const std::string& t) {
        ir_node q;
        q.name = q.output = t + "_quant";
        q.op = ir_op::quantize;
        q.inputs = {t};
        float scale = 0.0f;
        int64_t zp = 0;
        act_grid(ranges.at(t), scale, zp);
        q.floats["scale"] = scale;
        q.ints["zero_point"] = zp;
        out.push_back(q);
        renamed[t] = q.output;
    };
    if (ranges.count(g.input)) add_quantizer(g.input);
    for (ir_node n : g.nodes) {
        if (n.op == ir_op::quantize && ranges.count(n.inputs[0])) return "tensor '" + n.inputs[0] + "' is already quantised";
        for (std::string& i : n.inputs) {
            auto it = renamed.find(i);
            if (it != renamed.end()) i = it->second;
        }
        out.push_back(n);
        if (ranges.count(n.output)) add_quantizer(n.output);
    }
    g.nodes = std::move(out);
    std::map<std::string, std::vector<int64_t>> shapes;
    return ir_infer_shapes(g, 1, shapes);
}

std::vector<equalize_pair> equalizable_pairs(const ir_graph& g) {
    std::map<std::string, std::vector<const ir_node*>> readers;
    std::map<std::string, const ir_node*> producer;
    for (const ir_node& n : g.nodes) {
        producer[n.output] = &n;
        for (const std::string& i : n.inputs) readers[i].push_back(&n);
    }
    auto is_output = [&](const std::string& t) {
        return t == g.output || t == g.logits ||
               std::find(g.extra_outputs.begin(), g.extra_outputs.end(), t) != g.extra_outputs.end();
    };
    std::vector<equalize_pair> out;
    for (const ir_node& r : g.nodes) {
        if (r.op != ir_op::relu) continue;
        auto pa = producer.find(r.inputs[0]);
        if (pa == producer.end() || pa->second->op != ir_op::conv2d) continue;
        const ir_node& a = *pa->second;
        if (readers[a.output].size() != 1 || readers[r.output].size() != 1 || is_output(a.output) || is_output(r.output))
            continue;
        const ir_node& b = *readers[r.output][0];
        const int64_t channels = a.get_int("out_channels");
        if (b.op != ir_op::conv2d || b.get_int("groups", 1) != channels || b.get_int("out_channels") != channels) continue;
        out.push_back({a.name, r.name, b.name});
    }
    return out;
}

std::string equalize_pair_weights(const ir_graph& g, const equalize_pair& p, const std::vector<double>& channel_max,
                                  ir_weights& w) {
    const ir_node* a = nullptr;
    for (const ir_node& n : g.nodes) {
        if (n.name == p.a) a = &n;
    }
    if (a == nullptr) return "no node '" + p.a + "'";
    const size_t channels = static_cast<size_t>(a->get_int("out_channels"));
    if (channel_max.size() != channels) return p.relu + ": " + std::to_string(channel_max.size()) + " maxima for " +
                                              std::to_string(channels) + " channels";
    auto wa = w.find(p.a + ".weight"), ba = w.find(p.a + ".bias"), wb = w.find(p.b + ".weight");
    if (wa == w.end() || ba == w.end() || wb == w.end()) return "missing weights of '" + p.a + "' or '" + p.b + "'";
    if (wa->second.size() % channels || wb->second.size() % channels || ba->second.size() != channels)
        return "weights of '" + p.a + "' / '" + p.b + "' do not split into " + std::to_string(channels) + " channels";
    double top = 0.0;
    for (double m : channel_max) {
        if (!(std::isfinite(m) && m >= 0.0)) return p.relu + ": a channel maximum is not finite and >= 0";
        top = std::max(top, m);
    }
    if (!(top > 0.0)) return "";  // nothing fires: nothing to equalise
    const size_t per_a = wa->second.size() / channels, per_b = wb->second.size() / channels;
    for (size_t c = 0; c < channels; ++c) {
        const double s = channel_max[c] > 0.0 ? std::max(1e-4, channel_max[c] / top) : 1.0;
        for (size_t k = 0; k < per_a; ++k) wa->second[c * per_a + k] = static_cast<float>(wa->second[c * per_a + k] / s);
        ba->second[c] = static_cast<float>(ba->second[c] / s);
        for (size_t k = 0; k < per_b; ++k) wb->second[c * per_b + k] = static_cast<float>(wb->second[c * per_b + k] * s);
    }
    return "";
}

}  // namespace gs
