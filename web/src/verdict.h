// verdict.h: the words of a verdict ("rock", "rock / metal", "uncertain (rock?)", "outside the ten genres: sounds
// like Electronic music"), shared by the interface and state(); no ImGui.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "genrescope/genre_tags.h"
#include "model_card.h"

namespace gs_web {

constexpr float k_blend_margin = 0.12f;  // top two closer than this read as a blend ("rock / metal")
constexpr size_t k_top_tags = 5;         // genre tags in a result and on the page (as `genrescope classify`)

// Genre indices, most probable first.
std::vector<size_t> by_probability(const std::vector<float>& p);

// "rock", "rock / metal" (top two within k_blend_margin) or "uncertain (rock?)" below the card's
// uncertain_below; "" when p does not match the card's labels.
std::string genre_verdict(const std::vector<float>& p, const model_card& card);

// "outside the ten genres: sounds like Electronic music" when the tag rule says outside, else "".
std::string outside_verdict(const gs::tag_verdict& v, const model_card& card);

// The line the page shows for a track: the outside verdict when there is one, else the genre verdict.
std::string full_verdict(const std::vector<float>& p, const gs::tag_verdict& v, const model_card& card);

// "analysed 150 of 312 windows (48% of the audio)": a sparse analysis (fraction: the share of the audio's
// seconds the analysed windows cover, 0..1; the percentage is rounded down, so 100% means all of it).
std::string analysed_words(size_t windows, size_t of, double fraction);

// "ten" for 10 (zero to twenty in words), digits above.
std::string count_in_words(size_t n);

// The tag verdict of `scores` ([n_segments][card.tag_labels.size()]) under the card's rule (the k_top_tags best).
gs::tag_verdict judge_card_tags(const float* scores, size_t n_segments, const model_card& card);

}  // namespace gs_web
