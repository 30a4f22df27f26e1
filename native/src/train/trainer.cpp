// trainer.cpp: `genrescope train`: prepares the data, runs the training loop with checkpoints, then finalises.
//
// (data preparation: prepare.cpp; checkpoints: checkpoint.cpp; distributed: distributed.cpp)
// [SECTION] training loop   [SECTION] run_training
#include "train/trainer.h"

#include <ATen/autocast_mode.h>
#include <torch/torch.h>
#include <torch/version.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "data/dataset.h"
#include "data/feature_cache.h"
#include "eval/metrics.h"
#include "model/archs.h"
#include "model/ir_torch.h"
#include "train/device_batch.h"
#include "train/finalize.h"
#include "train/backbone_train.h"
#include "train/checkpoint.h"
#include "train/distributed.h"
#include "train/kfold.h"
#include "train/heap_reuse.h"
#include "train/prepare.h"
#include "train/train_data.h"
#include "train/weight_ema.h"

namespace fs = std::filesystem;

namespace gs {

namespace {

// [SECTION] training loop ---------------------------------------------------------------------------------

// Learning rate at `step` of `total`: linear warm-up over `warmup` steps, then cosine decay to zero.
// ref: Loshchilov & Hutter 2017 (SGDR) cosine schedule; Goyal et al. 2017 warm-up
double lr_at(double base, int64_t step, int64_t warmup, int64_t total) {
    if (warmup > 0 && step < warmup) return base * static_cast<double>(step + 1) / static_cast<double>(warmup);
    const double progress = total > warmup ? static_cast<double>(step - warmup) / static_cast<double>(total - warmup) : 1.0;
    return base * 0.5 * (1.0 + std::cos(3.14159265358979323846 * std::min(1.0, progress)));
}

class progress_line {
public:
    explicit progress_line(bool quiet) : quiet_(quiet), tty_(isatty(2) != 0) {}
    void update(int epoch, int epochs, int step, int steps, double loss, double acc, double seg_per_s, double eta_s) {
        if (quiet_) return;
        const bool last = step == steps;
        if (!tty_ && !last) return;  // plain logs: one line per epoch
        char bar[21];
        const int filled = steps > 0 ? 20 * step / steps : 20;
        for (int i = 0; i < 20; ++i) bar[i] = i < filled ? '#' : '.';
        bar[20] = '\0';
        std::fprintf(stderr, "%sepoch %d/%d [%s] step %d/%d loss %.4f acc %.3f %.0f seg/s ETA %s%s",
                     tty_ ? "\r" : "", epoch, epochs, bar, step, steps, loss, acc, seg_per_s, format_eta(eta_s).c_str(),
                     tty_ && !last ? "" : "\n");
        std::fflush(stderr);
    }

private:
    static std::string format_eta(double s) {
        char buf[32];
        const int t = static_cast<int>(std::max(0.0, s));
        std::snprintf(buf, sizeof buf, "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60);
        return buf;
    }
    bool quiet_;
    bool tty_;
};

}  // namespace

// [SECTION] run_training -----------------------------------------------------------------------------------

namespace {
int run_single(const train_options& o, dist_group& dist);

}  // namespace

int run_training(const train_options& given) {
    train_options o = given;  // --device auto resolved once, here
    if (o.device == "auto") o.device = torch::cuda::is_available() ? "cuda" : "cpu";
    // Without this, CPU training spends most of its time in page faults (heap_reuse.h).
    const std::string heap = keep_large_blocks_on_heap();
    if (!heap.empty() && !o.quiet) std::fprintf(stderr, "note: %s (CPU training may be slower)\n", heap.c_str());
    // Data-parallel when WORLD_SIZE > 1 (one group for every fold of a k-fold run): one process per GPU
    // (LOCAL_RANK) or per share of the CPU cores.
    dist_group dist;
    std::string err = dist.init_from_env(o.dist_backend, o.device == "cuda", o.dist_timeout_s);
    if (err.empty() && dist.active() && !o.backbone.empty()) {
        err = "distributed: heads on a pretrained backbone train in one process (they take seconds); run without WORLD_SIZE > 1";
    }
    if (!err.empty()) {
        std::fprintf(stderr, "genrescope train: %s\n", err.c_str());
        return err.find("heads on") != std::string::npos ? 2 : 1;
    }
    int k = 0;
    char tail = 0;
    if (std::sscanf(o.split.c_str(), "kfold:%d%c", &k, &tail) == 1) {
        if (k < 2 || k > 100) {
            std::fprintf(stderr, "genrescope train: kfold:K needs 2 <= K <= 100\n");
            return 2;
        }
        return run_all_folds(o, k, dist, run_single);
    }
    return run_single(o, dist);
}

namespace {
// Switches bf16 autocast for CUDA on or off. libtorch 2.4 replaced the CUDA-only calls (still in Debian's
// 1.13) with ones that name the device type.
void set_cuda_autocast(bool on) {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
    at::autocast::set_autocast_enabled(at::kCUDA, on);
#else
    at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
    at::autocast::set_enabled(on);
#endif
}

int run_single(const train_options& o_given, dist_group& dist) {
    if (!o_given.backbone.empty()) return run_backbone_single(o_given);  // a head on a frozen pretrained network
    train_options o = o_given;
    const auto t_start = std::chrono::steady_clock::now();
    arch_info arch;
    std::string err = find_arch(o.arch, o.feature, arch);
    if (err.empty() && o.data_dir.empty() == o.list_csv.empty()) err = "give exactly one of --data DIR and --list FILE.csv";
    if (!err.empty()) {
        std::fprintf(stderr, "genrescope train: %s\n", err.c_str());
        return 2;
    }
    const int epochs = o.epochs > 0 ? o.epochs : arch.epochs;
    const int batch = o.batch_size > 0 ? o.batch_size : arch.batch_size;
    const double base_lr = o.learning_rate > 0 ? o.learning_rate : arch.learning_rate;
    const double wd = o.weight_decay >= 0 ? o.weight_decay : arch.weight_decay;
    const bool want_cuda = o.device == "cuda";  // run_training resolved "auto"
    if (want_cuda && !torch::cuda::is_available()) {
        std::fprintf(stderr, "genrescope train: --device cuda but this libtorch has no CUDA device\n");
        return 2;
    }
    if (dist.rank() != 0) o.quiet = true;  // only rank 0 logs
    const char* local_world_env = std::getenv("LOCAL_WORLD_SIZE");
    const int local_world = std::max(1, local_world_env ? std::atoi(local_world_env) : dist.world());
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    torch::set_num_threads(o.threads > 0 ? o.threads : std::max(1, cores / local_world));
    torch::Device device(torch::kCPU);
    if (want_cuda) device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(dist.active() ? dist.local_rank() : 0));

