// fullscreen.vert.glsl: a full-viewport quad from gl_VertexID alone (draw 4 vertices as a triangle strip, no buffers).
// uv: (0,0) bottom-left .. (1,1) top-right of the viewport.
out vec2 v_uv;

void main() {
    vec2 corner = vec2(float(gl_VertexID & 1), float((gl_VertexID >> 1) & 1));
    v_uv = corner;
    gl_Position = vec4(corner * 2.0 - 1.0, 0.0, 1.0);
}
