// test_dataset.cpp: folder scanning, CSV lists, and the gtzan-ff / k-fold / list-folder / none splits.
#include <gtest/gtest.h>

#include "../common/test_support.h"

#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "genrescope/audio_io.h"

namespace {

namespace fs = std::filesystem;

using gs_test::shared_dir;

// The repository's copy of the gtzan-ff lists: under $GS_REPO_DIR (environment), else under the build's
// GS_REPO_DIR definition, else found from this file's path (__FILE__), else from the working directory or one
// of its parents.
std::string repo_split_dir() {
    const fs::path rel = "native/data/gtzan_split";
    const char* env = std::getenv("GS_REPO_DIR");
    if (env && *env) return (fs::path(env) / rel).string();
#ifdef GS_REPO_DIR
    return (fs::path(GS_REPO_DIR) / rel).string();
#else
    std::error_code ec;
    const fs::path from_source = fs::path(__FILE__).parent_path().parent_path().parent_path() / rel;
    if (fs::is_directory(from_source, ec)) return from_source.string();
    for (fs::path p = fs::current_path(ec); !p.empty(); p = p.parent_path()) {
        if (fs::is_directory(p / rel, ec)) return (p / rel).string();
        if (p == p.parent_path()) break;
    }
    return from_source.string();
#endif
}

void write_file(const fs::path& path, const std::string& content) {
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary);
    out << content;
}

std::vector<std::string> read_lines(const std::string& path) {
    std::vector<std::string> lines;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty()) lines.push_back(line);
    }
    return lines;
}

class DatasetTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/gs_dataset_XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    fs::path dir_;
};

// A tiny valid WAV (content does not matter to scanning).
std::string small_wav() {
    const float samples[4] = {0.0f, 0.5f, -0.5f, 0.25f};
    const std::vector<uint8_t> b = gs::encode_wav(samples, 4, 1, 22050, gs::wav_sample_format::pcm_s16);
    return std::string(b.begin(), b.end());
}

TEST(DatasetKeys, TrackKeyAndExtensions) {
    EXPECT_EQ(gs::track_key("blues", "/x/y/blues.00012.wav"), "blues/blues.00012");
    EXPECT_EQ(gs::track_key("blues", "blues.00012.AU"), "blues/blues.00012");
    EXPECT_EQ(gs::track_key("rock", "song.m4a"), "rock/song.m4a");  // not an audio extension: kept
    EXPECT_EQ(gs::track_key("rock", "noext"), "rock/noext");
    EXPECT_EQ(gs::track_key("rock", ".wav"), "rock/.wav");
    for (const char* e : {"wav", ".WAV", "wave", "au", "snd", "flac", "ogg", "oga", "opus", "Mp3"}) {
        EXPECT_TRUE(gs::is_audio_extension(e)) << e;
    }
    for (const char* e : {"", "txt", "m4a", "wavx", "."}) EXPECT_FALSE(gs::is_audio_extension(e)) << e;
}

TEST_F(DatasetTest, ScanGtzanLayout) {
    const fs::path g = dir_ / "genres";
    write_file(g / "rock" / "rock.00001.wav", small_wav());
    write_file(g / "rock" / "rock.00000.WAV", small_wav());
    write_file(g / "blues" / "blues.00001.au", "x");
    write_file(g / "blues" / "blues.00000.wav", small_wav());
    write_file(g / "blues" / ".blues.00002.wav", small_wav());  // hidden
    write_file(g / "blues" / "notes.txt", "not audio");
    write_file(g / ".cache" / "x.wav", small_wav());  // hidden folder
    fs::create_directories(g / "empty");               // no audio: no label
    fs::create_directories(g / "blues" / "sub.wav");   // a folder named like audio is not a file
    write_file(dir_ / "README.txt", "top-level file");

    gs::dataset d;
    ASSERT_EQ(gs::scan_dataset(dir_.string(), d), "");
    EXPECT_EQ(d.source, g.string());
    EXPECT_EQ(d.labels, (std::vector<std::string>{"blues", "rock"}));
    ASSERT_EQ(d.tracks.size(), 4u);
    EXPECT_EQ(d.tracks[0].key, "blues/blues.00000");
    EXPECT_EQ(d.tracks[1].key, "blues/blues.00001");
    EXPECT_EQ(d.tracks[1].path, (g / "blues" / "blues.00001.au").string());
    EXPECT_EQ(d.tracks[2].key, "rock/rock.00000");
    EXPECT_EQ(d.tracks[3].key, "rock/rock.00001");
    EXPECT_EQ(d.tracks[0].label_index, 0);
    EXPECT_EQ(d.tracks[3].label_index, 1);
    EXPECT_EQ(d.tracks[3].label, "rock");

    // The same tree passed at the genres folder itself.
    gs::dataset d2;
    ASSERT_EQ(gs::scan_dataset(g.string(), d2), "");
    EXPECT_EQ(d2.tracks.size(), 4u);
}

