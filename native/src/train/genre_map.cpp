// genre_map.cpp: AudioSet genre tags -> a dataset's labels (inside), other genres (outside) or neither.
#include "train/genre_map.h"

#include <cctype>
#include <set>

namespace gs {

namespace {

// AudioSet's music-genre classes by display name -> a plain genre name, or "" for tags that overlap many
// genres (they count for neither side). Names follow the usual dataset labels (GTZAN, FMA, MTG-Jamendo).
struct tag_genre {
    const char* tag;
    const char* genre;
};
constexpr tag_genre kTagGenres[] = {
    {"Pop music", "pop"}, {"Hip hop music", "hiphop"}, {"Beatboxing", "hiphop"}, {"Rock music", "rock"},
    {"Heavy metal", "metal"}, {"Punk rock", "rock"}, {"Grunge", "rock"}, {"Progressive rock", "rock"},
    {"Rock and roll", "rock"}, {"Psychedelic rock", "rock"}, {"Rhythm and blues", ""}, {"Soul music", ""},
    {"Reggae", "reggae"}, {"Country", "country"}, {"Swing music", "jazz"}, {"Bluegrass", "country"},
    {"Funk", ""}, {"Folk music", "folk"}, {"Middle Eastern music", "world"}, {"Jazz", "jazz"},
    {"Disco", "disco"}, {"Classical music", "classical"}, {"Opera", "classical"},
    {"Electronic music", "electronic"}, {"House music", "electronic"}, {"Techno", "electronic"},
    {"Dubstep", "electronic"}, {"Drum and bass", "electronic"}, {"Electronica", "electronic"},
    {"Electronic dance music", "electronic"}, {"Ambient music", "ambient"}, {"Trance music", "electronic"},
    {"Music of Latin America", "latin"}, {"Salsa music", "latin"}, {"Flamenco", "latin"}, {"Blues", "blues"},
    {"Music for children", "children"}, {"New-age music", "ambient"}, {"Vocal music", ""}, {"A capella", ""},
    {"Music of Africa", "world"}, {"Afrobeat", "world"}, {"Christian music", ""}, {"Gospel music", ""},
    {"Music of Asia", "world"}, {"Carnatic music", "world"}, {"Music of Bollywood", "world"}, {"Ska", "reggae"},
    {"Traditional music", "folk"}, {"Independent music", ""},
};

// Other spellings datasets use for the same genres.
constexpr tag_genre kAliases[] = {
    {"hiphop", "hiphop"}, {"rap", "hiphop"}, {"heavymetal", "metal"}, {"electronica", "electronic"},
    {"edm", "electronic"}, {"dance", "electronic"}, {"rnb", ""}, {"folk", "folk"}, {"international", "world"},
    {"worldmusic", "world"}, {"experimental", ""}, {"instrumental", ""}, {"soundtrack", ""},
};

std::string key_of(const std::string& s) {
    std::string k;
    for (char c : s) {
        if (std::isalnum(static_cast<unsigned char>(c))) k += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (k.size() > 5 && k.compare(k.size() - 5, 5, "music") == 0) k.resize(k.size() - 5);
    return k;
}

// A dataset label -> the plain genre name it means (itself when no alias says otherwise).
std::string genre_of_label(const std::string& label) {
    const std::string k = key_of(label);
    for (const tag_genre& a : kAliases) {
        if (k == a.tag) return a.genre;
    }
    return k;
}

}  // namespace

int add_genre_rule(json_value& tags, const std::vector<std::string>& labels) {
    const json_value* names = tags.find("labels");
    const json_value* genres = tags.find("genres");
    if (names == nullptr || genres == nullptr || !names->is_array() || !genres->is_array()) return static_cast<int>(labels.size());
    std::set<std::string> known;
    for (const std::string& l : labels) known.insert(genre_of_label(l));
    std::set<std::string> meant;
    json_value inside = json_value::array(), outside = json_value::array();
    for (const json_value& g : genres->as_array()) {
        const long long i = g.as_int(-1);
        if (i < 0 || static_cast<size_t>(i) >= names->size()) continue;
        const std::string& tag = (*names)[static_cast<size_t>(i)].as_string();
        for (const tag_genre& t : kTagGenres) {
            if (tag != t.tag || *t.genre == '\0') continue;
            if (known.count(t.genre)) {
                inside.push_back(i);
                meant.insert(t.genre);
            } else {
                outside.push_back(i);
            }
        }
    }
    tags.set("inside", inside);
    tags.set("outside", outside);
    tags.set("outside_min_score", kOutsideMinScore);
    int unmatched = 0;
    for (const std::string& l : labels) unmatched += meant.count(genre_of_label(l)) == 0;
    return unmatched;
}

}  // namespace gs
