// ui_result_panel.cpp: the interface's verdict ("rock", "uncertain (rock?)", "outside the ten genres: sounds like
// ..."), how much of a long file was analysed, genre bars, the backbone's genre tags, progress, and the timeline
// strip (genre x segment) with playback.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "js_calls.h"
#include "ui_internal.h"
#include "verdict.h"

namespace gs_web {
namespace {

constexpr size_t k_max_bars = 12;  // genre bars shown; models with more labels (AudioSet's 521) show the best

void draw_bars(const std::vector<float>& p, const model_card& card) {
    if (p.size() != card.labels.size()) return;
    const std::vector<size_t> order = by_probability(p);
    const size_t shown = std::min(order.size(), k_max_bars);
    float label_w = 80.0f;  // wider for longer names, up to 45% of the panel
    for (size_t r = 0; r < shown; ++r) label_w = std::max(label_w, ImGui::CalcTextSize(card.labels[order[r]].c_str()).x + 8.0f);
    label_w = std::min(label_w, 0.45f * ImGui::GetContentRegionAvail().x);
    for (size_t r = 0; r < shown; ++r) {
        const size_t i = order[r];
        ImGui::TextUnformatted(card.labels[i].c_str());
        ImGui::SameLine(label_w);
        char overlay[32];
        std::snprintf(overlay, sizeof overlay, "%.1f%%", 100.0 * p[i]);
        ImGui::PushStyleColor(ImGuiCol_PlotHistogram, ImGui::ColorConvertU32ToFloat4(genre_colour(int(i), int(p.size()))));
        ImGui::ProgressBar(p[i], ImVec2(-1.0f, 0.0f), overlay);
        ImGui::PopStyleColor();
    }
    if (shown < order.size())
        ImGui::TextColored(k_dim_colour, "... %zu more, each below %.1f%%", order.size() - shown, 100.0 * p[order[shown]] + 0.05);
}

// The big line: the genre verdict, or "outside the ten genres: sounds like ..." with the model's own guess below.
void draw_verdict_line(const std::vector<float>& p, const gs::tag_verdict& tags, const model_card& card) {
    const std::string genres = genre_verdict(p, card);
    if (genres.empty()) return;
    const std::string outside = outside_verdict(tags, card);
    ImGui::PushTextWrapPos(0.0f);
    ImGui::SetWindowFontScale(outside.empty() ? 1.8f : 1.5f);
    if (!outside.empty())
        ImGui::TextColored(k_outside_colour, "%s", outside.c_str());
    else
        ImGui::TextColored(genres.rfind("uncertain", 0) == 0 ? k_dim_colour : k_accent_colour, "%s", genres.c_str());
    ImGui::SetWindowFontScale(1.0f);
    if (!outside.empty()) {
        const size_t top = by_probability(p)[0];
        ImGui::TextColored(k_dim_colour, "its own best guess: %s (%.0f%%); tag score %.3f against %.3f for its own "
                           "genres", card.labels[top].c_str(), 100.0 * p[top], tags.best_outside, tags.best_inside);
    }
    ImGui::TextColored(k_dim_colour, "calibrated probabilities (temperature %.2f)%s", card.temperature,
                       card.uncertain_below > 0 ? "; 'uncertain' below the card's threshold" : "");
    ImGui::PopTextWrapPos();
}

// The backbone's best genre tags as thin bars: orange = a genre the model does not know, blue = one it does.
void draw_tags(const gs::tag_verdict& v, const model_card& card) {
    if (!card.has_tags || v.top.empty()) return;
    ImGui::Spacing();
    ImGui::TextColored(k_dim_colour, "what its backbone hears (genre tags, mean score 0-1):");
    const auto has = [](const std::vector<int>& list, int i) { return std::find(list.begin(), list.end(), i) != list.end(); };
    for (const gs::tag_score& t : v.top) {
        const bool outside = has(card.tag_rule.outside, t.index), inside = has(card.tag_rule.inside, t.index);
        char overlay[160];
        std::snprintf(overlay, sizeof overlay, "%s  %.3f%s", card.tag_labels[size_t(t.index)].c_str(), t.score,
                      outside ? "  (not one of its genres)" : "");
        const ImVec4 colour = outside ? k_outside_colour : inside ? k_accent_colour : ImVec4(0.5f, 0.5f, 0.55f, 1.0f);
        ImGui::PushStyleColor(ImGuiCol_PlotHistogram, ImVec4(colour.x * 0.6f, colour.y * 0.6f, colour.z * 0.6f, 1.0f));
        ImGui::ProgressBar(t.score, ImVec2(-1.0f, ImGui::GetTextLineHeight() + 2.0f), overlay);
        ImGui::PopStyleColor();
    }
}

// For each window, the nearest answered window (ties: the earlier one), or n when none is answered yet: the timeline
// paints a window that was not analysed with its nearest analysed neighbour's colours, dimmed.
std::vector<size_t> nearest_done(const file_job& j) {
    const size_t n = j.n_segments();
    std::vector<size_t> left(n, n), out(n, n);
    for (size_t s = 0, last = n; s < n; ++s) left[s] = last = j.seg_done[s] ? s : last;
    for (size_t s = n, next = n; s-- > 0;) {
        next = j.seg_done[s] ? s : next;
        const size_t l = left[s];
        out[s] = l == n ? next : next == n ? l : (s - l <= next - s ? l : next);
    }
    return out;
}

}  // namespace

void draw_result_panel(ui_context& ui) {
    app_state& s = *ui.state;
    if (s.live.active || (s.live.updates > 0 && !s.has_job)) {
        ImGui::TextColored(k_accent_colour, s.live.active ? "Listening (microphone)" : "Microphone stopped");
        ImGui::PushTextWrapPos(0.0f);
        ImGui::TextColored(k_dim_colour, "%.1f updates/s, audio->bars %.0f ms, model %.0f ms, %lld updates, %d Hz in",
                           ui.live_rate_hz, s.live.latency_ms, s.live.inference_ms, s.live.updates, s.live.input_rate_hz);
        ImGui::PopTextWrapPos();
        draw_verdict_line(s.live.probabilities, s.live.tags, s.live.card);
        draw_bars(s.live.probabilities, s.live.card);
        draw_tags(s.live.tags, s.live.card);
        return;
    }
    if (!s.has_job || (s.job.where == file_job::stage::failed && s.last_result_json.empty())) {
        ImGui::TextColored(k_dim_colour, "No file yet.");
        return;
    }
    const file_job& j = s.job;
    if (j.where == file_job::stage::failed) {
        ImGui::TextColored(k_dim_colour, "The last file could not be classified (see above).");
        return;
    }
    ImGui::Text("%s", j.file.c_str());
    if (j.where == file_job::stage::preparing || j.where == file_job::stage::inferring) {
        char overlay[64];
        if (j.where == file_job::stage::preparing)
            std::snprintf(overlay, sizeof overlay, "features %.0f%%", 200.0 * j.progress);
        else if (j.sparse())
            std::snprintf(overlay, sizeof overlay, "windows %zu / %zu (of %zu)", j.n_done, j.n_analysed(),
                          j.n_segments());
        else
            std::snprintf(overlay, sizeof overlay, "segments %zu / %zu", j.n_done, j.n_segments());
        ImGui::ProgressBar(float(j.progress), ImVec2(-1.0f, 0.0f), overlay);
    } else {
        ImGui::TextColored(k_dim_colour, "%.1f s, %zu segments | decode %.0f ms, features %.0f ms, model %.0f ms, total %.0f ms",
                           j.duration_s, j.n_segments(), j.decode_ms, j.features_ms, j.inference_ms, j.total_ms);
    }
    if (j.n_done > 0) {
        draw_verdict_line(j.probabilities, j.tags, j.card);
        if (j.where == file_job::stage::done && j.sparse()) {
            ImGui::TextColored(
                k_outside_colour, "%s",
                analysed_words(j.n_analysed(), j.n_segments(), j.analysed_seconds() / j.duration_s).c_str());
            if (ImGui::IsItemHovered())
                ImGui::SetTooltip(
                    "A long file: at most %zu windows go through the model, spread evenly from the first\n"
                    "to the last; the verdict is over those. The timeline shows the others dimmed,\n"
                    "in the colours of the nearest analysed window.",
                    j.max_windows);
        }
        draw_bars(j.probabilities, j.card);
        draw_tags(j.tags, j.card);
    }
}

void draw_timeline(ui_context& ui) {
    app_state& s = *ui.state;
    if (!s.has_job || s.live.active || s.job.n_segments() == 0 ||
        (s.job.where != file_job::stage::inferring && s.job.where != file_job::stage::done))
        return;
    const file_job& j = s.job;
    const int k = j.card.n_classes();
    const bool playing = js_playback_playing() != 0;
    if (ImGui::Button(playing ? "Pause" : "Play")) js_playback_toggle();
    ImGui::SameLine();
    const double pos = js_playback_position();
    ImGui::Text("%.1f / %.1f s", pos, j.duration_s);
    ImGui::SameLine();
    ImGui::TextColored(k_dim_colour, "timeline: genre x segment (click to seek)");

    const float label_w = 72.0f;
    const float row_h = std::max(6.0f, std::min(12.0f, 160.0f / float(k)));
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    const float w = std::max(50.0f, ImGui::GetContentRegionAvail().x - label_w);
    const ImVec2 strip0(p0.x + label_w, p0.y);
    const ImVec2 strip1(strip0.x + w, strip0.y + row_h * k);
    ImGui::InvisibleButton("timeline", ImVec2(label_w + w, row_h * k));
    const bool hovered = ImGui::IsItemHovered();
    ImDrawList* dl = ImGui::GetWindowDrawList();
    dl->AddRectFilled(strip0, strip1, IM_COL32(25, 25, 32, 255));
    for (int c = 0; c < k; ++c) {
        const float y = strip0.y + row_h * c;
        if (row_h >= 9.0f) dl->AddText(ImGui::GetFont(), row_h * 0.95f, ImVec2(p0.x, y), IM_COL32(200, 200, 210, 255),
                                       j.card.labels[size_t(c)].c_str());
    }
    const double dur = std::max(1e-6, j.duration_s);
    const std::vector<size_t> nearest = nearest_done(j);
    for (size_t sg = 0; sg < j.n_segments(); ++sg) {
        const double t0 = j.segment_start_s(sg);
        const double t1 = sg + 1 < j.n_segments() ? std::max(t0 + 1e-3, j.segment_start_s(sg + 1)) : j.segment_end_s(sg);
        const float x0 = strip0.x + w * float(t0 / dur), x1 = strip0.x + w * float(std::min(dur, t1) / dur);
        // An analysed window in its own colours; one that is not analysed (a long file) in its nearest analysed
        // neighbour's, at 40%; one still waiting for the model in grey.
        const bool own = j.seg_done[sg] != 0, borrowed = !own && j.where == file_job::stage::done &&
                                                         !j.is_analysed(sg) && nearest[sg] < j.n_segments();
        const size_t from = own ? sg : nearest[sg];
        for (int c = 0; c < k; ++c) {
            const float y = strip0.y + row_h * c;
            const float p = own || borrowed ? j.seg_probs[from * size_t(k) + size_t(c)] : 0.0f;
            const ImU32 col = own || borrowed ? genre_colour(c, k, std::min(1.0f, p * 1.2f) * (own ? 1.0f : 0.4f))
                                              : IM_COL32(60, 60, 70, 255);
            dl->AddRectFilled(ImVec2(x0, y), ImVec2(std::max(x0 + 1.0f, x1 - 0.5f), y + row_h - 1.0f), col);
        }
    }
    const float px = strip0.x + w * float(std::min(1.0, pos / dur));
    dl->AddLine(ImVec2(px, strip0.y - 2), ImVec2(px, strip1.y + 2), IM_COL32(255, 255, 255, 255), 2.0f);
    if (hovered) {
        const float mx = ImGui::GetIO().MousePos.x;
        const double t = std::clamp(double(mx - strip0.x) / w, 0.0, 1.0) * dur;
        const size_t sg = segment_at(j, t);
        if (j.seg_done[sg]) {
            std::vector<float> p(j.seg_probs.begin() + sg * size_t(k), j.seg_probs.begin() + (sg + 1) * size_t(k));
            ImGui::SetTooltip("%.1f s: segment %zu (%.1f-%.1f s): %s", t, sg + 1, j.segment_start_s(sg), j.segment_end_s(sg),
                              genre_verdict(p, j.card).c_str());
        } else if (j.where == file_job::stage::done && nearest[sg] < j.n_segments()) {
            ImGui::SetTooltip("%.1f s: segment %zu (%.1f-%.1f s): not analysed (shown dimmed: segment %zu)", t, sg + 1,
                              j.segment_start_s(sg), j.segment_end_s(sg), nearest[sg] + 1);
        }
        if (ImGui::IsItemClicked() && mx >= strip0.x) js_playback_seek(t);
    }
}

}  // namespace gs_web
