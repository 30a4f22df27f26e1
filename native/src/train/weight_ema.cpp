// weight_ema.cpp: the running average of a model's weights (see weight_ema.h).
#include "train/weight_ema.h"

#include <algorithm>

#include "model/model_ir.h"

namespace gs {

weight_ema::weight_ema(ir_module& model, double decay) : decay_(decay) {
    if (!enabled()) return;
    torch::NoGradGuard no_grad;
    // Trained parameters and batch-norm statistics; an average of a constant could only drift from it by rounding.
    for (const ir_node& n : model->graph().nodes) {
        for (const ir_param& p : n.params) {
            if (!ir_param_is_constant(n, p.name)) live_.push_back(model->tensor(n.name + "." + p.name));
        }
    }
    for (const torch::Tensor& t : live_) average_.push_back(t.detach().clone());
}

void weight_ema::update(int64_t step) {
    if (!enabled()) return;
    torch::NoGradGuard no_grad;
    const double t = static_cast<double>(std::max<int64_t>(step, 1));
    const double d = std::min(decay_, (1.0 + t) / (10.0 + t));  // ref: TF ExponentialMovingAverage num_updates
    for (size_t i = 0; i < live_.size(); ++i) average_[i].mul_(d).add_(live_[i].detach(), 1.0 - d);
}

void weight_ema::swap() {
    if (!enabled()) return;
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < live_.size(); ++i) {
        const torch::Tensor held = live_[i].detach().clone();
        live_[i].copy_(average_[i]);
        average_[i].copy_(held);
    }
}

void weight_ema::save(torch::serialize::OutputArchive& ar) const {
    for (size_t i = 0; i < average_.size(); ++i) ar.write("t" + std::to_string(i), average_[i]);
}

std::string weight_ema::load(torch::serialize::InputArchive& ar) {
    try {
        for (size_t i = 0; i < average_.size(); ++i) {
            torch::Tensor t;
            ar.read("t" + std::to_string(i), t);
            if (!t.sizes().equals(average_[i].sizes())) return "weight average " + std::to_string(i) + ": wrong shape";
            torch::NoGradGuard no_grad;
            average_[i].copy_(t);
        }
    } catch (const std::exception& e) {
        return std::string("weight average: ") + e.what();
    }
    return "";
}

}  // namespace gs
