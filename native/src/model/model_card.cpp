// model_card.cpp: model card JSON (write and validate-on-read).
#include "model/model_card.h"

#include "genrescope/genre_tags.h"

#include <cmath>

#include "model/ir_json.h"

namespace gs {

json_value to_json(const model_card& c) {
    json_value j = json_value::object();
    j.set("format", "genrescope-model-card");
    j.set("name", c.name);
    j.set("version", c.version);
    j.set("arch", c.arch);
    json_value labels = json_value::array();
    for (const std::string& l : c.labels) labels.push_back(l);
    j.set("labels", labels);
    j.set("feature", to_json(c.features));
    json_value seg = json_value::object();
    seg.set("seconds", c.segment_s);
    seg.set("frames", c.segment_frames);
    seg.set("hop_seconds", c.segment_hop_s);
    seg.set("hop_frames", c.segment_hop_frames);
    seg.set("fill", to_string(c.fill));
    seg.set("aggregation", c.aggregation);
    seg.set("level_align", c.level_align);
    j.set("segment", seg);
    json_value io = json_value::object();
    json_value in_shape = json_value::array({json_value("batch"), json_value(1), json_value(c.features.n_bins()),
                                             json_value(c.segment_frames)});
    json_value out_shape = json_value::array({json_value("batch"), json_value(static_cast<int>(c.labels.size()))});
    io.set("input_name", c.input_name);
    io.set("input_shape", in_shape);
    io.set("output_name", c.output_name);
    io.set("output_shape", out_shape);
    const std::vector<json_value>& nodes = c.graph["nodes"].as_array();  // the last node makes the output
    const bool sigmoid_output = !nodes.empty() && nodes.back()["op"].as_string() == "sigmoid";
    io.set("output", sigmoid_output ? "scores (an independent sigmoid per class, multi-label)"
                                    : "probabilities (softmax of logits / temperature)");
    j.set("io", io);
    j.set("temperature", c.temperature);
    j.set("uncertain_below", c.uncertain_below);
    j.set("onnx_sha256", c.onnx_sha256);
    j.set("training", c.training);
    j.set("metrics", c.metrics);
    j.set("limits", c.limits);
    if (!c.tags.is_null()) j.set("tags", c.tags);
    if (!c.embedding.is_null()) j.set("embedding", c.embedding);
    if (!c.graph.is_null()) j.set("graph", c.graph);
    return j;
}

std::string from_json(const json_value& j, model_card& out) {
    if (!j.is_object()) return "model card: not a JSON object";
    model_card c;
    c.name = j["name"].as_string();
    c.version = j["version"].as_string();
    c.arch = j["arch"].as_string();
    if (c.arch.empty()) return "model card: missing 'arch'";
    for (const json_value& l : j["labels"].as_array()) {
        if (!l.is_string() || l.as_string().empty()) return "model card: 'labels' must be non-empty strings";
        c.labels.push_back(l.as_string());
    }
    if (c.labels.size() < 2) return "model card: 'labels' needs at least two classes";
    std::string err = from_json(j["feature"], c.features);
    if (!err.empty()) return "model card: feature: " + err;
    const json_value& seg = j["segment"];
    c.segment_s = seg["seconds"].as_number(NAN);
    c.segment_hop_s = seg["hop_seconds"].as_number(NAN);
    const long long frames = seg["frames"].as_int(0), hop_frames = seg["hop_frames"].as_int(0);
    if (frames < 1 || hop_frames < 1 || frames > kMaxSegmentFrames || hop_frames > kMaxSegmentFrames) {
        return "model card: segment frames and hop must be whole numbers in [1, " + std::to_string(kMaxSegmentFrames) + "]";
    }
    c.segment_frames = static_cast<int>(frames);
    c.segment_hop_frames = static_cast<int>(hop_frames);
    if (std::string e = segment_fill_from_json(seg["fill"], c.fill); !e.empty()) return e;
    c.aggregation = seg["aggregation"].is_string() ? seg["aggregation"].as_string() : "mean";
    c.level_align = seg["level_align"].is_bool() && seg["level_align"].as_bool();
    aggregation agg;
    if (!parse_aggregation(c.aggregation, agg)) return "model card: unknown aggregation '" + c.aggregation + "'";
    if (c.segment_frames < 1 || c.segment_hop_frames < 1) return "model card: segment frames and hop must be >= 1";
    c.input_name = j["io"]["input_name"].is_string() ? j["io"]["input_name"].as_string() : "input";
    c.output_name = j["io"]["output_name"].is_string() ? j["io"]["output_name"].as_string() : "probabilities";
    c.temperature = j["temperature"].as_number(1.0);
    if (!(c.temperature > 0)) return "model card: temperature must be > 0";
    c.uncertain_below = j["uncertain_below"].as_number(0.0);
    c.onnx_sha256 = j["onnx_sha256"].as_string();
    if (j.find("training")) c.training = j["training"];
    if (j.find("metrics")) c.metrics = j["metrics"];
    if (j.find("limits")) c.limits = j["limits"];
    if (j.find("tags") && !j["tags"].is_null()) {
        const json_value& t = j["tags"];
        const size_t n = t["labels"].size();
        bool ok = t["output"].is_string() && t["labels"].is_array() && n > 0 && t["genres"].is_array();
        for (const json_value& l : t["labels"].as_array()) ok = ok && l.is_string();
        for (const json_value& g : t["genres"].as_array()) ok = ok && g.as_int(-1) >= 0 && static_cast<size_t>(g.as_int(-1)) < n;
        if (!ok) return "model card: 'tags' needs an output name, label strings and genre indices within them";
        tag_rule rule;
        if (!(err = parse_tag_rule(t, n, rule)).empty()) return err;
        c.tags = t;
    }
    if (j.find("embedding") && !j["embedding"].is_null()) {
        const json_value& e = j["embedding"];
        const double dim = e["dim"].as_number(0);
        if (!e["output"].is_string() || e["output"].as_string().empty() || !(dim >= 1 && dim <= 65536) ||
            dim != std::floor(dim)) {
            return "model card: 'embedding' needs an output name and a dim in [1, 65536]";
        }
        c.embedding = e;
    } else if (c.training["backbone"]["embedding"].is_string() && c.training["backbone"]["embedding_dim"].as_number(0) >= 1) {
        // Backbone cards from before the field: the backbone's embedding is the graph's first extra output.
        const json_value& bb = c.training["backbone"];
        json_value e = json_value::object();
        e.set("output", bb["embedding"].as_string());
        e.set("dim", bb["embedding_dim"].as_number(0));
        e.set("source", "backbone");
        e.set("what", bb["name"].as_string() + "'s embedding of each window");
        c.embedding = e;
    }
    if (j.find("graph") && !j["graph"].is_null()) {
        ir_graph g;
        if (!(err = ir_graph_from_json(j["graph"], g)).empty()) return "model card: " + err;
        if (g.n_bins != c.features.n_bins() || g.n_frames != c.segment_frames ||
            g.n_classes != static_cast<int64_t>(c.labels.size())) {
            return "model card: the graph's input [" + std::to_string(g.n_bins) + " x " + std::to_string(g.n_frames) +
                   "] and " + std::to_string(g.n_classes) + " classes do not match the card's features, segment and labels";
        }
        c.graph = j["graph"];
    }
    out = c;
    return "";
}

}  // namespace gs
