// classify.mjs: every reference clip through the page's file input and through classify(); browser vs native
// agreement; every bad file shows an error and the next good file works; views, saliency and timeline screenshots.
// usage: tools/node tests/browser/classify.mjs DIST_DIR SHARED_DIR NATIVE_CLI OUT_DIR
//   NATIVE_CLI: build/native/genrescope (run on dist/models/default.onnx: the very model the page serves)
//   OUT_DIR:    screenshots (file result, timeline, MFCC, chroma, saliency, narrow layout)
// Tolerance: max |p_browser - p_native| <= 1e-3 over track and segment probabilities (WAV clips: both decode with
// shared/; the two ends differ in the inference engine, libtorch vs ONNX Runtime Web).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { check, classify_in_page, good_clips, image_stats, max_abs_diff, open_app, run_test, settle, wait_state } from './lib.mjs';

const k_native_tolerance = 1e-3;

// Chooses file_path through the page's <input type=file>; waits for the new result or error.
async function through_file_input(page, file_path) {
    await page.evaluate(() => { window.__gs_before = window.genrescope.lastResult; window.__gs_error_before = window.genrescope.state().error; });
    await page.setInputFiles('#file_picker', file_path);
    return wait_state(page, `!s.busy && (window.genrescope.lastResult !== window.__gs_before || ` +
                            `(s.error !== '' && s.error.includes(${JSON.stringify(path.basename(file_path))})))`);
}

function compare_with_native(r, n) {
    let d = max_abs_diff(r.probabilities, n.probabilities);
    if (r.segments.length !== n.segments.length) return { d: Infinity, why: `${r.segments.length} vs ${n.segments.length} segments` };
    for (let i = 0; i < r.segments.length; ++i) {
        d = Math.max(d, max_abs_diff(r.segments[i].probabilities, n.segments[i].probabilities));
        if (Math.abs(r.segments[i].start_s - n.segments[i].start_s) > 1e-6) return { d: Infinity, why: `segment ${i} start` };
    }
    return { d, why: '' };
}

