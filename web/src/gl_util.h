// gl_util.h: small OpenGL ES 3.0 (WebGL2) helpers: compiling the embedded shaders into programs, texture sampling.
#pragma once

#include <GLES3/gl3.h>

#include <string>

namespace gs_web {

// The line prepended to every shader body: the bodies in shaders/ carry no #version line.
constexpr const char* k_glsl_version = "#version 300 es\n";

// Compiles shaders/<vertex_name> and shaders/<fragment_name> and links them.
// Returns the program (owned by the caller: glDeleteProgram), or 0 with a one-line reason in error.
GLuint build_program(const char* vertex_name, const char* fragment_name, std::string& error);

// For the GL_TEXTURE_2D bound now: linear filtering (no mipmaps) and clamping to the edge on both axes, the
// sampling every texture of the page uses.
void set_linear_clamp_sampling();

}  // namespace gs_web
