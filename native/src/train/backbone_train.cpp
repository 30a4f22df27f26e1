// backbone_train.cpp: `train --backbone`: a head (linear or MLP) on a pretrained network's embeddings, frozen or, with
// --backbone-lr, then fine-tuned together with the backbone's last layers (fine_tune.h).
//
// The backbone runs once per evaluation segment (cached, backbone.h); the head trains on those embeddings with
// AdamW, class-balanced loss weights and label smoothing, and is selected by validation track accuracy (the mean
// of its segments' probabilities, as the app aggregates). The exported model is backbone + head in one graph,
// so model.onnx stays the one artifact, and finalize_training evaluates, calibrates and reports that graph.
#include "train/backbone_train.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <thread>

#include "data/feature_cache.h"
#include "model/ir_json.h"
#include "train/backbone.h"
#include "train/backbone_augment.h"
#include "train/batch_norm_stats.h"
#include "train/finalize.h"
#include "train/fine_tune.h"
#include "train/genre_map.h"
#include "train/head_rows.h"
#include "train/prepare.h"

namespace fs = std::filesystem;

namespace gs {

namespace {

// The head as IR nodes appended to the backbone's graph: [concat(embedding, scores)] -> (linear -> relu ->
// dropout ->) linear -> scale (the temperature's slot) -> softmax.
void append_head(const backbone_model& b, const train_options& o, int64_t n_classes, ir_graph& g) {
    std::string x = b.embedding;
    int64_t in = b.embedding_dim;
    auto add = [&](ir_op op, const std::string& name, std::vector<std::string> inputs) -> ir_node& {
        ir_node n;
        n.name = name;
        n.op = op;
        n.inputs = std::move(inputs);
        n.output = name;
        g.nodes.push_back(n);
        return g.nodes.back();
    };
    if (o.head == "mlp_tags") {
        ir_node& c = add(ir_op::concat, "head_input", {x, b.scores});
        c.ints = {{"axis", 1}};
        x = c.output;
        in += b.n_scores;
    }
    if (o.head != "linear") {
        ir_node& h = add(ir_op::linear, "head_hidden", {x});
        h.ints = {{"out_features", o.head_hidden}};
        h.params = {{"weight", {o.head_hidden, in}}, {"bias", {o.head_hidden}}};
        x = add(ir_op::relu, "head_relu", {h.output}).output;
        ir_node& d = add(ir_op::dropout, "head_dropout", {x});
        d.floats = {{"p", o.head_dropout}};
        x = d.output;
        in = o.head_hidden;
    }
    ir_node& fc = add(ir_op::linear, "head_out", {x});
    fc.ints = {{"out_features", n_classes}};
    fc.params = {{"weight", {n_classes, in}}, {"bias", {n_classes}}};
    ir_node& sc = add(ir_op::scale, "temperature", {fc.output});
    sc.floats = {{"factor", 1.0}};
    g.logits = fc.output;
    g.output = "probabilities";
    add(ir_op::softmax, "softmax", {sc.output}).output = g.output;
    g.n_classes = n_classes;
}

// The head as a libtorch module over the cached rows (embedding, then the backbone's scores).
struct head_net : torch::nn::Module {
    head_net(int64_t in, int64_t hidden, int64_t classes, double dropout, bool mlp) : mlp_(mlp), p_(dropout) {
        if (mlp) {
            hidden_ = register_module("hidden", torch::nn::Linear(in, hidden));
            out_ = register_module("out", torch::nn::Linear(hidden, classes));
        } else {
            out_ = register_module("out", torch::nn::Linear(in, classes));
        }
    }
    torch::Tensor forward(torch::Tensor x) {
        if (mlp_) x = torch::dropout(torch::relu(hidden_->forward(x)), p_, is_training());
        return out_->forward(x);
    }
    bool mlp_;
    double p_;
    torch::nn::Linear hidden_{nullptr}, out_{nullptr};
};

}  // namespace

int run_backbone_single(const train_options& o) {
    const auto t_start = std::chrono::steady_clock::now();
    if (o.head != "linear" && o.head != "mlp" && o.head != "mlp_tags") {
        std::fprintf(stderr, "genrescope train: --head must be linear, mlp or mlp_tags\n");
        return 2;
    }
    if (o.head_loss != "patch" && o.head_loss != "bag") {
        std::fprintf(stderr, "genrescope train: --head-loss must be patch or bag\n");
        return 2;
    }
    const bool bags = o.head_loss == "bag";
    if (o.backbone_lr > 0 && !bags) {
        std::fprintf(stderr, "genrescope train: --backbone-lr needs --head-loss bag (fine-tuning trains on bags)\n");
        return 2;
    }
    if (o.data_dir.empty() == o.list_csv.empty()) {
        std::fprintf(stderr, "genrescope train: give exactly one of --data DIR and --list FILE.csv\n");
        return 2;
    }
    torch::set_num_threads(o.threads > 0 ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
    backbone_model b;
    std::string err = load_backbone(o.backbone, o.pretrained_dir, b);
    if (!err.empty()) {
        std::fprintf(stderr, "genrescope train: %s\n", err.c_str());
        return 1;
    }
    if (o.backbone_segment_s > 0) {
        // A longer input for a fully convolutional backbone: its global pooling averages over more time.
        const double frame_s = static_cast<double>(b.card.features.stft.hop_length) / b.card.features.sample_rate_hz;
        const int frames = static_cast<int>(std::lround(o.backbone_segment_s / frame_s));
        b.graph.n_frames = frames;
        std::map<std::string, std::vector<int64_t>> shapes;
        if (frames < b.card.segment_frames || !(err = ir_infer_shapes(b.graph, 1, shapes)).empty()) {
            std::fprintf(stderr, "genrescope train: --segment-s %g: %s\n", o.backbone_segment_s,
                         err.empty() ? "shorter than the backbone's own input" : err.c_str());
            return 2;
        }
        b.card.segment_frames = frames;
        b.card.segment_hop_frames = std::max(1, frames / 2);
        b.card.segment_s = frames * frame_s;
        b.card.segment_hop_s = b.card.segment_hop_frames * frame_s;
    }
    if (o.backbone_lr > 0) {
        // The cut: by default before the last two layers with weights that the embedding depends on (for
        // YAMNet, its last depthwise-separable block).
        std::string from = o.fine_tune_from;
        if (from.empty()) {
            std::vector<const ir_node*> weighted;
            for (const ir_node& n : b.graph.nodes) {
                if (n.output == b.embedding) break;
                if (!n.params.empty()) weighted.push_back(&n);
            }
            from = weighted.size() >= 2 ? weighted[weighted.size() - 2]->inputs.at(0) : b.graph.input;
        }
        if (!(err = set_backbone_tap(b, from)).empty()) {
            std::fprintf(stderr, "genrescope train: --fine-tune-from: %s\n", err.c_str());
            return 2;
        }
    }
    const int epochs = o.epochs > 0 ? o.epochs : 60;
    const int batch = o.batch_size > 0 ? o.batch_size : 256;
    const double lr = o.learning_rate > 0 ? o.learning_rate : 1e-3;
    const double wd = o.weight_decay >= 0 ? o.weight_decay : 1e-2;

    train_context ctx;
    ctx.arch.name = b.name + "+" + o.head;
    ctx.arch.summary = "a " + o.head + " head on the " + (o.backbone_lr > 0 ? "partly fine-tuned " : "frozen ") + b.name +
                       " backbone's " + std::to_string(b.embedding_dim) + "-d embedding";
    ctx.arch.reference = "transfer learning from a pretrained audio network";
    ctx.arch.features = b.card.features;
    ctx.arch.segment_s = b.card.segment_s;
    ctx.arch.segment_hop_s = b.card.segment_hop_s;
    ctx.arch.fit_normalisation = false;
    ctx.arch.level_align = false;
    ctx.options = o;
    ctx.options.level_align = 0;
    ctx.options.epochs = epochs;
    ctx.run_dir = o.run_dir.empty() ? "runs/" + ctx.arch.name : o.run_dir;
    ctx.device_name = "cpu";
    ctx.track_aggregation = bags ? aggregation::geometric_mean : aggregation::mean;
    ctx.backbone = b.info;
    ctx.backbone.set("head", o.head);
    ctx.backbone.set("head_loss", o.head_loss);
    ctx.backbone.set("head_standardize", o.head_standardize);
    ctx.backbone.set("frozen", !(o.backbone_lr > 0));
    ctx.backbone.set("segment_s", b.card.segment_s);
    if (!(err = prepare_data(o, ctx.arch, ctx)).empty()) {
        std::fprintf(stderr, "genrescope train: %s\n", err.c_str());
        return 1;
    }
    // Segments exactly as the backbone's card says (prepare_data derives them from seconds).
    ctx.spec.frames = b.card.segment_frames;
    ctx.spec.hop_frames = b.card.segment_hop_frames;
    std::error_code ec;
    fs::create_directories(ctx.run_dir, ec);
    if (ec) {
        std::fprintf(stderr, "genrescope train: cannot create %s: %s\n", ctx.run_dir.c_str(), ec.message().c_str());
        return 1;
    }
    const int64_t n_classes = static_cast<int64_t>(ctx.data.labels.size());
    const int n_bins = ctx.config.n_bins();
    const std::string feature_cache = o.cache_dir == "none" ? "" : (o.cache_dir.empty() ? default_feature_cache_dir() : o.cache_dir);
    const std::string cache = feature_cache.empty() ? "" : feature_cache + "/embeddings";
    if (needs_batch_norm_statistics(b)) {  // compact_cnn: from this run's training tracks only
        json_value bn;
        if (!(err = estimate_batch_norm_statistics(b, ctx.tracks, ctx.sets.train, n_bins, ctx.spec, cache, o.quiet,
                                                   bn)).empty()) {
            std::fprintf(stderr, "genrescope train: %s\n", err.c_str());
            return 1;
        }
        ctx.backbone.set("batch_norm_statistics", bn);
    }
    std::vector<track_embeddings> emb;
    if (!(err = compute_embeddings(b, ctx.tracks, n_bins, ctx.spec, cache, o.quiet, emb)).empty()) {
        std::fprintf(stderr, "genrescope train: %s\n", err.c_str());
        return 1;
    }
    // Augmented copies of the training tracks (gain, noise) through the backbone: extra training rows.
    std::vector<track_embeddings> aug_emb;
    std::vector<int> aug_labels;
    audio_augment aug;
    aug.copies = o.augment_copies;
    if (!(err = augmented_embeddings(b, ctx, ctx.sets.train, aug, static_cast<uint64_t>(o.seed), cache, o.quiet, aug_emb,
                                     aug_labels)).empty()) {
        std::fprintf(stderr, "genrescope train: %s\n", err.c_str());
        return 1;
    }
    if (aug.copies > 0) {
        json_value a = json_value::object();
        a.set("copies_per_track", aug.copies);
        a.set("gain_db_max", aug.gain_db_max);
        a.set("noise_snr_db", json_value::array({aug.snr_min_db, aug.snr_max_db}));
        ctx.backbone.set("augment", a);
    }
    if (o.export_hop_s > 0) {
        // The head trains on the backbone's own hop (more, overlapping patches); the exported model, and the
        // evaluation of valid and test below, use this one (fewer windows per second of audio: faster in the page).
        const double frame_s = static_cast<double>(ctx.config.stft.hop_length) / ctx.config.sample_rate_hz;
        ctx.spec.hop_frames = std::max(1, static_cast<int>(std::lround(o.export_hop_s / frame_s)));
        ctx.arch.segment_hop_s = ctx.spec.hop_frames * frame_s;
    }

    // The head's training data: every training segment; validation by track.
    const bool tags = o.head == "mlp_tags";
    const int64_t width = b.embedding_dim + b.n_scores + b.tap_dim, take = tags ? b.embedding_dim + b.n_scores : b.embedding_dim;
    std::vector<float> xtr, xva;
    std::vector<int64_t> ytr, yva;
    std::vector<int> otr, ova;
    gather_rows(emb, ctx.tracks, ctx.sets.train, width, 0, take, xtr, ytr, otr);
    for (size_t k = 0; k < aug_emb.size(); ++k) {  // each copy is a track of its own for the bags
        append_rows(aug_emb[k], width, 0, take, aug_labels[k], static_cast<int>(ctx.sets.train.size() + k), xtr, ytr, otr);
    }
    gather_rows(emb, ctx.tracks, ctx.sets.valid, width, 0, take, xva, yva, ova);
    const int64_t n_train = static_cast<int64_t>(ytr.size());
    if (n_train == 0) {
        std::fprintf(stderr, "genrescope train: no training segments\n");
        return 1;
    }
    torch::Tensor Xtr = torch::from_blob(xtr.data(), {n_train, take}).clone();
    const torch::Tensor Ytr = torch::tensor(ytr);
    torch::Tensor Xva = torch::from_blob(xva.data(), {static_cast<int64_t>(yva.size()), take}).clone();
    // --head-standardize: the head sees each input standardised with the training rows' mean and deviation
    // (a constant input gets deviation 1); folded into its first layer at export, so the graph is unchanged.
    torch::Tensor mu = torch::zeros({take}), sigma = torch::ones({take});
    if (o.head_standardize) {
        mu = Xtr.mean(0);
        sigma = Xtr.std(0, /*unbiased=*/false);
        sigma = torch::where(sigma > 1e-6, sigma, torch::ones_like(sigma));
        Xtr = (Xtr - mu) / sigma;
        Xva = (Xva - mu) / sigma;
    }
    // Class-balanced loss: each class weighs as much as the others whatever its number of segments.
    std::vector<double> count(static_cast<size_t>(n_classes), 0.0);
    for (int64_t y : ytr) count[static_cast<size_t>(y)] += 1;
    std::vector<float> cw(static_cast<size_t>(n_classes));
    for (int64_t c = 0; c < n_classes; ++c) {
        cw[static_cast<size_t>(c)] = count[static_cast<size_t>(c)] > 0 ? static_cast<float>(n_train / (n_classes * count[static_cast<size_t>(c)])) : 0.0f;
    }
    const torch::Tensor class_w = torch::tensor(cw);

    torch::manual_seed(static_cast<uint64_t>(o.seed));
    auto head = std::make_shared<head_net>(take, o.head_hidden, n_classes, o.head_dropout, o.head != "linear");
    torch::optim::AdamW opt(head->parameters(), torch::optim::AdamWOptions(lr).weight_decay(wd));
    const int64_t bags_per_step = std::max(1, batch / 8);  // a bag holds ~n/2 patches: fewer of them per step
    int64_t train_tracks = 0;
    for (size_t r = 0; r < otr.size(); ++r) train_tracks += r == 0 || otr[r] != otr[r - 1];
    const int64_t steps = bags ? (train_tracks * o.bags_per_track + bags_per_step - 1) / bags_per_step
                               : (n_train + batch - 1) / batch;
    const int64_t total = steps * epochs;
    train_state st;
    std::vector<torch::Tensor> best;
    std::mt19937_64 rng(static_cast<uint64_t>(o.seed));
    std::vector<int64_t> order(static_cast<size_t>(n_train));
    const bool has_valid = !ctx.sets.valid.empty();
    if (!o.quiet) {
        std::fprintf(stderr, "train %s on %s: %zu train / %zu valid / %zu test tracks, %lld training segments, head input %lld\n",
                     ctx.arch.name.c_str(), ctx.split_spec.c_str(), ctx.sets.train.size(), ctx.sets.valid.size(),
                     ctx.sets.test.size(), static_cast<long long>(n_train), static_cast<long long>(take));
    }
    for (int epoch = 1; epoch <= epochs; ++epoch) {
        const auto t0 = std::chrono::steady_clock::now();
        head->train();
        double loss_sum = 0, right = 0, counted = 0;
        // One step: the loss on `logits` ([n, classes]) against `y` ([n]): label-smoothed, class-weighted.
        auto step = [&](const torch::Tensor& logits, const torch::Tensor& y) {
            // ref: Loshchilov & Hutter 2017 (SGDR): cosine decay to zero over the whole schedule
            const double progress = std::min(1.0, static_cast<double>(st.step) / static_cast<double>(total));
            for (auto& g : opt.param_groups()) {
                static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr * 0.5 * (1 + std::cos(3.14159265358979323846 * progress)));
            }
            const torch::Tensor loss = smoothed_weighted_loss(logits, y, o.label_smoothing, class_w);
            opt.zero_grad();
            loss.backward();
            opt.step();
            ++st.step;
            loss_sum += loss.item<double>() * static_cast<double>(y.size(0));
            right += logits.argmax(1).eq(y).sum().item<double>();
            counted += static_cast<double>(y.size(0));
        };
        if (bags) {
            // A bag's logits are the mean of its patches' logits: at inference the geometric mean of the
            // track's patch probabilities is exactly softmax(mean logits), so the head learns what it is used for.
            const std::vector<bag> plan = draw_bags(otr, ytr, o.bags_per_track, rng);
            const int64_t per_step = bags_per_step;
            for (size_t a = 0; a < plan.size(); a += static_cast<size_t>(per_step)) {
                const bag_batch bb = make_bag_batch(plan, a, std::min(plan.size(), a + static_cast<size_t>(per_step)));
                step(bag_logits(bb, head->forward(Xtr.index_select(0, bb.rows))), bb.labels);
            }
        } else {
            for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
            std::shuffle(order.begin(), order.end(), rng);
            for (int64_t s = 0; s < steps; ++s) {
                const int64_t a = s * batch, e = std::min(n_train, a + batch);
                const torch::Tensor idx = torch::tensor(std::vector<int64_t>(order.begin() + a, order.begin() + e));
                step(head->forward(Xtr.index_select(0, idx)), Ytr.index_select(0, idx));
            }
        }
        epoch_record rec;
        rec.epoch = epoch;
        rec.train_loss = loss_sum / std::max(1.0, counted);
        rec.train_accuracy = right / std::max(1.0, counted);
        rec.learning_rate = lr;
        rec.valid_segment_accuracy = rec.valid_track_accuracy = NAN;
        if (has_valid) {
            torch::NoGradGuard no_grad;
            head->eval();
            const torch::Tensor logits = head->forward(Xva);
            const torch::Tensor p = (bags ? torch::log_softmax(logits, 1) : torch::softmax(logits, 1)).contiguous();
            rec.valid_segment_accuracy = p.argmax(1).eq(torch::tensor(yva)).to(torch::kFloat64).mean().item<double>();
            rec.valid_track_accuracy = track_accuracy(p, ova, yva, ctx.sets.valid.size());
        }
        rec.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        rec.segments_per_s = n_train / std::max(rec.seconds, 1e-9);
        st.history.push_back(rec);
        if (!has_valid || st.best_epoch == 0 || rec.valid_track_accuracy > st.best_metric) {
            st.best_metric = rec.valid_track_accuracy;
            st.best_epoch = epoch;
            best.clear();
            for (const torch::Tensor& t : head->parameters()) best.push_back(t.detach().clone());
        }
        st.epoch = epoch;
        if (!o.quiet && (epoch % 10 == 0 || epoch == epochs)) {
            std::fprintf(stderr, "epoch %d: loss %.4f, train acc %.4f, valid track acc %.4f (best %.4f at epoch %d)\n", epoch,
                         rec.train_loss, rec.train_accuracy, rec.valid_track_accuracy, st.best_metric, st.best_epoch);
        }
    }
    st.history_json = history_to_json(st);

    // Backbone + the selected head as one graph and one set of weights.
    ctx.graph = b.graph;
    ctx.graph.arch = ctx.arch.name;
    append_head(b, o, n_classes, ctx.graph);
    // Second and third outputs: the backbone's embedding (maps, similar songs) and its own scores (tags).
    ctx.graph.extra_outputs = {b.embedding, b.scores};
    if (!b.tags.is_null()) {
        // The backbone's genre tags, with which of them mean our labels and which name other music (the
        // "outside the model's genres" verdict of classify and the page).
        json_value tags = b.tags;
        const int unmatched = add_genre_rule(tags, ctx.data.labels);
        if (unmatched > 0 && !o.quiet) {
            std::fprintf(stderr, "note: %d of the %zu labels match none of %s's genre tags (they never count as inside)\n",
                         unmatched, ctx.data.labels.size(), b.name.c_str());
        }
        ctx.backbone.set("tags", tags);
    }
    ir_weights w = b.weights;
    {
        torch::NoGradGuard no_grad;
        for (size_t i = 0; i < best.size(); ++i) head->parameters()[i].copy_(best[i]);
        auto put = [&](const std::string& name, const torch::nn::Linear& l, bool first) {
            torch::Tensor wt = l->weight.detach(), bs = l->bias.detach();
            if (first) {  // W ((x - mu) / sigma) + b == (W / sigma) x + (b - (W / sigma) mu)
                wt = wt / sigma.unsqueeze(0);
                bs = bs - wt.matmul(mu);
            }
            wt = wt.contiguous();
            bs = bs.contiguous();
            w[name + ".weight"].assign(wt.data_ptr<float>(), wt.data_ptr<float>() + wt.numel());
            w[name + ".bias"].assign(bs.data_ptr<float>(), bs.data_ptr<float>() + bs.numel());
        };
        if (head->mlp_) put("head_hidden", head->hidden_, true);
        put("head_out", head->out_, !head->mlp_);
    }
    try {
        ir_module model(ctx.graph);
        if (!(err = model->set_weights(w)).empty()) {
            std::fprintf(stderr, "genrescope train: %s\n", err.c_str());
            return 1;
        }
        if (o.backbone_lr > 0) {
            // Then the layers after the cut with the head (LP-FT), on the tap's cached values.
            fine_tune_rows tr, va;
            std::vector<float> x;
            const int64_t off = b.embedding_dim + b.n_scores;
            gather_rows(emb, ctx.tracks, ctx.sets.train, width, off, b.tap_dim, x, tr.y, tr.owner);
            for (size_t k = 0; k < aug_emb.size(); ++k) {
                append_rows(aug_emb[k], width, off, b.tap_dim, aug_labels[k], static_cast<int>(ctx.sets.train.size() + k), x,
                            tr.y, tr.owner);
            }
            std::vector<track_embeddings>().swap(aug_emb);
            tr.n_tracks = ctx.sets.train.size() + aug_labels.size();
            tr.x = torch::from_blob(x.data(), {static_cast<int64_t>(tr.y.size()), b.tap_dim}).clone();
            std::vector<float>().swap(x);
            gather_rows(emb, ctx.tracks, ctx.sets.valid, width, off, b.tap_dim, x, va.y, va.owner);
            va.n_tracks = ctx.sets.valid.size();
            va.x = torch::from_blob(x.data(), {static_cast<int64_t>(va.y.size()), b.tap_dim}).clone();
            std::vector<float>().swap(x);
            fine_tune_options fo;
            fo.from = b.tap;
            fo.tap_shape = b.tap_shape;
            fo.learning_rate = o.backbone_lr;
            fo.head_weight_decay = wd;
            fo.epochs = o.fine_tune_epochs;
            fo.bags_per_step = static_cast<int>(bags_per_step);
            fo.label_smoothing = o.label_smoothing;
            fo.seed = static_cast<uint64_t>(o.seed);
            fo.quiet = o.quiet;
            json_value report;
            if (!(err = fine_tune(model, tr, va, class_w, fo, report)).empty()) {
                std::fprintf(stderr, "genrescope train: %s\n", err.c_str());
                return 1;
            }
            ctx.backbone.set("fine_tune", report);
            w = model->weights();
        }
        st.best_weights = w;
        ctx.total_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
        return finalize_training(model, ctx, st, torch::Device(torch::kCPU));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "genrescope train: %s\n", e.what());
        return 1;
    }
}

}  // namespace gs
