// imgui_render.cpp: Dear ImGui renderer for WebGL2: one buffer upload per frame, fixed state, no GL queries.
#include "imgui_render.h"

#include <GLES3/gl3.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "gl_util.h"

namespace gs_web {
namespace {

constexpr GLenum k_index_type = sizeof(ImDrawIdx) == 2 ? GL_UNSIGNED_SHORT : GL_UNSIGNED_INT;
// Attribute locations fixed by shaders/imgui.vert.glsl's layout qualifiers.
constexpr GLuint k_attr_pos = 0, k_attr_uv = 1, k_attr_colour = 2;
constexpr size_t k_no_vertex = SIZE_MAX;
constexpr GLuint k_no_texture = ~0u;

struct renderer {
    GLuint program = 0;
    GLuint vao = 0;
    GLuint vbo = 0;
    GLuint ibo = 0;
    GLuint font_texture = 0;
    GLint loc_scale = -1, loc_offset = -1, loc_texture = -1;
    size_t vbo_bytes = 0, ibo_bytes = 0;  // allocated sizes; they grow, never shrink
    // Every draw list's vertices and indices, concatenated: one upload per buffer and frame.
    std::vector<ImDrawVert> vertices;
    std::vector<ImDrawIdx> indices;
};

renderer g_r;

// Sets everything the draw calls rely on. fb_w, fb_h: the canvas' framebuffer in pixels.
void apply_state(const ImDrawData* d, int fb_w, int fb_h) {
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    glViewport(0, 0, fb_w, fb_h);
    glEnable(GL_BLEND);
    glBlendEquation(GL_FUNC_ADD);
    glBlendFuncSeparate(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA, GL_ONE, GL_ONE_MINUS_SRC_ALPHA);
    glDisable(GL_CULL_FACE);
    glDisable(GL_DEPTH_TEST);
    glDisable(GL_STENCIL_TEST);
    glEnable(GL_SCISSOR_TEST);
    glColorMask(GL_TRUE, GL_TRUE, GL_TRUE, GL_TRUE);

    // ref: ImGui's ImDrawData convention: the visible area spans DisplayPos (top-left) to DisplayPos + DisplaySize
    // (bottom-right), y down. Map it to clip space [-1, 1]^2, y up: clip = pos * scale + offset.
    const float left = d->DisplayPos.x, right = d->DisplayPos.x + d->DisplaySize.x;
    const float top = d->DisplayPos.y, bottom = d->DisplayPos.y + d->DisplaySize.y;
    glUseProgram(g_r.program);
    glUniform2f(g_r.loc_scale, 2.0f / (right - left), 2.0f / (top - bottom));
    glUniform2f(g_r.loc_offset, (right + left) / (left - right), (top + bottom) / (bottom - top));
    glUniform1i(g_r.loc_texture, 0);
    glActiveTexture(GL_TEXTURE0);
    glBindSampler(0, 0);

    glBindVertexArray(g_r.vao);
    glBindBuffer(GL_ARRAY_BUFFER, g_r.vbo);
    glBindBuffer(GL_ELEMENT_ARRAY_BUFFER, g_r.ibo);  // part of the vertex array's state
}

// The state documented in imgui_render.h.
void leave_state() {
    glDisable(GL_SCISSOR_TEST);
    glBindTexture(GL_TEXTURE_2D, 0);
    glBindVertexArray(0);
    glBindBuffer(GL_ARRAY_BUFFER, 0);
    glUseProgram(0);
}

// Points the three attributes at vertex `first` of the vertex buffer. This is how a list's place in the shared
// buffer and ImDrawCmd::VtxOffset are applied: WebGL2 has no glDrawElementsBaseVertex.
void point_attributes(size_t first) {
    const GLsizei stride = GLsizei(sizeof(ImDrawVert));
    const size_t base = first * sizeof(ImDrawVert);
    auto at = [base](size_t field) { return reinterpret_cast<const void*>(base + field); };
    glVertexAttribPointer(k_attr_pos, 2, GL_FLOAT, GL_FALSE, stride, at(offsetof(ImDrawVert, pos)));
    glVertexAttribPointer(k_attr_uv, 2, GL_FLOAT, GL_FALSE, stride, at(offsetof(ImDrawVert, uv)));
    glVertexAttribPointer(k_attr_colour, 4, GL_UNSIGNED_BYTE, GL_TRUE, stride, at(offsetof(ImDrawVert, col)));
}

// Uploads `bytes` bytes into the buffer bound to `target`, first enlarging it when it is too small.
void upload(GLenum target, size_t& allocated, const void* data, size_t bytes) {
    if (bytes > allocated) {
        allocated = std::max(bytes, allocated + allocated / 2);
        glBufferData(target, GLsizeiptr(allocated), nullptr, GL_STREAM_DRAW);
    }
    glBufferSubData(target, 0, GLsizeiptr(bytes), data);
}

// Concatenates the draw lists and uploads them (the buffers must be bound).
void upload_lists(const ImDrawData* d) {
    g_r.vertices.clear();
    g_r.indices.clear();
    for (int n = 0; n < d->CmdListsCount; ++n) {
        const ImDrawList* list = d->CmdLists[n];
        g_r.vertices.insert(g_r.vertices.end(), list->VtxBuffer.begin(), list->VtxBuffer.end());
        g_r.indices.insert(g_r.indices.end(), list->IdxBuffer.begin(), list->IdxBuffer.end());
    }
    upload(GL_ARRAY_BUFFER, g_r.vbo_bytes, g_r.vertices.data(), g_r.vertices.size() * sizeof(ImDrawVert));
    upload(GL_ELEMENT_ARRAY_BUFFER, g_r.ibo_bytes, g_r.indices.data(), g_r.indices.size() * sizeof(ImDrawIdx));
}

std::string create_font_texture() {
    ImGuiIO& io = ImGui::GetIO();
    unsigned char* pixels = nullptr;
    int w = 0, h = 0;
    io.Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);
    if (pixels == nullptr || w <= 0 || h <= 0) return "ImGui font atlas could not be built";
    glGenTextures(1, &g_r.font_texture);
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, g_r.font_texture);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, w, h, 0, GL_RGBA, GL_UNSIGNED_BYTE, pixels);
    set_linear_clamp_sampling();
    glBindTexture(GL_TEXTURE_2D, 0);
    io.Fonts->SetTexID(reinterpret_cast<ImTextureID>(intptr_t(g_r.font_texture)));
    return "";
}

}  // namespace

