// gl_util.cpp: compiles the embedded GLSL ES bodies with a #version line prepended, links programs, sets texture sampling.
#include "gl_util.h"

#include "shaders.h"

namespace gs_web {
namespace {

// Returns the shader (owned by the caller) or 0 with the compiler's log in error.
GLuint compile_shader(GLenum type, const char* name, std::string& error) {
    const char* body = shader_source(name);
    if (body == nullptr) {
        error = std::string("shader not embedded: ") + name;
        return 0;
    }
    const char* parts[2] = {k_glsl_version, body};
    GLuint shader = glCreateShader(type);
    glShaderSource(shader, 2, parts, nullptr);
    glCompileShader(shader);
    GLint ok = 0;
    glGetShaderiv(shader, GL_COMPILE_STATUS, &ok);
    if (!ok) {
        char log[1024] = {0};
        glGetShaderInfoLog(shader, sizeof log, nullptr, log);
        error = std::string(name) + ": " + log;
        glDeleteShader(shader);
        return 0;
    }
    return shader;
}

}  // namespace

GLuint build_program(const char* vertex_name, const char* fragment_name, std::string& error) {
    GLuint vs = compile_shader(GL_VERTEX_SHADER, vertex_name, error);
    if (vs == 0) return 0;
    GLuint fs = compile_shader(GL_FRAGMENT_SHADER, fragment_name, error);
    if (fs == 0) {
        glDeleteShader(vs);
        return 0;
    }
    GLuint program = glCreateProgram();
    glAttachShader(program, vs);
    glAttachShader(program, fs);
    glLinkProgram(program);
    glDeleteShader(vs);  // flagged; freed with the program
    glDeleteShader(fs);
    GLint ok = 0;
    glGetProgramiv(program, GL_LINK_STATUS, &ok);
    if (!ok) {
        char log[1024] = {0};
        glGetProgramInfoLog(program, sizeof log, nullptr, log);
        error = std::string("link ") + vertex_name + " + " + fragment_name + ": " + log;
        glDeleteProgram(program);
        return 0;
    }
    return program;
}

void set_linear_clamp_sampling() {
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
}

}  // namespace gs_web