    train_context ctx;
    ctx.dist_rank = dist.rank();
    ctx.dist_world = dist.world();
    ctx.dist_backend = dist.active() ? dist.backend() : "";
    ctx.dist_barrier = [&dist]() { return dist.barrier(); };
    ctx.arch = arch;
    ctx.options = o;
    ctx.options.level_align = o.level_align >= 0 ? o.level_align : (arch.level_align ? 1 : 0);
    ctx.options.noise_texture = o.noise_texture >= 0 ? o.noise_texture : (arch.noise_texture ? 1 : 0);
    ctx.options.band_limit = o.band_limit >= 0 ? o.band_limit : arch.band_limit;
    ctx.run_dir = o.run_dir.empty() ? "runs/" + arch.name : o.run_dir;
    ctx.device_name = device.is_cuda() ? "cuda" : "cpu";
    if (!(err = prepare_data(o, arch, ctx)).empty()) {
        std::fprintf(stderr, "genrescope train: %s\n", err.c_str());
        return 1;
    }
    std::error_code ec;
    fs::create_directories(ctx.run_dir, ec);
    if (ec) {
        std::fprintf(stderr, "genrescope train: cannot create %s: %s\n", ctx.run_dir.c_str(), ec.message().c_str());
        return 1;
    }
    const int n_classes = static_cast<int>(ctx.data.labels.size());
    const int n_bins = ctx.config.n_bins();
    if (!(err = build_arch(arch.name, n_bins, ctx.spec.frames, n_classes, ctx.graph,
                            ctx.options.level_align == 1)).empty()) {
        std::fprintf(stderr, "genrescope train: %s\n", err.c_str());
        return 1;
    }
    torch::manual_seed(static_cast<uint64_t>(o.seed));
    ir_module model(ctx.graph);
    if (ctx.options.level_align == 1) {
        ir_weights w = model->weights();
        if ((err = set_level_align(ctx.graph, ctx.config, w)).empty()) err = model->set_weights(w);
        if (!err.empty()) {
            std::fprintf(stderr, "genrescope train: --level-align: %s\n", err.c_str());
            return 2;
        }
    }
    model->to(device);

