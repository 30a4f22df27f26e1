// card_graph.h: the IR graph a model card describes (its own graph, or its architecture rebuilt), without weights.
#pragma once

#include <string>

#include "model/model_card.h"
#include "model/model_ir.h"

namespace gs {

// The card's architecture as a graph (archs.h; with a leading level_align node when `level_align`), the card's
// temperature set and, when the card names the penultimate layer as its embedding, that layer as an extra
// output; or the graph the card carries (imported networks, heads on a backbone), as it was exported (then
// `level_align` must equal card.level_align). Cards are untrusted input: returns "" or a one-line error.
std::string card_graph(const model_card& card, bool level_align, ir_graph& g);

}  // namespace gs
