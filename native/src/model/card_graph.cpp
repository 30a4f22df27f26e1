// card_graph.cpp: the IR graph a model card describes (see card_graph.h).
#include "model/card_graph.h"

#include "model/archs.h"
#include "model/ir_json.h"

namespace gs {

std::string card_graph(const model_card& card, bool level_align, ir_graph& g) {
    if (!card.graph.is_null()) {
        if (level_align != card.level_align) return "cannot add level alignment to a model with its own graph";
        return ir_graph_from_json(card.graph, g);
    }
    const std::string err = build_arch(card.arch, card.features.n_bins(), card.segment_frames,
                                       static_cast<int64_t>(card.labels.size()), g, level_align);
    if (err.empty()) set_temperature(g, card.temperature);
    // The penultimate layer exported as the embedding output (models trained from scratch since session 15).
    if (err.empty() && !card.embedding.is_null() && card.embedding["output"].as_string() == ir_penultimate(g)) {
        g.extra_outputs = {card.embedding["output"].as_string()};
    }
    return err;
}

}  // namespace gs