    // Weight decay on weights only, not on biases and batch-norm parameters.
    std::vector<torch::Tensor> decay, no_decay;
    for (const auto& p : model->named_parameters()) (p.value().dim() > 1 ? decay : no_decay).push_back(p.value());
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(base_lr).weight_decay(wd)));
    groups.emplace_back(no_decay, std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(base_lr).weight_decay(0.0)));
    torch::optim::AdamW opt(groups, torch::optim::AdamWOptions(base_lr));

    augment_options aug;
    aug.spec_augment = o.spec_augment >= 0 ? o.spec_augment != 0 : arch.spec_augment;
    aug.mixup_alpha = o.mixup_alpha >= 0 ? o.mixup_alpha : arch.mixup_alpha;
    aug.label_smoothing = o.label_smoothing;
    aug.gain_db = o.gain_db;
    aug.noise_prob = o.noise_prob;
    aug.noise_texture = ctx.options.noise_texture == 1;
    aug.band_limit_prob = ctx.options.band_limit;
    segment_sampler sampler(&ctx.tracks, &ctx.sets.train, n_bins, n_classes, ctx.spec, aug, ctx.config);
    soft_target_table teacher;
    if (!o.teacher.model_path.empty()) {
        err = build_teacher_table(o.teacher, ctx.tracks, ctx.sets.train, ctx.config, ctx.data.labels, ctx.spec.frames,
                                  device.is_cuda(), teacher, ctx.teacher);
        if (!err.empty()) {
            std::fprintf(stderr, "genrescope train: %s\n", err.c_str());
            return 1;
        }
        if (!o.quiet) {
            std::fprintf(stderr, "teacher %s: %lld crops of the training tracks scored in %.1f s, top class = label on %.1f%%\n",
                         ctx.teacher.arch.c_str(), static_cast<long long>(ctx.teacher.crops), ctx.teacher.seconds,
                         100 * ctx.teacher.label_agreement);
        }
        sampler.set_teacher(&teacher, o.teacher.weight);
    }
    // The training features live on the training device; batches are cut and augmented there.
    device_batcher batcher(ctx.tracks, ctx.sets.train, n_bins, ctx.spec.frames, ctx.spec.fill, n_classes, ctx.config, aug.noise_texture,
                           device);
    const int64_t samples_per_epoch = static_cast<int64_t>(ctx.sets.train.size()) * o.crops_per_track;
    const int steps = static_cast<int>(std::max<int64_t>(1, (samples_per_epoch + batch - 1) / batch));
    const int64_t total_steps = static_cast<int64_t>(steps) * epochs;
    const int64_t warmup_steps = std::min<int64_t>(static_cast<int64_t>(o.warmup_epochs * steps), total_steps / 5);

    // Holds references to the model's weight tensors: a checkpoint load below copies into the same tensors.
    weight_ema ema(model, o.ema_decay);
    train_state st;
    const std::string ckpt = ctx.run_dir + "/checkpoint.pt";
    if (o.resume) {
        if (!fs::exists(ckpt)) {
            std::fprintf(stderr, "genrescope train: --resume: no checkpoint at %s\n", ckpt.c_str());
            return 1;
        }
        if (!(err = load_checkpoint(ckpt, model, opt, ema, st)).empty()) {
            std::fprintf(stderr, "genrescope train: %s\n", err.c_str());
            return 1;
        }
        if (!o.quiet) std::fprintf(stderr, "resumed after epoch %d (best valid track accuracy %.4f)\n", st.epoch, st.best_metric);
    }
    // Every rank starts from rank 0's weights (the same seed gives the same ones; this makes sure).
    if (!(err = dist.broadcast(model->parameters())).empty() || !(err = dist.broadcast(model->buffers())).empty()) {
        std::fprintf(stderr, "genrescope train: %s\n", err.c_str());
        return 1;
    }
    if (dist.active() && !o.quiet) {
        std::fprintf(stderr, "distributed: %d processes over %s, a global batch of %d split across them\n", dist.world(),
                     dist.backend().c_str(), batch);
    }
    // After to(device) and any checkpoint load (both leave every weight in its own buffer).
    if (!(err = model->compact_recurrent_weights()).empty()) {
        std::fprintf(stderr, "note: recurrent weights not compacted (%s); cuDNN copies them at every step\n", err.c_str());
    }
    if (!o.quiet) {
        std::fprintf(stderr, "train %s on %s: %zu train / %zu valid / %zu test tracks, %d classes, %d x %d input, %lld params, %s\n",
                     arch.name.c_str(), ctx.split_spec.c_str(), ctx.sets.train.size(), ctx.sets.valid.size(),
                     ctx.sets.test.size(), n_classes, n_bins, ctx.spec.frames,
                     static_cast<long long>(ir_count_parameters(ctx.graph)), ctx.device_name.c_str());
    }
    progress_line progress(o.quiet);
    batch_plan b;
    int epochs_this_process = 0;
    while (st.epoch < epochs && st.epoch - st.best_epoch < o.patience + 1) {
        const int epoch = st.epoch + 1;
        // Every epoch draws from generators seeded by (seed, epoch), so a resumed run repeats exactly the
        // epochs an uninterrupted run would have.
        std::mt19937_64 rng(static_cast<uint64_t>(o.seed) * 1000003ull + static_cast<uint64_t>(epoch));
        torch::manual_seed(static_cast<uint64_t>(o.seed) * 7919ull + static_cast<uint64_t>(epoch));
        model->train();
        // The epoch's loss and correct-prediction sums stay on the device; the host reads them every
        // `read_every` steps. On CUDA a read waits for the GPU to finish, so reading every step would stop the
        // CPU from queueing the next step while the GPU runs this one. On the CPU a read is free.
        const int read_every = device.is_cuda() ? 16 : 1;
        const torch::Tensor loss_acc = torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat64).device(device));
        const torch::Tensor correct_acc = torch::zeros({}, torch::TensorOptions().dtype(torch::kInt64).device(device));
        double loss_sum = 0, correct = 0, seen = 0;
        const auto t0 = std::chrono::steady_clock::now();
        for (int s = 1; s <= steps; ++s) {
            const double lr = lr_at(base_lr, st.step, warmup_steps, total_steps);
            for (auto& g : opt.param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
            sampler.plan(batch, rng, b);
            torch::Tensor x, y;
            batcher.materialize(b, x, y);
            // Data-parallel: every rank draws and cuts the same global batch (mixup partners may lie in another
            // rank's rows) and trains on its slice; its loss is weighted by its share, so the summed gradients
            // are the global batch's.
            int lo = 0, hi = b.n;
            batch_slice(b.n, dist.rank(), dist.world(), lo, hi);
            if (dist.active()) {
                x = x.narrow(0, lo, hi - lo);
                y = y.narrow(0, lo, hi - lo);
                model->set_batch_slice(b.n, lo);
            }
            const int n_here = hi - lo;
            opt.zero_grad();
            torch::Tensor logits;
            if (device.is_cuda()) {
                // bf16 autocast on CUDA: matmuls and convolutions in bfloat16, reductions and the loss in float.
                set_cuda_autocast(true);
                logits = model->forward(x).to(torch::kFloat32);
                at::autocast::clear_cache();
                set_cuda_autocast(false);
            } else {
                logits = model->forward(x);
            }
            torch::Tensor loss = -(y * torch::log_softmax(logits, 1)).sum(1).mean();
            (dist.active() ? loss * (static_cast<double>(n_here) / b.n) : loss).backward();
            if (!(err = dist.allreduce_gradients(model->parameters())).empty()) {
                std::fprintf(stderr, "\ngenrescope train: %s\n", err.c_str());
                return 1;
            }
            opt.step();
            ++st.step;
            ema.update(st.step);
            {
                torch::NoGradGuard no_grad;
                const torch::Tensor labels =
                    batcher.upload(torch::from_blob(b.labels.data() + lo, {n_here}, torch::kInt32)).to(torch::kInt64);
                loss_acc.add_(loss.detach().to(torch::kFloat64) * n_here);
                correct_acc.add_(logits.detach().argmax(1).eq(labels).sum());
            }
            seen += n_here;
            if (s % read_every != 0 && s != steps) continue;
            loss_sum = loss_acc.item<double>();
            correct = static_cast<double>(correct_acc.item<int64_t>());
            if (!std::isfinite(loss_sum)) {
                // Found at the first read after it happened (within read_every steps); the weights of this
                // epoch are not kept (no checkpoint is written).
                std::fprintf(stderr, "\ngenrescope train: the loss became %s in epoch %d by step %d; try a lower --lr (now %g)\n",
                             std::isnan(loss_sum) ? "NaN" : "infinite", epoch, s, base_lr);
                return 1;
            }
            const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            const double rate = seen / std::max(secs, 1e-9);
            const double eta = (static_cast<double>(total_steps - st.step) * batch) / std::max(rate, 1e-9);
            progress.update(epoch, epochs, s, steps, loss_sum / seen, correct / seen, rate, eta);
        }
        const double epoch_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        // Data-parallel: the epoch's sums over every rank; batch-norm running statistics averaged (each rank
        // normalised its slice with the slice's own batch statistics during the epoch).
        std::vector<double> sums = {loss_sum, correct, seen};
        if (!(err = dist.sum(sums)).empty() || !(err = dist.average(model->buffers())).empty()) {
            std::fprintf(stderr, "\ngenrescope train: %s\n", err.c_str());
            return 1;
        }
        loss_sum = sums[0];
        correct = sums[1];
        seen = sums[2];
        epoch_record rec;
        rec.epoch = epoch;
        rec.train_loss = loss_sum / seen;
        rec.train_accuracy = correct / seen;
        rec.learning_rate = lr_at(base_lr, st.step - 1, warmup_steps, total_steps);
        rec.seconds = epoch_s;
        rec.segments_per_s = seen / std::max(epoch_s, 1e-9);
        // Without a validation set (--split none: the final model on all data) nothing is selected: the
        // schedule runs its full length and the last epoch's weights are kept.
        const bool has_valid = !ctx.sets.valid.empty();
        ema.swap();  // with --ema, validate and keep the average; swapped back before the next epoch
        rec.valid_segment_accuracy = rec.valid_track_accuracy = NAN;
        if (has_valid) {  // rank 0 validates; every rank selects and stops on its numbers
            std::vector<double> v = {NAN, NAN};
            if (dist.rank() == 0) {
                set_predictions valid;
                predict_set(model, ctx, ctx.sets.valid, device, false, valid);
                v = {valid.segment_accuracy, valid.track_accuracy};
            }
            if (!(err = dist.broadcast(v)).empty()) {
                std::fprintf(stderr, "genrescope train: %s\n", err.c_str());
                return 1;
            }
            rec.valid_segment_accuracy = v[0];
            rec.valid_track_accuracy = v[1];
        }
        st.history.push_back(rec);
        const double metric = rec.valid_track_accuracy;
        if (!has_valid || st.best_epoch == 0 || metric > st.best_metric) {
            st.best_metric = metric;
            st.best_epoch = epoch;
            st.best_weights = model->weights();
        }
        ema.swap();
        st.epoch = epoch;
        st.history_json = history_to_json(st);
        if (!o.quiet && !has_valid) {
            std::fprintf(stderr, "epoch %d: no validation set, %.1f s\n", epoch, epoch_s);
        } else if (!o.quiet) {
            std::fprintf(stderr, "epoch %d: valid segment acc %.4f, track acc %.4f (best %.4f at epoch %d), %.1f s\n",
                         epoch, rec.valid_segment_accuracy, rec.valid_track_accuracy, st.best_metric, st.best_epoch,
                         epoch_s);
        }
        if (dist.rank() == 0 && !(err = save_checkpoint(ckpt, model, opt, ema, st)).empty()) {
            std::fprintf(stderr, "genrescope train: %s\n", err.c_str());
            return 1;
        }
        if (!(err = dist.barrier()).empty()) {  // nobody runs ahead of the checkpoint --resume would use
            std::fprintf(stderr, "genrescope train: %s\n", err.c_str());
            return 1;
        }
        if (++epochs_this_process == o.stop_after_epochs) {
            std::fprintf(stderr, "stopping after %d epochs as asked (--stop-after-epochs)\n", epochs_this_process);
            return 0;
        }
    }
    ctx.total_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    // The penultimate layer as a second ONNX output: the embedding of library maps and similar songs.
    const std::string penultimate = ir_penultimate(ctx.graph);
    if (!penultimate.empty()) ctx.graph.extra_outputs = {penultimate};
    // Rank 0 evaluates, reports and exports; the others wait for it (a k-fold run's next fold reads the report).
    const int rc = dist.rank() == 0 ? finalize_training(model, ctx, st, device) : 0;
    if (!(err = dist.barrier()).empty()) {
        std::fprintf(stderr, "genrescope train: %s\n", err.c_str());
        return 1;
    }
    return rc;
}
}  // namespace

}  // namespace gs
