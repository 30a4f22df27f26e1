// weight_ema.h: an exponential moving average of a model's weights (parameters and batch-norm statistics).
//
// Training with `--ema D` keeps, beside the weights the optimiser moves, their running average
//     avg <- d_t * avg + (1 - d_t) * w      after every optimiser step t = 1, 2, ...
//     d_t  = min(D, (1 + t) / (10 + t))     // ref: TensorFlow ExponentialMovingAverage(num_updates)
// and validates, selects and exports the average instead of the raw weights. The average follows the last
// ~1 / (1 - D) steps (D = 0.995: ~200 steps), which smooths out the step-to-step noise of small-batch training.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "model/ir_torch.h"

namespace gs {

class weight_ema {
public:
    // decay: D in [0, 1); 0 turns the average off (every other call is then a no-op).
    // Takes a copy of the model's current weights as the starting average.
    weight_ema(ir_module& model, double decay);

    bool enabled() const { return decay_ > 0.0; }

    // After optimiser step `step` (1 for the first): folds the model's weights into the average.
    void update(int64_t step);

    // Exchanges the model's weights and the average, so that a second call restores the model.
    void swap();

    // The average as an archive entry of a checkpoint, and back. load() returns "" or the problem.
    void save(torch::serialize::OutputArchive& ar) const;
    std::string load(torch::serialize::InputArchive& ar);

private:
    std::vector<torch::Tensor> live_;     // the model's params that training changes, in graph order (the
                                          // model's own tensors, not copies; constants are left out)
    std::vector<torch::Tensor> average_;  // their averages, same order, same devices
    double decay_ = 0.0;
};

}  // namespace gs
