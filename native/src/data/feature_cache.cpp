// feature_cache.cpp: the .gsf cache format and the parallel, cached feature computation over many files.
#include "data/feature_cache.h"

#include <cstdlib>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <system_error>
#include <thread>

#include "audio_load.h"
#include "data/sha256.h"
#include "file_io.h"
#include "genrescope/features.h"
#include "genrescope/json.h"

namespace gs {

namespace fs = std::filesystem;

namespace {

constexpr char kMagic[4] = {'G', 'S', 'F', '1'};
constexpr size_t kHeaderBytes = 4 + 4 + 8 + 4 + 8;  // magic, n_bins, n_frames, sample_rate_hz, n_samples
constexpr size_t kChecksumBytes = 16;                // first half of a sha256
constexpr uint64_t kMaxGsfBytes = uint64_t(4) << 30; // refuse to read cache files above 4 GiB
constexpr int kMaxThreads = 256;

void put_u32(std::vector<uint8_t>& b, uint32_t v) {
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void put_u64(std::vector<uint8_t>& b, uint64_t v) {
    for (int i = 0; i < 8; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

uint32_t get_u32(const uint8_t* p) {
    return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
}

uint64_t get_u64(const uint8_t* p) { return uint64_t(get_u32(p)) | (uint64_t(get_u32(p + 4)) << 32); }

std::atomic<unsigned> g_tmp_counter{0};

}  // namespace

std::string default_feature_cache_dir() {
    const char* home = std::getenv("HOME");
    return std::string(home ? home : "/tmp") + "/.cache/genrescope/features";
}

std::string feature_cache_config_hash(const feature_config& c) {
    feature_config copy = c;
    copy.norm_mean.clear();
    copy.norm_std.clear();
    return sha256_hex(json_write(to_json(copy), -1)).substr(0, 16);
}

std::string feature_cache_key(const std::string& file_sha256_hex, const feature_config& c) {
    return file_sha256_hex + "-" + feature_cache_config_hash(c);
}

std::string write_gsf(const std::string& path, const track_features& f, int sample_rate_hz, size_t n_samples) {
    const size_t n_values = static_cast<size_t>(f.n_bins) * f.n_frames;
    if (f.n_bins <= 0 || f.data.size() != n_values || sample_rate_hz <= 0) {
        return path + ": cannot write an empty or inconsistent feature matrix";
    }
    std::string err;
    std::string tmp;
    try {
        std::vector<uint8_t> b;
        b.reserve(kHeaderBytes + 4 * n_values + kChecksumBytes);
        b.insert(b.end(), kMagic, kMagic + 4);
        put_u32(b, static_cast<uint32_t>(f.n_bins));
        put_u64(b, f.n_frames);
        put_u32(b, static_cast<uint32_t>(sample_rate_hz));
        put_u64(b, n_samples);
        for (float v : f.data) {
            uint32_t bits;
            std::memcpy(&bits, &v, 4);
            put_u32(b, bits);
        }
        const sha256_digest d = sha256_bytes(b.data(), b.size());
        b.insert(b.end(), d.begin(), d.begin() + kChecksumBytes);

        tmp = path + ".tmp-" + std::to_string(static_cast<long>(getpid())) + "-" +
              std::to_string(g_tmp_counter.fetch_add(1));
        std::FILE* out = std::fopen(tmp.c_str(), "wb");
        if (!out) return path + ": cannot create the temporary file " + tmp;
        bool ok = std::fwrite(b.data(), 1, b.size(), out) == b.size();
        ok = std::fflush(out) == 0 && ok;
        ok = std::fclose(out) == 0 && ok;
        std::error_code ec;
        if (!ok) {
            err = path + ": write error (disk full?)";
        } else {
            fs::rename(tmp, path, ec);  // atomic within one file system
            if (ec) err = path + ": cannot rename the temporary file (" + ec.message() + ")";
        }
    } catch (const std::exception& e) {
        err = path + ": " + e.what();
    }
    if (!err.empty() && !tmp.empty()) {
        std::error_code ec;
        fs::remove(tmp, ec);
    }
    return err;
}

std::string read_gsf(const std::string& path, track_features& out, int& sample_rate_hz_out) {
    out = track_features{};
    sample_rate_hz_out = 0;
    std::string err;
    try {
        std::vector<uint8_t> b;
        err = read_whole_file(path, kMaxGsfBytes, b);
        if (err.empty() && (b.size() < kHeaderBytes + kChecksumBytes || std::memcmp(b.data(), kMagic, 4) != 0)) {
            err = "not a GSF1 file";
        }
        uint64_t n_bins = 0, n_frames = 0, n_samples = 0;
        uint32_t rate = 0;
        if (err.empty()) {
            n_bins = get_u32(b.data() + 4);
            n_frames = get_u64(b.data() + 8);
            rate = get_u32(b.data() + 16);
            n_samples = get_u64(b.data() + 20);
            // Sizes are checked before multiplying so that a damaged header cannot overflow.
            const bool sane = n_bins >= 1 && n_bins <= (1u << 20) && n_frames >= 1 && n_frames <= (uint64_t(1) << 32) &&
                              rate >= 1 && rate <= 768000;
            if (!sane || b.size() != kHeaderBytes + 4 * n_bins * n_frames + kChecksumBytes) {
                err = "wrong size or header (truncated?)";
            }
        }
        if (err.empty()) {
            const size_t body = b.size() - kChecksumBytes;
            const sha256_digest d = sha256_bytes(b.data(), body);
            if (std::memcmp(d.data(), b.data() + body, kChecksumBytes) != 0) err = "checksum mismatch";
        }
        if (err.empty()) {
            out.n_bins = static_cast<int>(n_bins);
            out.n_frames = static_cast<size_t>(n_frames);
            out.data.resize(static_cast<size_t>(n_bins * n_frames));
            const uint8_t* p = b.data() + kHeaderBytes;
            for (size_t i = 0; i < out.data.size(); ++i, p += 4) {
                const uint32_t bits = get_u32(p);
                std::memcpy(&out.data[i], &bits, 4);
            }
            out.duration_s = static_cast<double>(n_samples) / rate;
            sample_rate_hz_out = static_cast<int>(rate);
        }
    } catch (const std::exception& e) {
        err = e.what();
    }
    if (!err.empty()) {
        out = track_features{};
        return path + ": " + err;
    }
    return "";
}

namespace {

enum class outcome { hit, miss, miss_corrupt, failure };

struct job_result {
    outcome result = outcome::failure;
    std::string error;        // failure: "path: message"
    std::string write_error;  // a miss whose cache file could not be written
};

// Computes (or fetches) one track. Never throws.
job_result process_track(const std::string& path, const feature_config& config, const std::string& cache_dir,
                         feature_extractor& extractor, track_features& out) {
    job_result r;
    out = track_features{};
    try {
        std::string gsf_path;
        bool corrupt = false;
        if (!cache_dir.empty()) {
            std::string file_hex;
            r.error = sha256_file_hex(path, file_hex);
            if (!r.error.empty()) return r;
            gsf_path = (fs::path(cache_dir) / (feature_cache_key(file_hex, config) + ".gsf")).string();
            std::error_code ec;
            if (fs::exists(gsf_path, ec)) {
                int rate = 0;
                const std::string err = read_gsf(gsf_path, out, rate);
                if (err.empty() && out.n_bins == config.n_bins() && rate == config.sample_rate_hz) {
                    r.result = outcome::hit;
                    return r;
                }
                out = track_features{};
                corrupt = true;
                fs::remove(gsf_path, ec);
            }
        }
        audio_buffer audio;
        r.error = load_audio_file(path, config.sample_rate_hz, audio);
        if (!r.error.empty()) return r;
        if (audio.samples.empty()) {
            r.error = path + ": no audio samples";
            return r;
        }
        size_t n_frames = 0;
        const std::string err = extractor.compute(audio.samples.data(), audio.samples.size(), out.data, n_frames);
        if (!err.empty() || n_frames == 0) {
            r.error = path + ": " + (err.empty() ? std::string("too short to give a feature frame") : err);
            out = track_features{};
            return r;
        }
        out.n_bins = extractor.n_bins();
        out.n_frames = n_frames;
        out.duration_s = static_cast<double>(audio.samples.size()) / config.sample_rate_hz;
        r.result = corrupt ? outcome::miss_corrupt : outcome::miss;
        r.error.clear();
        if (!gsf_path.empty()) r.write_error = write_gsf(gsf_path, out, config.sample_rate_hz, audio.samples.size());
    } catch (const std::exception& e) {
        out = track_features{};
        r.result = outcome::failure;
        r.error = path + ": " + e.what();
    }
    return r;
}

}  // namespace

std::string compute_features_cached(const std::vector<std::string>& paths, const feature_config& config,
                                    const std::string& cache_dir, int n_threads, std::vector<track_features>& out,
                                    std::vector<std::string>& errors, cache_stats& stats) {
    const auto start = std::chrono::steady_clock::now();
    stats = cache_stats{};
    try {
        out.assign(paths.size(), track_features{});
        std::string err = validate(config);
        if (!err.empty()) return "invalid feature config: " + err;
        feature_extractor main_extractor;
        err = main_extractor.init(config);
        if (!err.empty()) return "feature setup failed: " + err;
        if (!cache_dir.empty()) {
            std::error_code ec;
            fs::create_directories(cache_dir, ec);
            if (!fs::is_directory(cache_dir, ec)) return cache_dir + ": cannot create the cache folder";
        }

        std::vector<job_result> results(paths.size());
        std::atomic<size_t> next{0};
        auto work = [&](feature_extractor& extractor) {
            for (size_t i = next.fetch_add(1); i < paths.size(); i = next.fetch_add(1)) {
                results[i] = process_track(paths[i], config, cache_dir, extractor, out[i]);
            }
        };
        if (n_threads <= 0) n_threads = static_cast<int>(std::thread::hardware_concurrency());
        if (n_threads > kMaxThreads) n_threads = kMaxThreads;
        if (static_cast<size_t>(n_threads) > paths.size()) n_threads = static_cast<int>(paths.size());
        std::vector<std::thread> threads;
        for (int t = 1; t < n_threads; ++t) {  // the calling thread is worker 0
            try {
                threads.emplace_back([&]() {
                    // A worker whose setup fails just stops; the others (at least the caller) take its share.
                    try {
                        feature_extractor extractor;
                        if (extractor.init(config).empty()) work(extractor);
                    } catch (const std::exception&) {
                    }
                });
            } catch (const std::exception&) {
                break;  // no more threads (e.g. a build without thread support): the others do the work
            }
        }
        work(main_extractor);
        for (std::thread& t : threads) t.join();

        for (size_t i = 0; i < paths.size(); ++i) {
            const job_result& r = results[i];
            switch (r.result) {
                case outcome::hit: ++stats.hits; break;
                case outcome::miss_corrupt: ++stats.corrupt; ++stats.misses; break;
                case outcome::miss: ++stats.misses; break;
                case outcome::failure:
                    ++stats.failures;
                    errors.push_back(r.error);
                    break;
            }
            if (!r.write_error.empty() && stats.write_errors++ == 0) stats.first_write_error = r.write_error;
        }
    } catch (const std::exception& e) {
        out.assign(out.size(), track_features{});
        return std::string("feature computation failed: ") + e.what();
    }
    stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return "";
}

}  // namespace gs
