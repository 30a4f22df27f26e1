// model_card.cpp: model card JSON -> gs_web::model_card, with the checks the page relies on.
#include "model_card.h"

#include <cmath>

#include "genrescope/json.h"
#include "model_about.h"

namespace gs_web {

std::string parse_model_card(const std::string& text, model_card& out) {
    gs::json_value j;
    std::string err = gs::json_parse(text, j);
    if (!err.empty()) return "model card is not valid JSON (" + err + ")";
    if (!j.is_object()) return "model card: not a JSON object";
    const std::string& format = j["format"].as_string();
    if (!format.empty() && format != "genrescope-model-card")
        return "model card: format is '" + format + "', expected 'genrescope-model-card'";
    model_card c;
    c.name = j["name"].as_string();
    c.version = j["version"].as_string();
    c.arch = j["arch"].as_string();
    if (c.name.empty()) c.name = c.arch.empty() ? "unnamed model" : c.arch;
    for (const gs::json_value& l : j["labels"].as_array()) {
        if (!l.is_string() || l.as_string().empty()) return "model card: 'labels' must be non-empty strings";
        c.labels.push_back(l.as_string());
    }
    if (c.labels.size() < 2) return "model card: 'labels' needs at least two classes";
    if (!j["feature"].is_object()) return "model card: missing 'feature'";
    err = gs::from_json(j["feature"], c.features);
    if (err.empty()) err = gs::validate(c.features);
    if (!err.empty()) return "model card: feature: " + err;
    if (!c.features.frame_local()) return "model card: the features are not frame-local (top_db/ref=max)";
    const gs::json_value& seg = j["segment"];
    const long long frames = seg["frames"].as_int(0), hop_frames = seg["hop_frames"].as_int(0);
    if (frames < 1 || hop_frames < 1 || frames > gs::kMaxSegmentFrames || hop_frames > gs::kMaxSegmentFrames) {
        return "model card: segment frames and hop must be whole numbers in [1, " +
               std::to_string(gs::kMaxSegmentFrames) + "]";
    }
    c.segment.frames = int(frames);
    c.segment.hop_frames = int(hop_frames);
    if (std::string e = gs::segment_fill_from_json(seg["fill"], c.segment.fill); !e.empty()) return e;
    c.segment_s = seg["seconds"].as_number(NAN);
    c.hop_s = seg["hop_seconds"].as_number(NAN);
    const std::string agg = seg["aggregation"].is_string() ? seg["aggregation"].as_string() : "mean";
    if (!gs::parse_aggregation(agg, c.aggregation)) return "model card: unknown aggregation '" + agg + "'";
    const gs::json_value& io = j["io"];
    if (io["input_name"].is_string()) c.input_name = io["input_name"].as_string();
    if (io["output_name"].is_string()) c.output_name = io["output_name"].as_string();
    const gs::json_value& shape = io["input_shape"];
    if (shape.is_array()) {
        if (shape.size() != 4 || shape[2].as_int(-1) != c.n_bins() || shape[3].as_int(-1) != c.segment.frames)
            return "model card: io.input_shape does not match the features (" + std::to_string(c.n_bins()) +
                   " bins) and the segment (" + std::to_string(c.segment.frames) + " frames)";
    }
    c.temperature = j["temperature"].as_number(1.0);
    if (!(c.temperature > 0)) return "model card: temperature must be > 0";
    c.uncertain_below = j["uncertain_below"].as_number(0.0);
    c.onnx_sha256 = j["onnx_sha256"].as_string();
    const gs::json_value* tags = j.find("tags");
    if (tags != nullptr && !tags->is_null()) {
        // The native loader's rules (native/src/model/model_card.cpp), then the shared rule parser.
        const gs::json_value& t = *tags;
        bool ok = t.is_object() && t["output"].is_string() && !t["output"].as_string().empty() &&
                  t["labels"].is_array() && t["labels"].size() > 0 && t["genres"].is_array();
        for (const gs::json_value& l : t["labels"].as_array()) ok = ok && l.is_string();
        if (!ok) return "model card: 'tags' needs an output name, label strings and genre indices within them";
        c.tag_output = t["output"].as_string();
        for (const gs::json_value& l : t["labels"].as_array()) c.tag_labels.push_back(l.as_string());
        err = gs::parse_tag_rule(t, c.tag_labels.size(), c.tag_rule);
        if (!err.empty()) return err;
        c.has_tags = true;
    }
    describe_model(j, c);
    out = std::move(c);
    return "";
}

}  // namespace gs_web
