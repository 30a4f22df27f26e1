// feature_cache.h: feature matrices for many audio files, computed in parallel and cached on disk (.gsf files).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "genrescope/feature_config.h"

namespace gs {

// The features of one track. Owns its data.
struct track_features {
    int n_bins = 0;            // rows, config.n_bins()
    size_t n_frames = 0;       // columns; 0 means the track failed (see the errors list)
    std::vector<float> data;   // row-major [n_bins][n_frames], as gs::feature_extractor::compute writes it
    double duration_s = 0.0;   // length of the decoded audio, seconds
};

// What one compute_features_cached call did.
struct cache_stats {
    int hits = 0;              // tracks read from the cache
    int misses = 0;            // tracks computed (and written to the cache when it is enabled)
    int failures = 0;          // tracks that could not be read or analysed (each has an entry in errors)
    int corrupt = 0;           // cache files found damaged, deleted and recomputed (also counted in misses)
    int write_errors = 0;      // computed tracks whose cache file could not be written (results still returned)
    std::string first_write_error;  // the first such error, one line
    double seconds = 0.0;      // wall-clock time of the call
};

// Where features are cached when no folder is given: $HOME/.cache/genrescope/features (/tmp when HOME is unset).
std::string default_feature_cache_dir();

// The config part of a cache key: the first 16 hex digits of sha256(json_write(to_json(c), -1)) over a copy
// of c with norm_mean and norm_std cleared (compute() does not apply the model normalisation, so it must
// not split the cache).
std::string feature_cache_config_hash(const feature_config& c);

// The cache key of a file: "<sha256 hex of the file bytes>-<feature_cache_config_hash(c)>"; the cache file
// is CACHE_DIR/<key>.gsf.
std::string feature_cache_key(const std::string& file_sha256_hex, const feature_config& c);

// .gsf file format (little-endian): "GSF1", u32 n_bins, u64 n_frames, u32 sample_rate_hz, u64 n_samples
// (decoded audio length at that rate), f32 data[n_bins][n_frames], then 16 bytes: the first half of the
// sha256 of everything before them. Writes atomically (a temporary file in the same folder, then rename).
// Returns "" or a one-line error.
std::string write_gsf(const std::string& path, const track_features& f, int sample_rate_hz, size_t n_samples);

// Reads a .gsf file into `out`. Returns "" or an error (unreadable, wrong magic, wrong size, checksum
// mismatch); on error `out` is empty. sample_rate_hz_out receives the stored rate.
std::string read_gsf(const std::string& path, track_features& out, int& sample_rate_hz_out);

// Computes the features of every file in `paths`, using and filling a cache.
//   paths:     audio files (any format gs::load_audio_file reads); read only.
//   config:    the feature config (validated here); audio is resampled to config.sample_rate_hz and
//              analysed with gs::feature_extractor::compute (model normalisation not applied).
//   cache_dir: folder of the .gsf files, created when missing; "" disables the cache (all misses).
//              A cache file that is damaged or disagrees with the config (bins, rate) is deleted and
//              recomputed.
//   n_threads: worker threads, 1..256; <= 0 means std::thread::hardware_concurrency(). Each thread has its
//              own feature_extractor; results do not depend on the thread count.
//   out:       resized to paths.size(); out[i] belongs to paths[i]. A failed file leaves out[i] empty
//              (n_frames == 0) and appends "path: message" to errors; it never stops the run.
//   errors:    appended to, in the order of paths.
//   stats:     reset and filled.
// Returns "" or a one-line error for problems that stop everything (invalid config, cache folder that
// cannot be created); then out holds empty entries. Never throws.
std::string compute_features_cached(const std::vector<std::string>& paths, const feature_config& config,
                                    const std::string& cache_dir, int n_threads, std::vector<track_features>& out,
                                    std::vector<std::string>& errors, cache_stats& stats);

}  // namespace gs