std::string imgui_render_init() {
    imgui_render_shutdown();
    std::string error;
    g_r.program = build_program("imgui.vert.glsl", "imgui.frag.glsl", error);
    if (g_r.program == 0) return "ImGui renderer: " + error;
    g_r.loc_scale = glGetUniformLocation(g_r.program, "u_scale");
    g_r.loc_offset = glGetUniformLocation(g_r.program, "u_offset");
    g_r.loc_texture = glGetUniformLocation(g_r.program, "u_texture");

    glGenVertexArrays(1, &g_r.vao);
    glGenBuffers(1, &g_r.vbo);
    glGenBuffers(1, &g_r.ibo);
    glBindVertexArray(g_r.vao);
    glBindBuffer(GL_ARRAY_BUFFER, g_r.vbo);
    glBindBuffer(GL_ELEMENT_ARRAY_BUFFER, g_r.ibo);
    glEnableVertexAttribArray(k_attr_pos);
    glEnableVertexAttribArray(k_attr_uv);
    glEnableVertexAttribArray(k_attr_colour);
    point_attributes(0);
    glBindVertexArray(0);
    glBindBuffer(GL_ARRAY_BUFFER, 0);

    error = create_font_texture();
    if (!error.empty()) {
        imgui_render_shutdown();
        return "ImGui renderer: " + error;
    }
    ImGuiIO& io = ImGui::GetIO();
    io.BackendRendererName = "gs_web::imgui_render (WebGL2)";
    // Lists may pass 64K vertices with 16-bit indices; VtxOffset then starts a new base (point_attributes).
    // It also keeps index 0xFFFF out of the buffers, which WebGL2 always treats as a primitive restart.
    io.BackendFlags |= ImGuiBackendFlags_RendererHasVtxOffset;
    return "";
}

