// cmd_eval.cpp: `genrescope eval`: the trainer's metrics for an existing model on a labelled dataset.
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "cli_args.h"
#include "commands.h"
#include "data/dataset.h"
#include "data/feature_cache.h"
#include "eval/metrics.h"
#include "eval/perturb.h"
#include "genrescope/features.h"
#include "genrescope/json.h"
#include "model/model_loader.h"
#include "train/train_data.h"

namespace gs {

namespace {

// Features of every path under a robustness condition (eval/perturb.h); nothing is cached. Unreadable tracks
// get n_frames == 0 and an entry in `errors`.
std::string perturbed_features(const std::vector<std::string>& paths, const std::vector<int>& track_ids,
                               const feature_config& config, const std::string& condition, const std::string& temp_dir,
                               std::vector<track_features>& feats, std::vector<std::string>& errors) {
    const auto& names = perturb_conditions();
    if (std::find(names.begin(), names.end(), condition) == names.end()) {
        std::string list;
        for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
        return "unknown --condition '" + condition + "' (one of " + list + ")";
    }
    feature_extractor fx;
    std::string err = fx.init(config);
    if (!err.empty()) return err;
    feats.assign(paths.size(), track_features{});
    for (size_t i = 0; i < paths.size(); ++i) {
        audio_buffer audio;
        err = load_perturbed(paths[i], condition, config.sample_rate_hz, 0x9e3779b97f4a7c15ull ^ static_cast<uint64_t>(track_ids[i]),
                             temp_dir, audio);
        size_t n_frames = 0;
        if (err.empty()) err = fx.compute(audio.samples.data(), audio.samples.size(), feats[i].data, n_frames);
        if (!err.empty()) {
            errors.push_back(paths[i] + ": " + err);
            feats[i] = track_features{};
            continue;
        }
        feats[i].n_frames = n_frames;
        feats[i].n_bins = fx.n_bins();
    }
    return "";
}

}  // namespace

int cmd_eval(int argc, char** argv) {
    cli_args a(argc, argv, 0, {"model", "data", "list", "split", "set", "cache-dir", "threads", "split-dir", "condition", "temp-dir"}, {"json", "level-align"});
    const int threads = a.get_int("threads", 0, 0, 1024);
    const std::string data_dir = a.get("data"), list = a.get("list");
    if (!a.error().empty() || !a.positional().empty() || data_dir.empty() == list.empty()) {
        std::fprintf(stderr, "genrescope eval: %s\nusage: genrescope eval --model M.onnx --data DIR | --list FILE.csv "
                     "[--split none|gtzan-ff|kfold:K:I|DIR] [--set test|valid|train|all] [--condition NAME] [--level-align] [--json]\n",
                     !a.error().empty() ? a.error().c_str() : "give exactly one of --data and --list");
        return kExitUsage;
    }
    torch::set_num_threads(threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
    loaded_model m;
    std::string err = load_model(a.get("model", GENRESCOPE_DEFAULT_MODEL), m);
    if (err.empty() && a.has("level-align") && !(err = insert_level_align(m)).empty()) err = "--level-align: " + err;
    dataset d;
    if (err.empty()) err = list.empty() ? scan_dataset(data_dir, d) : read_list_csv(list, d);
    split sp;
    std::vector<std::string> warnings;
    const std::string spec = a.get("split", "none");
    if (err.empty()) err = make_split(d, spec, a.get("split-dir", GENRESCOPE_SPLIT_DIR), sp, warnings);
    if (!err.empty()) {
        std::fprintf(stderr, "genrescope eval: %s\n", err.c_str());
        return kExitFailure;
    }
    for (const std::string& w : warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
    const std::string set = a.get("set", spec == "none" ? "all" : "test");
    std::vector<int> indices;
    if (set == "all") {
        for (size_t i = 0; i < d.tracks.size(); ++i) indices.push_back(static_cast<int>(i));
    } else if (set == "test" || set == "valid" || set == "train") {
        indices = set == "test" ? sp.test : set == "valid" ? sp.valid : sp.train;
    } else {
        std::fprintf(stderr, "genrescope eval: --set must be test, valid, train or all\n");
        return kExitUsage;
    }
    // Dataset labels are matched to the model's by name.
    std::map<std::string, int> model_label;
    for (size_t c = 0; c < m.card.labels.size(); ++c) model_label[m.card.labels[c]] = static_cast<int>(c);
    std::vector<int> kept;
    std::vector<std::string> paths;
    int unknown = 0;
    for (int i : indices) {
        if (!model_label.count(d.tracks[static_cast<size_t>(i)].label)) {
            ++unknown;
            continue;
        }
        kept.push_back(i);
        paths.push_back(d.tracks[static_cast<size_t>(i)].path);
    }
    if (unknown) std::fprintf(stderr, "warning: %d tracks have labels the model does not know; skipped\n", unknown);
    if (kept.empty()) {
        std::fprintf(stderr, "genrescope eval: no tracks to evaluate\n");
        return kExitFailure;
    }
    std::vector<track_features> feats;
    std::vector<std::string> errors;
    const std::string condition = a.get("condition");
    if (condition.empty()) {
        cache_stats stats;
        std::string cache = a.get("cache-dir", default_feature_cache_dir());
        if (cache == "none") cache.clear();
        err = compute_features_cached(paths, m.card.features, cache, threads, feats, errors, stats);
    } else {
        err = perturbed_features(paths, kept, m.card.features, condition, a.get("temp-dir", "/tmp"), feats, errors);
    }
    if (!err.empty()) {
        std::fprintf(stderr, "genrescope eval: %s\n", err.c_str());
        return kExitFailure;
    }
    for (const std::string& e : errors) std::fprintf(stderr, "warning: skipped %s\n", e.c_str());
    const int n_classes = static_cast<int>(m.card.labels.size());
    std::vector<float> probs;
    std::vector<int> seg_labels, seg_tracks;
    for (size_t k = 0; k < kept.size(); ++k) {
        if (feats[k].n_frames == 0) continue;
        track_matrix t;
        t.n_frames = feats[k].n_frames;
        t.data = std::move(feats[k].data);
        apply_normalisation(m.card.features, t.data.data(), static_cast<int>(t.n_frames), t.n_frames, 1);
        const int64_t n = static_cast<int64_t>(segment_probabilities(m, t.data.data(), t.n_frames, probs).size());
        const int label = model_label.at(d.tracks[static_cast<size_t>(kept[k])].label);
        for (int64_t s = 0; s < n; ++s) {
            seg_labels.push_back(label);
            seg_tracks.push_back(kept[k]);
        }
    }
    aggregation how = aggregation::mean;
    parse_aggregation(m.card.aggregation, how);
    level_metrics lm;
    if (seg_labels.empty() || !(err = evaluate_segments_and_tracks(probs, n_classes, seg_labels, seg_tracks, how, lm)).empty()) {
        std::fprintf(stderr, "genrescope eval: %s\n", err.empty() ? "no readable tracks" : err.c_str());
        return kExitFailure;
    }
    if (a.has("json")) {
        json_value j = json_value::object();
        j.set("model", m.card.name);
        j.set("data", data_dir.empty() ? list : data_dir);
        j.set("split", spec);
        j.set("set", set);
        j.set("condition", condition.empty() ? "original" : condition);
        j.set("level_align_inserted", a.has("level-align"));
        j.set("skipped", static_cast<int>(errors.size()) + unknown);
        j.set("metrics", lm.to_json(m.card.labels));
        std::printf("%s\n", json_write(j, 2).c_str());
    } else {
        std::printf("%s on %s (%s, %s%s%s): track accuracy %.4f (%d tracks), macro-F1 %.4f; segment accuracy %.4f (%d segments); "
                    "segment ECE %.4f%s\n",
                    m.card.name.c_str(), data_dir.empty() ? list.c_str() : data_dir.c_str(), spec.c_str(), set.c_str(),
                    condition.empty() ? "" : ", ", condition.c_str(), lm.track.accuracy, lm.track.n_samples, lm.track.macro_f1, lm.segment.accuracy, lm.segment.n_samples,
                    lm.segment.ece, a.has("level-align") ? " (level_align inserted)" : "");
    }
    return kExitOk;
}

}  // namespace gs
