// feature_config.cpp: validation, JSON round trip and input normalisation of feature_config.
#include "genrescope/feature_config.h"

#include <cmath>
#include <cstdint>

namespace gs {

const char* to_string(feature_kind k) {
    switch (k) {
        case feature_kind::stft_mag: return "stft_mag";
        case feature_kind::stft_power: return "stft_power";
        case feature_kind::mel_power: return "mel_power";
        case feature_kind::mel_db: return "mel_db";
        case feature_kind::mfcc: return "mfcc";
        case feature_kind::chroma: return "chroma";
        case feature_kind::yamnet_log_mel: return "yamnet_log_mel";
        case feature_kind::compact_cnn_melgram: return "compact_cnn_melgram";
    }
    return "mel_db";
}

bool parse_feature_kind(const std::string& s, feature_kind& out) {
    for (feature_kind k : {feature_kind::stft_mag, feature_kind::stft_power, feature_kind::mel_power,
                           feature_kind::mel_db, feature_kind::mfcc, feature_kind::chroma,
                           feature_kind::yamnet_log_mel, feature_kind::compact_cnn_melgram}) {
        if (s == to_string(k)) {
            out = k;
            return true;
        }
    }
    return false;
}

int feature_config::n_bins() const {
    switch (kind) {
        case feature_kind::stft_mag:
        case feature_kind::stft_power: return stft.n_fft / 2 + 1;
        case feature_kind::mel_power:
        case feature_kind::mel_db:
        case feature_kind::yamnet_log_mel:
        case feature_kind::compact_cnn_melgram: return n_mels;
        case feature_kind::mfcc: return n_mfcc;
        case feature_kind::chroma: return n_chroma;
    }
    return 0;
}

mel_params feature_config::mel() const {
    mel_params p;
    p.sample_rate_hz = sample_rate_hz;
    p.n_fft = stft.n_fft;
    p.n_mels = n_mels;
    p.fmin_hz = fmin_hz;
    p.fmax_hz = fmax_hz;
    p.htk = htk;
    p.slaney_norm = mel_norm_slaney;
    p.tf_weights = kind == feature_kind::yamnet_log_mel;
    return p;
}

mfcc_params feature_config::mfcc() const {
    mfcc_params p;
    p.n_mfcc = n_mfcc;
    p.n_mels = n_mels;
    p.lifter = lifter;
    return p;
}

chroma_params feature_config::chroma() const {
    chroma_params p;
    p.sample_rate_hz = sample_rate_hz;
    p.n_fft = stft.n_fft;
    p.n_chroma = n_chroma;
    p.tuning = tuning;
    return p;
}

feature_config yamnet_feature_config() {
    feature_config c;
    c.kind = feature_kind::yamnet_log_mel;
    c.sample_rate_hz = 16000;
    c.stft.n_fft = 512;
    c.stft.win_length = 400;
    c.stft.hop_length = 160;
    c.stft.center = false;
    c.n_mels = 64;
    c.fmin_hz = 125.0;
    c.fmax_hz = 7500.0;
    c.htk = true;
    c.mel_norm_slaney = false;
    return c;
}

feature_config compact_cnn_feature_config() {
    feature_config c;
    c.kind = feature_kind::compact_cnn_melgram;
    c.sample_rate_hz = 12000;  // ref: compact_cnn/models.py SR = 12000
    c.stft.n_fft = 512;        // ref: models.py Melspectrogram(n_dft=512, n_hop=256)
    c.stft.hop_length = 256;
    c.stft.center = false;     // framing is TF "same" (stft_same_pad_before), not librosa's centring
    c.n_mels = 96;             // ref: util_weight_th2tf.py n_mels=96, fmin=0.0, fmax=6000
    c.fmin_hz = 0.0;
    c.fmax_hz = 6000.0;
    c.htk = false;
    c.mel_norm_slaney = true;
    // ref: kapre backend_keras.amplitude_to_decibel(amin=1e-10, dynamic_range=80.0)
    c.db.ref_max = true;
    c.db.amin = 1e-10;
    c.db.top_db = 80.0;
    return c;
}

bool feature_config::frame_local() const {
    if (kind != feature_kind::mel_db && kind != feature_kind::mfcc && kind != feature_kind::compact_cnn_melgram) {
        return true;
    }
    return !db.ref_max && db.top_db < 0.0;
}

std::string validate(const feature_config& c) {
    if (c.kind != feature_kind::yamnet_log_mel && c.stft.win_length != 0 && c.stft.win_length != c.stft.n_fft) {
        return "config: win_length must be 0 or n_fft for the librosa kinds (only yamnet_log_mel frames TF-style, "
               "zero-padded at the end)";
    }
    std::string err = validate(c.stft);
    if (!err.empty()) return err;
    if (c.sample_rate_hz < 1 || c.sample_rate_hz > 768000) return "config: sample_rate_hz must be in [1, 768000]";
    switch (c.kind) {
        case feature_kind::mel_power:
        case feature_kind::mel_db:
        case feature_kind::mfcc:
            if (!(err = validate(c.mel())).empty()) return err;
            if (c.kind != feature_kind::mel_power && !(err = validate(c.db)).empty()) return err;
            if (c.kind == feature_kind::mfcc && !(err = validate(c.mfcc())).empty()) return err;
            break;
        case feature_kind::chroma:
            if (!(err = validate(c.chroma())).empty()) return err;
            break;
        case feature_kind::compact_cnn_melgram:
            if (c.stft.center || c.stft.win_length != 0) {
                return "config: compact_cnn_melgram frames TF-style with 'same' padding (center false, no win_length)";
            }
            if (!(err = validate(c.mel())).empty()) return err;
            if (!(err = validate(c.db)).empty()) return err;
            break;
        case feature_kind::yamnet_log_mel:
            if (c.stft.center) return "config: yamnet_log_mel frames without centring (center must be false)";
            if (!c.htk || c.mel_norm_slaney) {
                return "config: yamnet_log_mel uses TF's HTK mel weights without normalisation (htk true, mel_norm "
                       "none)";
            }
            if (!(err = validate(c.mel())).empty()) return err;
            break;
        default: break;
    }
    if (!c.mel_weights.empty()) {
        if (c.kind != feature_kind::compact_cnn_melgram) return "config: mel_weights is only for compact_cnn_melgram";
        const size_t n_fft_bins = static_cast<size_t>(c.stft.n_fft / 2 + 1);
        if (c.mel_weights.size() != static_cast<size_t>(c.n_mels) * n_fft_bins) {
            return "config: mel_weights must hold n_mels x (n_fft/2+1) = " + std::to_string(c.n_mels) + " x " +
                   std::to_string(n_fft_bins) + " values, not " + std::to_string(c.mel_weights.size());
        }
        for (float w : c.mel_weights) {
            if (!std::isfinite(w) || w < 0.0f) return "config: mel_weights must be finite and >= 0";
        }
    }
    const size_t nb = static_cast<size_t>(c.n_bins());
    if (c.norm_mean.size() != c.norm_std.size()) return "config: norm_mean and norm_std differ in length";
    if (!c.norm_mean.empty() && c.norm_mean.size() != 1 && c.norm_mean.size() != nb) {
        return "config: norm_mean must have 1 or n_bins (" + std::to_string(nb) + ") values";
    }
    for (size_t i = 0; i < c.norm_std.size(); ++i) {
        if (!(c.norm_std[i] > 0.0f) || !std::isfinite(c.norm_mean[i])) return "config: norm_std must be > 0";
    }
    return "";
}

static json_value float_array(const std::vector<float>& v) {
    json_value a = json_value::array();
    for (float x : v) a.push_back(static_cast<double>(x));
    return a;
}

json_value to_json(const feature_config& c) {
    json_value j = json_value::object();
    j.set("kind", to_string(c.kind));
    j.set("sample_rate_hz", c.sample_rate_hz);
    j.set("n_fft", c.stft.n_fft);
    j.set("hop_length", c.stft.hop_length);
    j.set("center", c.stft.center);
    j.set("pad_mode", c.stft.pad == pad_mode::constant ? "constant" : "reflect");
    if (c.stft.win_length != 0) j.set("win_length", c.stft.win_length);
    j.set("window", "hann");
    j.set("n_mels", c.n_mels);
    j.set("fmin_hz", c.fmin_hz);
    j.set("fmax_hz", c.fmax_hz > 0 ? c.fmax_hz : c.sample_rate_hz / 2.0);
    j.set("htk", c.htk);
    j.set("mel_norm", c.mel_norm_slaney ? "slaney" : "none");
    j.set("db_ref", c.db.ref_max ? json_value("max") : json_value(c.db.ref));
    j.set("db_amin", c.db.amin);
    j.set("db_top_db", c.db.top_db >= 0 ? json_value(c.db.top_db) : json_value());
    j.set("n_mfcc", c.n_mfcc);
    j.set("lifter", c.lifter);
    j.set("n_chroma", c.n_chroma);
    j.set("tuning", c.tuning);
    j.set("norm_mean", float_array(c.norm_mean));
    j.set("norm_std", float_array(c.norm_std));
    if (!c.mel_weights.empty()) {
        json_value fb = json_value::object();
        json_value shape = json_value::array();
        shape.push_back(c.n_mels);
        shape.push_back(c.stft.n_fft / 2 + 1);
        fb.set("shape", shape);
        fb.set("values", float_array(c.mel_weights));
        j.set("mel_weights", fb);
    }
    return j;
}

// Reads an integer field if present; false (with err set) when present but not an integer.
static bool read_int(const json_value& j, const char* key, int& out, std::string& err) {
    const json_value* v = j.find(key);
    if (!v || v->is_null()) return true;
    const double d = v->as_number(std::nan(""));
    if (!v->is_number() || d != std::floor(d) || std::fabs(d) > 2e9) {
        err = std::string("config: '") + key + "' must be an integer";
        return false;
    }
    out = static_cast<int>(d);
    return true;
}

static bool read_num(const json_value& j, const char* key, double& out, std::string& err) {
    const json_value* v = j.find(key);
    if (!v || v->is_null()) return true;
    if (!v->is_number()) {
        err = std::string("config: '") + key + "' must be a number";
        return false;
    }
    out = v->as_number();
    return true;
}

static bool read_bool(const json_value& j, const char* key, bool& out, std::string& err) {
    const json_value* v = j.find(key);
    if (!v || v->is_null()) return true;
    if (!v->is_bool()) {
        err = std::string("config: '") + key + "' must be true or false";
        return false;
    }
    out = v->as_bool();
    return true;
}

static bool read_floats(const json_value& j, const char* key, std::vector<float>& out, std::string& err) {
    const json_value* v = j.find(key);
    if (!v || v->is_null()) return true;
    if (!v->is_array()) {
        err = std::string("config: '") + key + "' must be an array of numbers";
        return false;
    }
    out.clear();
    for (const json_value& x : v->as_array()) {
        if (!x.is_number()) {
            err = std::string("config: '") + key + "' must be an array of numbers";
            return false;
        }
        out.push_back(static_cast<float>(x.as_number()));
    }
    return true;
}

// Reads "mel_weights": {"shape": [rows, cols], "values": [...]} (untrusted: types, integral shape, count, and
// that each value is finite as a float). The shape is checked against n_mels and n_fft by the caller.
static bool read_mel_weights(const json_value& j, std::vector<float>& out, int64_t& rows, int64_t& cols,
                             std::string& err) {
    const json_value* v = j.find("mel_weights");
    if (!v || v->is_null()) return true;
    err = "config: 'mel_weights' must be {\"shape\": [n_mels, n_fft/2+1], \"values\": [numbers]}";
    const json_value* shape = v->find("shape");
    const json_value* values = v->find("values");
    if (!v->is_object() || !shape || !values || !shape->is_array() || !values->is_array() ||
        shape->as_array().size() != 2) {
        return false;
    }
    int64_t dims[2] = {0, 0};
    for (int i = 0; i < 2; ++i) {
        const json_value& d = shape->as_array()[static_cast<size_t>(i)];
        const double x = d.as_number(std::nan(""));
        if (!d.is_number() || !(x >= 1.0 && x <= 65537.0) || x != std::floor(x)) return false;
        dims[i] = static_cast<int64_t>(x);
    }
    rows = dims[0];
    cols = dims[1];
    if (values->as_array().size() != static_cast<size_t>(rows * cols)) {
        err = "config: 'mel_weights' has " + std::to_string(values->as_array().size()) + " values, its shape says " +
              std::to_string(rows * cols);
        return false;
    }
    out.clear();
    out.reserve(values->as_array().size());
    for (const json_value& x : values->as_array()) {
        const float f = static_cast<float>(x.as_number(std::nan("")));
        if (!x.is_number() || !std::isfinite(f) || f < 0.0f) {
            err = "config: 'mel_weights' values must be finite numbers >= 0";
            return false;
        }
        out.push_back(f);
    }
    err.clear();
    return true;
}

std::string from_json(const json_value& j, feature_config& out) {
    if (!j.is_object()) return "config: expected a JSON object";
    feature_config c;  // defaults for anything missing
    std::string err;
    if (const json_value* k = j.find("kind")) {
        if (!parse_feature_kind(k->as_string(), c.kind)) return "config: unknown feature kind '" + k->as_string() + "'";
        if (c.kind == feature_kind::yamnet_log_mel) c = yamnet_feature_config();
        if (c.kind == feature_kind::compact_cnn_melgram) c = compact_cnn_feature_config();
    }
    if (const json_value* w = j.find("window")) {
        if (w->as_string() != "hann") return "config: only the 'hann' window is supported";
    }
    if (const json_value* pm = j.find("pad_mode")) {
        if (pm->as_string() == "constant") c.stft.pad = pad_mode::constant;
        else if (pm->as_string() == "reflect") c.stft.pad = pad_mode::reflect;
        else return "config: pad_mode must be 'constant' or 'reflect'";
    }
    if (const json_value* mn = j.find("mel_norm")) {
        if (mn->as_string() == "slaney") c.mel_norm_slaney = true;
        else if (mn->as_string() == "none" || mn->is_null()) c.mel_norm_slaney = false;
        else return "config: mel_norm must be 'slaney' or 'none'";
    }
    if (const json_value* r = j.find("db_ref")) {
        if (r->is_string() && r->as_string() == "max") c.db.ref_max = true;
        else if (r->is_number()) {
            c.db.ref_max = false;  // (a kind's defaults may say max: compact_cnn_melgram's do)
            c.db.ref = r->as_number();
        }
        else return "config: db_ref must be a number or \"max\"";
    }
    if (const json_value* t = j.find("db_top_db")) {
        if (t->is_null()) c.db.top_db = -1.0;
        else if (t->is_number()) c.db.top_db = t->as_number();
        else return "config: db_top_db must be a number or null";
    }
    if (!read_int(j, "sample_rate_hz", c.sample_rate_hz, err) || !read_int(j, "n_fft", c.stft.n_fft, err) ||
        !read_int(j, "hop_length", c.stft.hop_length, err) || !read_bool(j, "center", c.stft.center, err) ||
        !read_int(j, "win_length", c.stft.win_length, err) ||
        !read_int(j, "n_mels", c.n_mels, err) || !read_num(j, "fmin_hz", c.fmin_hz, err) ||
        !read_num(j, "fmax_hz", c.fmax_hz, err) || !read_bool(j, "htk", c.htk, err) ||
        !read_num(j, "db_amin", c.db.amin, err) || !read_int(j, "n_mfcc", c.n_mfcc, err) ||
        !read_int(j, "lifter", c.lifter, err) || !read_int(j, "n_chroma", c.n_chroma, err) ||
        !read_num(j, "tuning", c.tuning, err) || !read_floats(j, "norm_mean", c.norm_mean, err) ||
        !read_floats(j, "norm_std", c.norm_std, err)) {
        return err;
    }
    int64_t fb_rows = 0;
    int64_t fb_cols = 0;
    if (!read_mel_weights(j, c.mel_weights, fb_rows, fb_cols, err)) return err;
    if (!c.mel_weights.empty() && (fb_rows != c.n_mels || fb_cols != c.stft.n_fft / 2 + 1)) {
        return "config: 'mel_weights' shape [" + std::to_string(fb_rows) + ", " + std::to_string(fb_cols) +
               "] is not [n_mels, n_fft/2+1] = [" + std::to_string(c.n_mels) + ", " +
               std::to_string(c.stft.n_fft / 2 + 1) + "]";
    }
    if (!(err = validate(c)).empty()) return err;
    out = c;
    return "";
}

float feature_config::norm_mean_at(int b) const {
    if (norm_mean.empty()) return 0.0f;
    return norm_mean.size() == 1 ? norm_mean[0] : norm_mean[static_cast<size_t>(b)];
}

float feature_config::norm_std_at(int b) const {
    if (norm_std.empty()) return 1.0f;
    return norm_std.size() == 1 ? norm_std[0] : norm_std[static_cast<size_t>(b)];
}

void apply_normalisation(const feature_config& c, float* values, int n_frames, size_t bin_stride,
                         size_t frame_stride) {
    if (c.norm_mean.empty()) return;
    const int nb = c.n_bins();
    for (int b = 0; b < nb; ++b) {
        const float mean = c.norm_mean_at(b);
        const float inv_std = 1.0f / c.norm_std_at(b);
        float* row = values + static_cast<size_t>(b) * bin_stride;
        for (int f = 0; f < n_frames; ++f) row[static_cast<size_t>(f) * frame_stride] = (row[static_cast<size_t>(f) * frame_stride] - mean) * inv_std;
    }
}

}  // namespace gs