void imgui_render_draw(const ImDrawData* d) {
    if (g_r.program == 0 || d == nullptr || d->TotalVtxCount == 0) return;
    const ImVec2 scale = d->FramebufferScale;
    const int fb_w = int(d->DisplaySize.x * scale.x), fb_h = int(d->DisplaySize.y * scale.y);
    if (fb_w <= 0 || fb_h <= 0) return;

    apply_state(d, fb_w, fb_h);
    upload_lists(d);

    size_t list_first_vertex = 0, list_first_index = 0;  // the list's place in the shared buffers
    size_t pointed_at = k_no_vertex;                     // the vertex the attributes point at
    GLuint bound_texture = k_no_texture;
    for (int n = 0; n < d->CmdListsCount; ++n) {
        const ImDrawList* list = d->CmdLists[n];
        for (const ImDrawCmd& cmd : list->CmdBuffer) {
            if (cmd.UserCallback != nullptr) {
                if (cmd.UserCallback == ImDrawCallback_ResetRenderState)
                    apply_state(d, fb_w, fb_h);
                else
                    cmd.UserCallback(list, &cmd);
                pointed_at = k_no_vertex;  // a callback may have changed either
                bound_texture = k_no_texture;
                continue;
            }
            // The clip rectangle in framebuffer pixels (y down), clamped to the canvas; nothing to draw if empty.
            const float x0 = std::max(0.0f, (cmd.ClipRect.x - d->DisplayPos.x) * scale.x);
            const float y0 = std::max(0.0f, (cmd.ClipRect.y - d->DisplayPos.y) * scale.y);
            const float x1 = std::min(float(fb_w), (cmd.ClipRect.z - d->DisplayPos.x) * scale.x);
            const float y1 = std::min(float(fb_h), (cmd.ClipRect.w - d->DisplayPos.y) * scale.y);
            if (x1 <= x0 || y1 <= y0 || cmd.ElemCount == 0) continue;
            // glScissor counts y from the bottom.
            glScissor(int(x0), int(float(fb_h) - y1), int(x1 - x0), int(y1 - y0));

            const size_t first = list_first_vertex + cmd.VtxOffset;
            if (first != pointed_at) {
                point_attributes(first);
                pointed_at = first;
            }
            const GLuint texture = GLuint(reinterpret_cast<intptr_t>(cmd.GetTexID()));
            if (texture != bound_texture) {
                glBindTexture(GL_TEXTURE_2D, texture);
                bound_texture = texture;
            }
            const size_t index_byte = (list_first_index + cmd.IdxOffset) * sizeof(ImDrawIdx);
            glDrawElements(GL_TRIANGLES, GLsizei(cmd.ElemCount), k_index_type,
                           reinterpret_cast<const void*>(index_byte));
        }
        list_first_vertex += size_t(list->VtxBuffer.Size);
        list_first_index += size_t(list->IdxBuffer.Size);
    }
    leave_state();
}

void imgui_render_shutdown() {
    if (g_r.font_texture) glDeleteTextures(1, &g_r.font_texture);
    if (g_r.vbo) glDeleteBuffers(1, &g_r.vbo);
    if (g_r.ibo) glDeleteBuffers(1, &g_r.ibo);
    if (g_r.vao) glDeleteVertexArrays(1, &g_r.vao);
    if (g_r.program) glDeleteProgram(g_r.program);
    g_r = renderer{};
    if (ImGui::GetCurrentContext() != nullptr) {
        ImGuiIO& io = ImGui::GetIO();
        if (io.BackendRendererName != nullptr) {
            io.Fonts->SetTexID(ImTextureID{});
            io.BackendRendererName = nullptr;
            io.BackendFlags &= ~ImGuiBackendFlags_RendererHasVtxOffset;
        }
    }
}

}  // namespace gs_web
