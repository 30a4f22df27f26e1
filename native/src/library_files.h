// library_files.h: `genrescope library`'s file list: audio files found under folders, sorted, named, and split into shards.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gs {

struct library_file {
    std::string name;  // the library's name for it: path relative to its folder ("<folder name>/..." with several)
    std::string path;  // absolute path (lexically normalised), for reading and for playlists
};

// Every file with an audio extension (is_audio_extension: wav, wave, au, snd, flac, ogg, oga, opus, mp3) under
// the folders in `roots`, recursively (symbolic links to files are followed, to folders not; names starting
// with '.' are skipped). A root may also be a file, named as given. With one root the names are relative to
// it; with several they start with the root folder's own name. Sorted by name (byte order), duplicates of
// a name dropped. `warnings` gets a line for each unreadable folder or missing root. Returns "" or an error
// (no audio files at all).
std::string find_library_files(const std::vector<std::string>& roots, std::vector<library_file>& out,
                               std::vector<std::string>& warnings);

// The shard of a file name: FNV-1a 64 of its bytes mod n. Depends only on the name, so the same folder tree
// is split the same way on every machine, and adding a file never moves another to a different shard.
int library_shard_of(const std::string& name, int n);

// Parses "I/N" (0 <= I < N <= 100000). Returns "" or an error.
std::string parse_shard(const std::string& text, int& index, int& count);

}  // namespace gs
