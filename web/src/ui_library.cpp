// ui_library.cpp: library mode's panel: progress (files/s, time left), Cancel, exports, filters, the sortable table.
#include <emscripten.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "imgui_internal.h"  // TableSetColumnSortDirection: the headers show a sort set through the API
#include "js_calls.h"
#include "library.h"
#include "ui_internal.h"

namespace gs_web {
namespace {

void draw_progress(ui_context& ui) {
    library_state& l = ui.state->library;
    const size_t total = l.items.size();
    const size_t done = library_count(l, library_stage::done), failed = library_count(l, library_stage::error);
    const size_t finished = done + failed;
    const bool busy = library_busy(l);
    const double rate = library_rate(l, emscripten_get_now());
    char line[160];
    if (busy && rate > 0.0)
        std::snprintf(line, sizeof line, "%zu of %zu files, %.2f files/s, about %.0f s left", finished, total, rate,
                      double(total - finished) / rate);
    else
        std::snprintf(line, sizeof line, "%zu of %zu files (%zu done, %zu failed)", finished, total, done, failed);
    ImGui::ProgressBar(total ? float(finished) / float(total) : 0.0f, ImVec2(busy ? -90.0f : -1.0f, 0.0f), line);
    if (busy) {
        ImGui::SameLine();
        ImGui::BeginDisabled(l.cancelling);
        if (ImGui::Button("Cancel", ImVec2(-1.0f, 0.0f))) js_library_cancel();
        ImGui::EndDisabled();
    } else if (rate > 0.0 && finished > 0) {
        ImGui::TextColored(k_dim_colour, "%.2f files/s (%.1f songs/min)", rate, rate * 60.0);
    }
}

void draw_exports(ui_context& ui) {
    library_state& l = ui.state->library;
    const bool any = library_count(l, library_stage::done) + library_count(l, library_stage::error) > 0;
    ImGui::BeginDisabled(!any);
    if (ImGui::Button("Export CSV"))
        js_download("library.csv", "text/csv", library_export_csv(l).c_str());
    ImGui::SameLine();
    if (ImGui::Button("Export JSON"))
        js_download("library.json", "application/json", library_export_json(l).c_str());
    ImGui::SameLine();
    if (ImGui::Button(l.marked.empty() ? "Export M3U (shown rows)" : "Export M3U (marked on the map)"))
        js_download("library.m3u", "audio/x-mpegurl", library_export_m3u(l).c_str());
    ImGui::EndDisabled();
    ImGui::SameLine();
    ImGui::BeginDisabled(library_busy(l) || l.items.empty());
    if (ImGui::Button("Clear")) js_library_clear();
    ImGui::EndDisabled();
}

void draw_filters(ui_context& ui) {
    library_state& l = ui.state->library;
    const std::string current = l.genre_filter >= 0 && size_t(l.genre_filter) < l.labels.size()
                                    ? l.labels[size_t(l.genre_filter)]
                                    : std::string("all genres");
    ImGui::SetNextItemWidth(150.0f);
    if (ImGui::BeginCombo("##genre", current.c_str())) {
        if (ImGui::Selectable("all genres", l.genre_filter < 0)) {
            l.genre_filter = -1;
            library_touch(l);
        }
        for (size_t g = 0; g < l.labels.size(); ++g) {
            ImGui::PushStyleColor(ImGuiCol_Text, genre_colour(int(g), int(l.labels.size())));
            if (ImGui::Selectable(l.labels[g].c_str(), l.genre_filter == int(g))) {
                l.genre_filter = int(g);
                library_touch(l);
            }
            ImGui::PopStyleColor();
        }
        ImGui::EndCombo();
    }
    ImGui::SameLine();
    if (ui.library_filter_sync) {  // the API set the text filter: show it
        std::snprintf(ui.library_filter, sizeof ui.library_filter, "%s", l.text_filter.c_str());
        ui.library_filter_sync = false;
    }
    ImGui::SetNextItemWidth(-1.0f);
    if (ImGui::InputTextWithHint("##libfilter", "filter by file name", ui.library_filter, sizeof ui.library_filter)) {
        l.text_filter = ui.library_filter;
        library_touch(l);
    }
}

void apply_sort_specs(ui_context& ui) {
    library_state& l = ui.state->library;
    ImGuiTableSortSpecs* specs = ImGui::TableGetSortSpecs();
    if (!specs || !specs->SpecsDirty) return;
    specs->SpecsDirty = false;
    if (!ui.library_table_init) {  // the table's initial specs (no sort): keep the view's (the API may have set it)
        ui.library_table_init = true;
        return;
    }
    if (specs->SpecsCount > 0) {
        l.sort_column = int(specs->Specs[0].ColumnUserID);
        l.ascending = specs->Specs[0].SortDirection != ImGuiSortDirection_Descending;
    } else {
        l.sort_column = -1;
    }
    library_touch(l);
}

void draw_row(ui_context& ui, int i) {
    library_state& l = ui.state->library;
    const gs::library_item& it = l.items[size_t(i)];
    const library_stage st = l.stages[size_t(i)];
    const int n = int(l.labels.size());
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::PushID(i);
    if (ImGui::Selectable(it.file.c_str(), l.selected == i, ImGuiSelectableFlags_SpanAllColumns)) {
        l.selected = i;
        if (st == library_stage::done) js_library_select(i);
    }
    if (ImGui::IsItemHovered() && !it.error.empty()) ImGui::SetTooltip("%s", it.error.c_str());
    ImGui::PopID();
    ImGui::TableNextColumn();
    if (st == library_stage::error) ImGui::TextColored(k_error_colour, "%s", it.error.c_str());
    else ImGui::TextColored(st == library_stage::done ? k_dim_colour : k_accent_colour, "%s", library_stage_name(st));
    ImGui::TableNextColumn();
    if (st == library_stage::done) ImGui::Text("%.1f s", it.duration_s);
    const int top = gs::library_top(it), second = gs::library_second(it);
    ImGui::TableNextColumn();
    if (top >= 0 && top < n) ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(genre_colour(top, n)), "%s", l.labels[size_t(top)].c_str());
    ImGui::TableNextColumn();
    if (top >= 0) ImGui::Text("%.0f%%", 100.0 * it.probabilities[size_t(top)]);
    ImGui::TableNextColumn();
    if (st == library_stage::done && it.uncertain) ImGui::TextColored(k_outside_colour, "uncertain");
    ImGui::TableNextColumn();
    if (st == library_stage::done && it.outside) {
        ImGui::TextColored(k_outside_colour, "outside");
        if (ImGui::IsItemHovered() && !it.sounds_like.empty()) ImGui::SetTooltip("sounds like %s", it.sounds_like.c_str());
    }
    ImGui::TableNextColumn();
    if (second >= 0 && second < n)
        ImGui::Text("%s %.0f%%", l.labels[size_t(second)].c_str(), 100.0 * it.probabilities[size_t(second)]);
}

void draw_table(ui_context& ui, float height) {
    library_state& l = ui.state->library;
    const ImGuiTableFlags flags = ImGuiTableFlags_Sortable | ImGuiTableFlags_SortTristate | ImGuiTableFlags_RowBg |
                                  ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_ScrollY | ImGuiTableFlags_Resizable |
                                  ImGuiTableFlags_SizingStretchProp;
    if (!ImGui::BeginTable("library", col_count, flags, ImVec2(0.0f, height))) return;
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("file", ImGuiTableColumnFlags_WidthStretch, 3.0f, col_file);
    ImGui::TableSetupColumn("status", ImGuiTableColumnFlags_WidthStretch, 1.4f, col_status);
    ImGui::TableSetupColumn("duration", ImGuiTableColumnFlags_WidthStretch, 0.9f, col_duration);
    ImGui::TableSetupColumn("genre", ImGuiTableColumnFlags_WidthStretch, 1.0f, col_genre);
    ImGui::TableSetupColumn("confidence", ImGuiTableColumnFlags_WidthStretch, 0.9f, col_confidence);
    ImGui::TableSetupColumn("uncertain", ImGuiTableColumnFlags_WidthStretch, 0.9f, col_uncertain);
    ImGui::TableSetupColumn("outside", ImGuiTableColumnFlags_WidthStretch, 0.8f, col_outside);
    ImGui::TableSetupColumn("second genre", ImGuiTableColumnFlags_WidthStretch, 1.3f, col_second);
    ImGui::TableHeadersRow();
    if (ui.library_sort_sync && ui.library_table_init) {
        ui.library_sort_sync = false;
        // One call: not appending clears every other column's sort.
        if (l.sort_column >= 0)
            ImGui::TableSetColumnSortDirection(l.sort_column, l.ascending ? ImGuiSortDirection_Ascending
                                                                          : ImGuiSortDirection_Descending, false);
        else
            ImGui::TableSetColumnSortDirection(0, ImGuiSortDirection_None, false);
    }
    apply_sort_specs(ui);
    const std::vector<int>& view = library_view(l);
    ImGuiListClipper clipper;
    clipper.Begin(int(view.size()));
    while (clipper.Step())
        for (int r = clipper.DisplayStart; r < clipper.DisplayEnd; ++r) draw_row(ui, view[size_t(r)]);
    ImGui::EndTable();
}

}  // namespace

void draw_library_panel(ui_context& ui, float height) {
    library_state& l = ui.state->library;
    ImGui::TextColored(k_accent_colour, "Library");
    ImGui::SameLine();
    ImGui::TextColored(k_dim_colour, "drop many files or a folder, or use Open files... / Open folder...");
    if (l.items.empty()) {
        ImGui::TextWrapped("No files yet. Each file is classified on this device, one at a time; the table, the map "
                           "and similar songs fill in as they finish.");
        return;
    }
    draw_progress(ui);
    draw_exports(ui);
    draw_filters(ui);
    const float table_h = std::max(120.0f, height - ImGui::GetFrameHeightWithSpacing() * 4.0f);
    draw_table(ui, table_h);
}

}  // namespace gs_web
