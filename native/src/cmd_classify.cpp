// cmd_classify.cpp: `genrescope classify`: tags audio files with the model's genre probabilities.
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "classify_track.h"
#include "cli_args.h"
#include "commands.h"
#include "model/model_loader.h"

namespace gs {

namespace {

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

}  // namespace

int cmd_classify(int argc, char** argv) {
    cli_args a(argc, argv, 0, {"model", "threads"}, {"json", "csv"});
    const int threads = a.get_int("threads", 1, 1, 1024);
    if (!a.error().empty() || a.positional().empty() || (a.has("json") && a.has("csv"))) {
        std::fprintf(stderr, "genrescope classify: %s\nusage: genrescope classify [--model models/default.onnx] [--json|--csv] FILES...\n",
                     !a.error().empty() ? a.error().c_str() : a.positional().empty() ? "no files given" : "--json and --csv exclude each other");
        return kExitUsage;
    }
    torch::set_num_threads(threads);
    loaded_model m;
    std::string err = load_model(a.get("model", GENRESCOPE_DEFAULT_MODEL), m);
    if (err.empty() && !m.card.features.frame_local()) err = "the model's features are not frame-local (top_db/ref=max)";
    if (!err.empty()) {
        std::fprintf(stderr, "genrescope classify: %s\n", err.c_str());
        return kExitFailure;
    }
    const bool as_json = a.has("json"), as_csv = a.has("csv");
    json_value all = json_value::array();
    if (as_csv) {
        std::printf("file,top");
        for (const std::string& l : m.card.labels) std::printf(",%s", csv_field(l).c_str());
        std::printf(",duration_s,error\n");
    }
    int ok = 0;
    for (const std::string& path : a.positional()) {
        file_result r;
        r.error = classify_file(path, m, r);
        if (r.error.empty()) ++ok;
        else std::fprintf(stderr, "genrescope classify: %s\n", r.error.c_str());
        if (as_json) {
            all.push_back(result_json(r, m.card));
        } else if (as_csv) {
            std::printf("%s,", csv_field(path).c_str());
            if (r.error.empty()) {
                const size_t top = static_cast<size_t>(std::max_element(r.probabilities.begin(), r.probabilities.end()) - r.probabilities.begin());
                std::printf("%s", csv_field(m.card.labels[top]).c_str());
                for (float p : r.probabilities) std::printf(",%.6f", p);
                std::printf(",%.3f,\n", r.duration_s);
            } else {
                for (size_t c = 0; c <= m.card.labels.size(); ++c) std::printf(",");
                std::printf(",%s\n", csv_field(r.error).c_str());
            }
        } else if (r.error.empty()) {
            std::vector<size_t> order(m.card.labels.size());
            for (size_t c = 0; c < order.size(); ++c) order[c] = c;
            std::sort(order.begin(), order.end(), [&](size_t x, size_t y) { return r.probabilities[x] > r.probabilities[y]; });
            std::printf("%s: %s (%.2f)", path.c_str(), m.card.labels[order[0]].c_str(), r.probabilities[order[0]]);
            for (size_t k = 1; k < std::min<size_t>(3, order.size()); ++k) {
                std::printf("%s %s %.2f", k == 1 ? "; then" : ",", m.card.labels[order[k]].c_str(), r.probabilities[order[k]]);
            }
            if (r.verdict.outside) {
                std::printf("; outside the %zu genres: sounds like %s", m.card.labels.size(),
                            m.card.tags["labels"][static_cast<size_t>(r.verdict.sounds_like)].as_string().c_str());
            }
            std::printf(" [%.1f s, %zu segments]\n", r.duration_s, r.segment_probs.size());
        }
    }
    if (as_json) std::printf("%s\n", json_write(all, 2).c_str());
    return ok > 0 ? kExitOk : kExitFailure;
}

}  // namespace gs
