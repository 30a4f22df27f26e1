// audio_load.cpp: file reading and format dispatch for the CLI and the trainer.
#include "audio_load.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <new>
#include <vector>

#include "file_io.h"
#include "genrescope/resample.h"

#ifdef GENRESCOPE_HAVE_SNDFILE
#include <fcntl.h>
#include <sndfile.h>
#include <unistd.h>

#include <mutex>
#endif

namespace gs {

static bool looks_like_wav_or_au(const std::vector<uint8_t>& b) {
    if (b.size() >= 4 && (b[0] == 'R' && b[1] == 'I' && b[2] == 'F' && b[3] == 'F')) return true;
    if (b.size() >= 4 && (b[0] == 'R' && b[1] == 'I' && b[2] == 'F' && b[3] == 'X')) return true;
    if (b.size() >= 4 && (b[0] == '.' && b[1] == 's' && b[2] == 'n' && b[3] == 'd')) return true;
    return false;
}

static bool has_wav_or_au_extension(const std::string& path) {
    const size_t dot = path.rfind('.');
    if (dot == std::string::npos) return false;
    std::string ext = path.substr(dot + 1);
    for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return ext == "wav" || ext == "wave" || ext == "au" || ext == "snd";
}

#ifdef GENRESCOPE_HAVE_SNDFILE
// libsndfile's mp3 decoder (mpg123) prints notes such as "Illegal Audio-MPEG-Header" straight to stderr.
// Our errors are one line, so stderr is pointed at /dev/null while libsndfile runs. This is process-wide:
// the mutex keeps concurrent decodes from restoring each other's descriptors.
class stderr_silencer {
public:
    stderr_silencer() : lock_(mutex()) {
        std::fflush(stderr);
        saved_ = dup(2);
        const int null_fd = open("/dev/null", O_WRONLY);
        if (saved_ >= 0 && null_fd >= 0) dup2(null_fd, 2);
        if (null_fd >= 0) close(null_fd);
    }
    ~stderr_silencer() {
        std::fflush(stderr);
        if (saved_ >= 0) {
            dup2(saved_, 2);
            close(saved_);
        }
    }
    stderr_silencer(const stderr_silencer&) = delete;
    stderr_silencer& operator=(const stderr_silencer&) = delete;

private:
    static std::mutex& mutex() {
        static std::mutex m;
        return m;
    }
    std::lock_guard<std::mutex> lock_;
    int saved_ = -1;
};

static std::string decode_with_sndfile(const std::string& path, audio_buffer& out) {
    stderr_silencer quiet;
    SF_INFO info{};
    SNDFILE* sf = sf_open(path.c_str(), SFM_READ, &info);
    if (!sf) return "not a WAV or AU file, and libsndfile cannot decode it either (unknown format or corrupt data)";
    std::string err;
    if (info.channels < 1 || info.samplerate < 1) err = "file declares no channels or no sample rate";
    if (err.empty() && info.frames > (static_cast<sf_count_t>(1) << 31) / info.channels) err = "file is too long";
    std::vector<float> chunk;
    if (err.empty()) {
        try {
            const sf_count_t block = 65536;
            chunk.resize(static_cast<size_t>(block * info.channels));
            out.samples.clear();
            if (info.frames > 0) out.samples.reserve(static_cast<size_t>(info.frames));
            for (;;) {
                const sf_count_t got = sf_readf_float(sf, chunk.data(), block);
                if (got <= 0) break;
                for (sf_count_t i = 0; i < got; ++i) {
                    float acc = 0.0f;
                    for (int c = 0; c < info.channels; ++c) acc += chunk[static_cast<size_t>(i * info.channels + c)];
                    out.samples.push_back(info.channels == 1 ? acc : acc / static_cast<float>(info.channels));
                }
            }
        } catch (const std::bad_alloc&) {
            err = "out of memory decoding";
        }
    }
    if (err.empty() && out.samples.empty()) err = "no audio frames could be decoded";
    sf_close(sf);
    if (!err.empty()) {
        out = audio_buffer{};
        return err;
    }
    out.sample_rate_hz = info.samplerate;
    out.n_channels_in = info.channels;
    out.format = "libsndfile";
    return "";
}
#endif

std::string load_audio_file(const std::string& path, int target_rate_hz, audio_buffer& out) {
    out = audio_buffer{};
    std::vector<uint8_t> bytes;
    std::string err = read_whole_file(path, static_cast<uint64_t>(kMaxAudioFileBytes), bytes);
    if (!err.empty()) return path + ": " + err;
    if (bytes.empty()) return path + ": empty file";
    if (looks_like_wav_or_au(bytes) || has_wav_or_au_extension(path)) {
        err = decode_audio(bytes.data(), bytes.size(), out);
        if (!err.empty()) return path + ": " + err;
    } else {
#ifdef GENRESCOPE_HAVE_SNDFILE
        bytes.clear();
        bytes.shrink_to_fit();
        err = decode_with_sndfile(path, out);
        if (!err.empty()) return path + ": " + err;
#else
        return path + ": not a WAV or AU file (this build decodes other formats only natively, via libsndfile)";
#endif
    }
    if (target_rate_hz > 0 && target_rate_hz != out.sample_rate_hz) {
        std::vector<float> resampled;
        err = resample(out.samples.data(), out.samples.size(), out.sample_rate_hz, target_rate_hz, resampled);
        if (!err.empty()) return path + ": " + err;
        out.samples.swap(resampled);
        out.sample_rate_hz = target_rate_hz;
    }
    return "";
}

std::string stream_audio_file(const std::string& path, int target_rate_hz,
                              const std::function<void(const float*, size_t)>& sink, stream_info& info) {
    info = stream_info{};
    constexpr size_t kBlock = 65536;  // frames per block
#ifdef GENRESCOPE_HAVE_SNDFILE
    uint64_t size = 0;
    const std::string not_regular = regular_file_size(path, size);
    if (!not_regular.empty()) return path + ": " + not_regular;
    if (size > static_cast<uint64_t>(kStreamThresholdBytes)) {
        std::string err;
        SF_INFO sfi{};
        SNDFILE* sf = nullptr;
        {
            stderr_silencer quiet;
            sf = sf_open(path.c_str(), SFM_READ, &sfi);
        }
        if (!sf) return path + ": cannot decode (unknown format or corrupt data)";
        if (sfi.channels < 1 || sfi.samplerate < 1) {
            sf_close(sf);
            return path + ": file declares no channels or no sample rate";
        }
        info.n_channels = sfi.channels;
        info.rate_hz = target_rate_hz > 0 ? target_rate_hz : sfi.samplerate;
        resampler rs;
        const bool resampling = info.rate_hz != sfi.samplerate;
        if (resampling && !(err = rs.init(sfi.samplerate, info.rate_hz)).empty()) {
            sf_close(sf);
            return path + ": " + err;
        }
        std::vector<float> block(kBlock * static_cast<size_t>(sfi.channels)), mono(kBlock), out;
        for (;;) {
            sf_count_t got;
            {
                stderr_silencer quiet;
                got = sf_readf_float(sf, block.data(), static_cast<sf_count_t>(kBlock));
            }
            if (got <= 0) break;
            for (sf_count_t i = 0; i < got; ++i) {
                float acc = 0.0f;  // the same mean as shared/'s decoders
                for (int c = 0; c < sfi.channels; ++c) acc += block[static_cast<size_t>(i * sfi.channels + c)];
                mono[static_cast<size_t>(i)] = sfi.channels == 1 ? acc : acc / static_cast<float>(sfi.channels);
            }
            if (resampling) {
                out.clear();
                rs.process(mono.data(), static_cast<size_t>(got), out);
                if (!out.empty()) sink(out.data(), out.size());
                info.n_samples += out.size();
            } else {
                sink(mono.data(), static_cast<size_t>(got));
                info.n_samples += static_cast<size_t>(got);
            }
        }
        sf_close(sf);
        if (resampling) {
            out.clear();
            rs.flush(out);
            if (!out.empty()) sink(out.data(), out.size());
            info.n_samples += out.size();
        }
        if (info.n_samples == 0) return path + ": no audio frames could be decoded";
        return "";
    }
#endif
    audio_buffer a;
    std::string err = load_audio_file(path, target_rate_hz, a);
    if (!err.empty()) return err;
    info.n_channels = a.n_channels_in;
    info.rate_hz = a.sample_rate_hz;
    for (size_t pos = 0; pos < a.samples.size(); pos += kBlock) {
        sink(a.samples.data() + pos, std::min(kBlock, a.samples.size() - pos));
    }
    info.n_samples = a.samples.size();
    return "";
}

}  // namespace gs
