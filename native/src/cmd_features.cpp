// cmd_features.cpp: `genrescope features` and `genrescope filters`: librosa-compatible (and YAMNet) arrays to .npy.
#include <cstdio>
#include <string>
#include <vector>

#include "audio_load.h"
#include "cli_args.h"
#include "commands.h"
#include "genrescope/chroma.h"
#include "genrescope/features.h"
#include "genrescope/mel.h"
#include "genrescope/npy.h"

namespace gs {

namespace {

const std::vector<std::string> kValued = {"kind", "n-fft", "hop-length", "n-mels", "fmin", "fmax", "pad-mode",
                                          "ref", "amin", "top-db", "n-mfcc", "n-chroma", "tuning", "sr", "lifter",
                                          "mel-norm", "win-length"};
const std::vector<std::string> kFlags = {"htk", "no-center"};

// The analysis rate when --sr is not given: the file's own (0) for librosa kinds, 16 kHz for yamnet_log_mel.
int default_sr(const cli_args& a) {
    return a.get("kind") == "yamnet_log_mel" ? yamnet_feature_config().sample_rate_hz : 0;
}

// Fills c from the options, starting from librosa's defaults, or YAMNet's (yamnet_feature_config(): 400-sample
// frames in a 512-point FFT, hop 160, no centring, 64 HTK mels 125-7500 Hz, no normalisation) for
// --kind yamnet_log_mel. `sample_rate_hz` is the analysis rate.
std::string config_from_args(cli_args& a, int sample_rate_hz, feature_config& c) {
    c = feature_config{};
    const std::string kind = a.get("kind", "mel_db");
    if (!parse_feature_kind(kind, c.kind)) {
        return "--kind must be one of stft_mag, stft_power, mel_power, mel_db, mfcc, chroma, yamnet_log_mel; got '" +
               kind + "'";
    }
    const bool yamnet = c.kind == feature_kind::yamnet_log_mel;
    const feature_config d = yamnet ? yamnet_feature_config() : feature_config{};  // the kind's defaults
    c.sample_rate_hz = sample_rate_hz;
    c.stft.n_fft = a.get_int("n-fft", d.stft.n_fft, 2, 65536);
    c.stft.win_length = a.get_int("win-length", d.stft.win_length, 0, 65536);
    c.stft.hop_length = a.get_int("hop-length", yamnet ? d.stft.hop_length : c.stft.n_fft / 4, 1, 1 << 24);
    c.stft.center = d.stft.center && !a.has("no-center");
    const std::string pad = a.get("pad-mode", "constant");
    if (pad == "constant") c.stft.pad = pad_mode::constant;
    else if (pad == "reflect") c.stft.pad = pad_mode::reflect;
    else return "--pad-mode must be constant or reflect";
    c.n_mels = a.get_int("n-mels", d.n_mels, 1, 1024);
    c.fmin_hz = a.get_double("fmin", d.fmin_hz, 0.0, 384000.0);
    c.fmax_hz = a.get_double("fmax", d.fmax_hz, 0.0, 384000.0);
    c.htk = d.htk || a.has("htk");
    const std::string mel_norm = a.get("mel-norm", d.mel_norm_slaney ? "slaney" : "none");
    if (mel_norm == "slaney") c.mel_norm_slaney = true;
    else if (mel_norm == "none") c.mel_norm_slaney = false;
    else return "--mel-norm must be slaney or none";
    const std::string ref = a.get("ref", "1.0");
    if (ref == "max") {
        c.db.ref_max = true;
    } else {
        c.db.ref = a.get_double("ref", 1.0, 1e-30, 1e30);
    }
    c.db.amin = a.get_double("amin", 1e-10, 1e-30, 1e30);
    const std::string top = a.get("top-db", "80");
    c.db.top_db = (top == "none") ? -1.0 : a.get_double("top-db", 80.0, 0.0, 1e6);
    c.n_mfcc = a.get_int("n-mfcc", 20, 1, 1024);
    c.lifter = a.get_int("lifter", 0, 0, 10000);
    c.n_chroma = a.get_int("n-chroma", 12, 1, 120);
    c.tuning = a.get_double("tuning", 0.0, -0.5, 0.5);
    if (!a.error().empty()) return a.error();
    return validate(c);
}

int write_npy(const std::string& path, const std::vector<float>& data, const std::vector<size_t>& shape) {
    const std::vector<uint8_t> bytes = npy_encode(data.data(), shape);
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) {
        std::fprintf(stderr, "genrescope: cannot write %s\n", path.c_str());
        return kExitFailure;
    }
    const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    if (std::fclose(f) != 0 || !ok) {
        std::fprintf(stderr, "genrescope: error writing %s\n", path.c_str());
        return kExitFailure;
    }
    return kExitOk;
}

}  // namespace

