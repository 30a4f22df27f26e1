// model_about.h: a model card in plain words for the model panel (what it is, what it learned from, how accurate
// it is, its limits), and the card's raw keys for the panel's collapsed "details".
#pragma once

#include "genrescope/json.h"
#include "model_card.h"

namespace gs_web {

// Fills c.about and c.details from the card JSON `j` (c's other fields already parsed). Fields the card does not
// have are left out; nothing here can fail.
void describe_model(const gs::json_value& j, model_card& c);

}  // namespace gs_web
