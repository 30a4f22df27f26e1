// smoke.mjs: browser smoke test of the GenreScope page in headless Chromium (playwright-core): boot from a plain
// static server, ready, a dropped clip classified and drawn, a bad file's error, recovery, no foreign requests.
// usage: tools/node tests/browser/smoke.mjs DIST_DIR SHARED_DIR SCREENSHOT.png
//   DIST_DIR:       build/web/dist
//   SHARED_DIR:     the team's reference material (../shared): clips/rock.00005-10s-16s.wav, clips/bad/text.wav
//   SCREENSHOT.png: the screenshot of the classified file (…-error.png beside it: the bad file)
// Prints one line per check, then "N passed, M failed"; exits 1 on any failure, 2 on a usage error.
import fs from 'node:fs';
import path from 'node:path';
import { check, classify_in_page, drop_file, image_stats, open_app, run_test, settle, wait_state } from './lib.mjs';

const k_min_colourful_fraction = 0.2;  // of the screenshot's pixels, once a spectrogram is shown

async function main() {
    const [dist_dir, shared_dir, screenshot_path] = process.argv.slice(2);
    if (!dist_dir || !shared_dir || !screenshot_path) {
        console.error('usage: tools/node tests/browser/smoke.mjs DIST_DIR SHARED_DIR SCREENSHOT.png');
        return 2;
    }
    const good_clip = path.join(shared_dir, 'clips', 'rock.00005-10s-16s.wav');
    const bad_clip = path.join(shared_dir, 'clips', 'bad', 'text.wav');
    for (const f of [path.join(dist_dir, 'index.html'), path.join(dist_dir, 'app.wasm'),
                     path.join(dist_dir, 'models', 'default.onnx'), good_clip, bad_clip]) {
        if (!fs.existsSync(f)) {
            console.error(`smoke.mjs: missing ${f}`);
            return 2;
        }
    }
    fs.mkdirSync(path.dirname(path.resolve(screenshot_path)), { recursive: true });
    const error_screenshot = screenshot_path.replace(/(\.png)?$/i, '-error.png');

    const app = await open_app({ dist_dir });
    const { page } = app;
    try {
        // 1. Boot: ready resolves after the first frame and the default model.
        check('app ready (first frame, default model)', app.ready === 'ready', `${app.ready}, ${app.ready_ms} ms`);
        if (app.ready !== 'ready') return 1;
        const initial = await page.evaluate(() => window.genrescope.state());
        check('initial state: no result, no error, the default model', initial.result === null && initial.error === '' &&
              initial.model.labels.length >= 2 && initial.model.name !== '', JSON.stringify(initial.model));
        const backend = await page.evaluate(() => window.genrescope.backend);
        check('a backend was chosen', backend === 'wasm' || backend === 'webgpu', backend);
        await settle(page);
        const blank_stats = image_stats(await page.screenshot());

        // 2. A good file through a drop: classified, drawn.
        const good_name = path.basename(good_clip);
        await drop_file(page, good_clip);
        let s = await wait_state(page, `s.result && s.result.file === ${JSON.stringify(good_name)} && !s.busy`);
        const r = s.result;
        check('dropped WAV classified', s.error === '' && r.labels.length === r.probabilities.length &&
              r.segments.length > 0 && Math.abs(r.probabilities.reduce((a, b) => a + b, 0) - 1) < 1e-3,
              `top ${r.top}, ${r.segments.length} segments, ${r.duration_s} s, total ${r.timings_ms.total.toFixed(0)} ms`);
        const last = await page.evaluate(() => window.genrescope.lastResult);
        check('lastResult is state().result', JSON.stringify(last) === JSON.stringify(r));
        await settle(page, 10);
        const st = image_stats(await page.screenshot({ path: screenshot_path }));
        check('screenshot is not blank (spectrogram, bars, timeline)',
              st.stddev > 10 && st.colourful_fraction > k_min_colourful_fraction && blank_stats.colourful_fraction < 0.05,
              `luminance stddev ${st.stddev.toFixed(1)}, coloured ${(100 * st.colourful_fraction).toFixed(1)}% ` +
              `(before the drop ${(100 * blank_stats.colourful_fraction).toFixed(1)}%), ${screenshot_path}`);

        // 3. A bad file through the file picker: an error, no crash.
        await page.setInputFiles('#file_picker', bad_clip);
        s = await wait_state(page, `s.error.includes(${JSON.stringify(path.basename(bad_clip))})`);
        check('bad file reports an error', s.error.length > 0, JSON.stringify(s.error));
        await settle(page);
        await page.screenshot({ path: error_screenshot });

        // 4. Still working: the good file again (drop), after the error.
        await page.evaluate(() => { window.__gs_before = window.genrescope.lastResult; });
        await drop_file(page, good_clip);
        s = await wait_state(page, `s.error === '' && !s.busy && s.result !== null && s.result !== undefined && ` +
                                   `window.genrescope.lastResult !== window.__gs_before`);
        check('good file classified again after the error', s.result.file === good_name && s.result.top === r.top);

        // 5. Load model: bad pairs leave the current model and say why; the real pair (also via the picker) loads.
        const model_before = (await page.evaluate(() => window.genrescope.state())).model;
        const bad_models = {
            'not an ONNX file': `[new Blob(['not a model']), 'models/default.json']`,
            'card/model label mismatch': `['models/default.onnx', fetch('models/default.json').then((r) => r.json())
                .then((c) => ({ ...c, labels: c.labels.slice(0, 3), onnx_sha256: '' }))]`,
            'card that is not JSON': `['models/default.onnx', new Blob(['{ nope'])]`,
        };
        for (const [what, args_source] of Object.entries(bad_models)) {
            const res = await page.evaluate(`(async () => {
                const [onnx, card] = ${args_source};
                try { await window.genrescope.loadModel(onnx, await card); return 'loaded'; }
                catch (e) { return e instanceof Error ? e.message : 'not an Error'; } })()`);
            const st = await page.evaluate(() => window.genrescope.state());
            check(`Load model rejects a ${what}, keeps the current model`, res !== 'loaded' && res.startsWith('Load model:') &&
                  st.model.name === model_before.name && st.error.length > 0, res);
        }
        const after_bad = await page.evaluate(() => window.genrescope.classify('models/../models/default.json')
            .then(() => 'classified?', (e) => 'rejected'));
        check('a JSON file given to classify() is rejected', after_bad === 'rejected');
        const dist_models = path.join(dist_dir, 'models');
        await page.setInputFiles('#model_picker', [path.join(dist_models, 'default.onnx'), path.join(dist_models, 'default.json')]);
        s = await wait_state(page, `s.model.note === '' && s.model.name === ${JSON.stringify(model_before.name)}`);
        check('Load model through the picker (.onnx + card)', s.model.labels.length === model_before.labels.length);
        const again = await classify_in_page(page, good_clip);
        check('classifies with the reloaded model', !again.error && again.top === r.top &&
              JSON.stringify(again.probabilities) === JSON.stringify(r.probabilities), again.error || again.top);

        check('no request left the origin', app.foreign_requests.length === 0, app.foreign_requests.slice(0, 3).join(', '));
        check('no page errors', app.page_errors.length === 0, app.page_errors.slice(0, 3).join(' | '));
    } finally {
        await app.close();
    }

    // 6. Relative URLs only: the same files served under a path prefix (/dist/ of the parent folder).
    const prefixed = await open_app({ dist_dir: path.dirname(path.resolve(dist_dir)),
                                      query: `${path.basename(path.resolve(dist_dir))}/` });
    try {
        const r2 = prefixed.ready === 'ready' ? await classify_in_page(prefixed.page, good_clip) : { error: prefixed.ready };
        check('works under a path prefix', !r2.error && r2.top !== undefined && prefixed.foreign_requests.length === 0,
              r2.error || `${prefixed.url}${path.basename(path.resolve(dist_dir))}/`);
    } finally {
        await prefixed.close();
    }
    return 0;
}

await run_test(main);
