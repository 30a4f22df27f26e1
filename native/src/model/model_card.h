// model_card.h: the model card (model.json) that travels with model.onnx: how to compute the input, what comes out.
#pragma once

#include <string>
#include <vector>

#include "genrescope/feature_config.h"
#include "genrescope/json.h"
#include "genrescope/segments.h"

namespace gs {

struct model_card {
    std::string name;                 // e.g. "genrescope_cnn-gtzan"
    std::string version = "1";
    std::string arch;                 // architecture name (archs.h); rebuilds the graph on import
    // The whole graph (ir_json.h), for models that are not one of archs.h's architectures (imported networks,
    // heads on a backbone); null otherwise. When present it is what the loader builds, temperature included.
    json_value graph;
    // Null, or tags from a second output of the model: {"output": tensor name (an extra output of the graph, or
    // the graph output itself for an imported tagger), "labels": [names of its classes], "genres": [indices of
    // the classes that are music genres]} (YAMNet: AudioSet's 521 classes, 50 of them genres).
    json_value tags;
    // Null, or the model's embedding output (library maps, similar songs): {"output": tensor name (an extra
    // output of model.onnx), "dim": D, "source": "backbone" (a pretrained network's embedding of each window)
    // or "penultimate" (the layer before the classifier of a model trained from scratch), "what": plain words}.
    // Cards written before the field existed get it from training.backbone (embedding, embedding_dim).
    json_value embedding;
    std::vector<std::string> labels;  // class names, output order
    feature_config features;          // full feature config incl. normalisation mean/std
    double segment_s = 3.0;           // model input length, seconds
    int segment_frames = 0;           // = input width
    double segment_hop_s = 1.5;       // hop between segments when classifying a track
    int segment_hop_frames = 0;
    segment_fill fill = segment_fill::zeros;  // segment.fill: frames past a short track's end (absent: zeros)
    std::string aggregation = "mean"; // how segment probabilities become a track's
    bool level_align = false;         // the graph starts with a level_align node (archs.h): gain-invariant input
    std::string input_name = "input";
    std::string output_name = "probabilities";
    double temperature = 1.0;         // already applied inside model.onnx (logits / T before the softmax)
    double uncertain_below = 0.0;     // the app says "uncertain" when the top probability is below this
    std::string onnx_sha256;          // of model.onnx
    json_value training = json_value::object();  // data, split, protocol, hyper-parameters
    json_value metrics = json_value::object();   // headline numbers
    json_value limits = json_value::array();     // known limits, one string each
};

json_value to_json(const model_card& c);
// Parses a card; returns "" or an error naming the bad field. Unknown fields are ignored.
std::string from_json(const json_value& j, model_card& out);

}  // namespace gs
