// imgui.frag.glsl: a Dear ImGui triangle's colour: the vertex colour times the bound texture (font atlas or image).
precision mediump float;

in vec2 v_uv;
in vec4 v_colour;
out vec4 frag_colour;

uniform sampler2D u_texture;

void main() {
    frag_colour = v_colour * texture(u_texture, v_uv);
}