TEST_F(DatasetTest, ScanPlainTreeAnyFormat) {
    for (const char* name : {"a.flac", "b.ogg", "c.opus", "d.mp3", "e.oga", "f.snd", "g.wave", "h.m4a"}) {
        write_file(dir_ / "speech" / name, "x");
    }
    write_file(dir_ / "music" / "z.wav", small_wav());
    gs::dataset d;
    ASSERT_EQ(gs::scan_dataset(dir_.string(), d), "");
    EXPECT_EQ(d.labels, (std::vector<std::string>{"music", "speech"}));
    EXPECT_EQ(d.tracks.size(), 8u);  // h.m4a ignored
    EXPECT_EQ(d.tracks[1].key, "speech/a");
    EXPECT_EQ(d.tracks[1].label_index, 1);
}

TEST_F(DatasetTest, ScanErrors) {
    gs::dataset d;
    std::string err = gs::scan_dataset((dir_ / "missing").string(), d);
    EXPECT_NE(err.find("not a directory"), std::string::npos) << err;

    err = gs::scan_dataset(dir_.string(), d);  // empty folder
    EXPECT_NE(err.find("no audio files"), std::string::npos) << err;

    write_file(dir_ / "top.wav", small_wav());  // files directly in DIR are not labelled
    write_file(dir_ / "docs" / "x.txt", "x");
    err = gs::scan_dataset(dir_.string(), d);
    EXPECT_NE(err.find("no audio files"), std::string::npos) << err;
    EXPECT_TRUE(d.tracks.empty());

    write_file(dir_ / "jazz" / "jazz.00001.wav", small_wav());
    write_file(dir_ / "jazz" / "jazz.00001.au", "x");
    err = gs::scan_dataset(dir_.string(), d);
    EXPECT_NE(err.find("same track key jazz/jazz.00001"), std::string::npos) << err;
    EXPECT_EQ(err.find('\n'), std::string::npos);
}

TEST_F(DatasetTest, CsvList) {
    const std::string abs_path = (dir_ / "elsewhere" / "abs.wav").string();
    write_file(dir_ / "lists" / "list.csv",
               "\xEF\xBB\xBFpath,label\r\n"
               "audio/one.wav,rock\r\n"
               "\r\n"
               "  \"audio/two, with comma.wav\" , \"jazz\"\r\n"
               "\"audio/say \"\"hi\"\".au\",jazz\n"
               "\"audio/multi\nline.wav\",blues\n"
               "\n" +
                   abs_path + ",rock");
    gs::dataset d;
    ASSERT_EQ(gs::read_list_csv((dir_ / "lists" / "list.csv").string(), d), "");
    EXPECT_EQ(d.labels, (std::vector<std::string>{"blues", "jazz", "rock"}));
    ASSERT_EQ(d.tracks.size(), 5u);
    EXPECT_EQ(d.tracks[0].path, (dir_ / "lists" / "audio" / "one.wav").string());
    EXPECT_EQ(d.tracks[0].key, "rock/one");
    EXPECT_EQ(d.tracks[0].label_index, 2);
    EXPECT_EQ(d.tracks[1].path, (dir_ / "lists" / "audio" / "two, with comma.wav").string());
    EXPECT_EQ(d.tracks[1].label, "jazz");
    EXPECT_EQ(d.tracks[2].key, "jazz/say \"hi\"");
    EXPECT_EQ(d.tracks[3].key, "blues/multi\nline");
    EXPECT_EQ(d.tracks[3].label_index, 0);
    EXPECT_EQ(d.tracks[4].path, abs_path);
}

