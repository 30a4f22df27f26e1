// file_job.cpp: the file pipeline (same steps as native classify: streaming resample + features, normalise,
// segment, batch, aggregate) in frame-sized slices.
#include "file_job.h"

#include <emscripten.h>

#include <algorithm>
#include <cmath>

#include "genrescope/json.h"
#include "verdict.h"

namespace gs_web {
namespace {

constexpr size_t k_chunk_samples = 32768;  // source samples per resample/feature slice

double round6(double v) { return std::round(v * 1e6) / 1e6; }

}  // namespace

size_t arg_max(const std::vector<float>& v) {
    return v.empty() ? 0 : size_t(std::max_element(v.begin(), v.end()) - v.begin());
}

void file_job::start(int id, std::string name, std::vector<float> source, int rate_hz, const model_card& c,
                     double decode_ms_in, double t0) {
    *this = file_job{};
    job_id = id;
    file = std::move(name);
    card = c;
    source_ = std::move(source);
    source_rate_hz = rate_hz;
    decode_ms = decode_ms_in;
    t0_ms = t0;
    where = stage::preparing;
    std::string err = resampler_.init(rate_hz, card.features.sample_rate_hz);
    if (!err.empty()) return fail("resampling from " + std::to_string(rate_hz) + " Hz: " + err);
    err = stream_.init(card.features);
    if (!err.empty()) return fail("features: " + err);
    if (source_.empty()) return fail("the file holds no audio samples");
    audio.reserve(size_t(resampler_.output_length(int64_t(source_.size()), rate_hz, card.features.sample_rate_hz)));
}

void file_job::fail(const std::string& message) {
    error = message;
    where = stage::failed;
    source_ = std::vector<float>();
    audio = std::vector<float>();
    display = features = std::vector<float>();
}

void file_job::step(double budget_ms) {
    if (where != stage::preparing) return;
    const double t_start = emscripten_get_now();
    while (source_pos_ < source_.size() && emscripten_get_now() - t_start < budget_ms) {
        const size_t n = std::min(k_chunk_samples, source_.size() - source_pos_);
        double t = emscripten_get_now();
        chunk_.clear();
        resampler_.process(source_.data() + source_pos_, n, chunk_);
        source_pos_ += n;
        if (source_pos_ == source_.size()) resampler_.flush(chunk_);
        if (*resampler_.last_error()) return fail(std::string("resampling: ") + resampler_.last_error());
        audio.insert(audio.end(), chunk_.begin(), chunk_.end());
        double t2 = emscripten_get_now();
        decode_ms += t2 - t;
        stream_.push(chunk_.data(), chunk_.size(), frames_fm_);
        features_ms += emscripten_get_now() - t2;
        progress = 0.5 * double(source_pos_) / double(source_.size());
    }
    if (source_pos_ == source_.size()) finish_preparation();
}

void file_job::finish_preparation() {
    const double t = emscripten_get_now();
    stream_.finish(frames_fm_);
    source_ = std::vector<float>();
    duration_s = double(audio.size()) / card.features.sample_rate_hz;
    if (audio.empty()) return fail("the file holds no audio samples");
    n_frames = stream_.frames_emitted();
    const int n_b = card.n_bins();
    display.assign(frames_fm_.size(), 0.0f);
    for (size_t f = 0; f < n_frames; ++f)
        for (int b = 0; b < n_b; ++b) display[size_t(b) * n_frames + f] = frames_fm_[f * n_b + b];
    frames_fm_ = std::vector<float>();
    features = display;
    gs::apply_normalisation(card.features, features.data(), int(n_frames), n_frames, 1);
    // The regular segments handed out early (next_batch while preparing) are a prefix of the final list.
    starts = gs::segment_starts(n_frames, card.segment);
    seg_probs.resize(starts.size() * card.labels.size(), 0.0f);
    seg_tags.resize(starts.size() * card.tag_labels.size(), 0.0f);
    seg_done.resize(starts.size(), 0);
    probabilities.resize(card.labels.size(), 0.0f);
    features_ms += emscripten_get_now() - t;
    if (starts.empty()) return fail("too short to classify");
    where = stage::inferring;
    progress = 0.5 + 0.5 * double(n_done) / double(starts.size());
}

size_t file_job::next_batch(size_t max_n, std::vector<float>& batch, size_t& first_out) {
    const size_t seg = size_t(card.n_bins()) * card.segment.frames;
    if (where == stage::preparing) {
        // While features are still streaming in, hand out the regular segments whose frames all exist, so that
        // inference overlaps with preparation. Frames are read from the frame-major buffer and normalised here
        // (the same per-element arithmetic as the whole-matrix normalisation, so the values are identical).
        const size_t len = size_t(card.segment.frames), hop = size_t(card.segment.hop_frames);
        const size_t have = stream_.frames_emitted();
        size_t n = 0;
        while (n < max_n && (next_ask_ + n) * hop + len <= have) ++n;
        if (n < max_n) return 0;  // wait for a full batch (fewer, larger model runs)
        const int n_b = card.n_bins();
        batch.assign(n * seg, 0.0f);
        for (size_t i = 0; i < n; ++i) {
            const size_t s = next_ask_ + i, start = s * hop;
            float* dst = batch.data() + i * seg;
            for (size_t f = 0; f < len; ++f)
                for (int b = 0; b < n_b; ++b) dst[size_t(b) * len + f] = frames_fm_[(start + f) * n_b + b];
            gs::apply_normalisation(card.features, dst, int(len), len, 1);
            starts.push_back(start);
        }
        seg_probs.resize(starts.size() * card.labels.size(), 0.0f);
        seg_tags.resize(starts.size() * card.tag_labels.size(), 0.0f);
        seg_done.resize(starts.size(), 0);
        first_out = next_ask_;
        next_ask_ += n;
        return n;
    }
    if (where != stage::inferring || next_ask_ >= starts.size()) return 0;
    const size_t n = std::min(max_n, starts.size() - next_ask_);
    batch.resize(n * seg);
    std::vector<float> one;
    for (size_t i = 0; i < n; ++i) {
        segment_input(next_ask_ + i, one);
        std::copy(one.begin(), one.end(), batch.begin() + i * seg);
    }
    first_out = next_ask_;
    next_ask_ += n;
    return n;
}

void file_job::segment_input(size_t s, std::vector<float>& out) const {
    const int n_b = card.n_bins();
    const size_t len = size_t(card.segment.frames);
    out.assign(size_t(n_b) * len, 0.0f);  // frames past the end: 0 after normalisation (as native)
    const size_t start = starts[s];
    for (int b = 0; b < n_b; ++b) {
        const float* row = features.data() + size_t(b) * n_frames;
        float* dst = out.data() + size_t(b) * len;
        for (size_t f = 0; f < len && start + f < n_frames; ++f) dst[f] = row[start + f];
    }
}

void file_job::batch_done(size_t first, size_t n, const float* probs, const float* tag_scores, double batch_ms) {
    if (where != stage::inferring && where != stage::preparing) return;
    const size_t k = card.labels.size(), n_tags = card.tag_labels.size();
    for (size_t i = 0; i < n && first + i < starts.size(); ++i) {
        std::copy(probs + i * k, probs + (i + 1) * k, seg_probs.begin() + (first + i) * k);
        if (tag_scores != nullptr)
            std::copy(tag_scores + i * n_tags, tag_scores + (i + 1) * n_tags, seg_tags.begin() + (first + i) * n_tags);
        if (!seg_done[first + i]) ++n_done;
        seg_done[first + i] = 1;
    }
    inference_ms += batch_ms;
    // Aggregate what is finished so far (the verdict fills in as segments arrive), in segment order: once every
    // segment is done these are exactly the rows `genrescope classify` aggregates and judges.
    std::vector<float> done_probs, done_tags;
    done_probs.reserve(n_done * k);
    done_tags.reserve(n_done * n_tags);
    for (size_t s = 0; s < starts.size(); ++s) {
        if (!seg_done[s]) continue;
        done_probs.insert(done_probs.end(), seg_probs.begin() + s * k, seg_probs.begin() + (s + 1) * k);
        if (card.has_tags)
            done_tags.insert(done_tags.end(), seg_tags.begin() + s * n_tags, seg_tags.begin() + (s + 1) * n_tags);
    }
    probabilities = gs::aggregate(done_probs.data(), n_done, int(k), card.aggregation);
    tags = judge_card_tags(done_tags.data(), card.has_tags ? n_done : 0, card);
    if (where == stage::preparing) return;  // the aggregate above covers what is done; the total is not known yet
    progress = 0.5 + 0.5 * double(n_done) / double(starts.size());
    if (n_done == starts.size()) {
        where = stage::done;
        total_ms = emscripten_get_now() - t0_ms;
    }
}

double file_job::segment_end_s(size_t s) const {
    return std::min(duration_s, (starts[s] + size_t(card.segment.frames)) * frame_s());
}

std::string file_job::result_json(const std::string& backend) const {
    gs::json_value j = gs::json_value::object();
    j.set("file", file);
    const size_t top = arg_max(probabilities);
    j.set("top", card.labels[top]);
    // As `genrescope classify --json`: below the card's threshold the page says "uncertain"; for cards with tags,
    // "outside" when their rule finds another genre (false without a rule) and the best genre tags.
    j.set("uncertain", probabilities[top] < card.uncertain_below);
    if (card.has_tags) {
        j.set("outside", tags.outside);
        if (tags.outside) j.set("sounds_like", card.tag_labels[size_t(tags.sounds_like)]);
        gs::json_value list = gs::json_value::array();
        for (const gs::tag_score& t : tags.top) {
            gs::json_value e = gs::json_value::object();
            e.set("name", card.tag_labels[size_t(t.index)]);
            e.set("score", round6(t.score));
            list.push_back(e);
        }
        j.set("tags", list);
    }
    gs::json_value labels = gs::json_value::array(), probs = gs::json_value::array();
    for (size_t c = 0; c < card.labels.size(); ++c) {
        labels.push_back(card.labels[c]);
        probs.push_back(round6(probabilities[c]));
    }
    j.set("labels", labels);
    j.set("probabilities", probs);
    gs::json_value segs = gs::json_value::array();
    const size_t k = card.labels.size();
    for (size_t s = 0; s < starts.size(); ++s) {
        gs::json_value e = gs::json_value::object();
        e.set("start_s", round6(segment_start_s(s)));
        e.set("end_s", round6(segment_end_s(s)));
        gs::json_value p = gs::json_value::array();
        for (size_t c = 0; c < k; ++c) p.push_back(round6(seg_probs[s * k + c]));
        e.set("probabilities", p);
        segs.push_back(e);
    }
    j.set("segments", segs);
    j.set("duration_s", round6(duration_s));
    j.set("backend", backend);
    gs::json_value t = gs::json_value::object();
    t.set("decode", decode_ms);
    t.set("features", features_ms);
    t.set("inference", inference_ms);
    t.set("total", total_ms);
    j.set("timings_ms", t);
    j.set("source_rate_hz", source_rate_hz);
    j.set("model", card.name);
    return gs::json_write(j, -1);
}

}  // namespace gs_web
