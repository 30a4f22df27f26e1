// sparse_analysis.mjs: long files are analysed sparsely and say so. With an int8 model like the new default (a
// linear genre head on YAMNet, trained here in seconds, then `genrescope quantize`): a generated 4-minute WAV gives
// "analysed k of n windows" with k <= cap < n, the windows spread evenly (first and last included), each analysed
// window's probabilities and the card's aggregate over them equal to `genrescope classify` on the same file, the
// covered seconds, the UI's words and a timeline without gaps; a short clip is analysed completely (n of n) and
// equals `genrescope classify --json --model` (the int8 model through ONNX Runtime Web vs libtorch, <= 1e-3).
// usage: tools/node tests/browser/sparse_analysis.mjs DIST_DIR SHARED_DIR GENRESCOPE WORK_DIR
//   WORK_DIR: made afresh: the model, the long WAV, the screenshot (sparse.png)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { check, classify_in_page, decode_png, max_abs_diff, open_app, run_test, settle, wait_state } from './lib.mjs';

const k_tolerance = 1e-3;     // page (ORT-web WASM) vs native (libtorch), probabilities
const k_long_s = 240;         // the long file: 4 minutes (250 windows of 0.96 s)

const [dist_dir, shared_dir, cli, work] = process.argv.slice(2);
if (!work) {
    console.error('usage: tools/node tests/browser/sparse_analysis.mjs DIST_DIR SHARED_DIR GENRESCOPE WORK_DIR');
    process.exit(2);
}

// A linear genre head on YAMNet (frozen) from six shared clips, windows of 0.96 s every 0.96 s, trained on bags of a
// track's windows (its card then aggregates by geometric mean), quantised to int8: the new default model's recipe.
function make_model() {
    const data = path.join(work, 'head_data');
    const clips = { rock: ['rock.00005-10s-16s.wav', 'metal.00005-10s-16s.wav'],
                    classical: ['classical.00005-10s-16s.wav', 'classical.00005-8s.flac'],
                    jazz: ['jazz.00005-10s-16s.wav', 'jazz.00005-8s.mp3'] };
    for (const [label, files] of Object.entries(clips)) {
        fs.mkdirSync(path.join(data, label), { recursive: true });
        for (const f of files) fs.symlinkSync(path.join(shared_dir, 'clips', f), path.join(data, label, f));
    }
    const run = path.join(work, 'head');
    execFileSync(cli, ['train', '--data', data, '--split', 'none', '--backbone', 'yamnet', '--pretrained-dir',
                       path.join(shared_dir, 'pretrained'), '--head', 'linear', '--head-loss', 'bag', '--epochs', '10',
                       '--hop-s', '0.96',
                       '--threads', '2', '--cache-dir', path.join(work, 'cache'), '--run-dir', run],
                 { stdio: ['ignore', 'ignore', 'pipe'] });
    const out = path.join(work, 'int8');
    execFileSync(cli, ['quantize', path.join(run, 'model.onnx'), '--out', path.join(out, 'model.onnx')],
                 { stdio: ['ignore', 'ignore', 'pipe'] });
    return out;
}

// The 22.05-kHz mono 16-bit clips of SHARED_DIR/clips, concatenated and looped to seconds s, as a WAV.
function make_long_wav(seconds, out) {
    const dir = path.join(shared_dir, 'clips');
    const clips = fs.readdirSync(dir).filter((f) => /\.00005-10s-16s\.wav$/.test(f)).sort();
    const rate = 22050, pcm = Buffer.alloc(Math.round(seconds * rate) * 2);
    for (let i = 0, pos = 0; pos < pcm.length; ++i) {
        const wav = fs.readFileSync(path.join(dir, clips[i % clips.length]));
        if (wav.readUInt32LE(24) !== rate || wav.readUInt16LE(22) !== 1 || wav.toString('latin1', 36, 40) !== 'data')
            throw new Error(`${clips[i % clips.length]}: not the expected 22.05-kHz mono PCM WAV`);
        pos += wav.subarray(44, 44 + wav.readUInt32LE(40)).copy(pcm, pos);
    }
    const h = Buffer.alloc(44);
    h.write('RIFF', 0); h.writeUInt32LE(36 + pcm.length, 4); h.write('WAVE', 8); h.write('fmt ', 12);
    h.writeUInt32LE(16, 16); h.writeUInt16LE(1, 20); h.writeUInt16LE(1, 22); h.writeUInt32LE(rate, 24);
    h.writeUInt32LE(rate * 2, 28); h.writeUInt16LE(2, 32); h.writeUInt16LE(16, 34); h.write('data', 36);
    h.writeUInt32LE(pcm.length, 40);
    fs.writeFileSync(out, Buffer.concat([h, pcm]));
    return out;
}

