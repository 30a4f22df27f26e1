// spectrogram.frag.glsl: maps a log-mel texture (dB, one texel per [frame, mel band]) to colour through a colormap.
// u_spec: R16F texture, width = frames (time), height = mel bands (row 0 = lowest band).
// u_db_min, u_db_max: the dB range mapped to the colormap's ends (values outside are clamped).
// u_colormap: 0 = ember, 1 = ocean (see below).
precision highp float;

in vec2 v_uv;
out vec4 frag_colour;

uniform sampler2D u_spec;
uniform float u_db_min;
uniform float u_db_max;
uniform int u_colormap;

// Two colour ramps, piecewise linear between five stops chosen for GenreScope: both rise monotonically in
// lightness, so louder always reads as brighter, also in greyscale.
vec3 ramp(float t, vec3 a, vec3 b, vec3 c, vec3 d, vec3 e) {
    float x = t * 4.0;
    if (x < 1.0) return mix(a, b, x);
    if (x < 2.0) return mix(b, c, x - 1.0);
    if (x < 3.0) return mix(c, d, x - 2.0);
    return mix(d, e, x - 3.0);
}

// "ember": black, violet, crimson, orange, pale yellow.
vec3 ember(float t) {
    return ramp(t, vec3(0.00, 0.00, 0.02), vec3(0.25, 0.06, 0.42), vec3(0.70, 0.14, 0.35), vec3(0.98, 0.52, 0.18),
                vec3(0.99, 0.96, 0.70));
}

// "ocean": navy, blue, teal, green, yellow.
vec3 ocean(float t) {
    return ramp(t, vec3(0.03, 0.02, 0.20), vec3(0.13, 0.25, 0.55), vec3(0.10, 0.55, 0.56), vec3(0.40, 0.78, 0.36),
                vec3(0.98, 0.93, 0.25));
}

void main() {
    float db = texture(u_spec, v_uv).r;
    float t = clamp((db - u_db_min) / max(u_db_max - u_db_min, 1e-3), 0.0, 1.0);
    vec3 rgb = u_colormap == 1 ? ocean(t) : ember(t);
    frag_colour = vec4(clamp(rgb, 0.0, 1.0), 1.0);
}
