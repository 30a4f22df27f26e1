// kfold.h: `train --split kfold:K` runs every fold and writes RUN/kfold_summary.json.
#pragma once

#include "train/distributed.h"
#include "train/trainer.h"

namespace gs {

// Trains one run (a fold's options: split kfold:K:I, run folder RUN/fold_I); returns a process exit code.
using run_one_fn = int (*)(const train_options& o, dist_group& dist);

// Trains every fold in RUN/fold_I with `run_one` and writes RUN/kfold_summary.json (mean +- std of the test
// metrics; rank 0 only in a data-parallel run). With --resume a stopped k-fold run continues where it stopped:
// finished folds are read, not retrained; the fold with a checkpoint continues from it; the others start fresh.
int run_all_folds(const train_options& o, int k, dist_group& dist, run_one_fn run_one);

}  // namespace gs
