// fixture_check.cpp: checks every case of the librosa fixture manifest, natively or through a CLI (e.g. wasm on Node).
//
// usage: fixture_check --manifest PATH [--cli "tools/node build/node/genrescope.js"] [--tmp DIR]
//                      [--clips DIR] [--native-cli build/native/genrescope]
//   Without --cli, features are computed in-process with shared/. With --cli, each case runs the CLI and
//   its .npy is compared with the reference AND with the in-process result (max |diff| <= 1e-6 * max|x|).
//   --clips DIR additionally compares the CLI with the in-process result on every .wav in DIR.
// Prints one line per case and a closing "N passed, M failed"; exit 1 on any failure.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "genrescope/audio_io.h"
#include "genrescope/features.h"
#include "genrescope/json.h"
#include "genrescope/mel.h"
#include "genrescope/npy.h"
#include "genrescope/resample.h"

namespace {

struct options {
    std::string manifest;
    std::string cli;
    std::string tmp = "/tmp";
    std::string clips;
};

bool read_bytes(const std::string& path, std::vector<uint8_t>& out) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return false;
    out.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    return true;
}

std::string dir_of(const std::string& path) {
    const size_t slash = path.rfind('/');
    return slash == std::string::npos ? "." : path.substr(0, slash);
}

// The tolerance rules of ../shared/README.md: an element passes if it meets any one of atol, rtol
// (relative to the element) or atol_rel_to_max; for dB cases elements far below the maximum use atol_far.
struct tolerance {
    double atol = -1, rtol = -1, atol_rel_to_max = -1, far_below_max_db = -1, atol_far = -1;
};

tolerance read_tolerance(const gs::json_value& t) {
    tolerance tol;
    tol.atol = t["atol"].as_number(-1);
    tol.rtol = t["rtol"].as_number(-1);
    tol.atol_rel_to_max = t["atol_rel_to_max"].as_number(-1);
    tol.far_below_max_db = t["far_below_max_db"].as_number(-1);
    tol.atol_far = t["atol_far"].as_number(-1);
    return tol;
}

// Returns "" when every element passes, else a description of the worst element.
std::string compare(const std::vector<float>& got, const std::vector<float>& ref, const tolerance& tol) {
    if (got.size() != ref.size()) return "size mismatch";
    double ref_max = -INFINITY;
    for (float v : ref) ref_max = std::max(ref_max, static_cast<double>(v));
    size_t n_bad = 0;
    double worst = 0;
    size_t worst_i = 0;
    for (size_t i = 0; i < ref.size(); ++i) {
        const double r = ref[i];
        const double d = std::fabs(static_cast<double>(got[i]) - r);
        if (!std::isfinite(got[i])) {
            ++n_bad;
            continue;
        }
        bool ok = false;
        if (tol.far_below_max_db >= 0 && r < ref_max - tol.far_below_max_db) {
            ok = d <= tol.atol_far;
        } else {
            if (tol.atol >= 0 && d <= tol.atol) ok = true;
            if (tol.rtol >= 0 && d <= tol.rtol * std::fabs(r)) ok = true;
            if (tol.atol_rel_to_max >= 0 && d <= tol.atol_rel_to_max * std::fabs(ref_max)) ok = true;
        }
        if (!ok) {
            ++n_bad;
            if (d > worst) {
                worst = d;
                worst_i = i;
            }
        }
    }
    if (n_bad == 0) return "";
    std::ostringstream os;
    os << n_bad << " of " << ref.size() << " elements out of tolerance; worst at " << worst_i << ": got "
       << got[worst_i] << ", want " << ref[worst_i] << " (|diff| " << worst << ")";
    return os.str();
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b, double& scale) {
    double m = 0;
    scale = 0;
    for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
        m = std::max(m, std::fabs(static_cast<double>(a[i]) - b[i]));
        scale = std::max(scale, std::fabs(static_cast<double>(b[i])));
    }
    return m;
}

