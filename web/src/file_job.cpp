// file_job.cpp: the file pipeline (same steps as native classify: streaming resample, features, normalise,
// segment, batch, aggregate) in frame-sized slices; long files analysed sparsely.
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
                     double decode_ms_in, double t0, size_t cap) {
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
    if (!card.features.frame_local()) return fail("features: the card's feature config is not frame-local");
    err = fx_.init(card.features);
    gs::feature_config inner = card.features;
    inner.stft.center = false;  // runs of frames inside the audio: the same samples, no padding to add
    if (err.empty()) err = fx_inner_.init(inner);
    if (!err.empty()) return fail("features: " + err);
    if (source_.empty()) return fail("the file holds no audio samples");
    const size_t n_out =
        size_t(resampler_.output_length(int64_t(source_.size()), rate_hz, card.features.sample_rate_hz));
    audio.reserve(n_out);
    // The whole window grid is known before any feature exists (the frames of n_out samples), so the windows to
    // analyse are chosen now and inference can start while features are still being computed.
    expected_frames_ = gs::stft_n_frames(card.features.stft, n_out);
    display.assign(size_t(card.n_bins()) * expected_frames_, 0.0f);
    starts = gs::segment_starts(expected_frames_, card.segment);
    max_windows = std::max<size_t>(2, cap);
    analysed = gs::spread_indices(starts.size(), max_windows);  // max_windows >= 2: first and last in
    seg_probs.assign(starts.size() * card.labels.size(), 0.0f);
    seg_tags.assign(starts.size() * card.tag_labels.size(), 0.0f);
    seg_done.assign(starts.size(), 0);
    probabilities.assign(card.labels.size(), 0.0f);
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
        compute_frames(source_pos_ == source_.size());
        features_ms += emscripten_get_now() - t2;
        if (where != stage::preparing) return;
        progress = 0.5 * double(source_pos_) / double(source_.size());
    }
    if (source_pos_ == source_.size()) finish_preparation();
}

// The frames whose samples are all known (every frame once the audio is complete) go into `display`: runs of frames
// that lie inside the audio through the batch extractor (four frames per FFT block), the few that reach into the
// centre padding one by one, gathered with it. The batch, the single-frame and the streaming paths of shared/ give
// the same values bit for bit, so these are the frames `genrescope classify` computes.
void file_job::compute_frames(bool complete) {
    const gs::stft_params& p = card.features.stft;
    const size_t hop = size_t(p.hop_length), half = p.center ? size_t(p.n_fft / 2) : 0;
    const size_t span = p.center ? size_t(p.n_fft) : size_t(p.frame_length());  // padded samples per frame
    const size_t len = audio.size(), n_b = size_t(card.n_bins());
    // Before the end, only frames that end inside the audio so far, and no reflect padding until it cannot wrap.
    size_t target = expected_frames_;
    if (!complete) {
        target = len + half >= span ? std::min(target, (len + half - span) / hop + 1) : 0;
        if (p.center && p.pad == gs::pad_mode::reflect && len <= size_t(p.n_fft)) target = 0;
    }
    const size_t last_inside = len + half >= span ? (len + half - span) / hop : 0;  // if t * hop >= half
    while (frames_done_ < target) {
        const size_t t = frames_done_;
        if (t * hop >= half && t * hop - half + span <= len) {
            const size_t end = std::min(target, last_inside + 1), first_sample = t * hop - half;
            size_t got = 0;
            const std::string err =
                fx_inner_.compute(audio.data() + first_sample, (end - 1 - t) * hop + span, run_, got);
            if (!err.empty() || got != end - t)
                return fail("features: " + (err.empty() ? std::string("frame count") : err));
            for (size_t b = 0; b < n_b; ++b)
                std::copy(run_.begin() + b * got, run_.begin() + (b + 1) * got,
                          display.begin() + b * expected_frames_ + t);
            frames_done_ = end;
        } else {
            frame_.resize(size_t(p.n_fft));
            column_.resize(n_b);
            gs::stft_gather_frame(p, audio.data(), len, t, frame_.data());
            fx_.compute_frame(frame_.data(), column_.data());
            for (size_t b = 0; b < n_b; ++b) display[b * expected_frames_ + t] = column_[b];
            ++frames_done_;
        }
    }
}

void file_job::finish_preparation() {
    const double t = emscripten_get_now();
    source_ = std::vector<float>();
    duration_s = double(audio.size()) / card.features.sample_rate_hz;
    if (audio.empty()) return fail("the file holds no audio samples");
    if (frames_done_ != expected_frames_)
        return fail("internal error: " + std::to_string(frames_done_) + " feature frames, " +
                    std::to_string(expected_frames_) + " expected");
    n_frames = expected_frames_;
    features = display;
    gs::apply_normalisation(card.features, features.data(), int(n_frames), n_frames, 1);
    features_ms += emscripten_get_now() - t;
    if (starts.empty()) return fail("too short to classify");
    where = stage::inferring;
    progress = 0.5 + 0.5 * double(n_done) / double(analysed.size());
}