function classify_native(onnx, file) {
    return JSON.parse(execFileSync(cli, ['classify', '--model', onnx, '--json', file],
                                   { encoding: 'utf8', maxBuffer: 256 << 20 }))[0];
}

// The card's aggregation (shared/ segments.cpp): mean, or geometric_mean (mean of log-probabilities, re-normalised).
function aggregate(rows, how) {
    const k = rows[0].length;
    if (how === 'mean') return [...Array(k).keys()].map((c) => rows.reduce((a, r) => a + r[c], 0) / rows.length);
    if (how !== 'geometric_mean') throw new Error(`the test has no oracle for aggregation ${how}`);
    const logs = new Array(k).fill(0);
    for (const r of rows) for (let c = 0; c < k; ++c) logs[c] += Math.log(Math.max(r[c], 1e-30)) / rows.length;
    const m = Math.max(...logs), e = logs.map((l) => Math.exp(l - m)), sum = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / sum);
}

// Seconds covered by the union of the segments' [start_s, end_s) (segments in time order).
function covered_seconds(segments) {
    let covered = 0, reached = 0;
    for (const s of segments) {
        const a = Math.max(reached, s.start_s);
        if (s.end_s > a) covered += s.end_s - a;
        reached = Math.max(reached, s.end_s);
    }
    return covered;
}

function probabilities_ok(p) {
    const sum = p.reduce((a, b) => a + b, 0);
    return p.every(Number.isFinite) && p.every((v) => v >= 0) && Math.abs(sum - 1) <= 1e-5;
}

// Pixels of the timeline's "waiting for the model" grey (IM_COL32(60, 60, 70)) in a screenshot.
function waiting_grey_pixels(png) {
    const { width, height, channels, pixels } = decode_png(png);
    let n = 0;
    for (let i = 0; i < width * height; ++i)
        if (pixels[i * channels] === 60 && pixels[i * channels + 1] === 60 && pixels[i * channels + 2] === 70) ++n;
    return n;
}

