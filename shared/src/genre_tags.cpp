// genre_tags.cpp: top genre tags and the "outside the model's genres" verdict (genre_tags.h).
#include "genrescope/genre_tags.h"

#include <algorithm>
#include <utility>

namespace gs {

namespace {

std::string read_indices(const json_value& tags, const char* key, size_t n_tags, std::vector<int>& out) {
    out.clear();
    const json_value* a = tags.find(key);
    if (a == nullptr || a->is_null()) return "";
    if (!a->is_array()) return std::string("model card: tags.") + key + " must be an array of tag indices";
    for (const json_value& v : a->as_array()) {
        const double x = v.as_number(-1);
        if (!v.is_number() || x < 0 || x >= static_cast<double>(n_tags) || x != static_cast<double>(static_cast<long long>(x))) {
            return std::string("model card: tags.") + key + " holds an index outside the " + std::to_string(n_tags) + " tags";
        }
        out.push_back(static_cast<int>(x));
    }
    return "";
}

}  // namespace

std::string parse_tag_rule(const json_value& tags, size_t n_tags, tag_rule& out) {
    tag_rule r;
    if (!tags.is_object()) return "model card: tags must be an object";
    std::string err;
    if (!(err = read_indices(tags, "genres", n_tags, r.genres)).empty()) return err;
    if (!(err = read_indices(tags, "inside", n_tags, r.inside)).empty()) return err;
    if (!(err = read_indices(tags, "outside", n_tags, r.outside)).empty()) return err;
    const json_value* m = tags.find("outside_min_score");
    if (m != nullptr && !m->is_null()) {
        const double x = m->as_number(-1);
        if (!m->is_number() || !(x > 0 && x <= 1)) return "model card: tags.outside_min_score must be in (0, 1]";
        r.outside_min_score = static_cast<float>(x);
    }
    if (!r.outside.empty() && r.outside_min_score <= 0) return "model card: tags.outside needs tags.outside_min_score";
    out = std::move(r);
    return "";
}

tag_verdict judge_tags(const float* scores, size_t n_segments, size_t n_tags, const tag_rule& rule, size_t max_top) {
    tag_verdict v;
    if (scores == nullptr || n_segments == 0 || n_tags == 0) return v;
    // Mean over segments, in a fixed order (the same bits natively and in wasm).
    std::vector<double> mean(n_tags, 0.0);
    for (size_t s = 0; s < n_segments; ++s) {
        for (size_t k = 0; k < n_tags; ++k) mean[k] += static_cast<double>(scores[s * n_tags + k]);
    }
    for (double& m : mean) m /= static_cast<double>(n_segments);
    auto valid = [&](int i) { return i >= 0 && static_cast<size_t>(i) < n_tags; };
    for (int i : rule.genres) {
        if (valid(i)) v.top.push_back({i, static_cast<float>(mean[static_cast<size_t>(i)])});
    }
    std::stable_sort(v.top.begin(), v.top.end(), [](const tag_score& a, const tag_score& b) { return a.score > b.score; });
    if (v.top.size() > max_top) v.top.resize(max_top);
    for (int i : rule.inside) {
        if (valid(i)) v.best_inside = std::max(v.best_inside, static_cast<float>(mean[static_cast<size_t>(i)]));
    }
    for (int i : rule.outside) {
        if (valid(i) && static_cast<float>(mean[static_cast<size_t>(i)]) > v.best_outside) {
            v.best_outside = static_cast<float>(mean[static_cast<size_t>(i)]);
            v.sounds_like = i;
        }
    }
    v.outside = rule.outside_min_score > 0.0f && v.sounds_like >= 0 && v.best_outside >= rule.outside_min_score &&
                v.best_outside > v.best_inside;
    return v;
}

}  // namespace gs
