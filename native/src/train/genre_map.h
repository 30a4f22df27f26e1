// genre_map.h: which of a backbone's AudioSet genre tags mean one of a dataset's labels, and which name music
// outside them: the card's tags.inside / tags.outside, read by gs::judge_tags (shared/genre_tags.h).
#pragma once

#include <string>
#include <vector>

#include "genrescope/json.h"

namespace gs {

// The outside verdict's threshold: the best outside tag's mean sigmoid score must reach this (and beat every
// inside tag). YAMNet's genre scores are small when averaged over a track (electronic tracks: 0.03-0.19). Set on
// GTZAN protocol-A *training* tracks as a false-alarm bound: "outside" on 3 of 166 (1.8%) at 0.05, 6 (3.6%)
// with no threshold, 0 at 0.1 (docs/RESULTS.md has the measurement and what it gives on electronic music).
constexpr double kOutsideMinScore = 0.05;

// Adds "inside", "outside" and "outside_min_score" to a card's tags object (labels + genres, as import_yamnet
// writes them) for a model whose classes are `labels`. Each AudioSet genre tag is mapped to a plain genre name
// ("Heavy metal" -> "metal", "Hip hop music" -> "hiphop", "Techno" -> "electronic", ...); a tag is inside when
// that name is one of the labels (compared without case, spaces, '-' and '_'), outside when it names a genre
// none of the labels is, and neutral when the tag is spread over many genres (Funk, Soul, Vocal music, ...).
// Returns the number of labels no tag means (0 for GTZAN's ten); tags without "labels"/"genres" are left alone.
int add_genre_rule(json_value& tags, const std::vector<std::string>& labels);

}  // namespace gs
