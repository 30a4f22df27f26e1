// imgui.vert.glsl: Dear ImGui's vertices (screen pixels, uv, RGBA8 colour) to clip space for web/src/imgui_render.cpp.
// a_pos: ImDrawVert::pos in ImGui's display coordinates (origin top-left, y down).
// u_scale, u_offset: clip = a_pos * u_scale + u_offset (the orthographic projection of the display rectangle).
layout(location = 0) in vec2 a_pos;
layout(location = 1) in vec2 a_uv;
layout(location = 2) in vec4 a_colour;  // normalised unsigned bytes

uniform vec2 u_scale;
uniform vec2 u_offset;

out vec2 v_uv;
out vec4 v_colour;

void main() {
    v_uv = a_uv;
    v_colour = a_colour;
    gl_Position = vec4(a_pos * u_scale + u_offset, 0.0, 1.0);
}
