// trainer.h: `genrescope train`: data -> features -> model training with checkpoints -> report + ONNX + card.
#pragma once

#include <string>

#include "train/teacher.h"

namespace gs {

// Everything `genrescope train` can be told. Negative numbers mean "the architecture's default".
struct train_options {
    std::string data_dir;              // GTZAN layout or DIR/<label>/* (exclusive with list_csv)
    std::string list_csv;              // path,label lines
    std::string split;                 // gtzan-ff | kfold:K:I | DIR | none; "" = gtzan-ff for GTZAN, else kfold:5:0
    std::string arch = "genrescope_cnn";
    std::string feature;               // vgg_small: mel | mfcc | chroma
    std::string run_dir;               // output folder; "" = runs/<arch>
    std::string cache_dir;             // feature cache; "" = ~/.cache/genrescope/features ("none" disables)
    std::string device = "auto";       // auto | cpu | cuda
    std::string repo_split_dir;        // where the gtzan-ff lists live (default: next to the executable's repo)
    int epochs = -1;
    int batch_size = -1;
    double learning_rate = -1;
    double weight_decay = -1;
    double warmup_epochs = 2;          // linear warm-up, then cosine decay to zero
    double label_smoothing = 0.1;
    double mixup_alpha = -1;
    int spec_augment = -1;             // 0/1; -1 = arch default
    double gain_db = 12.0;             // random level change range, dB (log-mel inputs)
    double noise_prob = 0.5;           // probability of noise 10-40 dB below the segment (log-mel inputs)
    int noise_texture = -1;            // 0/1: that noise is textured white noise (1) or a flat floor (0); -1 = arch default
    double band_limit = -1;            // probability of a random low-pass from 5.4-11 kHz up (log-mel); -1 = arch default
    int level_align = -1;              // 0/1: start the graph with a level_align node (log-mel); -1 = arch default
    teacher_options teacher;           // distillation from a trained model (off when its path is ""); with
                                       // kfold:K, "{fold}" in the path becomes the fold's index
    double ema_decay = 0;              // > 0: validate, select and export an exponential moving average of the
                                       // weights with this decay per step, in [0, 1) (weight_ema.h); 0 = off
    // A pretrained backbone (train --backbone): "yamnet", a YAMNet .tflite, or a GenreScope model.onnx (+ card)
    // whose embedding a new head learns from; "" = train the architecture `arch` from scratch.
    std::string backbone;
    std::string head = "mlp";          // linear | mlp | mlp_tags (the MLP also sees the backbone's own class scores)
    int head_hidden = 256;             // hidden units of the MLP heads
    std::string head_loss = "patch";   // patch: the loss on each patch's logits, tracks scored by the mean of
                                       // patch probabilities; bag: on the mean logits of a random run of a
                                       // track's patches (1 patch to the whole track), tracks scored by the
                                       // geometric mean (== softmax of the mean logits: what the head trained on)
    int augment_copies = 0;            // backbone heads: gain/noise copies of each training track (backbone_augment.h)
    double export_hop_s = 0;           // > 0: the exported model's segment hop (s) instead of the backbone's own
    segment_fill segment_pad = segment_fill::tile;  // what a segment holds past the end of a track shorter than
                                       // one segment, in training, evaluation and the exported card (segments.h)
    bool head_standardize = false;     // the head's inputs standardised with the training rows' statistics
    int bags_per_track = 8;            // bags drawn per training track per epoch (head_loss bag), >= 1
    double backbone_lr = 0;            // > 0: after the head, fine-tune the backbone's layers after
                                       // fine_tune_from with the head at this learning rate (fine_tune.h); 0 = frozen
    std::string fine_tune_from;        // the cut: a tensor of the backbone ("" = before its last two weighted layers)
    int fine_tune_epochs = 5;          // epochs of that fine-tuning (the one kept is chosen on validation), >= 1
    double head_dropout = 0.5;         // dropout before the MLP's output layer
    std::string pretrained_dir;        // where "yamnet" is looked up: DIR/yamnet/yamnet_waveform_in.tflite
    double backbone_segment_s = 0;     // > 0: the backbone's input length in seconds (hop: half of it) instead of
                                       // its own (YAMNet 0.96 s); needs a fully convolutional backbone
    int crops_per_track = 8;           // training segments drawn per training track per epoch (chosen on
                                       // GTZAN protocol A validation: 2 -> 0.651, 8 -> 0.679 track accuracy)
    int patience = 15;                 // epochs without a better validation track accuracy before stopping
    int seed = 1;
    int threads = 0;                   // 0 = all cores
    bool resume = false;               // continue from RUN/checkpoint.pt
    bool quiet = false;                // no progress lines
    int stop_after_epochs = -1;        // testing aid: exit (as if killed) after this many epochs of this process
    // Data-parallel training (distributed.h) when the environment says WORLD_SIZE > 1 (torchrun, Slurm,
    // tools/train-dist): the backend ("" = nccl on CUDA, gloo on the CPU) and how long a collective waits
    // for the other ranks before the run stops with an error naming the lost rank, seconds.
    std::string dist_backend;
    double dist_timeout_s = 300;
};

// Runs a training; prints progress on stderr and a summary on stdout. Returns a process exit code
// (0 success, 1 failure such as unreadable data or a NaN loss, 2 bad options).
int run_training(const train_options& o);

}  // namespace gs
