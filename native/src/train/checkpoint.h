// checkpoint.h: a training run's checkpoint (model, optimiser, weight average, best weights, history).
#pragma once

#include <torch/torch.h>

#include <string>

#include "model/ir_torch.h"
#include "train/finalize.h"
#include "train/weight_ema.h"

namespace gs {

// Writes everything `--resume` needs to RUN/checkpoint.pt atomically (a temporary file renamed over it).
std::string save_checkpoint(const std::string& path, ir_module& model, torch::optim::Optimizer& opt,
                            const weight_ema& ema, const train_state& st);

// Reads a checkpoint written by save_checkpoint into the same model and optimiser (shapes must match).
std::string load_checkpoint(const std::string& path, ir_module& model, torch::optim::Optimizer& opt, weight_ema& ema,
                            train_state& st);

}  // namespace gs
