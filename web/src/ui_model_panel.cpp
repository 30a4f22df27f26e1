// ui_model_panel.cpp: the interface's model panel: the model in plain words from its card (what it is, what it
// learned from, how accurate it is, its limits), where it runs, and the card's raw keys under "details".
#include <string>

#include "genrescope/features.h"
#include "ui_internal.h"

namespace gs_web {
namespace {

void draw_about(const model_card& c) {
    for (const about_section& sec : c.about) {
        ImGui::Spacing();
        ImGui::TextColored(k_accent_colour, "%s", sec.title.c_str());
        for (const about_line& l : sec.lines) {
            if (l.level > 0) ImGui::Indent();
            ImGui::Bullet();
            if (l.level > 0)
                ImGui::TextColored(k_dim_colour, "%s", l.text.c_str());
            else
                ImGui::TextUnformatted(l.text.c_str());
            if (l.level > 0) ImGui::Unindent();
        }
    }
}

void draw_runtime(const app_state& s) {
    const model_card& c = s.card;
    ImGui::Spacing();
    ImGui::TextColored(k_accent_colour, "Running here");
    ImGui::TextColored(k_dim_colour, "backend: %s; load %.0f ms, last run %.1f ms/segment", s.backend.c_str(),
                       s.model_load_ms, s.last_batch_ms_per_segment);
    if (!s.backend_note.empty()) ImGui::TextColored(k_dim_colour, "%s", s.backend_note.c_str());
    ImGui::TextColored(k_dim_colour, "input: %d x %d (%s, %d Hz, hop %d), %.2g s segments every %.2g s",
                       c.n_bins(), c.segment.frames, gs::to_string(c.features.kind), c.features.sample_rate_hz,
                       c.features.stft.hop_length, c.segment_s, c.hop_s);
    if (c.has_tags)
        ImGui::TextColored(k_dim_colour, "genre tags: output '%s', %zu tags, %zu of them genres", c.tag_output.c_str(),
                           c.tag_labels.size(), c.tag_rule.genres.size());
}

void draw_details(const model_card& c) {
    if (c.details.empty() || !ImGui::TreeNode("details (the card's own keys)")) return;
    std::string labels;
    for (const std::string& l : c.labels) labels += (labels.empty() ? "" : ", ") + l;
    ImGui::TextColored(k_dim_colour, "labels: %s", labels.c_str());
    for (const auto& d : c.details) ImGui::TextColored(k_dim_colour, "%s: %s", d.first.c_str(), d.second.c_str());
    ImGui::TreePop();
}

}  // namespace

void draw_model_panel(ui_context& ui) {
    const app_state& s = *ui.state;
    if (!ImGui::CollapsingHeader("Model", ImGuiTreeNodeFlags_DefaultOpen)) return;
    if (!s.has_model) {
        ImGui::TextColored(k_dim_colour, "loading the model...");
        return;
    }
    ImGui::PushTextWrapPos(0.0f);
    draw_about(s.card);
    draw_runtime(s);
    draw_details(s.card);
    if (!s.model_note.empty()) ImGui::TextColored(k_error_colour, "%s", s.model_note.c_str());
    ImGui::PopTextWrapPos();
}

}  // namespace gs_web