size_t file_job::next_batch(size_t max_n, std::vector<float>& batch, size_t& first_out) {
    const size_t seg = size_t(card.n_bins()) * card.segment.frames;
    if (where == stage::preparing) {
        // While features are still being computed, hand out the analysed windows whose frames all exist, so that
        // inference overlaps with preparation. Frames are read from `display` and normalised here
        // (the same per-element arithmetic as the whole-matrix normalisation, so the values are identical).
        const size_t len = size_t(card.segment.frames);
        size_t n = 0;
        while (n < max_n && next_ask_ + n < analysed.size() && starts[analysed[next_ask_ + n]] + len <= frames_done_)
            ++n;
        if (n < max_n) return 0;  // wait for a full batch (fewer, larger model runs)
        const int n_b = card.n_bins();
        batch.resize(n * seg);
        for (size_t i = 0; i < n; ++i) {
            const size_t start = starts[analysed[next_ask_ + i]];
            float* dst = batch.data() + i * seg;
            for (int b = 0; b < n_b; ++b) {
                const float* row = display.data() + size_t(b) * expected_frames_ + start;
                std::copy(row, row + len, dst + size_t(b) * len);
            }
            gs::apply_normalisation(card.features, dst, int(len), len, 1);
        }
        first_out = next_ask_;
        next_ask_ += n;
        return n;
    }
    if (where != stage::inferring || next_ask_ >= analysed.size()) return 0;
    const size_t n = std::min(max_n, analysed.size() - next_ask_);
    batch.resize(n * seg);
    for (size_t i = 0; i < n; ++i) segment_input_into(analysed[next_ask_ + i], batch.data() + i * seg);
    first_out = next_ask_;
    next_ask_ += n;
    return n;
}

void file_job::segment_input(size_t s, std::vector<float>& out) const {
    out.resize(size_t(card.n_bins()) * size_t(card.segment.frames));
    segment_input_into(s, out.data());
}

void file_job::segment_input_into(size_t s, float* out) const {
    // Frames past the end (a file shorter than one window): the card's fill, through the same shared/ code as native.
    gs::copy_segment(features.data(), card.n_bins(), n_frames, starts[s], card.segment, 0.0f, out);
}

bool file_job::is_analysed(size_t s) const {
    return std::binary_search(analysed.begin(), analysed.end(), s);
}

double file_job::analysed_seconds() const {
    double covered = 0.0, reached = 0.0;  // windows ascend by start: add each one's part past the previous ends
    for (size_t s : analysed) {
        const double a = std::max(reached, segment_start_s(s)), b = segment_end_s(s);
        if (b > a) covered += b - a;
        reached = std::max(reached, b);
    }
    return covered;
}

void file_job::batch_done(size_t first, size_t n, const float* probs, const float* tag_scores, double batch_ms) {
    if (where != stage::inferring && where != stage::preparing) return;
    const size_t k = card.labels.size(), n_tags = card.tag_labels.size();
    for (size_t i = 0; i < n && first + i < analysed.size(); ++i) {
        const size_t w = analysed[first + i];
        std::copy(probs + i * k, probs + (i + 1) * k, seg_probs.begin() + w * k);
        if (tag_scores != nullptr)
            std::copy(tag_scores + i * n_tags, tag_scores + (i + 1) * n_tags, seg_tags.begin() + w * n_tags);
        if (!seg_done[w]) ++n_done;
        seg_done[w] = 1;
    }
    inference_ms += batch_ms;
    ++n_batches;
    // Aggregate what is finished so far (the verdict fills in as segments arrive), in segment order: once every
    // analysed window is done these are exactly the rows `genrescope classify` aggregates and judges (all of them
    // when the file is analysed completely).
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
    progress = 0.5 + 0.5 * double(n_done) / double(analysed.size());
    if (n_done == analysed.size()) {
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
    for (size_t s : analysed) {
        gs::json_value e = gs::json_value::object();
        e.set("start_s", round6(segment_start_s(s)));
        e.set("end_s", round6(segment_end_s(s)));
        gs::json_value p = gs::json_value::array();
        for (size_t c = 0; c < k; ++c) p.push_back(round6(seg_probs[s * k + c]));
        e.set("probabilities", p);
        segs.push_back(e);
    }
    j.set("segments", segs);
    gs::json_value a = gs::json_value::object(), indices = gs::json_value::array();
    for (size_t s : analysed) indices.push_back(double(s));
    const double seconds = analysed_seconds();
    a.set("windows", double(analysed.size()));
    a.set("of", double(starts.size()));
    a.set("seconds", round6(seconds));
    a.set("fraction", round6(duration_s > 0 ? std::min(1.0, seconds / duration_s) : 0.0));
    a.set("cap", double(max_windows));
    a.set("indices", indices);
    j.set("analysed", a);
    j.set("duration_s", round6(duration_s));
    j.set("backend", backend);
    gs::json_value t = gs::json_value::object();
    t.set("decode", decode_ms);
    t.set("features", features_ms);
    t.set("inference", inference_ms);
    t.set("total", total_ms);
    t.set("batches", double(n_batches));
    j.set("timings_ms", t);
    j.set("source_rate_hz", source_rate_hz);
    j.set("model", card.name);
    return gs::json_write(j, -1);
}

}  // namespace gs_web
