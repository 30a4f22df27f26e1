// prepare.h: the data of a training run (dataset, split, features, normalisation), shared by both trainers.
#pragma once

#include <string>

#include "model/archs.h"
#include "train/finalize.h"
#include "train/trainer.h"

namespace gs {

// Loads the dataset (o.data_dir or o.list_csv), makes the split (o.split; gtzan-ff for a GTZAN folder, else
// kfold:5:0), computes or reads the cached features of arch.features for every track, fits the normalisation on
// the training tracks (when arch.fit_normalisation) and applies it, drops unreadable tracks from the split and
// sets ctx.spec from arch's segment length and hop. Fills ctx.data, sets, split_spec, config, tracks, spec,
// warnings and skipped. Returns "" or an error.
std::string prepare_data(const train_options& o, const arch_info& arch, train_context& ctx);

}  // namespace gs
