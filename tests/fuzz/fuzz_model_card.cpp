// fuzz_model_card.cpp: libFuzzer entry point for the model card readers a user's "Load model" reaches: the page's and the CLI's.
//
// A card (model.json) comes with a model a user picks, so it is untrusted. Each input goes through the page's
// parser (web/src/model_card.cpp, compiled natively here), the native parser (gs::from_json) and, when that
// accepts it, the graph the card describes (card_graph) and its shapes (ir_infer_shapes): each must return a
// one-line error or a consistent result, with no crash, overflow, undefined behaviour or read past a buffer.
// Inputs are JSON text; the seeds are the shipped cards (models/), so mutations start from real ones.
#include "genrescope/json.h"
#include "model/card_graph.h"
#include "model/model_card.h"
#include "model_card.h"  // web/src: gs_web::parse_model_card

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

namespace {

bool one_line(const std::string& e) { return e.find('\n') == std::string::npos; }

void check_web(const std::string& text) {
    gs_web::model_card c;
    const std::string err = gs_web::parse_model_card(text, c);
    if (!err.empty()) {
        if (!one_line(err) || !c.labels.empty()) std::abort();
        return;
    }
    if (c.labels.size() < 2 || c.segment.frames < 1 || c.segment.hop_frames < 1 || c.n_bins() < 1) std::abort();
}

void check_native(const std::string& text) {
    gs::json_value j;
    if (!gs::json_parse(text, j).empty()) return;
    gs::model_card card;
    std::string err = gs::from_json(j, card);
    if (!err.empty()) {
        if (!one_line(err)) std::abort();
        return;
    }
    for (bool level_align : {card.level_align, !card.level_align}) {
        gs::ir_graph g;
        err = gs::card_graph(card, level_align, g);
        if (!err.empty()) {
            if (!one_line(err)) std::abort();
            continue;
        }
        std::map<std::string, std::vector<int64_t>> shapes;
        err = gs::ir_infer_shapes(g, 1, shapes);
        if (!one_line(err)) std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    check_web(text);
    check_native(text);
    return 0;
}