run_test(async () => {
    fs.rmSync(work, { recursive: true, force: true });
    fs.mkdirSync(work, { recursive: true });
    const model_dir = make_model();
    const onnx_path = path.join(model_dir, 'model.onnx');
    const card = JSON.parse(fs.readFileSync(path.join(model_dir, 'model.json'), 'utf8'));
    check('the test model is int8 with 0.96-s windows every 0.96 s, geometric mean',
          card.weights !== undefined && card.segment.seconds === 0.96 && card.segment.hop_seconds === 0.96 &&
          card.segment.aggregation === 'geometric_mean',
          JSON.stringify({ weights: !!card.weights, segment: card.segment }));
    const long_wav = make_long_wav(k_long_s, path.join(work, 'four-minutes.wav'));
    const short_clip = path.join(shared_dir, 'clips/rock.00005-10s-16s.wav');
    const native_long = classify_native(onnx_path, long_wav);
    const native_short = classify_native(onnx_path, short_clip);

    const app = await open_app({ dist_dir });
    try {
        check('app ready', app.ready === 'ready', app.ready);
        const onnx = fs.readFileSync(onnx_path).toString('base64');
        const loaded = await app.page.evaluate(async ({ onnx, card }) => {
            const bytes = Uint8Array.from(atob(onnx), (ch) => ch.charCodeAt(0));
            try { await window.genrescope.loadModel(new Blob([bytes]), card); return 'loaded'; }
            catch (e) { return e instanceof Error ? e.message : String(e); }
        }, { onnx, card });
        check('Load model takes the int8 model', loaded === 'loaded', loaded);

        // The long file: sparse.
        const r = await classify_in_page(app.page, long_wav);
        if (!check('the 4-minute file is classified', !r.error, r.error)) return 1;
        const a = r.analysed || {};
        const n = native_long.segments.length;
        check('analysed k of n windows with k <= cap < n, n = the windows `genrescope classify` has',
              a.of === n && a.windows <= a.cap && a.cap < a.of && a.windows === a.cap &&
              r.segments.length === a.windows,
              `analysed ${a.windows} of ${a.of} (cap ${a.cap}); native ${n} windows; ${r.segments.length} segments`);
        const idx = a.indices || [];
        const gaps = idx.slice(1).map((v, i) => v - idx[i]);
        check('the windows are spread evenly, the first and the last included',
              idx.length === a.windows && idx[0] === 0 && idx[idx.length - 1] === n - 1 && gaps.every((g) => g >= 1) &&
              Math.max(...gaps) - Math.min(...gaps) <= 1,
              `indices ${idx.slice(0, 6).join(',')}...${idx.slice(-3).join(',')}, ` +
              `gaps ${Math.min(...gaps)}-${Math.max(...gaps)}`);
        let seg_d = 0, times_ok = idx.length === r.segments.length;
        for (let i = 0; times_ok && i < idx.length; ++i) {
            const p = r.segments[i], q = native_long.segments[idx[i]];
            times_ok = Math.abs(p.start_s - q.start_s) < 1e-6 && Math.abs(p.end_s - q.end_s) < 1e-6;
            seg_d = Math.max(seg_d, max_abs_diff(p.probabilities, q.probabilities));
        }
        check('each analysed window is the native window at its index (times, probabilities <= 1e-3)',
              times_ok && seg_d <= k_tolerance, `max |dp| ${seg_d.toExponential(2)}`);
        // The rule on the page's own windows (rounded to 1e-6: <= 1e-4 leaves room for that alone), and on the CLI's.
        const how = card.segment.aggregation;
        const own_d = max_abs_diff(r.probabilities, aggregate(r.segments.map((x) => x.probabilities), how));
        const native_rows = idx.map((i) => native_long.segments[i].probabilities);
        const agg_d = max_abs_diff(r.probabilities, aggregate(native_rows, how));
        const all_d = max_abs_diff(r.probabilities, native_long.probabilities);
        check(`the result is the card's ${how} over the analysed windows only`, own_d <= 1e-4 && agg_d <= k_tolerance &&
              all_d > 1e-4, `max |dp| ${own_d.toExponential(2)} on its own windows, ${agg_d.toExponential(2)} on ` +
              `the CLI's windows at those indices; against all ${n} windows ${all_d.toExponential(2)}`);
        check('probabilities are finite and sum to 1', probabilities_ok(r.probabilities) &&
              r.segments.every((s) => probabilities_ok(s.probabilities)), r.probabilities.join(', '));
        const cov = covered_seconds(r.segments);
        check('"seconds" is the audio the analysed windows cover, "fraction" its share of the file',
              Math.abs(a.seconds - cov) < 1e-4 && Math.abs(a.fraction - cov / r.duration_s) < 1e-4 && a.fraction < 0.5,
              `${a.seconds} s of ${r.duration_s} s (${a.fraction}); segments cover ${cov.toFixed(4)} s`);
        const st = await wait_state(app.page, 's.result !== null && !s.busy');
        const words = `analysed ${a.windows} of ${a.of} windows (${Math.floor(100 * a.fraction + 1e-9)}% of the audio)`;
        check('the page says how much was analysed', st.analysed === words, `"${st.analysed}"`);
        await settle(app.page, 5);
        const shot = await app.page.screenshot({ path: path.join(work, 'sparse.png') });
        const grey = waiting_grey_pixels(shot);
        check('the timeline shows no gaps (windows not analysed take their nearest analysed neighbour\'s colours)',
              grey === 0, `${grey} pixels of the waiting grey; screenshot ${path.join(work, 'sparse.png')}`);

        // A short clip: complete, and equal to the CLI.
        const s = await classify_in_page(app.page, short_clip);
        if (!check('the short clip is classified', !s.error, s.error)) return 1;
        const b = s.analysed || {};
        check('a short file is analysed completely (n of n)',
              b.windows === b.of && b.of === native_short.segments.length && s.segments.length === b.of &&
              JSON.stringify(b.indices) === JSON.stringify([...Array(b.of).keys()]),
              `analysed ${b.windows} of ${b.of}; native ${native_short.segments.length} windows`);
        const d = max_abs_diff(s.probabilities, native_short.probabilities);
        let sd = 0;
        for (let i = 0; i < Math.min(s.segments.length, native_short.segments.length); ++i)
            sd = Math.max(sd, max_abs_diff(s.segments[i].probabilities, native_short.segments[i].probabilities));
        check('int8 model: page (ONNX Runtime Web, WASM) = genrescope classify (libtorch) <= 1e-3',
              d <= k_tolerance && sd <= k_tolerance && s.top === native_short.top,
              `max |dp| ${d.toExponential(2)}, per window ${sd.toExponential(2)}, top ${s.top}, backend ${s.backend}`);
        let td = 0;
        const names = (list) => JSON.stringify(list.map((t) => t.name));
        const same_tags = names(s.tags) === names(native_short.tags);
        for (let i = 0; same_tags && i < s.tags.length; ++i)
            td = Math.max(td, Math.abs(s.tags[i].score - native_short.tags[i].score));
        check('int8 model: the backbone\'s top tags and scores as the CLI\'s (<= 1e-3)', same_tags && td <= k_tolerance,
              `${s.tags.map((t) => t.name).join(', ')}; max |d score| ${td.toExponential(2)}`);
        const st2 = await app.page.evaluate(() => window.genrescope.state());
        check('no "analysed" line for a file analysed completely', st2.analysed === '', `"${st2.analysed}"`);
        check('no page errors', app.page_errors.length === 0, app.page_errors.slice(0, 3).join(' | '));
    } finally {
        await app.close();
    }
    return 0;
});