TEST_F(DatasetTest, CsvErrors) {
    struct bad_case {
        const char* text;
        const char* expect;
    };
    const bad_case cases[] = {
        {"a.wav,rock,extra\n", "line 1: expected 2 fields"},
        {"path,label\na.wav\n", "line 2: expected 2 fields"},
        {"a.wav,\n", "empty label"},
        {",rock\n", "empty path"},
        {"a.wav,ro/ck\n", "contains a slash"},
        {"a.wav,rock\n\"b.wav,rock\n", "line 2: unterminated quoted field"},
        {"\"a\"x.wav,rock\n", "after a closing quote"},
        {"a\"b.wav,rock\n", "quote inside an unquoted field"},
        {"x/a.wav,rock\ny/a.au,rock\n", "line 2: duplicate track key rock/a (also on line 1)"},
        {"path,label\n\n", "no rows"},
        {"", "no rows"},
    };
    for (const bad_case& c : cases) {
        write_file(dir_ / "bad.csv", c.text);
        gs::dataset d;
        const std::string err = gs::read_list_csv((dir_ / "bad.csv").string(), d);
        EXPECT_NE(err.find(c.expect), std::string::npos) << "text: " << c.text << "\nerror: " << err;
        EXPECT_EQ(err.find('\n'), std::string::npos) << err;
        EXPECT_TRUE(d.tracks.empty());
    }
    gs::dataset d;
    EXPECT_NE(gs::read_list_csv((dir_ / "missing.csv").string(), d).find("cannot open"), std::string::npos);
}

// A hand-made dataset: label l has counts[l] tracks with keys "<label>/t<NNN>".
gs::dataset fake_dataset(const std::vector<int>& counts) {
    gs::dataset d;
    for (size_t l = 0; l < counts.size(); ++l) {
        const std::string label = "label" + std::to_string(l);
        d.labels.push_back(label);
        for (int i = 0; i < counts[l]; ++i) {
            char name[16];
            std::snprintf(name, sizeof(name), "t%03d", i);
            d.tracks.push_back({"/nowhere/" + label + "/" + name + ".wav", label, static_cast<int>(l),
                                label + "/" + name});
        }
    }
    return d;
}

TEST(DatasetSplit, KfoldStratifiedDisjointDeterministic) {
    const gs::dataset d = fake_dataset({23, 17, 9, 5});
    const int k = 5;
    std::vector<std::vector<int>> test_folds;
    for (int fold = 0; fold < k; ++fold) {
        const std::string spec = "kfold:" + std::to_string(k) + ":" + std::to_string(fold);
        gs::split s;
        std::vector<std::string> warnings;
        ASSERT_EQ(gs::make_split(d, spec, "", s, warnings), "");
        EXPECT_TRUE(warnings.empty());
        EXPECT_NE(s.description.find("stratified 5-fold"), std::string::npos) << s.description;
        // Disjoint and covering.
        std::vector<int> all = s.train;
        all.insert(all.end(), s.valid.begin(), s.valid.end());
        all.insert(all.end(), s.test.begin(), s.test.end());
        std::sort(all.begin(), all.end());
        ASSERT_EQ(all.size(), d.tracks.size());
        for (size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i], static_cast<int>(i));
        EXPECT_TRUE(std::is_sorted(s.test.begin(), s.test.end()));
        // Deterministic.
        gs::split again;
        ASSERT_EQ(gs::make_split(d, spec, "", again, warnings), "");
        EXPECT_EQ(again.train, s.train);
        EXPECT_EQ(again.valid, s.valid);
        EXPECT_EQ(again.test, s.test);
        test_folds.push_back(s.test);
    }
    // valid of fold I is the test of fold I+1.
    for (int fold = 0; fold < k; ++fold) {
        gs::split s;
        std::vector<std::string> w;
        ASSERT_EQ(gs::make_split(d, "kfold:5:" + std::to_string(fold), "", s, w), "");
        EXPECT_EQ(s.valid, test_folds[(fold + 1) % k]);
    }
    // The test folds partition the dataset; per label their counts differ by at most 1, and so do the sizes.
    std::set<int> seen;
    std::vector<std::vector<int>> per_label(d.labels.size(), std::vector<int>(k, 0));
    size_t min_size = d.tracks.size(), max_size = 0;
    for (int fold = 0; fold < k; ++fold) {
        for (int t : test_folds[fold]) {
            EXPECT_TRUE(seen.insert(t).second) << "track " << t << " in two folds";
            ++per_label[d.tracks[t].label_index][fold];
        }
        min_size = std::min(min_size, test_folds[fold].size());
        max_size = std::max(max_size, test_folds[fold].size());
    }
    EXPECT_EQ(seen.size(), d.tracks.size());
    EXPECT_LE(max_size - min_size, 1u);
    for (size_t l = 0; l < per_label.size(); ++l) {
        const auto mm = std::minmax_element(per_label[l].begin(), per_label[l].end());
        EXPECT_LE(*mm.second - *mm.first, 1) << "label " << l;
    }
}

