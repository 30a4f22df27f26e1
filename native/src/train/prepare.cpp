// prepare.cpp: a training run's data: dataset, split, cached features, normalisation fitted on the training tracks.
#include "train/prepare.h"

#include <cstdio>
#include <filesystem>

#include "data/feature_cache.h"

namespace fs = std::filesystem;

namespace gs {

// Loads the dataset, makes the split, computes (or reads cached) features and normalises them.
std::string prepare_data(const train_options& o, const arch_info& arch, train_context& ctx) {
    std::string err = o.list_csv.empty() ? scan_dataset(o.data_dir, ctx.data) : read_list_csv(o.list_csv, ctx.data);
    if (!err.empty()) return err;
    const bool gtzan = fs::is_directory(fs::path(o.data_dir) / "genres");
    std::string spec = o.split.empty() ? (gtzan ? "gtzan-ff" : "kfold:5:0") : o.split;
    std::vector<std::string> warnings;
    if (!(err = make_split(ctx.data, spec, o.repo_split_dir, ctx.sets, warnings)).empty()) return err;
    for (const std::string& w : warnings) {
        std::fprintf(stderr, "warning: %s\n", w.c_str());
        ctx.warnings.push_back(w);
    }
    ctx.split_spec = spec;
    ctx.config = arch.features;
    std::vector<std::string> paths;
    for (const track& t : ctx.data.tracks) paths.push_back(t.path);
    std::vector<track_features> feats;
    std::vector<std::string> errors;
    cache_stats stats;
    const std::string cache = o.cache_dir == "none" ? "" : (o.cache_dir.empty() ? default_feature_cache_dir() : o.cache_dir);
    if (!o.quiet) std::fprintf(stderr, "features: %zu tracks (%s)...\n", paths.size(), to_string(ctx.config.kind));
    if (ctx.dist_world > 1 && !cache.empty() && ctx.dist_barrier) {
        // Data-parallel: each rank computes every dist_world-th track into the shared cache, then all read it
        // (one machine, or a cache folder on a shared file system; --cache-dir none: every rank computes all).
        std::vector<std::string> share;
        for (size_t i = static_cast<size_t>(ctx.dist_rank); i < paths.size(); i += static_cast<size_t>(ctx.dist_world)) share.push_back(paths[i]);
        std::vector<track_features> unused;
        std::vector<std::string> share_errors;
        cache_stats share_stats;
        err = compute_features_cached(share, ctx.config, cache, o.threads, unused, share_errors, share_stats);
        if (err.empty()) err = ctx.dist_barrier();
        if (!err.empty()) return err;
    }
    err = compute_features_cached(paths, ctx.config, cache, o.threads, feats, errors, stats);
    if (!err.empty()) return err;
    for (const std::string& e : errors) {
        std::fprintf(stderr, "warning: skipped %s\n", e.c_str());
        ctx.skipped.push_back(e);
    }
    if (!o.quiet) {
        std::fprintf(stderr, "features: %d cached, %d computed, %d unreadable, %.1f s\n", stats.hits, stats.misses,
                     stats.failures, stats.seconds);
    }
    // Normalisation statistics from the training tracks only (never valid/test); none for a pretrained
    // backbone, which takes its front end's values as they are.
    const int n_bins = ctx.config.n_bins();
    std::vector<const std::vector<float>*> train_mats;
    std::vector<size_t> train_frames;
    for (int i : ctx.sets.train) {
        if (feats[static_cast<size_t>(i)].n_frames == 0) continue;
        train_mats.push_back(&feats[static_cast<size_t>(i)].data);
        train_frames.push_back(feats[static_cast<size_t>(i)].n_frames);
    }
    if (train_mats.empty()) return "no readable training tracks";
    if (arch.fit_normalisation) fit_normalisation(train_mats, train_frames, n_bins, ctx.config.norm_mean, ctx.config.norm_std);
    ctx.tracks.resize(feats.size());
    for (size_t i = 0; i < feats.size(); ++i) {
        track_matrix& t = ctx.tracks[i];
        t.label = ctx.data.tracks[i].label_index;
        t.n_frames = feats[i].n_frames;
        t.data = std::move(feats[i].data);
        if (t.n_frames > 0) apply_normalisation(ctx.config, t.data.data(), static_cast<int>(t.n_frames), t.n_frames, 1);
    }
    // Drop unreadable tracks from the split.
    for (std::vector<int>* set : {&ctx.sets.train, &ctx.sets.valid, &ctx.sets.test}) {
        std::vector<int> kept;
        for (int i : *set) {
            if (ctx.tracks[static_cast<size_t>(i)].n_frames > 0) kept.push_back(i);
        }
        *set = kept;
    }
    ctx.spec = segment_spec_from_seconds(arch.segment_s, arch.segment_hop_s, ctx.config.sample_rate_hz,
                                         ctx.config.stft.hop_length);
    ctx.spec.fill = o.segment_pad;
    return "";
}

}  // namespace gs
