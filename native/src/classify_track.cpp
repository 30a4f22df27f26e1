// classify_track.cpp: one audio file through a loaded model, as `genrescope classify` and `genrescope library` do it.
#include "classify_track.h"

#include <algorithm>
#include <cmath>
#include <exception>

#include "audio_load.h"
#include "genrescope/features.h"
#include "genrescope/segments.h"
#include "genrescope/streaming.h"

namespace gs {

double round6(double v) { return std::round(v * 1e6) / 1e6; }

std::string card_embedding_output(const model_card& card, int& dim) {
    dim = 0;
    if (!card.embedding.is_object()) return "";
    const std::string name = card.embedding["output"].as_string();
    dim = static_cast<int>(card.embedding["dim"].as_int(0));
    if (name.empty() || dim <= 0) {
        dim = 0;
        return "";
    }
    return name;
}

std::string file_features(const std::string& path, const model_card& card, std::vector<float>& feats,
                          size_t& n_frames, double& duration_s) {
    // Decode, resample and analyse block by block (streaming == batch bit for bit), so a long file needs
    // memory for its feature matrix only.
    streaming_features stream;
    std::string err = stream.init(card.features);
    if (!err.empty()) return path + ": " + err;
    std::vector<float> frames;  // frame-major
    stream_info info;
    err = stream_audio_file(path, card.features.sample_rate_hz,
                            [&](const float* x, size_t n) { stream.push(x, n, frames); }, info);
    if (!err.empty()) return err;
    stream.finish(frames);
    duration_s = static_cast<double>(info.n_samples) / card.features.sample_rate_hz;
    if (info.n_samples == 0) return path + ": no audio samples";
    n_frames = stream.frames_emitted();
    feats.assign(frames.size(), 0.0f);
    const int n_b = card.features.n_bins();
    for (size_t t = 0; t < n_frames; ++t) {
        for (int b = 0; b < n_b; ++b) feats[static_cast<size_t>(b) * n_frames + t] = frames[t * n_b + b];
    }
    std::vector<float>().swap(frames);
    apply_normalisation(card.features, feats.data(), static_cast<int>(n_frames), n_frames, 1);
    return "";
}

std::string classify_file(const std::string& path, loaded_model& m, file_result& r, bool want_embedding) {
    r.file = path;
    const model_card& card = m.card;
    std::vector<float> feats;
    size_t n_frames = 0;
    std::string err = file_features(path, card, feats, n_frames, r.duration_s);
    if (!err.empty()) return err;
    const int n_classes = static_cast<int>(card.labels.size());
    std::vector<float> probs;
    const std::string tag_output = card.tags.is_null() ? "" : card.tags["output"].as_string();
    int emb_dim = 0;
    const std::string emb_output = want_embedding ? card_embedding_output(card, emb_dim) : "";
    // Extra tensors besides the probabilities: the tag scores and the embedding (either may be absent).
    std::vector<std::string> extra_names;
    if (!tag_output.empty()) extra_names.push_back(tag_output);
    if (!emb_output.empty()) extra_names.push_back(emb_output);
    std::vector<std::vector<float>> extras;
    std::vector<size_t> starts;
    try {
        starts = segment_outputs(m, feats.data(), n_frames, probs, extra_names, extras);
    } catch (const std::exception& e) {
        return path + ": the model failed (" + std::string(e.what()).substr(0, 200) + ")";
    }
    if (!tag_output.empty()) {
        const std::vector<float>& tag_scores = extras[0];
        tag_rule rule;
        const size_t n_tags = card.tags["labels"].size();
        if (!(err = parse_tag_rule(card.tags, n_tags, rule)).empty()) return path + ": " + err;
        if (tag_scores.size() != starts.size() * n_tags) return path + ": the tag output has the wrong size";
        r.verdict = judge_tags(tag_scores.data(), starts.size(), n_tags, rule);
    }
    if (!emb_output.empty()) {
        const std::vector<float>& e = extras.back();
        const size_t d = static_cast<size_t>(emb_dim);
        if (starts.empty() || e.size() != starts.size() * d) {
            return path + ": the embedding output '" + emb_output + "' has the wrong size (the card says " +
                   std::to_string(emb_dim) + " values)";
        }
        // Mean over the analysed windows, summed in double in window order (deterministic).
        std::vector<double> sum(d, 0.0);
        for (size_t s = 0; s < starts.size(); ++s) {
            for (size_t k = 0; k < d; ++k) sum[k] += e[s * d + k];
        }
        r.embedding.resize(d);
        for (size_t k = 0; k < d; ++k) r.embedding[k] = static_cast<float>(sum[k] / static_cast<double>(starts.size()));
    }
    aggregation how = aggregation::mean;
    parse_aggregation(card.aggregation, how);
    r.probabilities = aggregate(probs.data(), starts.size(), n_classes, how);
    const double frame_s = static_cast<double>(card.features.stft.hop_length) / card.features.sample_rate_hz;
    for (size_t s = 0; s < starts.size(); ++s) {
        r.segment_probs.emplace_back(probs.begin() + static_cast<std::ptrdiff_t>(s * n_classes),
                                     probs.begin() + static_cast<std::ptrdiff_t>((s + 1) * n_classes));
        r.segment_times.emplace_back(starts[s] * frame_s,
                                     std::min(r.duration_s, (starts[s] + card.segment_frames) * frame_s));
    }
    return "";
}

json_value result_json(const file_result& r, const model_card& card) {
    json_value j = json_value::object();
    j.set("file", r.file);
    if (!r.error.empty()) {
        j.set("error", r.error);
        return j;
    }
    const size_t top = static_cast<size_t>(std::max_element(r.probabilities.begin(), r.probabilities.end()) - r.probabilities.begin());
    j.set("top", card.labels[top]);
    // The card's threshold: below it the app says "uncertain" instead of naming one genre.
    j.set("uncertain", r.probabilities[top] < card.uncertain_below);
    if (!card.tags.is_null()) {
        // Outside: the backbone hears a genre the model does not know (shared/genre_tags.h: the page's rule too).
        j.set("outside", r.verdict.outside);
        const json_value& names = card.tags["labels"];
        if (r.verdict.outside) j.set("sounds_like", names[static_cast<size_t>(r.verdict.sounds_like)].as_string());
        json_value tags = json_value::array();
        for (const tag_score& t : r.verdict.top) {
            tags.push_back(json_value::object({{"name", names[static_cast<size_t>(t.index)].as_string()}, {"score", round6(t.score)}}));
        }
        j.set("tags", tags);
    }
    json_value labels = json_value::array(), probs = json_value::array();
    for (size_t c = 0; c < card.labels.size(); ++c) {
        labels.push_back(card.labels[c]);
        probs.push_back(round6(r.probabilities[c]));
    }
    j.set("labels", labels);
    j.set("probabilities", probs);
    json_value segs = json_value::array();
    for (size_t s = 0; s < r.segment_probs.size(); ++s) {
        json_value e = json_value::object();
        e.set("start_s", round6(r.segment_times[s].first));
        e.set("end_s", round6(r.segment_times[s].second));
        json_value p = json_value::array();
        for (float v : r.segment_probs[s]) p.push_back(round6(v));
        e.set("probabilities", p);
        segs.push_back(e);
    }
    j.set("segments", segs);
    j.set("duration_s", round6(r.duration_s));
    return j;
}

}  // namespace gs
