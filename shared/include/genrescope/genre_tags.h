// genre_tags.h: a backbone's own genre tags (e.g. YAMNet's AudioSet genres) as top tags and an "outside the
// model's genres" verdict, computed the same way by the CLI and the page.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "genrescope/json.h"

namespace gs {

// Which of a backbone's tags mean one of the model's own genres and which name music outside them. A tag in
// neither list (e.g. "Funk", "Soul music", "Vocal music": spread over several of the model's genres) counts
// for neither side. Indices are into the backbone's tag output.
struct tag_rule {
    std::vector<int> genres;   // the genre tags shown as "tags", e.g. AudioSet classes 211-260
    std::vector<int> inside;   // tags meaning one of the model's labels (e.g. "Blues" for a model with "blues")
    std::vector<int> outside;  // tags naming a genre the model does not know (e.g. "Electronic music")
    // An outside tag must reach this mean score (a sigmoid: 0..1, valid (0, 1]) and beat every inside tag
    // for the verdict "outside"; 0 = the rule is off (no outside lists).
    float outside_min_score = 0.0f;
};

// Reads the rule from a model card's "tags" object ({"output", "labels": [names], "genres": [indices],
// optional "inside": [indices], "outside": [indices], "outside_min_score": number}) for a tag output of
// n_tags values. Returns "" or a one-line reason (an index out of range, a score outside (0, 1], outside
// lists without a threshold).
std::string parse_tag_rule(const json_value& tags, size_t n_tags, tag_rule& out);

struct tag_score {
    int index = 0;
    float score = 0.0f;
};

struct tag_verdict {
    std::vector<tag_score> top;  // the genre tags, best first, at most max_top
    bool outside = false;        // the music is outside the model's genres
    int sounds_like = -1;        // the best outside tag (index), -1 if none
    float best_outside = 0.0f;   // its mean score
    float best_inside = 0.0f;    // the best inside tag's mean score
};

// scores: [n_segments][n_tags] sigmoid scores of the backbone's tag output. Means them over the segments and
// applies the rule: outside == (best outside tag >= outside_min_score) && (best outside > best inside).
// Indices out of [0, n_tags) in the rule are ignored. No segments: an empty verdict.
tag_verdict judge_tags(const float* scores, size_t n_segments, size_t n_tags, const tag_rule& rule,
                       size_t max_top = 5);

}  // namespace gs