TEST(DatasetSplit, KfoldIsShuffledAndIndependentOfTrackOrder) {
    gs::dataset d = fake_dataset({40});
    gs::split s;
    std::vector<std::string> w;
    ASSERT_EQ(gs::make_split(d, "kfold:4:0", "", s, w), "");
    ASSERT_EQ(s.test.size(), 10u);
    // Not simply every 4th track.
    bool strided = true;
    for (size_t i = 0; i < s.test.size(); ++i) strided = strided && s.test[i] == static_cast<int>(4 * i);
    EXPECT_FALSE(strided);
    // Reversing the dataset's order gives the same tracks (by key) in each fold.
    gs::dataset r = d;
    std::reverse(r.tracks.begin(), r.tracks.end());
    gs::split sr;
    ASSERT_EQ(gs::make_split(r, "kfold:4:0", "", sr, w), "");
    std::set<std::string> a, b;
    for (int t : s.test) a.insert(d.tracks[t].key);
    for (int t : sr.test) b.insert(r.tracks[t].key);
    EXPECT_EQ(a, b);
}

TEST(DatasetSplit, KfoldTwoFoldsAndBadSpecs) {
    const gs::dataset d = fake_dataset({6, 6});
    gs::split s;
    std::vector<std::string> w;
    ASSERT_EQ(gs::make_split(d, "kfold:2:1", "", s, w), "");
    EXPECT_EQ(s.train.size(), 6u);
    EXPECT_EQ(s.test.size(), 6u);
    EXPECT_TRUE(s.valid.empty());
    for (const char* spec : {"kfold:1:0", "kfold:101:0", "kfold:5:5", "kfold:5", "kfold:5:-1", "kfold:x:0",
                             "kfold:5:0:1", "kfold::0", "kfold: 5:0"}) {
        const std::string err = gs::make_split(d, spec, "", s, w);
        EXPECT_NE(err.find("expected kfold:K:I"), std::string::npos) << spec << ": " << err;
    }
    EXPECT_NE(gs::make_split(d, "kfold:20:0", "", s, w).find("needs at least 20 tracks"), std::string::npos);
    EXPECT_NE(gs::make_split(d, "fold5", "", s, w).find("unknown split 'fold5'"), std::string::npos);
    EXPECT_NE(gs::make_split(gs::dataset{}, "none", "", s, w).find("empty dataset"), std::string::npos);
}

TEST(DatasetSplit, NonePutsEverythingInTrain) {
    const gs::dataset d = fake_dataset({3, 2});
    gs::split s;
    std::vector<std::string> w;
    ASSERT_EQ(gs::make_split(d, "none", "", s, w), "");
    EXPECT_EQ(s.train, (std::vector<int>{0, 1, 2, 3, 4}));
    EXPECT_TRUE(s.valid.empty());
    EXPECT_TRUE(s.test.empty());
}

TEST_F(DatasetTest, ListFolderSplit) {
    const gs::dataset d = fake_dataset({4, 4});  // label0/t000..t003, label1/t000..t003
    write_file(dir_ / "train.txt", "# comment\nlabel0/t000.wav\nlabel0/t001.au\r\nlabel1/t000\n\nlabel1/t001.wav\n");
    write_file(dir_ / "valid_filtered.txt", "genres/label0/t002.wav\nlabel9/t000.wav\nlabel0/t002.wav\n");
    gs::split s;
    std::vector<std::string> w;
    ASSERT_EQ(gs::make_split(d, dir_.string(), "", s, w), "");
    EXPECT_EQ(s.train, (std::vector<int>{0, 1, 4, 5}));
    EXPECT_EQ(s.valid, (std::vector<int>{2}));
    EXPECT_TRUE(s.test.empty());
    ASSERT_EQ(w.size(), 3u);
    EXPECT_NE(w[0].find("valid: 1 duplicate lines"), std::string::npos) << w[0];
    EXPECT_EQ(w[1], "valid: 1 of 2 listed tracks are missing, e.g. label9/t000");
    EXPECT_NE(w[2].find("test: no list"), std::string::npos) << w[2];
    EXPECT_NE(s.description.find("3 of 8 dataset tracks in no list"), std::string::npos) << s.description;

    write_file(dir_ / "test.txt", "label1/t003.wav\nlabel0/t000.wav\n");  // t000 is also in train
    const std::string err = gs::make_split(d, dir_.string(), "", s, w);
    EXPECT_EQ(err, "track label0/t000 is in both the train and the test lists");
    EXPECT_TRUE(s.train.empty());

    write_file(dir_ / "test.txt", "no-label-here.wav\n");
    EXPECT_NE(gs::make_split(d, dir_.string(), "", s, w).find("line 1: expected <label>/<file>"), std::string::npos);

    fs::remove(dir_ / "train.txt");
    EXPECT_NE(gs::make_split(d, dir_.string(), "", s, w).find("no train.txt or train_filtered.txt"),
              std::string::npos);
}