async function main() {
    const [dist_dir, shared_dir, native_cli, out_dir] = process.argv.slice(2);
    if (!dist_dir || !shared_dir || !native_cli || !out_dir) {
        console.error('usage: tools/node tests/browser/classify.mjs DIST_DIR SHARED_DIR NATIVE_CLI OUT_DIR');
        return 2;
    }
    fs.mkdirSync(out_dir, { recursive: true });
    const clips = good_clips(shared_dir);
    const bad_dir = path.join(shared_dir, 'clips', 'bad');
    const bad = fs.readdirSync(bad_dir).sort().map((f) => path.join(bad_dir, f));
    // A 45-s WAV (the reference clips end to end): long enough that segments go to the model while features
    // are still being computed (the page's pipelined path), compared with native like the others.
    const long_wav = path.join(out_dir, 'long-45s.wav');
    concat_wavs(clips.filter((f) => /\.00005-10s-16s\.wav$/.test(f)), 45, long_wav);
    // A 0.6-s WAV, shorter than one window: the card's segment.fill (tile) must be applied as the CLI applies it.
    const short_wav = path.join(out_dir, 'short-0.6s.wav');
    concat_wavs(clips.filter((f) => /\.00005-10s-16s\.wav$/.test(f)), 0.6, short_wav);
    const wavs = [...clips.filter((f) => /\.wav$/i.test(f)), long_wav, short_wav];
    const model = path.join(dist_dir, 'models', 'default.onnx');
    const native = {};
    for (const r of JSON.parse(execFileSync(native_cli, ['classify', '--json', '--model', model, ...wavs], { encoding: 'utf8' })))
        native[path.basename(r.file)] = r;

    const app = await open_app({ dist_dir });
    const { page } = app;
    try {
        check('app ready', app.ready === 'ready', `${app.ready}, ${app.ready_ms} ms`);
        if (app.ready !== 'ready') return 1;
        let worst = 0;
        for (const clip of [...clips, long_wav, short_wav]) {
            const name = path.basename(clip);
            const s = await through_file_input(page, clip);
            const via_input = s.result;
            check(`file input: ${name}`, s.error === '' && via_input && via_input.file === name,
                  s.error || `${via_input.top}, ${via_input.segments.length} segments`);
            const r = await classify_in_page(page, clip);
            const ok = !r.error && r.file === name && r.backend === app_backend(app) &&
                       ['decode', 'features', 'inference', 'total'].every((k) => typeof r.timings_ms[k] === 'number');
            check(`classify(): ${name}`, ok, r.error || `${r.top} ${Math.max(...r.probabilities).toFixed(3)}, ` +
                  `${r.duration_s} s, ${r.timings_ms.total.toFixed(0)} ms`);
            if (!ok || !via_input) continue;
            check(`file input == classify(): ${name}`, max_abs_diff(via_input.probabilities, r.probabilities) === 0);
            if (native[name]) {
                const { d, why } = compare_with_native(r, native[name]);
                worst = Math.max(worst, d);
                check(`browser vs native: ${name}`, d <= k_native_tolerance, why || `max |dp| ${d.toExponential(2)}`);
            }
        }
        console.log(`worst browser vs native |dp| over ${Object.keys(native).length} WAV clips: ${worst.toExponential(2)}`);

        const good = clips.find((f) => /rock.*10s-16s\.wav$/.test(f)) || wavs[0];
        for (const b of bad) {
            const name = path.basename(b);
            const s = await through_file_input(page, b);
            check(`bad file shows an error: ${name}`, s.error.includes(name), JSON.stringify(s.error));
            const r = await classify_in_page(page, b);
            check(`classify() rejects with an Error: ${name}`, typeof r.error === 'string' && r.error.length > 0 &&
                  (await page.evaluate(() => window.genrescope.state().error)) === r.error, r.error);
            const after = await classify_in_page(page, good);
            check(`next good file works after ${name}`, !after.error && after.file === path.basename(good),
                  after.error || after.top);
        }

        // Views, playback and saliency (screenshots), on the 45-s file.
        const long_clip = long_wav;  // ten genres end to end: a timeline that changes
        await classify_in_page(page, long_clip);
        await settle(page, 10);
        const shot = (name) => path.join(out_dir, name);
        let st = image_stats(await page.screenshot({ path: shot('file-result.png') }));
        check('screenshot: file result + timeline', st.stddev > 10 && st.colourful_fraction > 0.2,
              `stddev ${st.stddev.toFixed(1)}, ${shot('file-result.png')}`);
        for (const [mode, file] of [[1, 'mfcc.png'], [2, 'chroma.png'], [0, null]]) {
            await page.evaluate((m) => Module._gs_set_view(m), mode);
            await settle(page, 5);
            if (file) {
                st = image_stats(await page.screenshot({ path: shot(file) }));
                check(`screenshot: ${file.replace('.png', '')} view`, st.stddev > 10, `stddev ${st.stddev.toFixed(1)}`);
            }
        }
        // Playback (WebAudio) and seeking, as the Play button and a click on the timeline do.
        const play = await page.evaluate(async () => {
            Module.gs_playback_seek(2.0);
            const at_seek = Module.gs_playback_position();
            Module.gs_playback_toggle();
            await new Promise((r) => setTimeout(r, 500));
            const playing = Module.gs_playback_playing();
            const pos = Module.gs_playback_position();
            Module.gs_playback_toggle();
            return { at_seek, playing, pos };
        });
        check('playback plays from the seek position', play.at_seek === 2 && play.playing && play.pos > 2.05 && play.pos < 3.5,
              JSON.stringify(play));
        await page.evaluate(() => Module._gs_request_saliency(1));
        const s = await wait_state(page, 's.saliency.valid');
        check('saliency map computed', s.saliency.drop.length > 0 && s.saliency.drop.some((d) => d !== 0),
              `${s.saliency.drop.length} patches, max drop ${Math.max(...s.saliency.drop).toFixed(3)}`);
        await settle(page, 5);
        await page.screenshot({ path: shot('saliency.png') });
        await page.setViewportSize({ width: 390, height: 844 });
        await settle(page, 10);
        st = image_stats(await page.screenshot({ path: shot('narrow.png') }));
        check('narrow (phone-width) layout draws', st.stddev > 10, shot('narrow.png'));

        check('no request left the origin', app.foreign_requests.length === 0, app.foreign_requests.slice(0, 3).join(', '));
        check('no page errors', app.page_errors.length === 0, app.page_errors.slice(0, 3).join(' | '));
    } finally {
        await app.close();
    }
    return 0;
}

// Writes duration_s of the PCM16 mono 22.05 kHz clips, end to end, as one WAV.
function concat_wavs(files, duration_s, out) {
    const n_bytes = Math.round(duration_s * 22050) * 2;
    const pcm = Buffer.alloc(n_bytes);
    for (let pos = 0, i = 0; pos < n_bytes; ++i) {
        const data = fs.readFileSync(files[i % files.length]).subarray(44);
        pos += data.copy(pcm, pos, 0, Math.min(data.length, n_bytes - pos));
    }
    const h = Buffer.alloc(44);
    h.write('RIFF', 0); h.writeUInt32LE(36 + n_bytes, 4); h.write('WAVE', 8); h.write('fmt ', 12);
    h.writeUInt32LE(16, 16); h.writeUInt16LE(1, 20); h.writeUInt16LE(1, 22); h.writeUInt32LE(22050, 24);
    h.writeUInt32LE(44100, 28); h.writeUInt16LE(2, 32); h.writeUInt16LE(16, 34); h.write('data', 36);
    h.writeUInt32LE(n_bytes, 40);
    fs.writeFileSync(out, Buffer.concat([h, pcm]));
}

function app_backend() {
    return 'wasm';  // plain headless Chromium has no WebGPU adapter (backends.mjs covers WebGPU)
}

await run_test(main);
