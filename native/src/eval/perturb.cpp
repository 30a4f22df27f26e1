// perturb.cpp: robustness conditions for evaluation (MP3 re-encoding, 44.1 kHz stereo, gain, noise, excerpts).
#include "eval/perturb.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include <unistd.h>

#include "audio_load.h"
#include "genrescope/resample.h"

#ifdef GENRESCOPE_HAVE_SNDFILE
#include <sndfile.h>
#endif

namespace fs = std::filesystem;

namespace gs {

namespace {

// Removes a file when it goes out of scope.
struct temp_file {
    std::string path;
    ~temp_file() {
        std::error_code ec;
        if (!path.empty()) fs::remove(path, ec);
    }
};

std::string temp_name(const std::string& dir, uint64_t seed, const char* ext) {
    char name[64];
    std::snprintf(name, sizeof name, "gs-perturb-%llx-%llx%s", static_cast<unsigned long long>(seed),
                  static_cast<unsigned long long>(std::hash<std::string>{}(dir) ^ static_cast<uint64_t>(::getpid())), ext);
    return (fs::path(dir) / name).string();
}

#ifdef GENRESCOPE_HAVE_SNDFILE
// libsndfile's LAME encoder picks the constant bit rate from the compression level (0 = highest rate).
// Measured on 30-s mono 22.05 kHz clips: level 0.25 gives 128 kb/s at 22.05 kHz (MPEG-2 layer III, 8..160
// kb/s); the caller checks the rate from the file size and refuses anything else.
std::string write_mp3(const std::string& path, const std::vector<float>& y, int rate_hz, double level) {
    SF_INFO info{};
    info.samplerate = rate_hz;
    info.channels = 1;
    info.format = SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III;
    SNDFILE* sf = sf_open(path.c_str(), SFM_WRITE, &info);
    if (!sf) return std::string("libsndfile cannot write MP3: ") + sf_strerror(nullptr);
    int mode = SF_BITRATE_MODE_CONSTANT;
    sf_command(sf, SFC_SET_BITRATE_MODE, &mode, sizeof mode);
    sf_command(sf, SFC_SET_COMPRESSION_LEVEL, &level, sizeof level);
    const sf_count_t n = sf_writef_float(sf, y.data(), static_cast<sf_count_t>(y.size()));
    sf_close(sf);
    if (n != static_cast<sf_count_t>(y.size())) return "MP3 encoder wrote fewer samples than given";
    return "";
}
#endif

}  // namespace

const std::vector<std::string>& perturb_conditions() {
    static const std::vector<std::string> names = {"mp3-128k", "stereo-44k", "gain-12db", "noise-20db", "excerpt-10s"};
    return names;
}

std::string load_perturbed(const std::string& path, const std::string& condition, int target_rate_hz, uint64_t seed,
                           const std::string& temp_dir, audio_buffer& out) {
    if (condition == "gain-12db" || condition == "noise-20db" || condition == "excerpt-10s") {
        std::string err = load_audio_file(path, target_rate_hz, out);
        if (!err.empty()) return err;
        std::vector<float>& y = out.samples;
        if (condition == "gain-12db") {
            const float g = static_cast<float>(std::pow(10.0, -12.0 / 20.0));
            for (float& v : y) v *= g;
        } else if (condition == "noise-20db") {
            double power = 0;
            for (float v : y) power += static_cast<double>(v) * v;
            power /= std::max<size_t>(1, y.size());
            // ref: SNR_dB = 10 log10(P_signal / P_noise)  ->  sigma = sqrt(P_signal / 10^(20/10))
            std::normal_distribution<double> noise(0.0, std::sqrt(power / 100.0));
            std::mt19937_64 rng(seed);
            for (float& v : y) v = static_cast<float>(v + noise(rng));
        } else {
            const size_t want = static_cast<size_t>(10.0 * out.sample_rate_hz);
            if (y.size() > want) {
                const size_t start = (y.size() - want) / 2;
                y = std::vector<float>(y.begin() + static_cast<std::ptrdiff_t>(start),
                                       y.begin() + static_cast<std::ptrdiff_t>(start + want));
            }
        }
        return "";
    }
    if (condition == "stereo-44k") {
        audio_buffer a;
        std::string err = load_audio_file(path, 44100, a);
        if (!err.empty()) return err;
        std::vector<float> stereo(a.samples.size() * 2);
        for (size_t i = 0; i < a.samples.size(); ++i) stereo[2 * i] = stereo[2 * i + 1] = a.samples[i];
        const std::vector<uint8_t> bytes = encode_wav(stereo.data(), a.samples.size(), 2, 44100, wav_sample_format::pcm_s16);
        temp_file t{temp_name(temp_dir, seed, ".wav")};
        std::ofstream(t.path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                      static_cast<std::streamsize>(bytes.size()));
        return load_audio_file(t.path, target_rate_hz, out);
    }
    if (condition == "mp3-128k") {
#ifdef GENRESCOPE_HAVE_SNDFILE
        audio_buffer a;
        std::string err = load_audio_file(path, 0, a);
        if (!err.empty()) return err;
        temp_file t{temp_name(temp_dir, seed, ".mp3")};
        if (!(err = write_mp3(t.path, a.samples, a.sample_rate_hz, 0.25)).empty()) return path + ": " + err;
        std::error_code ec;
        const double seconds = static_cast<double>(a.samples.size()) / a.sample_rate_hz;
        const double kbps = static_cast<double>(fs::file_size(t.path, ec)) * 8.0 / 1000.0 / std::max(seconds, 1e-9);
        if (seconds > 5.0 && std::fabs(kbps - 128.0) > 8.0) {
            char msg[128];
            std::snprintf(msg, sizeof msg, ": the MP3 encoder produced %.0f kb/s instead of 128", kbps);
            return path + msg;
        }
        return load_audio_file(t.path, target_rate_hz, out);
#else
        return "mp3-128k needs libsndfile";
#endif
    }
    return "unknown condition '" + condition + "'";
}

}  // namespace gs
