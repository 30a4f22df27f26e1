// spectrogram_view.h: draws a log-mel spectrogram in ImGui through the colormap shader (shaders/spectrogram.frag.glsl).
#pragma once

#include <GLES3/gl3.h>

#include <string>
#include <utility>
#include <vector>

#include "imgui.h"

namespace gs_web {

// Owns a float texture with the dB values and an offscreen colour texture the shader renders into
// (re-rendered only when the data, the displayed size, the dB range or the colormap change), which ImGui
// then shows as an image. Needs a current WebGL2 (GLES 3.0) context for its whole life.
class spectrogram_view {
public:
    enum colormap_id { colormap_ember = 0, colormap_ocean = 1 };

    // Compiles the shaders and creates the GL objects. Returns "" or an error.
    std::string init();
    // Frees the GL objects (safe to call twice).
    void destroy();

    // Uploads a [n_rows][n_frames] row-major matrix (taken over; n_frames == 0 clears the view). Columns
    // beyond the GPU's texture size limit are max-pooled so that any duration fits. reset_range: set the
    // displayed range to the data's (else keep the user's). row_name/unit label the tooltip ("mel band", "dB").
    void set_data(std::vector<float> values, int n_rows, size_t n_frames, bool reset_range, const char* row_name,
                  const char* unit);
    void clear() { set_data({}, 0, 0, true, "", ""); }
    bool has_data() const { return spec_tex_ != 0 && n_frames_ > 0; }

    // Draws the view at the cursor, `size` pixels; a tooltip names time, row and value under the mouse.
    // `seconds_per_frame`: hop / rate, for the time axis; t0_s: time of the first column.
    // Returns the screen rectangle drawn (min, max), for overlays.
    std::pair<ImVec2, ImVec2> draw(ImVec2 size, double seconds_per_frame, double t0_s = 0.0);
    size_t n_frames() const { return n_frames_; }
    int n_rows() const { return n_mels_; }

    // Display parameters (the UI edits them directly; changes are picked up on the next draw()).
    float db_low = -80.0f;          // dB mapped to the colormap's low end
    float db_high = 0.0f;           // dB mapped to the colormap's high end
    int colormap = colormap_ember;  // colormap_id

    // The data's own dB range (set by set_data).
    float data_db_min = -80.0f;
    float data_db_max = 0.0f;

private:
    void render_to_colour_texture(int width_px, int height_px);

    GLuint program_ = 0;
    GLuint vao_ = 0;
    GLuint spec_tex_ = 0;    // R16F, width = texture columns, height = n_mels
    GLuint colour_tex_ = 0;  // RGBA8, the rendered image
    GLuint fbo_ = 0;
    GLint loc_spec_ = -1, loc_db_min_ = -1, loc_db_max_ = -1, loc_colormap_ = -1;
    GLint max_texture_size_ = 4096;  // GL_MAX_TEXTURE_SIZE, asked once in init()
    int n_mels_ = 0;
    size_t n_frames_ = 0;            // frames in the data
    int tex_columns_ = 0;            // columns in spec_tex_ (<= GL_MAX_TEXTURE_SIZE)
    std::vector<float> values_;      // the data, for the tooltip
    const char* row_name_ = "";
    const char* unit_ = "";
    // What the colour texture currently shows (re-render when any differs).
    int rendered_w_ = 0, rendered_h_ = 0, rendered_colormap_ = -1;
    float rendered_low_ = 0.0f, rendered_high_ = 0.0f;
    bool dirty_ = true;
};

}  // namespace gs_web
