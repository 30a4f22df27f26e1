// imgui_render.h: draws Dear ImGui's draw lists with WebGL2, setting all its GL state and never reading any back.
#pragma once

#include <string>

#include "imgui.h"

namespace gs_web {

// Why not ImGui's stock OpenGL3 backend: it saves and restores ~25 pieces of GL state per frame with
// glGet*/glIsEnabled, and in Chromium each of those is a synchronous round trip to the GPU process (tens of
// ms per frame with SwiftShader). This renderer sets what it needs and leaves a fixed, documented state.
//
// State after imgui_render_draw() (code that draws with GL elsewhere must set what it needs itself):
//   framebuffer 0 bound, viewport = the whole canvas (DisplaySize x FramebufferScale),
//   blend enabled (FUNC_ADD; SRC_ALPHA, ONE_MINUS_SRC_ALPHA for colour; ONE, ONE_MINUS_SRC_ALPHA for alpha),
//   scissor test disabled (so that glClear clears the whole canvas), cull face, depth and stencil tests disabled,
//   colour mask all on, active texture unit 0 with no 2D texture and no sampler object bound, program 0,
//   vertex array 0, array buffer 0.

// Needs ImGui's context (fonts configured) and a current WebGL2 context. Compiles shaders/imgui.*.glsl,
// creates the vertex array, buffers and the font atlas texture (io.Fonts' texture ID), sets
// io.BackendRendererName and ImGuiBackendFlags_RendererHasVtxOffset. Returns "" or an error.
std::string imgui_render_init();

// Draws a frame's ImGui::GetDrawData() into framebuffer 0. ImTextureID is a GL texture name. Callbacks are
// called in order; ImDrawCallback_ResetRenderState re-applies this renderer's state.
void imgui_render_draw(const ImDrawData* draw_data);

// Frees the GL objects and unregisters from ImGui's io (safe to call twice).
void imgui_render_shutdown();

}  // namespace gs_web
