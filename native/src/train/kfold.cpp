// kfold.cpp: `train --split kfold:K`: every fold in its own run folder, resumable, and the mean +- std summary.
#include "train/kfold.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "data/dataset.h"
#include "eval/metrics.h"
#include "genrescope/json.h"

namespace fs = std::filesystem;

namespace gs {

namespace {

// Reads and parses DIR/report.json; false when it is missing or not JSON.
bool read_report(const std::string& dir, json_value& rep) {
    std::string text;
    return read_text_file(dir + "/report.json", text).empty() && json_parse(text, rep).empty();
}

// How far a fold's run folder got: nothing yet, a checkpoint to continue from, or finished (a readable
// report.json written after the last checkpoint, by the same architecture and split; then it is left in
// `report`).
enum class fold_progress { none, checkpoint, finished };

fold_progress fold_progress_of(const std::string& dir, const std::string& arch, const std::string& split,
                               json_value& report) {
    std::error_code ec;
    const std::string ckpt = dir + "/checkpoint.pt";
    if (!fs::exists(ckpt, ec)) return fold_progress::none;
    const auto t_ckpt = fs::last_write_time(ckpt, ec);
    if (ec) return fold_progress::checkpoint;
    const auto t_report = fs::last_write_time(dir + "/report.json", ec);
    if (ec || t_report < t_ckpt || !read_report(dir, report)) return fold_progress::checkpoint;
    const json_value& info = report["info"];
    if (info["arch"].as_string() != arch || info["split"].as_string().rfind(split + ":", 0) != 0) {
        return fold_progress::checkpoint;  // load_checkpoint or training will then say what does not match
    }
    return fold_progress::finished;
}

}  // namespace

// "kfold:K" (no fold index): trains every fold in RUN/fold_I and writes RUN/kfold_summary.json (mean +- std).
// With --resume a stopped k-fold run continues where it stopped: finished folds are read, not retrained; the
// fold with a checkpoint continues from it; the others start fresh.
int run_all_folds(const train_options& o, int k, dist_group& dist, run_one_fn run_single) {
    const std::string base = o.run_dir.empty() ? "runs/" + o.arch : o.run_dir;
    std::vector<double> seg_acc, track_acc, track_f1;
    json_value folds = json_value::array();
    if (!o.teacher.model_path.empty() && o.teacher.model_path.find("{fold}") == std::string::npos) {
        std::fprintf(stderr, "warning: one teacher for all %d folds: the folds' test scores are only honest if it never "
                             "saw any of their test tracks (use {fold} in --teacher for a teacher per fold)\n", k);
    }
    for (int i = 0; i < k; ++i) {
        train_options f = o;
        f.split = "kfold:" + std::to_string(k) + ":" + std::to_string(i);
        f.run_dir = base + "/fold_" + std::to_string(i);
        for (size_t at; (at = f.teacher.model_path.find("{fold}")) != std::string::npos;) {
            f.teacher.model_path.replace(at, 6, std::to_string(i));
        }
        json_value rep;
        const fold_progress progress =
            o.resume ? fold_progress_of(f.run_dir, o.arch, f.split, rep) : fold_progress::none;
        f.resume = progress == fold_progress::checkpoint;
        if (progress == fold_progress::finished) {
            std::fprintf(stderr, "fold %d of %d: finished earlier, kept (%s/report.json)\n", i + 1, k, f.run_dir.c_str());
        } else {
            if (!o.quiet) std::fprintf(stderr, "=== fold %d of %d ===\n", i + 1, k);
            const int rc = run_single(f, dist);
            if (rc != 0) return rc;
            if (!read_report(f.run_dir, rep)) {
                std::fprintf(stderr, "genrescope train: cannot read %s/report.json\n", f.run_dir.c_str());
                return 1;
            }
        }
        const json_value& t = rep["metrics"]["test"];
        seg_acc.push_back(t["segment"]["accuracy"].as_number(NAN));
        track_acc.push_back(t["track"]["accuracy"].as_number(NAN));
        track_f1.push_back(t["track"]["macro_f1"].as_number(NAN));
        json_value fj = json_value::object();
        fj.set("fold", i);
        fj.set("run_dir", f.run_dir);
        fj.set("test_segment_accuracy", seg_acc.back());
        fj.set("test_track_accuracy", track_acc.back());
        fj.set("test_track_macro_f1", track_f1.back());
        folds.push_back(fj);
    }
    json_value summary = json_value::object();
    const std::string what = o.backbone.empty() ? o.arch : "backbone " + o.backbone + " + " + o.head + " head";
    summary.set("arch", what);
    summary.set("protocol", "stratified " + std::to_string(k) + "-fold cross-validation by track");
    summary.set("folds", folds);
    summary.set("test_segment_accuracy", summarize_folds(seg_acc).to_json());
    summary.set("test_track_accuracy", summarize_folds(track_acc).to_json());
    summary.set("test_track_macro_f1", summarize_folds(track_f1).to_json());
    if (dist.rank() != 0) return 0;  // rank 0 writes the summary
    std::ofstream(base + "/kfold_summary.json") << json_write(summary, 2) << "\n";
    const mean_std ta = summarize_folds(track_acc), tf = summarize_folds(track_f1);
    std::printf("%s, %d-fold: test track accuracy %.4f +- %.4f, macro-F1 %.4f +- %.4f (%s/kfold_summary.json)\n",
                what.c_str(), k, ta.mean, ta.std, tf.mean, tf.std, base.c_str());
    return 0;
}

}  // namespace gs
