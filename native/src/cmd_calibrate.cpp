// cmd_calibrate.cpp: `genrescope calibrate`: fits a model's temperature on validation predictions pooled from
// other runs (e.g. the folds of kfold:5 for a final model trained on all data) and rewrites the model + card.
//
// Why: a model trained on every track has no validation data of its own. Runs with the same recipe on part of
// the data (the cross-validation folds) predict tracks they never saw; their pooled validation logits estimate
// how over- or under-confident the recipe is. The check is cross-fitted: fold i's test tracks are scored with a
// temperature fitted without them, so the reported ECE is out of sample.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli_args.h"
#include "commands.h"
#include "data/dataset.h"
#include "data/sha256.h"
#include "eval/metrics.h"
#include "genrescope/json.h"
#include "model/archs.h"
#include "model/ir_json.h"
#include "model/model_loader.h"
#include "model/onnx_export.h"

namespace fs = std::filesystem;

namespace gs {

namespace {

// One set (valid or test) of one run's predictions.json.
struct prediction_set {
    std::vector<float> logits;
    std::vector<int> labels;     // per segment
    std::vector<int> track_ids;  // per segment, made unique across runs
    std::set<std::string> keys;  // track keys, to keep a fold's test tracks out of its temperature
};

struct run_predictions {
    std::string path;
    prediction_set valid, test;
};

std::string parse_set(const json_value& j, int n_classes, int id_offset, prediction_set& out) {
    const auto& logits = j["logits"].as_array();
    const auto& labels = j["segment_labels"].as_array();
    const auto& ids = j["segment_track_ids"].as_array();
    if (labels.size() != ids.size() || logits.size() != labels.size() * static_cast<size_t>(n_classes)) {
        return "logits, segment_labels and segment_track_ids disagree in length";
    }
    for (const json_value& v : logits) out.logits.push_back(static_cast<float>(v.as_number(NAN)));
    for (size_t i = 0; i < labels.size(); ++i) {
        const int label = static_cast<int>(labels[i].as_number(-1));
        if (label < 0 || label >= n_classes) return "a segment label is out of range";
        out.labels.push_back(label);
        out.track_ids.push_back(static_cast<int>(ids[i].as_number(0)) + id_offset);
    }
    for (const json_value& k : j["track_keys"].as_array()) out.keys.insert(k.as_string());
    return "";
}

// Reads predictions.json files: SOURCE itself, SOURCE/predictions.json, or SOURCE/fold_*/predictions.json.
std::string collect(const std::vector<std::string>& sources, const std::vector<std::string>& model_labels,
                    std::vector<run_predictions>& runs) {
    std::vector<std::string> files;
    for (const std::string& s : sources) {
        std::error_code ec;
        if (fs::is_regular_file(s, ec)) {
            files.push_back(s);
        } else if (fs::is_regular_file(fs::path(s) / "predictions.json", ec)) {
            files.push_back((fs::path(s) / "predictions.json").string());
        } else if (fs::is_directory(s, ec)) {
            std::vector<std::string> found;
            for (const auto& e : fs::directory_iterator(s, ec)) {
                const fs::path p = e.path() / "predictions.json";
                if (e.path().filename().string().rfind("fold_", 0) == 0 && fs::is_regular_file(p, ec)) found.push_back(p.string());
            }
            if (found.empty()) return s + ": no predictions.json in it or in its fold_*/ folders";
            std::sort(found.begin(), found.end());
            files.insert(files.end(), found.begin(), found.end());
        } else {
            return s + ": no such file or folder";
        }
    }
    const int n_classes = static_cast<int>(model_labels.size());
    for (size_t f = 0; f < files.size(); ++f) {
        std::string text;
        json_value j;
        std::string err = read_text_file(files[f], text);
        if (!err.empty()) return err;
        err = json_parse(text, j);
        if (err.empty() && j["format"].as_string() != "genrescope-predictions") err = "not a genrescope predictions file";
        std::vector<std::string> labels;
        for (const json_value& l : j["labels"].as_array()) labels.push_back(l.as_string());
        if (err.empty() && labels != model_labels) err = "its labels differ from the model's";
        run_predictions r;
        r.path = files[f];
        const int offset = static_cast<int>(f) * 1000000;
        if (err.empty()) err = parse_set(j["valid"], n_classes, offset, r.valid);
        if (err.empty()) err = parse_set(j["test"], n_classes, offset, r.test);
        if (!err.empty()) return files[f] + ": " + err;
        runs.push_back(std::move(r));
    }
    return "";
}

void append(prediction_set& to, const prediction_set& from) {
    to.logits.insert(to.logits.end(), from.logits.begin(), from.logits.end());
    to.labels.insert(to.labels.end(), from.labels.begin(), from.labels.end());
    to.track_ids.insert(to.track_ids.end(), from.track_ids.begin(), from.track_ids.end());
}

// Track verdicts (segment probabilities at temperature t, aggregated with `how`) appended to probs/labels.
void track_verdicts(const prediction_set& s, int n_classes, double t, aggregation how, std::vector<float>& probs,
                    std::vector<int>& labels) {
    track_probs tp;
    if (!track_probs_at(s.logits, n_classes, s.labels, s.track_ids, t, tp, how).empty()) return;
    probs.insert(probs.end(), tp.probs.begin(), tp.probs.end());
    labels.insert(labels.end(), tp.labels.begin(), tp.labels.end());
}

bool disjoint(const std::set<std::string>& a, const std::set<std::string>& b) {
    for (const std::string& k : a) {
        if (b.count(k)) return false;
    }
    return true;
}

// A fitted calibration: how segment probabilities become a track's, and the temperature for it.
struct calibration_fit {
    aggregation how = aggregation::mean;
    double temperature = 1.0;
    double nll = NAN;  // track NLL on the data it was fitted on
};

// Fits the temperature for each candidate aggregation and keeps the one with the lowest track NLL on `s`.
// The NLL is a proper score, so this choice, like the temperature, uses validation data only.
calibration_fit fit_calibration(const prediction_set& s, int n_classes, const std::vector<aggregation>& candidates) {
    calibration_fit best;
    for (const aggregation how : candidates) {
        const double t = fit_temperature_tracks(s.logits, n_classes, s.labels, s.track_ids, how);
        const double nll = track_nll(s.logits, n_classes, s.labels, s.track_ids, t, how);
        if (std::isnan(best.nll) || nll < best.nll) best = {how, t, nll};
    }
    return best;
}

}  // namespace

int cmd_calibrate(int argc, char** argv) {
    cli_args a(argc, argv, 0, {"model", "out", "protocols", "aggregation"}, {});
    if (!a.error().empty() || a.positional().empty() || !a.has("model")) {
        std::fprintf(stderr,
                     "genrescope calibrate: %s\nusage: genrescope calibrate --model M.onnx [--out OUT.onnx] "
                     "[--aggregation auto|mean|geometric_mean] [--protocols NAME=REPORT.json,...] "
                     "RUN_OR_KFOLD_DIR...\n",
                     !a.error().empty() ? a.error().c_str() : "give --model and at least one predictions source");
        return kExitUsage;
    }
    const std::string model_path = a.get("model"), out_path = a.get("out", model_path);
    loaded_model m;
    std::string err = load_model(model_path, m);
    std::vector<run_predictions> runs;
    if (err.empty()) err = collect(a.positional(), m.card.labels, runs);
    if (!err.empty()) {
        std::fprintf(stderr, "genrescope calibrate: %s\n", err.c_str());
        return kExitFailure;
    }
    // Candidate aggregations: the two whose track probabilities move smoothly with the temperature. "auto"
    // picks between them on the validation tracks.
    std::vector<aggregation> candidates;
    const std::string agg_name = a.get("aggregation", "auto");
    aggregation chosen = aggregation::mean;
    if (agg_name == "auto") {
        candidates = {aggregation::mean, aggregation::geometric_mean};
    } else if (parse_aggregation(agg_name, chosen) && (chosen == aggregation::mean || chosen == aggregation::geometric_mean)) {
        candidates = {chosen};
    } else {
        std::fprintf(stderr, "genrescope calibrate: --aggregation must be auto, mean or geometric_mean, not '%s'\n",
                     agg_name.c_str());
        return kExitUsage;
    }
    const int n_classes = static_cast<int>(m.card.labels.size());
    prediction_set pooled;
    for (const run_predictions& r : runs) append(pooled, r.valid);
    if (pooled.labels.empty()) {
        std::fprintf(stderr, "genrescope calibrate: the sources hold no validation predictions\n");
        return kExitFailure;
    }
    const calibration_fit fitted = fit_calibration(pooled, n_classes, candidates);
    const double temperature = fitted.temperature;

    // Cross-fitted check on the test tracks: run i's test set gets a temperature fitted on the validation sets of
    // the runs whose validation tracks are disjoint from it (and, with "auto", an aggregation chosen there too).
    // "Before" is the uncalibrated mean of segment probabilities.
    std::vector<float> p_before, p_after;
    std::vector<int> l_before, l_after;
    for (const run_predictions& r : runs) {
        if (r.test.labels.empty()) continue;
        prediction_set fit;
        for (const run_predictions& o : runs) {
            if (disjoint(o.valid.keys, r.test.keys)) append(fit, o.valid);
        }
        if (fit.labels.empty()) continue;
        const calibration_fit f = fit_calibration(fit, n_classes, candidates);
        track_verdicts(r.test, n_classes, 1.0, aggregation::mean, p_before, l_before);
        track_verdicts(r.test, n_classes, f.temperature, f.how, p_after, l_after);
    }
    const double ece_before = l_before.empty() ? NAN : expected_calibration_error(p_before, n_classes, l_before).ece;
    const double ece_after = l_after.empty() ? NAN : expected_calibration_error(p_after, n_classes, l_after).ece;
    // The "uncertain" flag: with calibrated probabilities the top probability estimates the chance the verdict
    // is right, so below 0.5 a verdict is more likely wrong than right. How the check tracks split at 0.5:
    const double uncertain_below = 0.5;
    int n_sure = 0, ok_sure = 0, n_unsure = 0, ok_unsure = 0;
    for (size_t t = 0; t < l_after.size(); ++t) {
        const float* row = p_after.data() + t * static_cast<size_t>(n_classes);
        const int top = static_cast<int>(std::max_element(row, row + n_classes) - row);
        const bool sure = row[top] >= uncertain_below;
        (sure ? n_sure : n_unsure) += 1;
        (sure ? ok_sure : ok_unsure) += top == l_after[t] ? 1 : 0;
    }

    const double accuracy_after = l_after.empty() ? NAN : static_cast<double>(ok_sure + ok_unsure) / l_after.size();

    // Rewrite the model: same weights, the new temperature in the graph's scale node.
    const ir_weights w = m.module->weights();
    ir_graph g = m.graph;
    set_temperature(g, temperature);
    onnx_export_options eo;
    eo.doc_string = "GenreScope " + m.card.arch + " (temperature from " + std::to_string(runs.size()) + " runs' validation tracks)";
    std::string bytes;
    if (!(err = export_onnx(g, w, eo, bytes)).empty()) {
        std::fprintf(stderr, "genrescope calibrate: ONNX export failed: %s\n", err.c_str());
        return kExitFailure;
    }
    model_card card = m.card;
    card.temperature = temperature;
    // A card that carries its graph (backbone heads, imported networks) is what the native loader builds:
    // it must carry the new temperature too, or classify and the page (which runs model.onnx) disagree.
    if (!card.graph.is_null()) card.graph = ir_graph_to_json(g);
    card.aggregation = to_string(fitted.how);
    card.uncertain_below = uncertain_below;
    card.onnx_sha256 = sha256_hex(bytes);
    json_value cal = json_value::object();
    json_value src = json_value::array();
    for (const run_predictions& r : runs) src.push_back(r.path);
    cal.set("method", "temperature scaling of the track verdict, NLL on pooled validation tracks");
    cal.set("aggregation", to_string(fitted.how));
    cal.set("aggregation_choice", agg_name == "auto" ? "lowest validation track NLL of mean and geometric_mean" : "given");
    cal.set("validation_track_nll", fitted.nll);
    cal.set("sources", src);
    cal.set("validation_tracks", static_cast<int>(std::set<int>(pooled.track_ids.begin(), pooled.track_ids.end()).size()));
    cal.set("temperature", temperature);
    cal.set("test_tracks_checked", static_cast<int>(l_after.size()));
    cal.set("ece_track_before", ece_before);
    cal.set("ece_track_after", ece_after);
    cal.set("accuracy_track_after", accuracy_after);
    cal.set("check", "cross-fitted: each run's test tracks scored with a temperature fitted without them");
    json_value unc = json_value::object();
    unc.set("uncertain_below", uncertain_below);
    unc.set("tracks_confident", n_sure);
    unc.set("accuracy_confident", n_sure ? static_cast<double>(ok_sure) / n_sure : NAN);
    unc.set("tracks_uncertain", n_unsure);
    unc.set("accuracy_uncertain", n_unsure ? static_cast<double>(ok_unsure) / n_unsure : NAN);
    cal.set("uncertain_flag", unc);
    card.metrics.set("calibration", cal);
    // The headline test-track ECE pair, as a trained run's card has it (here: cross-fitted on the sources).
    card.metrics.set("ece_before_calibration", ece_before);
    card.metrics.set("ece_after_calibration", ece_after);
    std::vector<std::string> protocol_items;  // "NAME=REPORT.json", comma-separated on the command line
    std::stringstream protocol_list(a.get("protocols"));
    for (std::string item; std::getline(protocol_list, item, ',');) {
        if (!item.empty()) protocol_items.push_back(item);
    }
    for (const std::string& item : protocol_items) {
        const size_t eq = item.find('=');
        std::string text;
        json_value j;
        if (eq == std::string::npos || !read_text_file(item.substr(eq + 1), text).empty() || !json_parse(text, j).empty()) {
            std::fprintf(stderr, "genrescope calibrate: --protocols: cannot read '%s' (NAME=REPORT.json)\n", item.c_str());
            return kExitFailure;
        }
        json_value p = json_value::object();
        if (j.find("metrics")) {  // a run's report.json
            const json_value& t = j["metrics"]["test"]["track"];
            p.set("split", j["info"]["split"]);
            p.set("test_track_accuracy", t["accuracy"]);
            p.set("test_track_macro_f1", t["macro_f1"]);
            p.set("test_tracks", t["n_samples"]);
        } else {  // a kfold_summary.json
            p.set("protocol", j["protocol"]);
            p.set("test_track_accuracy", j["test_track_accuracy"]);
            p.set("test_track_macro_f1", j["test_track_macro_f1"]);
        }
        p.set("source", item.substr(eq + 1));
        json_value protocols = card.metrics.find("protocols") ? card.metrics["protocols"] : json_value::object();
        protocols.set(item.substr(0, eq), p);
        card.metrics.set("protocols", protocols);
    }
    std::ofstream(out_path, std::ios::binary) << bytes;
    std::ofstream(card_path_for(out_path), std::ios::binary) << json_write(to_json(card), 2) << "\n";
    if (!fs::exists(out_path) || fs::file_size(out_path) != bytes.size()) {
        std::fprintf(stderr, "genrescope calibrate: cannot write %s\n", out_path.c_str());
        return kExitFailure;
    }
    std::printf("aggregation %s, temperature %.4f from %zu validation segments of %zu runs; test-track ECE (cross-fitted, %zu tracks) "
                "%.4f -> %.4f, accuracy %.3f; top >= %.2f on %d tracks (accuracy %.3f), below on %d (accuracy %.3f); wrote %s\n",
                to_string(fitted.how), temperature, pooled.labels.size(), runs.size(), l_after.size(), ece_before, ece_after,
                accuracy_after, uncertain_below,
                n_sure, n_sure ? static_cast<double>(ok_sure) / n_sure : NAN, n_unsure,
                n_unsure ? static_cast<double>(ok_unsure) / n_unsure : NAN, out_path.c_str());
    return kExitOk;
}

}  // namespace gs
