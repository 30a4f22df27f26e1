// fine_tune.cpp: the last layers of a backbone and its head trained together on cached activations (fine_tune.h).
#include "train/fine_tune.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <set>

#include "train/head_rows.h"

namespace gs {

namespace {

// Validation track accuracy of the model from the tap: geometric mean of each track's patch probabilities.
double valid_accuracy(ir_module& model, const fine_tune_rows& v, const fine_tune_options& o) {
    if (v.n_tracks == 0 || v.y.empty()) return NAN;
    torch::NoGradGuard no_grad;
    std::vector<int64_t> shape = {0};
    shape.insert(shape.end(), o.tap_shape.begin(), o.tap_shape.end());
    std::vector<torch::Tensor> parts;
    constexpr int64_t kChunk = 256;
    const int64_t rows = v.x.size(0);
    for (int64_t a = 0; a < rows; a += kChunk) {
        const torch::Tensor x = v.x.slice(0, a, std::min(rows, a + kChunk));
        shape[0] = x.size(0);
        parts.push_back(torch::log_softmax(model->forward_from(o.from, x.reshape(shape), model->graph().logits), 1));
    }
    return track_accuracy(torch::cat(parts).contiguous(), v.owner, v.y, v.n_tracks);
}

}  // namespace

std::string fine_tune(ir_module& model, const fine_tune_rows& train, const fine_tune_rows& valid,
                      const torch::Tensor& class_weights, const fine_tune_options& o, json_value& report) {
    const ir_graph& g = model->graph();
    if (train.y.empty()) return "fine-tune: no training rows";
    if (o.epochs < 1 || !(o.learning_rate > 0) || o.bags_per_step < 1) return "fine-tune: bad options";
    // What trains: the params of the nodes after the cut that the logits depend on (not, say, the backbone's own
    // classifier, whose scores give the tags); their batch-norm statistics stay as they are (buffers).
    std::set<std::string> needed = {g.logits};
    for (auto it = g.nodes.rbegin(); it != g.nodes.rend(); ++it) {
        if (needed.count(it->output)) needed.insert(it->inputs.begin(), it->inputs.end());
    }
    const std::vector<size_t> after = ir_nodes_after(g, o.from);
    std::vector<torch::Tensor> backbone_params, head_params;
    json_value layers = json_value::array();
    int64_t n_values = 0;
    for (const torch::Tensor& t : model->parameters()) t.set_requires_grad(false);
    for (size_t i : after) {
        const ir_node& n = g.nodes[i];
        if (!needed.count(n.output) || n.params.empty()) continue;
        const bool head = n.name.rfind("head_", 0) == 0;
        bool any = false;
        for (const ir_param& p : n.params) {
            if (ir_param_is_buffer(n, p.name)) continue;
            torch::Tensor t = model->tensor(n.name + "." + p.name);
            t.set_requires_grad(true);
            (head ? head_params : backbone_params).push_back(t);
            n_values += t.numel();
            any = true;
        }
        if (any && !head) layers.push_back(n.name);
    }
    if (backbone_params.empty()) return "fine-tune: no backbone layer with weights after '" + o.from + "'";
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(backbone_params, std::make_unique<torch::optim::AdamWOptions>(
                                             torch::optim::AdamWOptions(o.learning_rate).weight_decay(0)));
    if (!head_params.empty()) {
        groups.emplace_back(head_params, std::make_unique<torch::optim::AdamWOptions>(
                                             torch::optim::AdamWOptions(o.learning_rate).weight_decay(o.head_weight_decay)));
    }
    torch::optim::AdamW opt(groups, torch::optim::AdamWOptions(o.learning_rate));

    model->eval();
    std::mt19937_64 rng(o.seed ^ 0x5eedf17eULL);
    std::vector<int64_t> shape = {0};
    shape.insert(shape.end(), o.tap_shape.begin(), o.tap_shape.end());
    const size_t n_bags = train.n_tracks;  // one bag per training track per epoch
    const int64_t steps_per_epoch = static_cast<int64_t>((n_bags + o.bags_per_step - 1) / o.bags_per_step);
    const int64_t total = steps_per_epoch * o.epochs;
    int64_t step = 0;

    double best = valid_accuracy(model, valid, o);
    const double before = best;
    int best_epoch = 0;
    std::vector<torch::Tensor> kept;
    auto keep = [&] {
        kept.clear();
        for (const torch::Tensor& t : backbone_params) kept.push_back(t.detach().clone());
        for (const torch::Tensor& t : head_params) kept.push_back(t.detach().clone());
    };
    keep();
    json_value epochs = json_value::array();
    if (!o.quiet) {
        std::fprintf(stderr, "fine-tune: %zu layers after %s (%lld values) at lr %g; valid track acc before: %.4f\n",
                     layers.size(), o.from.c_str(), static_cast<long long>(n_values), o.learning_rate, best);
    }
    for (int epoch = 1; epoch <= o.epochs; ++epoch) {
        const auto t0 = std::chrono::steady_clock::now();
        const std::vector<bag> plan = draw_bags(train.owner, train.y, 1, rng);
        double loss_sum = 0, right = 0, patches = 0;
        for (size_t a = 0; a < plan.size(); a += static_cast<size_t>(o.bags_per_step)) {
            // ref: Loshchilov & Hutter 2017 (SGDR): cosine decay to zero over the whole schedule
            const double progress = static_cast<double>(step) / static_cast<double>(total);
            for (auto& grp : opt.param_groups()) {
                static_cast<torch::optim::AdamWOptions&>(grp.options()).lr(o.learning_rate * 0.5 * (1 + std::cos(M_PI * progress)));
            }
            const bag_batch bb = make_bag_batch(plan, a, std::min(plan.size(), a + static_cast<size_t>(o.bags_per_step)));
            const torch::Tensor x = train.x.index_select(0, bb.rows);
            shape[0] = x.size(0);
            const torch::Tensor logits = bag_logits(bb, model->forward_from(o.from, x.reshape(shape), g.logits));
            const torch::Tensor loss = smoothed_weighted_loss(logits, bb.labels, o.label_smoothing, class_weights);
            opt.zero_grad();
            loss.backward();
            opt.step();
            ++step;
            loss_sum += loss.item<double>() * static_cast<double>(bb.labels.size(0));
            right += logits.argmax(1).eq(bb.labels).sum().item<double>();
            patches += static_cast<double>(bb.rows.size(0));
        }
        const double acc = valid_accuracy(model, valid, o);
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        json_value e = json_value::object();
        e.set("epoch", epoch);
        e.set("train_loss", loss_sum / static_cast<double>(plan.size()));
        e.set("train_bag_accuracy", right / static_cast<double>(plan.size()));
        e.set("valid_track_accuracy", std::isnan(acc) ? json_value() : json_value(acc));
        e.set("seconds", secs);
        epochs.push_back(e);
        if (std::isnan(acc) || acc > best) {
            best = acc;
            best_epoch = epoch;
            keep();
        }
        if (!o.quiet) {
            std::fprintf(stderr, "fine-tune epoch %d: loss %.4f, train bag acc %.4f, valid track acc %.4f (best %.4f at epoch %d), %.0f patches, %.1f s\n",
                         epoch, loss_sum / static_cast<double>(plan.size()), right / static_cast<double>(plan.size()),
                         acc, best, best_epoch, patches, secs);
        }
    }
    {
        torch::NoGradGuard no_grad;
        size_t k = 0;
        for (torch::Tensor& t : backbone_params) t.copy_(kept[k++]);
        for (torch::Tensor& t : head_params) t.copy_(kept[k++]);
    }
    for (const torch::Tensor& t : model->parameters()) t.set_requires_grad(true);
    report = json_value::object();
    report.set("from", o.from);
    report.set("layers", layers);
    report.set("trained_values", static_cast<double>(n_values));
    report.set("learning_rate", o.learning_rate);
    report.set("backbone_weight_decay", 0.0);
    report.set("batch_norm", "running statistics frozen (eval mode); scale and shift train");
    report.set("epochs", o.epochs);
    report.set("bags_per_step", o.bags_per_step);
    report.set("best_epoch", best_epoch);
    report.set("valid_track_accuracy_before", std::isnan(before) ? json_value() : json_value(before));
    report.set("valid_track_accuracy", std::isnan(best) ? json_value() : json_value(best));
    report.set("history", epochs);
    return "";
}

}  // namespace gs
