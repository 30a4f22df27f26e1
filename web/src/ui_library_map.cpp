// ui_library_map.cpp: the library's 2-D map (PCA of the track embeddings): points coloured by genre, hover names a
// song, a click selects it, a dragged box marks songs for a playlist; and the similar songs of the selection.
#include <emscripten.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "genrescope/library.h"
#include "js_calls.h"
#include "library.h"
#include "ui_internal.h"

namespace gs_web {
namespace {

constexpr float k_point_radius = 4.0f;
constexpr float k_hover_px = 7.0f;
constexpr int k_similar_k = 10;

void select_item(library_state& l, int i) {
    l.selected = i;
    if (i >= 0 && l.stages[size_t(i)] == library_stage::done) js_library_select(i);
}

}  // namespace

void draw_library_map(ui_context& ui, float height) {
    library_state& l = ui.state->library;
    const std::vector<float>& xy = library_map_xy_throttled(l, emscripten_get_now());
    float x0 = std::numeric_limits<float>::max(), x1 = -x0, y0 = x0, y1 = -x0;
    size_t n_points = 0;
    for (size_t i = 0; 2 * i + 1 < xy.size(); ++i) {
        if (!std::isfinite(xy[2 * i]) || !std::isfinite(xy[2 * i + 1])) continue;
        x0 = std::min(x0, xy[2 * i]);
        x1 = std::max(x1, xy[2 * i]);
        y0 = std::min(y0, xy[2 * i + 1]);
        y1 = std::max(y1, xy[2 * i + 1]);
        ++n_points;
    }
    ImGui::TextColored(k_accent_colour, "Map");
    ImGui::SameLine();
    if (n_points == 0) {
        ImGui::TextColored(k_dim_colour, "%s", !l.embedding_note.empty() ? l.embedding_note.c_str()
                                                                        : "songs appear here as they finish");
        return;
    }
    ImGui::TextColored(k_dim_colour, "%zu songs; similar sounding songs lie close; drag a box to mark a playlist",
                       n_points);
    if (!l.marked.empty()) {
        ImGui::SameLine();
        ImGui::Text("(%zu marked)", l.marked.size());
        ImGui::SameLine();
        if (ImGui::SmallButton("Unmark")) l.marked.clear();
    }
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    const ImVec2 size(std::max(60.0f, ImGui::GetContentRegionAvail().x), std::max(60.0f, height));
    ImGui::InvisibleButton("map", size);
    const bool hovered = ImGui::IsItemHovered();
    ImDrawList* dl = ImGui::GetWindowDrawList();
    dl->AddRectFilled(p0, ImVec2(p0.x + size.x, p0.y + size.y), IM_COL32(22, 22, 28, 255));
    dl->AddRect(p0, ImVec2(p0.x + size.x, p0.y + size.y), IM_COL32(70, 70, 80, 255));
    const float m = 12.0f, top_m = 26.0f;  // the legend runs along the top
    const float sx = x1 > x0 ? (size.x - 2 * m) / (x1 - x0) : 0.0f;
    const float sy = y1 > y0 ? (size.y - m - top_m) / (y1 - y0) : 0.0f;
    auto screen = [&](size_t i) {
        return ImVec2(p0.x + m + (sx > 0 ? (xy[2 * i] - x0) * sx : (size.x - 2 * m) / 2),
                      p0.y + size.y - m - (sy > 0 ? (xy[2 * i + 1] - y0) * sy : (size.y - m - top_m) / 2));
    };
    const ImVec2 mouse = ImGui::GetIO().MousePos;
    int nearest = -1;
    float best = k_hover_px * k_hover_px;
    const int n_labels = int(l.labels.size());
    for (size_t i = 0; 2 * i + 1 < xy.size(); ++i) {
        if (!std::isfinite(xy[2 * i]) || !std::isfinite(xy[2 * i + 1])) continue;
        const ImVec2 p = screen(i);
        const int top = gs::library_top(l.items[i]);
        dl->AddCircleFilled(p, k_point_radius, genre_colour(std::max(0, top), std::max(1, n_labels), 0.9f));
        if (std::find(l.marked.begin(), l.marked.end(), int(i)) != l.marked.end())
            dl->AddCircle(p, k_point_radius + 2.0f, IM_COL32(255, 255, 255, 200));
        if (int(i) == l.selected) dl->AddCircle(p, k_point_radius + 4.0f, IM_COL32(255, 255, 0, 255), 0, 2.0f);
        const float dx = p.x - mouse.x, dy = p.y - mouse.y;
        if (hovered && dx * dx + dy * dy < best) {
            best = dx * dx + dy * dy;
            nearest = int(i);
        }
    }
    if (hovered && ImGui::IsMouseClicked(0)) {
        ui.map_dragging = true;
        ui.map_drag_x0 = mouse.x;
        ui.map_drag_y0 = mouse.y;
    }
    if (ui.map_dragging) {
        const ImVec2 a(std::min(ui.map_drag_x0, mouse.x), std::min(ui.map_drag_y0, mouse.y));
        const ImVec2 b(std::max(ui.map_drag_x0, mouse.x), std::max(ui.map_drag_y0, mouse.y));
        const bool is_box = b.x - a.x > 4.0f || b.y - a.y > 4.0f;
        if (is_box) {
            dl->AddRectFilled(a, b, IM_COL32(120, 160, 255, 40));
            dl->AddRect(a, b, IM_COL32(120, 160, 255, 200));
        }
        if (ImGui::IsMouseReleased(0)) {
            ui.map_dragging = false;
            if (is_box) {
                l.marked.clear();
                for (size_t i = 0; 2 * i + 1 < xy.size(); ++i) {
                    if (!std::isfinite(xy[2 * i]) || !std::isfinite(xy[2 * i + 1])) continue;
                    const ImVec2 p = screen(i);
                    if (p.x >= a.x && p.x <= b.x && p.y >= a.y && p.y <= b.y) l.marked.push_back(int(i));
                }
            } else if (nearest >= 0) {
                select_item(l, nearest);
            }
        }
    }
    if (nearest >= 0 && !ui.map_dragging) {
        const gs::library_item& it = l.items[size_t(nearest)];
        const int top = gs::library_top(it);
        ImGui::SetTooltip("%s\n%s %.0f%%", it.file.c_str(),
                          top >= 0 && top < n_labels ? l.labels[size_t(top)].c_str() : "",
                          top >= 0 ? 100.0 * it.probabilities[size_t(top)] : 0.0);
    }
    // Legend.
    float lx = p0.x + 6.0f;
    for (int g = 0; g < n_labels; ++g) {
        const ImVec2 ts = ImGui::CalcTextSize(l.labels[size_t(g)].c_str());
        if (lx + ts.x + 14.0f > p0.x + size.x) break;
        dl->AddCircleFilled(ImVec2(lx + 4.0f, p0.y + 10.0f), 4.0f, genre_colour(g, n_labels));
        dl->AddText(ImVec2(lx + 10.0f, p0.y + 3.0f), IM_COL32(200, 200, 210, 255), l.labels[size_t(g)].c_str());
        lx += ts.x + 20.0f;
    }
}

void draw_library_similar(ui_context& ui) {
    library_state& l = ui.state->library;
    if (l.selected < 0 || size_t(l.selected) >= l.items.size()) return;
    if (ui.similar_for != l.selected || ui.similar_generation != l.generation) {
        ui.similar.clear();
        for (const gs::library_neighbour& n : gs::library_similar(l.items, l.selected, k_similar_k))
            ui.similar.emplace_back(n.index, n.distance);
        ui.similar_for = l.selected;
        ui.similar_generation = l.generation;
    }
    ImGui::TextColored(k_accent_colour, "Similar to %s", l.items[size_t(l.selected)].file.c_str());
    if (!ui.similar.empty()) {
        ImGui::SameLine();
        if (ImGui::SmallButton("Play similar")) js_library_play_similar(l.items[size_t(l.selected)].file.c_str(), int(ui.similar.size()));
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("plays this song, then the songs below, each to its end");
    }
    if (ui.similar.empty()) {
        ImGui::TextColored(k_dim_colour, "%s", l.items[size_t(l.selected)].embedding.empty()
                                                   ? "no embedding for this song"
                                                   : "no other song to compare with yet");
        return;
    }
    const int n_labels = int(l.labels.size());
    for (const auto& [i, d] : ui.similar) {
        const gs::library_item& it = l.items[size_t(i)];
        const int top = gs::library_top(it);
        ImGui::PushID(i);
        if (ImGui::Selectable("##sim", false, 0, ImVec2(0.0f, 0.0f))) select_item(l, i);
        ImGui::SameLine();
        ImGui::Text("%.3f", double(d));
        ImGui::SameLine();
        ImGui::TextUnformatted(it.file.c_str());
        if (top >= 0 && top < n_labels) {
            ImGui::SameLine();
            ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(genre_colour(top, n_labels)), "%s",
                               l.labels[size_t(top)].c_str());
        }
        ImGui::PopID();
    }
}

}  // namespace gs_web