std::string num(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

// Builds the feature config of a case and the CLI arguments that express it. kind_out "" = not a feature
// case (filterbank cases).
bool config_for_case(const gs::json_value& c, gs::feature_config& cfg, std::string& cli_args, std::string& err) {
    const std::string call = c["call"].as_string();
    const gs::json_value& p = c["params"];
    cfg = gs::feature_config{};
    cfg.sample_rate_hz = static_cast<int>(c["sr"].as_number());
    if (call.find("power_to_db") != std::string::npos) cfg.kind = gs::feature_kind::mel_db;
    else if (call.find("melspectrogram") != std::string::npos) cfg.kind = gs::feature_kind::mel_power;
    else if (call.find("mfcc") != std::string::npos) cfg.kind = gs::feature_kind::mfcc;
    else if (call.find("chroma_stft") != std::string::npos) cfg.kind = gs::feature_kind::chroma;
    else if (call.find("stft") != std::string::npos) cfg.kind = gs::feature_kind::stft_mag;
    else {
        err = "unsupported call '" + call + "'";
        return false;
    }
    if (p.find("window") && p["window"].as_string() != "hann") {
        err = "unsupported window";
        return false;
    }
    if (p.find("power") && p["power"].as_number() != 2.0) {
        err = "unsupported power";
        return false;
    }
    cfg.stft.n_fft = static_cast<int>(p["n_fft"].as_number(2048));
    cfg.stft.hop_length = static_cast<int>(p["hop_length"].as_number(512));
    cfg.stft.center = p["center"].as_bool(true);
    cfg.stft.pad = p["pad_mode"].as_string() == "reflect" ? gs::pad_mode::reflect : gs::pad_mode::constant;
    cfg.n_mels = static_cast<int>(p["n_mels"].as_number(128));
    cfg.fmin_hz = p["fmin"].as_number(0.0);
    cfg.fmax_hz = p["fmax"].is_null() ? 0.0 : p["fmax"].as_number(0.0);
    cfg.htk = p["htk"].as_bool(false);
    cfg.mel_norm_slaney = !p.find("norm") || p["norm"].as_string() == "slaney" || cfg.kind == gs::feature_kind::mfcc ||
                          cfg.kind == gs::feature_kind::chroma;
    // dB parameters: power_to_db cases use ref/amin/top_db, MFCC cases db_ref/db_amin/db_top_db.
    const bool is_mfcc = cfg.kind == gs::feature_kind::mfcc;
    const gs::json_value& ref = p[is_mfcc ? "db_ref" : "ref"];
    cfg.db.ref_max = ref.is_string() && ref.as_string() == "max";
    cfg.db.ref = ref.is_number() ? ref.as_number() : 1.0;
    cfg.db.amin = p[is_mfcc ? "db_amin" : "amin"].as_number(1e-10);
    const gs::json_value& top = p[is_mfcc ? "db_top_db" : "top_db"];
    cfg.db.top_db = top.is_number() ? top.as_number() : (top.is_null() && p.find(is_mfcc ? "db_top_db" : "top_db") ? -1.0 : 80.0);
    cfg.n_mfcc = static_cast<int>(p["n_mfcc"].as_number(20));
    cfg.lifter = static_cast<int>(p["lifter"].as_number(0));
    if (is_mfcc && (p["dct_type"].as_number(2) != 2 || p["norm"].as_string() != "ortho")) {
        err = "unsupported dct";
        return false;
    }
    cfg.n_chroma = static_cast<int>(p["n_chroma"].as_number(12));
    cfg.tuning = p["tuning"].as_number(0.0);
    std::ostringstream a;
    a << " --kind " << gs::to_string(cfg.kind) << " --n-fft " << cfg.stft.n_fft << " --hop-length "
      << cfg.stft.hop_length << (cfg.stft.center ? "" : " --no-center") << " --pad-mode "
      << (cfg.stft.pad == gs::pad_mode::reflect ? "reflect" : "constant") << " --n-mels " << cfg.n_mels
      << " --fmin " << num(cfg.fmin_hz) << (cfg.fmax_hz > 0 ? " --fmax " + num(cfg.fmax_hz) : std::string())
      << (cfg.htk ? " --htk" : "") << " --mel-norm " << (cfg.mel_norm_slaney ? "slaney" : "none") << " --ref "
      << (cfg.db.ref_max ? std::string("max") : num(cfg.db.ref)) << " --amin " << num(cfg.db.amin) << " --top-db "
      << (cfg.db.top_db < 0 ? std::string("none") : num(cfg.db.top_db)) << " --n-mfcc " << cfg.n_mfcc
      << " --lifter " << cfg.lifter << " --n-chroma " << cfg.n_chroma << " --tuning " << num(cfg.tuning);
    cli_args = a.str();
    err = gs::validate(cfg);
    return err.empty();
}

bool run_cli(const std::string& cmd, const std::string& out_path, std::vector<float>& data, std::vector<size_t>& shape,
             std::string& err) {
    std::remove(out_path.c_str());
    const int rc = std::system((cmd + " 2>&1").c_str());
    if (rc != 0) {
        err = "CLI failed (status " + std::to_string(rc) + "): " + cmd;
        return false;
    }
    std::vector<uint8_t> bytes;
    gs::npy_array arr;
    if (!read_bytes(out_path, bytes) || !(err = gs::npy_decode(bytes.data(), bytes.size(), arr)).empty()) {
        if (err.empty()) err = "CLI wrote no output";
        return false;
    }
    data = std::move(arr.data);
    shape = arr.shape;
    return true;
}

int g_passed = 0, g_failed = 0;

void report(const std::string& name, const std::string& err) {
    if (err.empty()) {
        ++g_passed;
        std::printf("PASS %s\n", name.c_str());
    } else {
        ++g_failed;
        std::printf("FAIL %s: %s\n", name.c_str(), err.c_str());
    }
}

// Compares a CLI result with the in-process one. The contract is bit-for-bit equality (shared/ is built from
// one source with strict IEEE flags and calls no libm function whose rounding differs between platforms on
// the data path); the looser bound, max |diff| <= 1e-6 * max |x|, is reported too.
std::string compare_with_native(const std::vector<float>& cli, const std::vector<float>& native) {
    if (cli.size() != native.size()) return "CLI and in-process sizes differ";
    double scale = 0;
    const double d = max_abs_diff(cli, native, scale);
    if (d > 1e-6 * std::max(scale, 1e-30)) return "CLI differs from in-process by " + num(d) + " (max " + num(scale) + ")";
    for (size_t i = 0; i < cli.size(); ++i) {
        if (std::memcmp(&cli[i], &native[i], sizeof(float)) != 0) {
            return "CLI is within 1e-6 * max of in-process but not bit-identical (first at element " +
                   std::to_string(i) + ", max |diff| " + num(d) + ")";
        }
    }
    return "";
}

void run_case(const options& o, const gs::json_value& c, const std::string& fixtures_dir) {
    const std::string name = c["name"].as_string();
    const std::string call = c["call"].as_string();
    std::vector<uint8_t> bytes;
    gs::npy_array ref;
    std::string err;
    const std::string ref_path = fixtures_dir + "/" + c["output"].as_string();
    if (!read_bytes(ref_path, bytes) || !(err = gs::npy_decode(bytes.data(), bytes.size(), ref)).empty()) {
        report(name, "cannot read reference " + ref_path + " " + err);
        return;
    }
    const std::string tmp_out = o.tmp + "/fixture_" + name + ".npy";
    std::vector<float> native;
    std::vector<size_t> native_shape;
    std::string cli_cmd;
    if (call.find("filters.mel") != std::string::npos) {
        const gs::json_value& p = c["params"];
        gs::mel_params mp;
        mp.sample_rate_hz = static_cast<int>(c["sr"].as_number());
        mp.n_fft = static_cast<int>(p["n_fft"].as_number());
        mp.n_mels = static_cast<int>(p["n_mels"].as_number());
        mp.fmin_hz = p["fmin"].as_number(0);
        mp.fmax_hz = p["fmax"].is_null() ? 0.0 : p["fmax"].as_number();
        mp.htk = p["htk"].as_bool(false);
        mp.slaney_norm = p["norm"].as_string() == "slaney";
        gs::mel_filterbank fb;
        if (!(err = fb.init(mp)).empty()) return report(name, err);
        native = fb.dense();
        native_shape = {static_cast<size_t>(mp.n_mels), static_cast<size_t>(mp.n_fft / 2 + 1)};
        cli_cmd = o.cli + " filters mel " + tmp_out + " --sr " + std::to_string(mp.sample_rate_hz) + " --n-fft " +
                  std::to_string(mp.n_fft) + " --n-mels " + std::to_string(mp.n_mels) + " --fmin " + num(mp.fmin_hz) +
                  (mp.fmax_hz > 0 ? " --fmax " + num(mp.fmax_hz) : std::string()) + (mp.htk ? " --htk" : "") +
                  " --mel-norm " + (mp.slaney_norm ? "slaney" : "none");
    } else {
        gs::feature_config cfg;
        std::string args;
        if (!config_for_case(c, cfg, args, err)) return report(name, err);
        const std::string input = fixtures_dir + "/" + c["input"].as_string();
        gs::audio_buffer audio;
        if (!read_bytes(input, bytes)) return report(name, "cannot read " + input);
        if (!(err = gs::decode_audio(bytes.data(), bytes.size(), audio)).empty()) return report(name, err);
        if (audio.sample_rate_hz != cfg.sample_rate_hz) return report(name, "input sample rate differs from the case's sr");
        gs::feature_extractor fx;
        size_t n_frames = 0;
        if (!(err = fx.init(cfg)).empty()) return report(name, err);
        if (!(err = fx.compute(audio.samples.data(), audio.samples.size(), native, n_frames)).empty()) {
            return report(name, err);
        }
        native_shape = {static_cast<size_t>(fx.n_bins()), n_frames};
        cli_cmd = o.cli + " features " + input + " " + tmp_out + args;
    }
    std::vector<float> got = native;
    std::vector<size_t> shape = native_shape;
    if (!o.cli.empty() && !run_cli(cli_cmd, tmp_out, got, shape, err)) return report(name, err);
    std::remove(tmp_out.c_str());
    if (shape != ref.shape) {
        std::string s = "shape [";
        for (size_t d : shape) s += std::to_string(d) + " ";
        s += "] differs from the reference's [";
        for (size_t d : ref.shape) s += std::to_string(d) + " ";
        return report(name, s + "]");
    }
    err = compare(got, ref.data, read_tolerance(c["tolerance"]));
    if (err.empty() && !o.cli.empty()) err = compare_with_native(got, native);
    report(name, err);
}

// sr > 0: resample to sr first (in-process with gs::resample, in the CLI with --sr, or with the CLI's default
// rate for the kind when sr_flag is false). yamnet_log_mel starts from gs::yamnet_feature_config(), as the CLI does.
void run_clip(const options& o, const std::string& path, const std::string& kind, int sr, bool sr_flag = true) {
    const std::string sr_arg = sr > 0 && sr_flag ? " --sr " + std::to_string(sr) : "";
    const std::string name = "clip " + path.substr(path.rfind('/') + 1) + " " + kind + sr_arg +
                             (sr > 0 && !sr_flag ? " (default rate)" : "");
    std::vector<uint8_t> bytes;
    gs::audio_buffer audio;
    std::string err;
    if (!read_bytes(path, bytes) || !(err = gs::decode_audio(bytes.data(), bytes.size(), audio)).empty()) {
        return report(name, "cannot decode: " + err);
    }
    if (sr > 0 && sr != audio.sample_rate_hz) {
        std::vector<float> resampled;
        if (!(err = gs::resample(audio.samples.data(), audio.samples.size(), audio.sample_rate_hz, sr, resampled)).empty()) {
            return report(name, err);
        }
        audio.samples.swap(resampled);
        audio.sample_rate_hz = sr;
    }
    gs::feature_config cfg = kind == "yamnet_log_mel" ? gs::yamnet_feature_config() : gs::feature_config{};
    gs::parse_feature_kind(kind, cfg.kind);
    cfg.sample_rate_hz = audio.sample_rate_hz;
    gs::feature_extractor fx;
    std::vector<float> native, got;
    std::vector<size_t> shape;
    size_t n_frames = 0;
    if (!(err = fx.init(cfg)).empty() || !(err = fx.compute(audio.samples.data(), audio.samples.size(), native, n_frames)).empty()) {
        return report(name, err);
    }
    const std::string tmp_out = o.tmp + "/clip_" + kind + ".npy";
    if (!run_cli(o.cli + " features " + path + " " + tmp_out + " --kind " + kind + sr_arg, tmp_out, got, shape, err)) {
        return report(name, err);
    }
    std::remove(tmp_out.c_str());
    report(name, compare_with_native(got, native));
}

}  // namespace

