// dataset.h: the labelled-audio dataset (folder tree or CSV list) and its train/valid/test splits.
#pragma once

#include <string>
#include <vector>

namespace gs {

// One labelled audio file.
struct track {
    std::string path;     // file path as found (scan) or resolved against the CSV's folder (lists)
    std::string label;    // class name, e.g. "blues"
    int label_index = -1; // index into dataset::labels, 0..labels.size()-1
    std::string key;      // "<label>/<file stem>", e.g. "blues/blues.00012": matches split lists
                          // whatever the file's extension (.wav/.au)
};

// A labelled dataset. Owns its strings; split indices refer to `tracks`.
struct dataset {
    std::string source;               // the directory or CSV it was read from
    std::vector<std::string> labels;  // sorted (byte order), unique
    std::vector<track> tracks;        // scan: sorted by label then file name; CSV: file order
};

// Audio file extensions the dataset recognises (without the dot, lowercase): wav, wave, au, snd, flac,
// ogg, oga, opus, mp3. `ext` may carry a leading dot; compared case-insensitively.
bool is_audio_extension(const std::string& ext);

// The split-matching key of a file: "<label>/<stem>", where stem is the file name (directories
// dropped) without its extension when that extension is an audio one (is_audio_extension), else the
// whole file name. Example: track_key("blues", "x/blues.00012.au") == "blues/blues.00012".
std::string track_key(const std::string& label, const std::string& path);

// Reads a labelled folder tree into `out` (cleared first).
//   dir: either GTZAN's layout (DIR/genres/<genre>/*.{wav,au}: when DIR/genres is a directory it is
//        used) or any DIR/<label>/* tree. Labels are the names of the subdirectories that hold at least
//        one audio file, sorted; files directly inside them with an audio extension
//        (is_audio_extension) are taken, sorted by name; names starting with '.' are skipped, other
//        files are ignored. Symbolic links are followed.
// Returns "" or a one-line error (missing directory, no labels, no audio files, two files with the
// same key such as x.wav next to x.au). Never throws.
std::string scan_dataset(const std::string& dir, dataset& out);

// Reads a CSV list of "path,label" lines into `out` (cleared first).
//   csv_path: the list. An optional first line "path,label" is a header. Fields follow RFC 4180
//             (double-quoted fields may hold commas, newlines and "" for a quote); spaces around
//             unquoted fields are trimmed; CRLF or LF line ends; blank lines are skipped. Relative paths
//             are resolved against the CSV's folder. Labels are the distinct label values, sorted.
// Files are not opened here (an unreadable file is reported when its features are computed).
// Returns "" or a one-line error with the line number (wrong field count, empty path or label, a label
// containing '/', duplicate key, no rows). Never throws.
std::string read_list_csv(const std::string& csv_path, dataset& out);

// Reads a whole text file (lists, JSON reports, predictions) into `out`; files over 256 MiB are refused.
// Returns "" or a one-line error naming the file.
std::string read_text_file(const std::string& path, std::string& out);

// Which tracks (indices into dataset::tracks, ascending) train, validate and test a model.
struct split {
    std::vector<int> train, valid, test;
    std::string description;  // one line for logs and the model card
};

// Builds a split of `d` (tracks are never divided: all segments of a track stay in one set).
//   spec: "gtzan-ff": the fault-filtered, artist-conscious GTZAN split (Kereliuk, Sturm et al. 2015), read
//                     from repo_split_dir/{train,valid,test}_filtered.txt;
//         "kfold:K:I": 2 <= K <= 100, 0 <= I < K: stratified folds (per label: tracks sorted by key,
//                     shuffled by Fisher-Yates driven by std::mt19937 seeded 1234 + label index, dealt
//                     round-robin; the dealing position carries over from one label to the next so fold
//                     sizes differ by at most 1 too). test = fold I, valid = fold (I+1) % K, train = the
//                     rest; with K == 2 valid is empty and train is the other fold;
//         a directory: DIR/train.txt, DIR/valid.txt, DIR/test.txt (each may instead be named
//                     *_filtered.txt); train is required, a missing valid or test list gives an empty set
//                     and a warning;
//         "none": every track in train, valid and test empty (final training on everything).
//   repo_split_dir: the folder holding the gtzan-ff lists (the repository's native/data/gtzan_split);
//                   only read for "gtzan-ff".
//   warnings: appended to, one line each: listed tracks missing from the dataset, per list
//             ("test: 148 of 290 listed tracks are missing, e.g. country/country.00001"), duplicate lines.
// List files hold one entry per line in the key format, with or without extension ("blues/blues.00012.wav";
// leading folders beyond the label are ignored); blank lines and lines starting with '#' are skipped.
// Dataset tracks in no list are left out (counted in the description).
// Returns "" or a one-line error (unknown spec, bad K/I, unreadable list, a track in two lists, empty
// train set). `out` is reset first. Never throws.
std::string make_split(const dataset& d, const std::string& spec, const std::string& repo_split_dir, split& out,
                       std::vector<std::string>& warnings);

}  // namespace gs
