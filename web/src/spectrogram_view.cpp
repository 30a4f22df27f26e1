// spectrogram_view.cpp: R16F texture upload, colormap pass into an offscreen texture, ImGui image + tooltip.
#include "spectrogram_view.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "gl_util.h"

namespace gs_web {

std::string spectrogram_view::init() {
    std::string error;
    program_ = build_program("fullscreen.vert.glsl", "spectrogram.frag.glsl", error);
    if (program_ == 0) return error;
    loc_spec_ = glGetUniformLocation(program_, "u_spec");
    loc_db_min_ = glGetUniformLocation(program_, "u_db_min");
    loc_db_max_ = glGetUniformLocation(program_, "u_db_max");
    loc_colormap_ = glGetUniformLocation(program_, "u_colormap");
    glGenVertexArrays(1, &vao_);  // empty: the vertex shader builds the quad from gl_VertexID
    glGenFramebuffers(1, &fbo_);
    // Asked once: every glGet is a synchronous round trip to the GPU process in Chromium.
    glGetIntegerv(GL_MAX_TEXTURE_SIZE, &max_texture_size_);
    max_texture_size_ = std::max<GLint>(max_texture_size_, 1);
    return "";
}

void spectrogram_view::destroy() {
    if (spec_tex_) glDeleteTextures(1, &spec_tex_);
    if (colour_tex_) glDeleteTextures(1, &colour_tex_);
    if (fbo_) glDeleteFramebuffers(1, &fbo_);
    if (vao_) glDeleteVertexArrays(1, &vao_);
    if (program_) glDeleteProgram(program_);
    spec_tex_ = colour_tex_ = fbo_ = vao_ = program_ = 0;
}

void spectrogram_view::set_data(std::vector<float> values, int n_rows, size_t n_frames, bool reset_range,
                                const char* row_name, const char* unit) {
    n_mels_ = 0;
    n_frames_ = 0;
    values_.clear();
    dirty_ = true;
    row_name_ = row_name;
    unit_ = unit;
    if (n_frames == 0 || n_rows == 0 || values.size() != size_t(n_rows) * n_frames) return;
    n_mels_ = n_rows;
    n_frames_ = n_frames;
    values_ = std::move(values);

    // Max-pool groups of `pool` frames when the track is wider than the largest texture.
    const size_t pool = (n_frames_ + size_t(max_texture_size_) - 1) / size_t(max_texture_size_);
    tex_columns_ = int((n_frames_ + pool - 1) / pool);
    std::vector<float> pooled;
    const float* upload = values_.data();
    if (pool > 1) {
        pooled.assign(size_t(n_mels_) * tex_columns_, -INFINITY);
        for (int m = 0; m < n_mels_; ++m)
            for (size_t t = 0; t < n_frames_; ++t) {
                float& dst = pooled[size_t(m) * tex_columns_ + t / pool];
                dst = std::max(dst, values_[size_t(m) * n_frames_ + t]);
            }
        upload = pooled.data();
    }
    if (spec_tex_ == 0) glGenTextures(1, &spec_tex_);
    glBindTexture(GL_TEXTURE_2D, spec_tex_);
    // R16F is filterable in WebGL2 (R32F is not without an extension); float data converts on upload.
    glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_R16F, tex_columns_, n_mels_, 0, GL_RED, GL_FLOAT, upload);
    set_linear_clamp_sampling();

    float lo = 0.0f, hi = 0.0f;
    bool any = false;
    for (float v : values_) {
        if (!std::isfinite(v)) continue;
        if (!any || v < lo) lo = v;
        if (!any || v > hi) hi = v;
        any = true;
    }
    data_db_min = lo;
    data_db_max = hi;
    if (reset_range) {
        db_high = hi;
        // dB data: librosa's usual 80 dB display range; anything else (MFCC z-scores, chroma): the full range.
        db_low = std::strcmp(unit_, "dB") == 0 ? std::max(lo, hi - 80.0f) : lo;
        if (db_high <= db_low) db_high = db_low + 1.0f;
    }
}

void spectrogram_view::render_to_colour_texture(int width_px, int height_px) {
    if (colour_tex_ == 0 || width_px != rendered_w_ || height_px != rendered_h_) {
        if (colour_tex_ == 0) glGenTextures(1, &colour_tex_);
        glBindTexture(GL_TEXTURE_2D, colour_tex_);
        glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, width_px, height_px, 0, GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
        set_linear_clamp_sampling();
        glBindFramebuffer(GL_FRAMEBUFFER, fbo_);
        glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, colour_tex_, 0);
    }
    // Nothing saves or restores GL state (imgui_render sets its own before drawing): this pass sets all it uses
    // and leaves framebuffer 0, vertex array 0 and no program bound; the frame loop sets the viewport again.
    glBindFramebuffer(GL_FRAMEBUFFER, fbo_);
    glViewport(0, 0, width_px, height_px);
    glDisable(GL_BLEND);
    glDisable(GL_SCISSOR_TEST);
    glDisable(GL_DEPTH_TEST);
    glDisable(GL_STENCIL_TEST);
    glDisable(GL_CULL_FACE);
    glColorMask(GL_TRUE, GL_TRUE, GL_TRUE, GL_TRUE);
    glUseProgram(program_);
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, spec_tex_);
    glUniform1i(loc_spec_, 0);
    glUniform1f(loc_db_min_, db_low);
    glUniform1f(loc_db_max_, db_high);
    glUniform1i(loc_colormap_, colormap);
    glBindVertexArray(vao_);
    glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
    glBindVertexArray(0);
    glUseProgram(0);
    glBindTexture(GL_TEXTURE_2D, 0);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);

    rendered_w_ = width_px;
    rendered_h_ = height_px;
    rendered_low_ = db_low;
    rendered_high_ = db_high;
    rendered_colormap_ = colormap;
    dirty_ = false;
}

std::pair<ImVec2, ImVec2> spectrogram_view::draw(ImVec2 size, double seconds_per_frame, double t0_s) {
    const int w = std::max(1, int(size.x));
    const int h = std::max(1, int(size.y));
    if (!has_data()) {
        const ImVec2 o = ImGui::GetCursorScreenPos();
        ImGui::Dummy(ImVec2(float(w), float(h)));
        return {o, ImVec2(o.x + w, o.y + h)};
    }
    if (dirty_ || w != rendered_w_ || h != rendered_h_ || db_low != rendered_low_ || db_high != rendered_high_ ||
        colormap != rendered_colormap_)
        render_to_colour_texture(w, h);

    // The colour texture is bottom-up (GL): flip v so that the lowest band is at the bottom.
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    ImGui::Image((ImTextureID)(intptr_t)colour_tex_, ImVec2(float(w), float(h)), ImVec2(0, 1), ImVec2(1, 0));
    if (ImGui::IsItemHovered() && !values_.empty()) {
        const ImVec2 mouse = ImGui::GetIO().MousePos;
        const double fx = std::clamp((mouse.x - origin.x) / float(w), 0.0f, 0.9999f);
        const double fy = std::clamp(1.0f - (mouse.y - origin.y) / float(h), 0.0f, 0.9999f);
        const size_t frame = size_t(fx * double(n_frames_));
        const int band = int(fy * n_mels_);
        ImGui::SetTooltip("%.2f s   %s %d   %.2f %s", t0_s + frame * seconds_per_frame, row_name_, band,
                          values_[size_t(band) * n_frames_ + frame], unit_);
    }
    return {origin, ImVec2(origin.x + w, origin.y + h)};
}

}  // namespace gs_web