int main(int argc, char** argv) {
    options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i];
        if (k == "--manifest") o.manifest = argv[i + 1];
        else if (k == "--cli") o.cli = argv[i + 1];
        else if (k == "--tmp") o.tmp = argv[i + 1];
        else if (k == "--clips") o.clips = argv[i + 1];
        else {
            std::fprintf(stderr, "fixture_check: unknown option %s\n", k.c_str());
            return 2;
        }
    }
    std::vector<uint8_t> bytes;
    gs::json_value manifest;
    std::string err;
    if (o.manifest.empty() || !read_bytes(o.manifest, bytes)) {
        std::fprintf(stderr, "fixture_check: cannot read manifest '%s'\n", o.manifest.c_str());
        return 1;
    }
    if (!(err = gs::json_parse(std::string(bytes.begin(), bytes.end()), manifest)).empty()) {
        std::fprintf(stderr, "fixture_check: manifest: %s\n", err.c_str());
        return 1;
    }
    const std::string fixtures_dir = dir_of(o.manifest);
    const std::vector<gs::json_value>& cases = manifest["cases"].as_array();
    if (cases.empty()) {
        std::fprintf(stderr, "fixture_check: the manifest lists no cases\n");
        return 1;
    }
    for (const gs::json_value& c : cases) run_case(o, c, fixtures_dir);
    if (!o.clips.empty() && !o.cli.empty()) {
        std::vector<std::string> wavs;
        if (DIR* d = opendir(o.clips.c_str())) {
            while (dirent* e = readdir(d)) {
                const std::string n = e->d_name;
                if (n.size() > 4 && n.compare(n.size() - 4, 4, ".wav") == 0) wavs.push_back(o.clips + "/" + n);
            }
            closedir(d);
        }
        std::sort(wavs.begin(), wavs.end());
        if (wavs.empty()) report("clips in " + o.clips, "no .wav files found");
        for (const std::string& w : wavs) {
            for (const char* kind : {"mel_db", "mfcc", "chroma"}) run_clip(o, w, kind, 0);
            run_clip(o, w, "mel_db", 16000);  // through the resampler too
            // YAMNet's front end (TF framing, TF mel weights, libm-free ln): explicit --sr, and its 16 kHz default
            run_clip(o, w, "yamnet_log_mel", 16000);
            run_clip(o, w, "yamnet_log_mel", 16000, false);
        }
    }
    std::printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}