int cmd_features(int argc, char** argv) {
    cli_args a(argc, argv, 0, kValued, kFlags);
    if (!a.error().empty() || a.positional().size() != 2) {
        std::fprintf(stderr, "genrescope features: %s\nusage: genrescope features IN OUT.npy --kind KIND [options]\n"
                     "  (--kind yamnet_log_mel: YAMNet's front end, defaults --sr 16000 --win-length 400 --n-fft 512\n"
                     "   --hop-length 160 --n-mels 64 --fmin 125 --fmax 7500, no centring)\n",
                     a.error().empty() ? "expected IN and OUT.npy" : a.error().c_str());
        return kExitUsage;
    }
    const int target_sr = a.get_int("sr", default_sr(a), 1, 768000);
    feature_config probe;
    std::string err = config_from_args(a, target_sr > 0 ? target_sr : 22050, probe);  // usage check first
    if (!err.empty()) {
        std::fprintf(stderr, "genrescope features: %s\n", err.c_str());
        return kExitUsage;
    }
    audio_buffer audio;
    err = load_audio_file(a.positional()[0], target_sr, audio);
    if (!err.empty()) {
        std::fprintf(stderr, "genrescope features: %s\n", err.c_str());
        return kExitFailure;
    }
    feature_config c;
    err = config_from_args(a, audio.sample_rate_hz, c);
    feature_extractor fx;
    if (err.empty()) err = fx.init(c);
    std::vector<float> out;
    size_t n_frames = 0;
    if (err.empty()) err = fx.compute(audio.samples.data(), audio.samples.size(), out, n_frames);
    if (!err.empty()) {
        std::fprintf(stderr, "genrescope features: %s: %s\n", a.positional()[0].c_str(), err.c_str());
        return kExitFailure;
    }
    return write_npy(a.positional()[1], out, {static_cast<size_t>(fx.n_bins()), n_frames});
}

int cmd_filters(int argc, char** argv) {
    cli_args a(argc, argv, 0, kValued, kFlags);
    if (!a.error().empty() || a.positional().size() != 2 || !a.has("sr")) {
        std::fprintf(stderr, "genrescope filters: %s\nusage: genrescope filters {mel|chroma} OUT.npy --sr HZ [options]\n",
                     a.error().empty() ? "expected {mel|chroma}, OUT.npy and --sr" : a.error().c_str());
        return kExitUsage;
    }
    const std::string which = a.positional()[0];
    feature_config c;
    std::string err = config_from_args(a, a.get_int("sr", 22050, 1, 768000), c);
    if (err.empty() && which != "mel" && which != "chroma") err = "the filterbank must be 'mel' or 'chroma'";
    if (!err.empty()) {
        std::fprintf(stderr, "genrescope filters: %s\n", err.c_str());
        return kExitUsage;
    }
    std::vector<float> dense;
    size_t rows = 0;
    if (which == "mel") {
        mel_filterbank fb;
        err = fb.init(c.mel());
        dense = fb.dense();
        rows = static_cast<size_t>(c.n_mels);
    } else {
        chroma_filterbank fb;
        err = fb.init(c.chroma());
        dense = fb.dense();
        rows = static_cast<size_t>(c.n_chroma);
    }
    if (!err.empty()) {
        std::fprintf(stderr, "genrescope filters: %s\n", err.c_str());
        return kExitFailure;
    }
    return write_npy(a.positional()[1], dense, {rows, static_cast<size_t>(c.stft.n_fft / 2 + 1)});
}

}  // namespace gs
