// model_about.cpp: the model card in plain words (model_about.h): sections of short lines built from whatever
// fields the card has (name, arch, summary, training and its backbone, metrics, labels, tag rule, limits).
#include "model_about.h"

#include <cmath>
#include <cstdio>
#include <string>
#include <utility>

#include "verdict.h"

namespace gs_web {
namespace {

std::string format_number(double v) {
    char buf[64];
    if (std::fabs(v) < 1.0 && v != 0.0)
        std::snprintf(buf, sizeof buf, "%.3f", v);
    else
        std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

std::string short_number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

std::string percent(double v) {
    char buf[32];
    const double p = 100.0 * v;
    std::snprintf(buf, sizeof buf, p == std::round(p) ? "%.0f%%" : "%.1f%%", p);
    return buf;
}

// "none: none (every track in train): train 529, ..." -> the part after the repeated spec name.
std::string after_first_colon(const std::string& s) {
    const size_t p = s.find(": ");
    return p == std::string::npos ? s : s.substr(p + 2);
}

std::string base_name(std::string path) {
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    const size_t p = path.rfind('/');
    return p == std::string::npos ? path : path.substr(p + 1);
}

// Plain words for the metric keys the trainer and `calibrate` write; other keys lose their underscores.
std::string metric_label(const std::string& key) {
    static const std::pair<const char*, const char*> k_labels[] = {
        {"test_track_accuracy", "right on held-out test tracks"},
        {"test_track_macro_f1", "macro-F1 on test tracks (every genre weighs the same)"},
        {"test_segment_accuracy", "right on single segments of test tracks"},
        {"valid_track_accuracy", "right on validation tracks (these chose the epoch)"},
        {"ece_before_calibration", "calibration error (ECE) before calibration"},
        {"ece_after_calibration", "calibration error (ECE) after calibration"},
        {"ece_track_before", "calibration error (ECE) before"},
        {"ece_track_after", "calibration error (ECE) after"},
        {"accuracy_track_after", "right on tracks after calibration"},
        {"validation_track_nll", "validation log-loss per track"},
        {"validation_tracks", "validation tracks"},
        {"test_tracks", "test tracks"},
        {"test_tracks_checked", "test tracks checked"},
        {"tracks_confident", "tracks it was sure about"},
        {"accuracy_confident", "right when sure"},
        {"tracks_uncertain", "tracks it called uncertain"},
        {"accuracy_uncertain", "right when uncertain"},
        {"uncertain_below", "'uncertain' below"},
        {"uncertain_flag", "the 'uncertain' flag"},
        {"aggregation_choice", "aggregation chosen by"},
        {"check", "checked"},
    };
    for (const auto& l : k_labels)
        if (key == l.first) return l.second;
    std::string out = key;
    for (char& ch : out)
        if (ch == '_') ch = ' ';
    return out;
}

bool is_fraction_key(const std::string& key) {
    return key.find("accuracy") != std::string::npos || key.find("f1") != std::string::npos ||
           key == "uncertain_below";
}

bool is_count_key(const std::string& key) {
    return key.find("tracks") != std::string::npos || key.find("epoch") != std::string::npos;
}

// A metric's value in words, "" when it is not one to show (paths, arrays, long text).
std::string metric_value(const std::string& key, const gs::json_value& v) {
    const bool fraction = is_fraction_key(key);
    if (v.is_number()) {
        const double x = v.as_number();
        if (fraction && x >= 0 && x <= 1) return percent(x);
        if (is_count_key(key) && x == std::floor(x)) return std::to_string((long long)x);
        return format_number(x);
    }
    if (v.is_string()) {
        const std::string& s = v.as_string();
        if (s.empty() || s[0] == '/' || s.size() > 120 || key == "source") return "";
        return s;
    }
    if (v.is_object() && v["mean"].is_number() && v["std"].is_number()) {
        const double m = v["mean"].as_number(), sd = v["std"].as_number();
        std::string s = fraction && m >= 0 && m <= 1 ? percent(m) + " +- " + percent(sd)
                                                     : format_number(m) + " +- " + format_number(sd);
        if (v["n"].is_number()) s += " over " + std::to_string(v["n"].as_int()) + " folds";
        return s;
    }
    return "";
}

// "label: value" for each member worth showing, as lines at `level`; nested objects as one line each.
void metric_lines(const gs::json_value& obj, int level, std::vector<about_line>& out) {
    for (const auto& m : obj.items()) {
        const std::string value = metric_value(m.first, m.second);
        if (!value.empty()) {
            out.push_back({level, metric_label(m.first) + ": " + value});
        } else if (m.second.is_object() && !m.second.items().empty()) {
            std::string inner;
            for (const auto& n : m.second.items()) {
                const std::string nv = metric_value(n.first, n.second);
                if (!nv.empty()) inner += (inner.empty() ? "" : ", ") + metric_label(n.first) + " " + nv;
            }
            if (!inner.empty()) out.push_back({level, metric_label(m.first) + ": " + inner});
        }
    }
}

std::string features_in_words(const model_card& c) {
    const int bins = c.n_bins();
    switch (c.features.kind) {
        case gs::feature_kind::mel_db: return "a log-mel spectrogram (" + std::to_string(bins) + " bands)";
        case gs::feature_kind::yamnet_log_mel: return "YAMNet's log-mel spectrogram (" + std::to_string(bins) + " bands)";
        case gs::feature_kind::compact_cnn_melgram: return "a mel spectrogram in dB (" + std::to_string(bins) + " bands)";
        case gs::feature_kind::mfcc: return std::to_string(bins) + " MFCCs";
        case gs::feature_kind::chroma: return "a chromagram (" + std::to_string(bins) + " pitch classes)";
        default: return std::string(gs::to_string(c.features.kind)) + " (" + std::to_string(bins) + " rows)";
    }
}

const char* aggregation_in_words(gs::aggregation a) {
    switch (a) {
        case gs::aggregation::geometric_mean: return "geometric mean";
        case gs::aggregation::max: return "maximum";
        case gs::aggregation::vote: return "majority vote";
        default: return "average";
    }
}

std::string seconds(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2g s", s);
    return buf;
}

about_section what_it_is(const gs::json_value& j, const model_card& c) {
    about_section s{"What it is", {}};
    std::string title = c.name + (c.version.empty() ? "" : " v" + c.version);
    if (!c.arch.empty() && c.arch != c.name) title += " (network: " + c.arch + ")";
    s.lines.push_back({0, title});
    const gs::json_value& summary = j["summary"];
    if (summary.is_string() && !summary.as_string().empty()) s.lines.push_back({0, summary.as_string()});
    if (summary.is_object())
        for (const auto& m : summary.items())
            if (m.second.is_string() || m.second.is_number())
                s.lines.push_back({1, metric_label(m.first) + ": " + (m.second.is_string() ? m.second.as_string()
                                                                        : format_number(m.second.as_number()))});
    const gs::json_value& tr = j["training"];
    const gs::json_value& bb = tr["backbone"];
    if (bb.is_object()) {
        std::string head = bb["head"].is_string() ? "a " + bb["head"].as_string() + " genre head" : "a genre head";
        std::string net = bb["name"].is_string() ? bb["name"].as_string() : std::string("a pretrained network");
        s.lines.push_back({0, "Built from " + head + " on top of " + net + ", a network trained before by others" +
                                  (bb["frozen"].as_bool() ? " (kept frozen: only the head learned genres)" : "")});
        if (bb["fine_tune"]["layers"].is_array()) {
            s.lines.push_back({1, "its last " + std::to_string(bb["fine_tune"]["layers"].size()) +
                                      " layers were then trained further on the genre clips, together with the head"});
        }
        if (bb["source"].is_string()) s.lines.push_back({1, bb["source"].as_string()});
        if (bb["licence"].is_string()) s.lines.push_back({1, "licence: " + bb["licence"].as_string()});
        if (bb["embedding_dim"].is_number())
            s.lines.push_back({1, "it turns each window into " + std::to_string(bb["embedding_dim"].as_int()) +
                                      " numbers (an embedding)" +
                                      (bb["own_classes"].is_number()
                                           ? " and also scores its own " + std::to_string(bb["own_classes"].as_int()) + " classes"
                                           : std::string())});
    } else if (tr["kind"].as_string() == "imported") {
        s.lines.push_back({0, "A pretrained network imported as it is (not trained here)"});
        if (tr["source"].is_string()) s.lines.push_back({1, tr["source"].as_string()});
        if (tr["licence"].is_string()) s.lines.push_back({1, "licence: " + tr["licence"].as_string()});
        if (tr["weights_file"].is_string())
            s.lines.push_back({1, "weights: " + tr["weights_file"].as_string() +
                                      (tr["weights_format"].is_string() ? " (" + tr["weights_format"].as_string() + ")" : "")});
    }
    s.lines.push_back({0, "Listens to " + seconds(c.segment_s) + " windows (a new one every " + seconds(c.hop_s) +
                              ") as " + features_in_words(c) + " at " + std::to_string(c.features.sample_rate_hz) +
                              " Hz; a song's verdict is the " + aggregation_in_words(c.aggregation) + " of its windows"});
    const std::string output = j["io"]["output"].as_string();
    if (output.find("sigmoid") != std::string::npos)
        s.lines.push_back({0, "Gives each of its " + std::to_string(c.labels.size()) +
                                  " classes its own score from 0 to 1 (several can be high at once)"});
    else
        s.lines.push_back({0, "Gives a probability to each of its " + count_in_words(c.labels.size()) +
                                  " genres (they add up to 100%)" +
                                  (c.temperature != 1.0 ? ", calibrated (temperature " + format_number(c.temperature) + ")" : "")});
    return s;
}

about_section learned_from(const gs::json_value& j) {
    about_section s{"What it learned from", {}};
    const gs::json_value& tr = j["training"];
    if (!tr.is_object()) return s;
    if (tr["data"].is_string()) {
        std::string line = "Music from '" + base_name(tr["data"].as_string()) + "'";
        if (tr["tracks_train"].is_number()) {
            line += ": " + std::to_string(tr["tracks_train"].as_int()) + " tracks to learn from";
            if (tr["tracks_valid"].as_int(0) > 0) line += ", " + std::to_string(tr["tracks_valid"].as_int()) + " to choose the epoch";
            if (tr["tracks_test"].as_int(0) > 0) line += ", " + std::to_string(tr["tracks_test"].as_int()) + " held out for testing";
        }
        s.lines.push_back({0, line});
    }
    if (tr["split"].is_string()) s.lines.push_back({1, "split: " + after_first_colon(tr["split"].as_string())});
    if (tr["epochs"].is_number()) {
        std::string line = std::to_string(tr["epochs"].as_int()) + " passes over the data (epochs)";
        if (tr["best_epoch"].is_number()) line += "; kept the model after pass " + std::to_string(tr["best_epoch"].as_int());
        s.lines.push_back({1, line});
    }
    const gs::json_value& aug = tr["augment"];
    if (aug.is_object()) {
        std::string a;
        auto add = [&](const std::string& t) { a += (a.empty() ? "" : ", ") + t; };
        if (aug["gain_db"].as_number(0) > 0) add("loudness +-" + format_number(aug["gain_db"].as_number()) + " dB");
        if (aug["noise_prob"].as_number(0) > 0)
            add("background noise on " + percent(aug["noise_prob"].as_number()) + " of them" +
                (aug["noise_texture"].as_bool() ? " (textured)" : ""));
        if (aug["band_limit"].as_number(0) > 0) add("muffled (low-pass) on " + percent(aug["band_limit"].as_number()));
        if (!a.empty()) s.lines.push_back({1, "examples were varied: " + a});
    }
    if (tr["teacher"].is_object() && tr["teacher"]["arch"].is_string())
        s.lines.push_back({1, "also taught by a trained " + tr["teacher"]["arch"].as_string() + " model"});
    const gs::json_value& bb = tr["backbone"];
    if (bb.is_object() && bb["source"].is_string())
        s.lines.push_back({0, "Its backbone learned first from: " + bb["source"].as_string()});
    if (tr["kind"].as_string() == "imported" && tr["source"].is_string())
        s.lines.push_back({0, "Trained by its authors: " + tr["source"].as_string()});
    return s;
}

about_section accuracy(const gs::json_value& j) {
    about_section s{"How accurate it is", {}};
    const gs::json_value& m = j["metrics"];
    std::vector<about_line> protocols, plain, groups;  // shown in this order: the headline figures first
    for (const auto& item : m.items()) {
        if (item.first == "protocols" && item.second.is_object()) {
            for (const auto& p : item.second.items()) {
                const gs::json_value& pv = p.second;
                std::string head = "Protocol " + p.first;
                if (pv["protocol"].is_string()) head += ": " + pv["protocol"].as_string();
                else if (pv["split"].is_string()) head += ": " + after_first_colon(pv["split"].as_string());
                protocols.push_back({0, head});
                gs::json_value rest = pv;
                rest.erase("protocol");
                rest.erase("split");
                metric_lines(rest, 1, protocols);
            }
        } else if (item.second.is_object() && !item.second["mean"].is_number()) {
            std::string head = metric_label(item.first);
            if (item.second["method"].is_string()) head += ": " + item.second["method"].as_string();
            groups.push_back({0, head});
            gs::json_value rest = item.second;
            rest.erase("method");
            metric_lines(rest, 1, groups);
        } else {
            gs::json_value one = gs::json_value::object();
            one.set(item.first, item.second);
            metric_lines(one, 0, plain);
        }
    }
    for (const std::vector<about_line>* part : {&protocols, &plain, &groups})
        s.lines.insert(s.lines.end(), part->begin(), part->end());
    if (s.lines.empty()) s.lines.push_back({0, "The card gives no accuracy figures."});
    return s;
}

about_section limits(const gs::json_value& j, const model_card& c) {
    about_section s{"Its limits", {}};
    const size_t n = c.labels.size(), shown = n <= 24 ? n : 12;
    bool commas = false;  // AudioSet names such as "Child speech, kid speaking" are then separated by "; "
    for (const std::string& l : c.labels) commas = commas || l.find(',') != std::string::npos;
    std::string names;
    for (size_t i = 0; i < shown; ++i) names += (i ? (commas ? "; " : ", ") : "") + c.labels[i];
    if (shown < n) names += ", ... and " + std::to_string(n - shown) + " more";
    s.lines.push_back({0, "Knows " + count_in_words(n) + (n <= 24 ? " genres: " : " classes: ") + names});
    const gs::tag_rule& r = c.tag_rule;
    if (c.has_tags && r.outside_min_score > 0 && !r.outside.empty()) {
        std::string examples;
        for (size_t i = 0; i < r.outside.size() && i < 3; ++i)
            examples += (i ? ", " : "") + c.tag_labels[size_t(r.outside[i])];
        s.lines.push_back({0, "Says \"outside the " + count_in_words(n) + " genres\" when its backbone hears another "
                              "genre: one of " + std::to_string(r.outside.size()) + " tags of other genres (such as " +
                              examples + ") scores at least " + short_number(r.outside_min_score) +
                              " on average and more than every tag of its own genres"});
    } else if (c.has_tags) {
        s.lines.push_back({0, "Shows its backbone's genre tags, but its card has no rule for \"outside\": music of "
                              "another genre still gets one of its labels"});
    }
    if (c.uncertain_below > 0)
        s.lines.push_back({0, "Says \"uncertain\" when its top genre gets less than " + percent(c.uncertain_below)});
    const gs::json_value& act = j["activations"];  // `genrescope quantize --activations`
    if (act.is_object() && act["from"].is_string()) {
        s.lines.push_back({0, "Computes with 8-bit numbers from its layer '" + act["from"].as_string() +
                              "' on (faster in the page), so its answers here can differ a little from the "
                              "command line's for the same file"});
    }
    for (const gs::json_value& l : j["limits"].as_array())
        if (l.is_string() && !l.as_string().empty()) s.lines.push_back({0, l.as_string()});
    return s;
}

// The card's keys as "parent.key: value" (numbers, short strings, {mean, std}), two levels deep; arrays left out.
void flatten(const gs::json_value& v, const std::string& prefix, int depth,
             std::vector<std::pair<std::string, std::string>>& out) {
    for (const auto& m : v.items()) {
        const std::string key = prefix.empty() ? m.first : prefix + "." + m.first;
        const gs::json_value& x = m.second;
        if (x.is_number()) {
            out.emplace_back(key, format_number(x.as_number()));
        } else if (x.is_bool()) {
            out.emplace_back(key, x.as_bool() ? "true" : "false");
        } else if (x.is_string() && x.as_string().size() <= 160) {
            out.emplace_back(key, x.as_string());
        } else if (x.is_object() && x["mean"].is_number() && x["std"].is_number()) {
            out.emplace_back(key, format_number(x["mean"].as_number()) + " +- " + format_number(x["std"].as_number()));
        } else if (x.is_object() && depth < 3) {
            flatten(x, key, depth + 1, out);
        }
    }
}

}  // namespace

void describe_model(const gs::json_value& j, model_card& c) {
    c.about.clear();
    for (about_section s : {what_it_is(j, c), learned_from(j), accuracy(j), limits(j, c)})
        if (!s.lines.empty()) c.about.push_back(std::move(s));
    c.details.clear();
    if (j["training"].is_object()) flatten(j["training"], "training", 1, c.details);
    if (j["metrics"].is_object()) flatten(j["metrics"], "metrics", 1, c.details);
}

}  // namespace gs_web
