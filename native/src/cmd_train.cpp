// cmd_train.cpp: `genrescope train` and `genrescope archs`: option parsing in front of the trainer.
#include <cstdio>
#include <string>

#include "cli_args.h"
#include "commands.h"
#include "genrescope/segments.h"
#include "model/archs.h"
#include "train/trainer.h"

namespace gs {

int cmd_archs(int argc, char** argv) {
    (void)argc;
    (void)argv;
    // Parameter counts are for the architecture's default input and 10 classes (GTZAN).
    for (const arch_info& a : arch_list()) {
        const segment_spec spec = segment_spec_from_seconds(a.segment_s, a.segment_hop_s, a.features.sample_rate_hz,
                                                            a.features.stft.hop_length);
        ir_graph g;
        const long long params =
            build_arch(a.name, a.features.n_bins(), spec.frames, 10, g).empty() ? static_cast<long long>(ir_count_parameters(g)) : -1;
        std::printf("%-18s %-8s %8lld params  %s  [%s]\n", a.name.c_str(), to_string(a.features.kind), params,
                    a.summary.c_str(), a.reference.c_str());
    }
    return kExitOk;
}

int cmd_train(int argc, char** argv) {
    cli_args a(argc, argv, 0,
               {"data", "list", "split", "arch", "feature", "run-dir", "out", "cache-dir", "device", "epochs", "batch-size",
                "lr", "weight-decay", "warmup-epochs", "label-smoothing", "mixup", "spec-augment", "gain-db", "noise-prob",
                "noise-texture", "band-limit", "teacher", "teacher-weight", "teacher-temp",
                "crops-per-track", "ema", "patience", "seed", "threads", "split-dir", "stop-after-epochs", "level-align",
                "backbone", "head", "head-hidden", "head-dropout", "head-loss", "bags-per-track", "hop-s", "segment-fill", "augment-copies", "pretrained-dir", "segment-s",
                "backbone-lr", "fine-tune-from", "fine-tune-epochs",
                "dist-backend", "dist-timeout"},
               
{"resume", "quiet", "freeze", "head-standardize"});
    train_options o;
    o.data_dir = a.get("data");
    o.list_csv = a.get("list");
    o.split = a.get("split");
    o.arch = a.get("arch", "genrescope_cnn");
    o.feature = a.get("feature");
    o.run_dir = a.get("run-dir", a.get("out"));
    o.cache_dir = a.get("cache-dir");
    o.device = a.get("device", "auto");
    o.repo_split_dir = a.get("split-dir", GENRESCOPE_SPLIT_DIR);
    o.epochs = a.get_int("epochs", -1, 1, 100000);
    o.batch_size = a.get_int("batch-size", -1, 1, 65536);
    o.learning_rate = a.get_double("lr", -1, 1e-8, 10);
    o.weight_decay = a.get_double("weight-decay", -1, 0, 10);
    o.warmup_epochs = a.get_double("warmup-epochs", 2, 0, 1000);
    o.label_smoothing = a.get_double("label-smoothing", 0.1, 0, 0.5);
    o.mixup_alpha = a.get_double("mixup", -1, 0, 10);
    o.spec_augment = a.get_int("spec-augment", -1, 0, 1);
    o.gain_db = a.get_double("gain-db", 12, 0, 40);
    o.noise_prob = a.get_double("noise-prob", 0.5, 0, 1);
    o.noise_texture = a.get_int("noise-texture", -1, 0, 1);
    o.band_limit = a.get_double("band-limit", -1, 0, 1);
    o.crops_per_track = a.get_int("crops-per-track", 8, 1, 10000);
    o.ema_decay = a.get_double("ema", 0, 0, 0.99999);
    o.patience = a.get_int("patience", 15, 1, 100000);
    o.seed = a.get_int("seed", 1, 0, 2147483647);
    o.threads = a.get_int("threads", 0, 0, 1024);
    o.stop_after_epochs = a.get_int("stop-after-epochs", -1, 1, 100000);
    o.resume = a.has("resume");
    o.quiet = a.has("quiet");
    o.level_align = a.get_int("level-align", -1, 0, 1);
    o.backbone = a.get("backbone");
    o.head = a.get("head", "mlp");
    o.head_hidden = a.get_int("head-hidden", 256, 1, 65536);
    o.head_dropout = a.get_double("head-dropout", 0.5, 0, 0.95);
    o.head_loss = a.get("head-loss", "patch");
    o.head_standardize = a.has("head-standardize");
    o.export_hop_s = a.get_double("hop-s", 0, 0, 600);
    o.augment_copies = a.get_int("augment-copies", 0, 0, 100);
    o.bags_per_track = a.get_int("bags-per-track", 8, 1, 10000);
    o.backbone_lr = a.get_double("backbone-lr", 0, 0, 1);
    o.fine_tune_from = a.get("fine-tune-from");
    o.fine_tune_epochs = a.get_int("fine-tune-epochs", 5, 1, 10000);
    if (a.has("freeze") && o.backbone_lr > 0 && a.error().empty()) {
        std::fprintf(stderr, "genrescope train: --freeze and --backbone-lr exclude each other\n");
        return kExitUsage;
    }
    o.pretrained_dir = a.get("pretrained-dir", GENRESCOPE_PRETRAINED_DIR);
    o.backbone_segment_s = a.get_double("segment-s", 0, 0, 600);
    o.dist_backend = a.get("dist-backend");
    o.dist_timeout_s = a.get_double("dist-timeout", 300, 1, 86400);
    o.teacher.model_path = a.get("teacher");
    o.teacher.weight = a.get_double("teacher-weight", 0.5, 0, 1);
    o.teacher.temperature = a.get_double("teacher-temp", 2, 0.1, 100);
    if (!o.dist_backend.empty() && o.dist_backend != "gloo" && o.dist_backend != "nccl" && a.error().empty()) {
        std::fprintf(stderr, "genrescope train: --dist-backend must be gloo or nccl\n");
        return kExitUsage;
    }
    const std::string fill = a.get("segment-fill", "tile");
    if (!parse_segment_fill(fill, o.segment_pad) && a.error().empty()) {
        std::fprintf(stderr, "genrescope train: --segment-fill must be tile or zeros\n");
        return kExitUsage;
    }
    if (o.device != "auto" && o.device != "cpu" && o.device != "cuda" && a.error().empty()) {
        std::fprintf(stderr, "genrescope train: --device must be auto, cpu or cuda\n");
        return kExitUsage;
    }
    if (!a.error().empty() || !a.positional().empty()) {
        std::fprintf(stderr,
                     "genrescope train: %s\nusage: genrescope train --data DIR | --list FILE.csv [--split gtzan-ff|kfold:K:I|DIR|none] "
                     "[--arch NAME] [--run-dir DIR] [--epochs N] ... (see genrescope --help)\n",
                     a.error().empty() ? "unexpected positional argument" : a.error().c_str());
        return kExitUsage;
    }
    return run_training(o);
}

}  // namespace gs
