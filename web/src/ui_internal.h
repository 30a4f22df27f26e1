// ui_internal.h: what the interface's files (ui*.cpp) share: colours and the panels' draw functions; not for
// other code (ui.h is the interface's entry point).
#pragma once

#include <cstddef>

#include "imgui.h"
#include "ui.h"

namespace gs_web {

inline const ImVec4 k_error_colour(1.0f, 0.45f, 0.4f, 1.0f);
inline const ImVec4 k_dim_colour(0.65f, 0.65f, 0.7f, 1.0f);
inline const ImVec4 k_accent_colour(0.55f, 0.75f, 1.0f, 1.0f);
inline const ImVec4 k_outside_colour(1.0f, 0.7f, 0.3f, 1.0f);  // "outside the genres", and the tags that say so

// Colour of genre c of n (hue wheel).
ImU32 genre_colour(int c, int n, float alpha = 1.0f);
// The segment that contains time t_s (the last one starting at or before it).
size_t segment_at(const file_job& j, double t_s);

// ui_views.cpp: view controls + the log-mel / MFCC / chroma view (live: scrolling), with the saliency overlay.
void draw_feature_view(ui_context& ui, float height);
// ui_result_panel.cpp: the verdict, genre bars, genre tags, progress; the timeline strip with playback.
void draw_result_panel(ui_context& ui);
void draw_timeline(ui_context& ui);
// ui_model_panel.cpp: the model in plain words, backend and timings, the card's raw keys (collapsed).
void draw_model_panel(ui_context& ui);
// ui_library.cpp: library mode: progress, Cancel, exports, filters and the sortable table.
void draw_library_panel(ui_context& ui, float height);
// ui_library_map.cpp: the 2-D map of the library's embeddings (hover, click, box selection) and similar songs.
void draw_library_map(ui_context& ui, float height);
void draw_library_similar(ui_context& ui);

}  // namespace gs_web
