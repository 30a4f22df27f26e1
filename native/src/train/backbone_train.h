// backbone_train.h: `genrescope train --backbone B`: a new head on a frozen pretrained network (backbone_train.cpp).
#pragma once

#include "train/trainer.h"

namespace gs {

// One training (one split) of a head on o.backbone; writes the run folder like run_training. Returns the exit code.
int run_backbone_single(const train_options& o);

}  // namespace gs
