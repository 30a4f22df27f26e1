// cmd_classify.cpp: `genrescope classify`: tags audio files with the model's genre probabilities.
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "audio_load.h"
#include "cli_args.h"
#include "commands.h"
#include "genrescope/features.h"
#include "genrescope/genre_tags.h"
#include "genrescope/streaming.h"
#include "genrescope/json.h"
#include "genrescope/segments.h"
#include "model/model_loader.h"

namespace gs {

namespace {

struct file_result {
    std::string file;
    std::string error;
    std::vector<float> probabilities;             // track level
    std::vector<std::vector<float>> segment_probs;
    std::vector<std::pair<double, double>> segment_times;
    double duration_s = 0;
    tag_verdict verdict;                          // the backbone's genre tags and the outside verdict (card tags)
};

double round6(double v) { return std::round(v * 1e6) / 1e6; }

std::string classify_file(const std::string& path, loaded_model& m, file_result& r) {
    r.file = path;
    const model_card& card = m.card;
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
    r.duration_s = static_cast<double>(info.n_samples) / card.features.sample_rate_hz;
    if (info.n_samples == 0) return path + ": no audio samples";
    const size_t n_frames = stream.frames_emitted();
    std::vector<float> feats(frames.size());
    const int n_b = card.features.n_bins();
    for (size_t t = 0; t < n_frames; ++t) {
        for (int b = 0; b < n_b; ++b) feats[static_cast<size_t>(b) * n_frames + t] = frames[t * n_b + b];
    }
    std::vector<float>().swap(frames);
    apply_normalisation(card.features, feats.data(), static_cast<int>(n_frames), n_frames, 1);
    const int n_classes = static_cast<int>(card.labels.size());
    std::vector<float> probs;
    std::vector<float> tag_scores;
    const std::string tag_output = card.tags.is_null() ? "" : card.tags["output"].as_string();
    const std::vector<size_t> starts = segment_probabilities(m, feats.data(), n_frames, probs, tag_output,
                                                             tag_output.empty() ? nullptr : &tag_scores);
    if (!tag_output.empty()) {
        tag_rule rule;
        const size_t n_tags = card.tags["labels"].size();
        if (!(err = parse_tag_rule(card.tags, n_tags, rule)).empty()) return path + ": " + err;
        if (tag_scores.size() != starts.size() * n_tags) return path + ": the tag output has the wrong size";
        r.verdict = judge_tags(tag_scores.data(), starts.size(), n_tags, rule);
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

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

}  // namespace

int cmd_classify(int argc, char** argv) {
    cli_args a(argc, argv, 0, {"model", "threads"}, {"json", "csv"});
    const int threads = a.get_int("threads", 1, 1, 1024);
    if (!a.error().empty() || a.positional().empty() || (a.has("json") && a.has("csv"))) {
        std::fprintf(stderr, "genrescope classify: %s\nusage: genrescope classify [--model models/default.onnx] [--json|--csv] FILES...\n",
                     !a.error().empty() ? a.error().c_str() : a.positional().empty() ? "no files given" : "--json and --csv exclude each other");
        return kExitUsage;
    }
    torch::set_num_threads(threads);
    loaded_model m;
    std::string err = load_model(a.get("model", GENRESCOPE_DEFAULT_MODEL), m);
    if (err.empty() && !m.card.features.frame_local()) err = "the model's features are not frame-local (top_db/ref=max)";
    if (!err.empty()) {
        std::fprintf(stderr, "genrescope classify: %s\n", err.c_str());
        return kExitFailure;
    }
    const bool as_json = a.has("json"), as_csv = a.has("csv");
    json_value all = json_value::array();
    if (as_csv) {
        std::printf("file,top");
        for (const std::string& l : m.card.labels) std::printf(",%s", csv_field(l).c_str());
        std::printf(",duration_s,error\n");
    }
    int ok = 0;
    for (const std::string& path : a.positional()) {
        file_result r;
        r.error = classify_file(path, m, r);
        if (r.error.empty()) ++ok;
        else std::fprintf(stderr, "genrescope classify: %s\n", r.error.c_str());
        if (as_json) {
            all.push_back(result_json(r, m.card));
        } else if (as_csv) {
            std::printf("%s,", csv_field(path).c_str());
            if (r.error.empty()) {
                const size_t top = static_cast<size_t>(std::max_element(r.probabilities.begin(), r.probabilities.end()) - r.probabilities.begin());
                std::printf("%s", csv_field(m.card.labels[top]).c_str());
                for (float p : r.probabilities) std::printf(",%.6f", p);
                std::printf(",%.3f,\n", r.duration_s);
            } else {
                for (size_t c = 0; c <= m.card.labels.size(); ++c) std::printf(",");
                std::printf(",%s\n", csv_field(r.error).c_str());
            }
        } else if (r.error.empty()) {
            std::vector<size_t> order(m.card.labels.size());
            for (size_t c = 0; c < order.size(); ++c) order[c] = c;
            std::sort(order.begin(), order.end(), [&](size_t x, size_t y) { return r.probabilities[x] > r.probabilities[y]; });
            std::printf("%s: %s (%.2f)", path.c_str(), m.card.labels[order[0]].c_str(), r.probabilities[order[0]]);
            for (size_t k = 1; k < std::min<size_t>(3, order.size()); ++k) {
                std::printf("%s %s %.2f", k == 1 ? "; then" : ",", m.card.labels[order[k]].c_str(), r.probabilities[order[k]]);
            }
            if (r.verdict.outside) {
                std::printf("; outside the %zu genres: sounds like %s", m.card.labels.size(),
                            m.card.tags["labels"][static_cast<size_t>(r.verdict.sounds_like)].as_string().c_str());
            }
            std::printf(" [%.1f s, %zu segments]\n", r.duration_s, r.segment_probs.size());
        }
    }
    if (as_json) std::printf("%s\n", json_write(all, 2).c_str());
    return ok > 0 ? kExitOk : kExitFailure;
}

}  // namespace gs
