// verdict.cpp: verdict wording for the interface and state() (see verdict.h).
#include "verdict.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace gs_web {

std::vector<size_t> by_probability(const std::vector<float>& p) {
    std::vector<size_t> order(p.size());
    std::iota(order.begin(), order.end(), size_t(0));
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return p[a] > p[b]; });
    return order;
}

std::string genre_verdict(const std::vector<float>& p, const model_card& card) {
    if (p.empty() || card.labels.size() != p.size()) return "";
    const std::vector<size_t> order = by_probability(p);
    const std::string& top = card.labels[order[0]];
    if (p[order[0]] < card.uncertain_below) return "uncertain (" + top + "?)";
    if (p.size() > 1 && p[order[0]] - p[order[1]] < k_blend_margin) return top + " / " + card.labels[order[1]];
    return top;
}

std::string analysed_words(size_t windows, size_t of, double fraction) {
    const int percent = int(std::floor(100.0 * std::clamp(fraction, 0.0, 1.0) + 1e-9));
    return "analysed " + std::to_string(windows) + " of " + std::to_string(of) + " windows (" +
           std::to_string(percent) + "% of the audio)";
}

std::string count_in_words(size_t n) {
    static const char* const k_words[] = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
                                          "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen",
                                          "sixteen", "seventeen", "eighteen", "nineteen", "twenty"};
    return n < sizeof k_words / sizeof k_words[0] ? k_words[n] : std::to_string(n);
}

std::string outside_verdict(const gs::tag_verdict& v, const model_card& card) {
    if (!v.outside || v.sounds_like < 0 || size_t(v.sounds_like) >= card.tag_labels.size()) return "";
    return "outside the " + count_in_words(card.labels.size()) + " genres: sounds like " +
           card.tag_labels[size_t(v.sounds_like)];
}

std::string full_verdict(const std::vector<float>& p, const gs::tag_verdict& v, const model_card& card) {
    const std::string outside = outside_verdict(v, card);
    return outside.empty() ? genre_verdict(p, card) : outside;
}

gs::tag_verdict judge_card_tags(const float* scores, size_t n_segments, const model_card& card) {
    if (!card.has_tags) return gs::tag_verdict{};
    return gs::judge_tags(scores, n_segments, card.tag_labels.size(), card.tag_rule, k_top_tags);
}

}  // namespace gs_web
