// finalize.cpp: evaluation of a trained model, temperature calibration, report, ONNX export and model card.
#include "train/finalize.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>

#include "data/sha256.h"
#include "genrescope/projection.h"
#include "eval/metrics.h"
#include "model/ir_json.h"
#include "model/model_card.h"
#include "model/onnx_export.h"

namespace gs {

namespace {

constexpr int kEvalBatch = 64;  // segments per forward pass when evaluating

bool write_text(const std::string& path, const std::string& text) {
    std::ofstream f(path, std::ios::binary);
    f << text;
    return static_cast<bool>(f);
}

double accuracy_of(const std::vector<float>& scores, int n_classes, const std::vector<int>& labels) {
    if (labels.empty()) return NAN;
    const std::vector<int> pred = argmax_rows(scores, n_classes);
    int ok = 0;
    for (size_t i = 0; i < labels.size(); ++i) ok += pred[i] == labels[i];
    return static_cast<double>(ok) / static_cast<double>(labels.size());
}

// Simple per-track descriptors of the (de-normalised) features, for the report's per-genre table.
void track_descriptors(const train_context& ctx, const track_matrix& t, std::vector<float>& row) {
    const int nb = ctx.config.n_bins();
    const auto& mean = ctx.config.norm_mean;
    const auto& sd = ctx.config.norm_std;
    auto raw = [&](int b, size_t f) {
        const size_t i = mean.size() > 1 ? static_cast<size_t>(b) : 0;
        return t.data[static_cast<size_t>(b) * t.n_frames + f] * (sd.empty() ? 1.0f : sd[i]) + (mean.empty() ? 0.0f : mean[i]);
    };
    double level = 0, centroid_num = 0, centroid_den = 0, flux = 0;
    for (size_t f = 0; f < t.n_frames; ++f) {
        for (int b = 0; b < nb; ++b) {
            const double v = raw(b, f);
            level += v;
            const double w = ctx.config.kind == feature_kind::mel_db ? std::pow(10.0, v / 10.0) : std::max(0.0, v);
            centroid_num += w * b;
            centroid_den += w;
            if (f > 0) flux += std::fabs(v - raw(b, f - 1));
        }
    }
    const double cells = static_cast<double>(t.n_frames) * nb;
    row = {static_cast<float>(level / cells), static_cast<float>(centroid_den > 0 ? centroid_num / centroid_den : 0),
           static_cast<float>(t.n_frames > 1 ? flux / (cells - nb) : 0)};
}

// ECE of the track verdicts (mean of each track's segment probabilities at `temperature`).
calibration_result track_ece(const set_predictions& p, int n_classes, double temperature, aggregation how) {
    track_probs tp;
    if (!track_probs_at(p.logits, n_classes, p.labels, p.track_ids, temperature, tp, how).empty()) return {};
    return expected_calibration_error(tp.probs, n_classes, tp.labels);
}

json_value predictions_json(const train_context& ctx, const set_predictions& p) {
    json_value keys = json_value::array(), labels = json_value::array(), ids = json_value::array();
    json_value logits = json_value::array();
    for (size_t i = 0; i < p.labels.size(); ++i) {
        labels.push_back(p.labels[i]);
        ids.push_back(p.track_ids[i]);
    }
    for (float v : p.logits) logits.push_back(static_cast<double>(v));
    int last = -1;
    for (int id : p.track_ids) {
        if (id != last) keys.push_back(ctx.data.tracks[static_cast<size_t>(id)].key);
        last = id;
    }
    json_value o = json_value::object();
    o.set("segment_labels", labels);
    o.set("segment_track_ids", ids);
    o.set("track_keys", keys);
    o.set("logits", logits);
    return o;
}

// RUN/predictions.json: the valid and test segments' logits at temperature 1, so that `genrescope calibrate`
// can fit one temperature on the pooled validation predictions of several runs (e.g. the folds of kfold:K).
void write_predictions(const train_context& ctx, const set_predictions& valid, const set_predictions& test,
                       const std::string& path) {
    json_value labels = json_value::array();
    for (const std::string& l : ctx.data.labels) labels.push_back(l);
    json_value o = json_value::object();
    o.set("format", "genrescope-predictions");
    o.set("labels", labels);
    o.set("split", ctx.split_spec);
    o.set("valid", predictions_json(ctx, valid));
    o.set("test", predictions_json(ctx, test));
    if (!write_text(path, json_write(o, -1) + "\n")) std::fprintf(stderr, "warning: cannot write %s\n", path.c_str());
}

}  // namespace

void predict_set(ir_module& model, const train_context& ctx, const std::vector<int>& indices, torch::Device device,
                 bool with_embeddings, set_predictions& out) {
    out = set_predictions{};
    const int n_classes = static_cast<int>(ctx.data.labels.size());
    const int nb = ctx.config.n_bins();
    const size_t seg = static_cast<size_t>(nb) * ctx.spec.frames;
    const std::string emb_name = with_embeddings ? model->embedding_tensor() : "";
    model->eval();
    torch::NoGradGuard no_grad;
    std::vector<float> batch_in;
    std::vector<int> batch_track;
    auto flush = [&]() {
        if (batch_track.empty()) return;
        const int64_t n = static_cast<int64_t>(batch_track.size());
        torch::Tensor x = torch::from_blob(batch_in.data(), {n, 1, nb, ctx.spec.frames}, torch::kFloat32).to(device);
        torch::Tensor logits;
        if (emb_name.empty()) {
            logits = model->forward(x).to(torch::kCPU).contiguous();
        } else {
            auto all = model->forward_all(x);
            logits = all.at(ctx.graph.logits).to(torch::kCPU).contiguous();
            torch::Tensor e = all.at(emb_name).flatten(1).to(torch::kCPU).contiguous();
            out.embedding_dim = static_cast<int>(e.size(1));
            out.embeddings.insert(out.embeddings.end(), e.data_ptr<float>(), e.data_ptr<float>() + e.numel());
        }
        out.logits.insert(out.logits.end(), logits.data_ptr<float>(), logits.data_ptr<float>() + logits.numel());
        for (int id : batch_track) {
            out.track_ids.push_back(id);
            out.labels.push_back(ctx.tracks[static_cast<size_t>(id)].label);
        }
        batch_in.clear();
        batch_track.clear();
    };
    std::vector<float> inputs;
    std::vector<size_t> starts;
    for (int id : indices) {
        const track_matrix& t = ctx.tracks[static_cast<size_t>(id)];
        if (t.n_frames == 0) continue;
        track_segments(t, nb, ctx.spec, inputs, starts);
        for (size_t s = 0; s < starts.size(); ++s) {
            batch_in.insert(batch_in.end(), inputs.begin() + static_cast<std::ptrdiff_t>(s * seg),
                            inputs.begin() + static_cast<std::ptrdiff_t>((s + 1) * seg));
            batch_track.push_back(id);
            if (static_cast<int>(batch_track.size()) == kEvalBatch) flush();
        }
    }
    flush();
    out.segment_accuracy = accuracy_of(out.logits, n_classes, out.labels);
    track_probs tp;
    const std::vector<float> probs = softmax_with_temperature(out.logits, n_classes, 1.0);
    if (!out.labels.empty() && aggregate_tracks(probs, n_classes, out.labels, out.track_ids, ctx.track_aggregation, tp).empty()) {
        out.track_accuracy = accuracy_of(tp.probs, n_classes, tp.labels);
    } else {
        out.track_accuracy = NAN;
    }
}

std::string history_to_json(const train_state& st) {
    json_value a = json_value::array();
    for (const epoch_record& e : st.history) a.push_back(e.to_json());
    return json_write(a, -1);
}

std::string history_from_json(const std::string& text, train_state& st) {
    json_value a;
    std::string err = json_parse(text, a);
    if (!err.empty()) return err;
    st.history.clear();
    for (const json_value& e : a.as_array()) {
        epoch_record r;
        r.epoch = static_cast<int>(e["epoch"].as_number());
        r.train_loss = e["train_loss"].as_number(NAN);
        r.train_accuracy = e["train_accuracy"].as_number(NAN);
        r.valid_segment_accuracy = e["valid_segment_accuracy"].as_number(NAN);
        r.valid_track_accuracy = e["valid_track_accuracy"].as_number(NAN);
        r.learning_rate = e["learning_rate"].as_number(NAN);
        r.seconds = e["seconds"].as_number(NAN);
        r.segments_per_s = e["segments_per_s"].as_number(NAN);
        st.history.push_back(r);
    }
    return "";
}

int finalize_training(ir_module& model, train_context& ctx, train_state& st, torch::Device device) {
    const int n_classes = static_cast<int>(ctx.data.labels.size());
    const bool quiet = ctx.options.quiet;
    std::string err;
    if (!st.best_weights.empty() && !(err = model->set_weights(st.best_weights)).empty()) {
        std::fprintf(stderr, "genrescope train: %s\n", err.c_str());
        return 1;
    }
    model->to(device);
    // Temperature scaling on the validation segments (Guo et al. 2017).
    set_predictions valid, test;
    predict_set(model, ctx, ctx.sets.valid, device, false, valid);
    predict_set(model, ctx, ctx.sets.test, device, true, test);
    // The temperature calibrates the track verdict (mean of segment probabilities), which is what classify and
    // the app show; see fit_temperature_tracks.
    const double temperature =
        valid.labels.empty() ? 1.0 : fit_temperature_tracks(valid.logits, n_classes, valid.labels, valid.track_ids, ctx.track_aggregation);
    write_predictions(ctx, valid, test, ctx.run_dir + "/predictions.json");

    run_report rep;
    rep.labels = ctx.data.labels;
    run_info& info = rep.info;
    info.arch = ctx.arch.name;
    info.feature_config = to_json(ctx.config);
    info.data_dir = ctx.options.data_dir.empty() ? ctx.options.list_csv : ctx.options.data_dir;
    info.split = ctx.split_spec + ": " + ctx.sets.description;
    for (const auto& [name, set] : {std::make_pair("train", &ctx.sets.train), std::make_pair("valid", &ctx.sets.valid),
                                    std::make_pair("test", &ctx.sets.test)}) {
        split_count sc;
        sc.split = name;
        sc.per_class.assign(static_cast<size_t>(n_classes), 0);
        for (int i : *set) ++sc.per_class[static_cast<size_t>(ctx.tracks[static_cast<size_t>(i)].label)];
        info.counts.push_back(sc);
    }
    for (const std::string& s : ctx.skipped) {
        const size_t colon = s.find(": ");
        info.skipped.push_back({s.substr(0, colon), colon == std::string::npos ? "" : s.substr(colon + 2)});
    }
    info.seed = static_cast<uint64_t>(ctx.options.seed);
    info.device = ctx.device_name;
    info.world_size = ctx.dist_world;
    info.dist_backend = ctx.dist_backend;
    info.epochs = st.epoch;
    info.wall_time_s = ctx.total_seconds;
    double rate = 0;
    for (const epoch_record& e : st.history) rate += std::isfinite(e.segments_per_s) ? e.segments_per_s : 0;
    info.segments_per_s = st.history.empty() ? 0 : rate / static_cast<double>(st.history.size());
    const std::time_t now = std::time(nullptr);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    info.created = stamp;
    rep.curve = st.history;

    level_metrics valid_m, test_m;
    if (!valid.labels.empty()) {
        const std::vector<float> p = softmax_with_temperature(valid.logits, n_classes, temperature);
        evaluate_segments_and_tracks(p, n_classes, valid.labels, valid.track_ids, ctx.track_aggregation, valid_m);
        rep.valid_segment = valid_m.segment;
        rep.valid_track = valid_m.track;
    }
    if (!test.labels.empty()) {
        const std::vector<float> p = softmax_with_temperature(test.logits, n_classes, temperature);
        evaluate_segments_and_tracks(p, n_classes, test.labels, test.track_ids, ctx.track_aggregation, test_m);
        rep.test_segment = test_m.segment;
        rep.test_track = test_m.track;
    }
    rep.calibration.temperature = temperature;
    rep.calibration.fitted_on = std::string("valid tracks (") + to_string(ctx.track_aggregation) + " of segment probabilities)";
    const set_predictions& cal = test.labels.empty() ? valid : test;
    rep.calibration.measured_on = test.labels.empty() ? "valid tracks" : "test tracks";
    if (!cal.labels.empty()) {
        const calibration_result before = track_ece(cal, n_classes, 1.0, ctx.track_aggregation);
        const calibration_result after = track_ece(cal, n_classes, temperature, ctx.track_aggregation);
        rep.calibration.ece_before = before.ece;
        rep.calibration.ece_after = after.ece;
        rep.calibration.reliability_before = before.bins;
    }
    // First-layer filters (single-input-channel convolutions only).
    const ir_weights w = model->weights();
    for (const ir_node& n : ctx.graph.nodes) {
        if (n.op != ir_op::conv2d) continue;
        if (n.params.at(0).shape[1] == 1) {
            const std::vector<float>& k = w.at(n.name + ".weight");
            const int kh = static_cast<int>(n.get_int("kernel_h")), kw = static_cast<int>(n.get_int("kernel_w"));
            for (int64_t o = 0; o < n.params[0].shape[0]; ++o) {
                conv_filter f;
                f.kh = kh;
                f.kw = kw;
                f.weights.assign(k.begin() + o * kh * kw, k.begin() + (o + 1) * kh * kw);
                rep.filters.push_back(f);
            }
        }
        break;
    }
    // 2-D map of penultimate embeddings, averaged per track.
    if (!test.embeddings.empty() && test.embedding_dim > 0) {
        std::vector<float> X;
        std::vector<int> labels;
        for (size_t s = 0; s < test.track_ids.size();) {
            size_t e = s;
            std::vector<double> acc(static_cast<size_t>(test.embedding_dim), 0.0);
            while (e < test.track_ids.size() && test.track_ids[e] == test.track_ids[s]) {
                for (int d = 0; d < test.embedding_dim; ++d) acc[d] += test.embeddings[e * test.embedding_dim + d];
                ++e;
            }
            for (double v : acc) X.push_back(static_cast<float>(v / static_cast<double>(e - s)));
            labels.push_back(test.labels[s]);
            s = e;
        }
        const int n = static_cast<int>(labels.size());
        std::vector<float> xy = lda_2d(X, n, test.embedding_dim, labels, n_classes);
        rep.embedding_method = "LDA of penultimate-layer embeddings (mean over each test track's segments)";
        if (xy.size() != static_cast<size_t>(2 * n)) {
            xy = pca_2d(X, n, test.embedding_dim);
            rep.embedding_method = "PCA of penultimate-layer embeddings (mean over each test track's segments)";
        }
        for (int i = 0; i < n && xy.size() == static_cast<size_t>(2 * n); ++i) rep.embedding.push_back({xy[2 * i], xy[2 * i + 1], labels[i]});
    }
    // Per-genre descriptors over the training tracks.
    {
        std::vector<float> values, row;
        std::vector<int> labels;
        for (int i : ctx.sets.train) {
            track_descriptors(ctx, ctx.tracks[static_cast<size_t>(i)], row);
            values.insert(values.end(), row.begin(), row.end());
            labels.push_back(ctx.tracks[static_cast<size_t>(i)].label);
        }
        const std::string unit = ctx.config.kind == feature_kind::mel_db ? " (dB)" : "";
        rep.feature_stats = feature_stats_by_class(values, {"mean level" + unit, "band centroid (bin)", "frame-to-frame flux" + unit},
                                                   labels, ctx.data.labels);
    }
    std::string json_text, html;
    write_report_json(rep, json_text);
    if (!(err = write_report_html(rep, html)).empty()) std::fprintf(stderr, "warning: report.html: %s\n", err.c_str());
    write_text(ctx.run_dir + "/report.json", json_text);
    write_text(ctx.run_dir + "/report.html", html);

    // Export: the temperature goes into the graph's scale node, so model.onnx outputs calibrated probabilities.
    ir_graph g = ctx.graph;
    set_temperature(g, temperature);
    model_card card;
    card.name = ctx.arch.name;
    card.arch = ctx.arch.name;
    card.labels = ctx.data.labels;
    card.features = ctx.config;
    card.segment_s = ctx.arch.segment_s;
    card.segment_frames = ctx.spec.frames;
    card.segment_hop_s = ctx.arch.segment_hop_s;
    card.segment_hop_frames = ctx.spec.hop_frames;
    card.fill = ctx.spec.fill;
    card.level_align = ctx.options.level_align == 1;
    card.aggregation = to_string(ctx.track_aggregation);
    card.temperature = temperature;
    card.uncertain_below = std::max(0.3, 1.5 / n_classes);
    json_value tr = json_value::object();
    tr.set("data", info.data_dir);
    tr.set("split", info.split);
    tr.set("epochs", st.epoch);
    tr.set("best_epoch", st.best_epoch);
    tr.set("seed", ctx.options.seed);
    if (ctx.dist_world > 1) {
        tr.set("distributed", json_value::object({{"world_size", ctx.dist_world}, {"backend", ctx.dist_backend},
                                                  {"batch_norm", "per-rank batch statistics; running statistics averaged over the ranks each epoch"}}));
    }
    tr.set("level_align", ctx.options.level_align == 1);
    if (ctx.backbone.is_null()) {  // a head on cached backbone embeddings sees no augmented audio
        json_value aug = json_value::object();
        aug.set("gain_db", ctx.options.gain_db);
        aug.set("noise_prob", ctx.options.noise_prob);
        aug.set("noise_texture", ctx.options.noise_texture == 1);
        aug.set("band_limit", ctx.options.band_limit);
        tr.set("augment", aug);
    }
    if (ctx.options.ema_decay > 0) tr.set("weight_average_decay", ctx.options.ema_decay);
    if (!ctx.teacher.arch.empty()) {
        json_value t = json_value::object();
        t.set("arch", ctx.teacher.arch);
        t.set("sha256", ctx.teacher.sha256);
        t.set("weight", ctx.options.teacher.weight);
        t.set("temperature", ctx.options.teacher.temperature);
        t.set("grid_hop_s", ctx.options.teacher.grid_hop_s);
        t.set("train_crops_scored", static_cast<double>(ctx.teacher.crops));
        t.set("train_crop_label_agreement", ctx.teacher.label_agreement);
        tr.set("teacher", t);
    }
    if (!ctx.backbone.is_null()) {
        json_value bb = ctx.backbone;
        if (bb.find("tags")) {
            card.tags = bb["tags"];
            bb.erase("tags");
        }
        tr.set("backbone", bb);
        card.graph = ir_graph_to_json(g);  // the loader rebuilds backbone + head from it
    }
    // The embedding output (library maps, similar songs): the backbone's, or the penultimate layer's.
    if (!g.extra_outputs.empty()) {
        std::map<std::string, std::vector<int64_t>> shapes;
        if (ir_infer_shapes(g, 1, shapes).empty()) {
            const std::string& x = g.extra_outputs[0];
            const bool from_backbone = !ctx.backbone.is_null();
            json_value e = json_value::object();
            e.set("output", x);
            e.set("dim", static_cast<double>(shapes[x][1]));
            e.set("source", from_backbone ? "backbone" : "penultimate");
            e.set("what", from_backbone ? ctx.backbone["name"].as_string() + "'s embedding of each window"
                                        : "the layer before the classifier, for each segment");
            card.embedding = e;
        }
    }
    tr.set("tracks_train", static_cast<int>(ctx.sets.train.size()));
    tr.set("tracks_valid", static_cast<int>(ctx.sets.valid.size()));
    tr.set("tracks_test", static_cast<int>(ctx.sets.test.size()));
    card.training = tr;
    // Known limits that follow from the data.
    {
        std::vector<int> per_class(static_cast<size_t>(n_classes), 0);
        for (int i : ctx.sets.train) ++per_class[static_cast<size_t>(ctx.tracks[static_cast<size_t>(i)].label)];
        const int most = *std::max_element(per_class.begin(), per_class.end());
        std::string thin;
        for (int c = 0; c < n_classes; ++c) {
            if (per_class[static_cast<size_t>(c)] * 2 < most) {
                thin += (thin.empty() ? "" : ", ") + ctx.data.labels[static_cast<size_t>(c)] + " (" +
                        std::to_string(per_class[static_cast<size_t>(c)]) + ")";
            }
        }
        if (!thin.empty()) {
            card.limits.push_back("thin classes, fewer than half the training tracks of the largest (" +
                                  std::to_string(most) + "): " + thin + "; expect lower recall on them");
        }
        if (card.tags.find("outside")) {
            card.limits.push_back("knows only its " + std::to_string(n_classes) +
                                  " labels: music of another genre still gets one of them; the outside flag marks it only "
                                  "when the backbone's own genre tags name that genre, so some is missed");
        } else {
            card.limits.push_back("knows only its " + std::to_string(n_classes) +
                                  " labels: music of any other genre is still given one of them (watch the uncertain flag)");
        }
        if (ctx.sets.train.size() < 2000) {
            card.limits.push_back("trained on " + std::to_string(ctx.sets.train.size()) +
                                  " tracks: accuracy figures carry wide confidence intervals");
        }
        if (card.segment_s > 10.0) {  // e.g. a compact_cnn backbone's 27.3-s window
            char s[64];
            std::snprintf(s, sizeof s, "%.1f", card.segment_s);
            card.limits.push_back(
                card.fill == segment_fill::tile
                    ? std::string("each window is ") + s + " s long: a shorter file is repeated to fill its window, "
                          "so a very short file (a few seconds) is judged on a loop of itself"
                    : std::string("each window is ") + s + " s long: a shorter file fills the rest of its "
                          "window with zeros of the normalised features (not with silence), so files much "
                          "shorter than that are classified from a partly artificial input");
        }
    }
    json_value m = json_value::object();
    if (test_m.track.n_samples > 0) {
        m.set("test_track_accuracy", test_m.track.accuracy);
        m.set("test_track_macro_f1", test_m.track.macro_f1);
        m.set("test_segment_accuracy", test_m.segment.accuracy);
    }
    if (valid_m.track.n_samples > 0) m.set("valid_track_accuracy", valid_m.track.accuracy);
    if (std::isfinite(rep.calibration.ece_before)) {  // test-track ECE; absent without a test set
        m.set("ece_before_calibration", rep.calibration.ece_before);
        m.set("ece_after_calibration", rep.calibration.ece_after);
    }
    card.metrics = m;
    onnx_export_options eo;
    eo.doc_string = "GenreScope " + ctx.arch.name + ": " + ctx.arch.summary;
    std::string onnx_bytes;
    if (!(err = export_onnx(g, w, eo, onnx_bytes)).empty()) {
        std::fprintf(stderr, "genrescope train: ONNX export failed: %s\n", err.c_str());
        return 1;
    }
    card.onnx_sha256 = sha256_hex(onnx_bytes);
    if (!write_text(ctx.run_dir + "/model.onnx", onnx_bytes) ||
        !write_text(ctx.run_dir + "/model.json", json_write(to_json(card), 2) + "\n")) {
        std::fprintf(stderr, "genrescope train: cannot write the model into %s\n", ctx.run_dir.c_str());
        return 1;
    }
    std::printf("%s: best epoch %d of %d; valid track accuracy %.4f; test track accuracy %.4f (%d tracks), macro-F1 %.4f; "
                "temperature %.3f (ECE %.3f -> %.3f)\n",
                ctx.arch.name.c_str(), st.best_epoch, st.epoch, valid_m.track.n_samples ? valid_m.track.accuracy : NAN,
                test_m.track.n_samples ? test_m.track.accuracy : NAN, test_m.track.n_samples,
                test_m.track.n_samples ? test_m.track.macro_f1 : NAN, temperature, rep.calibration.ece_before,
                rep.calibration.ece_after);
    if (!quiet) std::fprintf(stderr, "wrote %s/{model.onnx, model.json, report.json, report.html}\n", ctx.run_dir.c_str());
    return 0;
}

}  // namespace gs