TEST(DatasetSplit, RepoListsAreTheSharedLists) {
    for (const char* name : {"train_filtered.txt", "valid_filtered.txt", "test_filtered.txt"}) {
        const std::vector<std::string> repo = read_lines(repo_split_dir() + "/" + name);
        EXPECT_FALSE(repo.empty()) << repo_split_dir() << "/" << name;
        const std::string shared = shared_dir() + "/data/gtzan_split/" + name;
        if (fs::exists(shared)) {
            EXPECT_EQ(repo, read_lines(shared)) << name;
        }
    }
}

// A fake GTZAN tree holding every other track of each list (as .wav or .au), plus unlisted tracks.
TEST_F(DatasetTest, GtzanFilteredSplitReportsMissing) {
    const std::string lists = repo_split_dir();
    const char* names[3] = {"train", "valid", "test"};
    size_t expected_present[3] = {0, 0, 0}, listed[3] = {0, 0, 0};
    std::string first_missing[3];
    for (int s = 0; s < 3; ++s) {
        const std::vector<std::string> lines = read_lines(lists + "/" + names[s] + "_filtered.txt");
        ASSERT_FALSE(lines.empty()) << lists;
        listed[s] = lines.size();
        for (size_t i = 0; i < lines.size(); ++i) {
            if (i % 2 == 1) {
                if (first_missing[s].empty()) first_missing[s] = lines[i].substr(0, lines[i].size() - 4);
                continue;
            }
            std::string rel = lines[i];
            if (i % 4 == 0) rel = rel.substr(0, rel.size() - 4) + ".au";
            write_file(dir_ / "genres" / rel, "x");
            ++expected_present[s];
        }
    }
    write_file(dir_ / "genres" / "blues" / "blues.99999.wav", "x");  // in no list
    write_file(dir_ / "genres" / "rock" / "rock.99998.wav", "x");

    gs::dataset d;
    ASSERT_EQ(gs::scan_dataset(dir_.string(), d), "");
    ASSERT_EQ(d.labels.size(), 10u);
    gs::split sp;
    std::vector<std::string> w;
    ASSERT_EQ(gs::make_split(d, "gtzan-ff", lists, sp, w), "");
    EXPECT_EQ(sp.train.size(), expected_present[0]);
    EXPECT_EQ(sp.valid.size(), expected_present[1]);
    EXPECT_EQ(sp.test.size(), expected_present[2]);
    ASSERT_EQ(w.size(), 3u);
    for (int s = 0; s < 3; ++s) {
        const std::string expect = std::string(names[s]) + ": " + std::to_string(listed[s] - expected_present[s]) +
                                   " of " + std::to_string(listed[s]) + " listed tracks are missing, e.g. " +
                                   first_missing[s];
        EXPECT_EQ(w[s], expect);
    }
    EXPECT_NE(sp.description.find("2 of " + std::to_string(d.tracks.size()) + " dataset tracks in no list"),
              std::string::npos)
        << sp.description;
    // Every split track is the one its list names.
    std::set<std::string> test_keys;
    for (int t : sp.test) test_keys.insert(d.tracks[t].key);
    EXPECT_EQ(test_keys.count("blues/blues.00012"), 1u);

    EXPECT_NE(gs::make_split(d, "gtzan-ff", "", sp, w).find("not set"), std::string::npos);
    EXPECT_NE(gs::make_split(d, "gtzan-ff", (dir_ / "nope").string(), sp, w).find("split folder not found"),
              std::string::npos);
    // A dataset that shares no track with the lists: the train set is empty, which is an error.
    const std::string err = gs::make_split(fake_dataset({3}), "gtzan-ff", lists, sp, w);
    EXPECT_NE(err.find("train set is empty"), std::string::npos) << err;
}

}  // namespace
