// microphone.mjs: the live path with Chromium's fake microphone (a clip played as capture): >= 4 updates per second,
// bars that are probabilities, a latency figure, stop; a denied permission gives a clear message.
// usage: tools/node tests/browser/microphone.mjs DIST_DIR SHARED_DIR SCREENSHOT.png
import fs from 'node:fs';
import path from 'node:path';
import { check, image_stats, open_app, run_test, settle, wait_state } from './lib.mjs';

const k_min_updates_per_s = 4;
const k_measure_ms = 3000;

async function main() {
    const [dist_dir, shared_dir, screenshot_path] = process.argv.slice(2);
    if (!dist_dir || !shared_dir || !screenshot_path) {
        console.error('usage: tools/node tests/browser/microphone.mjs DIST_DIR SHARED_DIR SCREENSHOT.png');
        return 2;
    }
    const clip = path.join(shared_dir, 'clips', 'rock.00005-10s-16s.wav');
    if (!fs.existsSync(clip)) {
        console.error(`microphone.mjs: missing ${clip}`);
        return 2;
    }
    fs.mkdirSync(path.dirname(path.resolve(screenshot_path)), { recursive: true });

    // 1. Fake capture device playing the clip.
    let app = await open_app({ dist_dir, extra_flags: ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
                                                      `--use-file-for-fake-audio-capture=${path.resolve(clip)}`] });
    try {
        check('app ready', app.ready === 'ready', app.ready);
        if (app.ready !== 'ready') return 1;
        const page = app.page;
        await page.evaluate(() => window.genrescope.startMicrophone());
        let s = await wait_state(page, 's.live.active && s.live.updates >= 2', 20000);
        const u0 = s.live.updates;
        const t0 = Date.now();
        await page.waitForTimeout(k_measure_ms);
        s = await page.evaluate(() => window.genrescope.state());
        const rate = (s.live.updates - u0) * 1000 / (Date.now() - t0);
        check(`>= ${k_min_updates_per_s} live updates per second`, rate >= k_min_updates_per_s,
              `${rate.toFixed(1)} updates/s, ${s.live.updates} updates, capture ${s.live.input_rate_hz} Hz`);
        const sum = s.live.probabilities.reduce((a, b) => a + b, 0);
        check('live bars are probabilities', s.live.probabilities.length === s.model.labels.length && Math.abs(sum - 1) < 1e-3,
              `sum ${sum.toFixed(4)}, top ${s.model.labels[s.live.probabilities.indexOf(Math.max(...s.live.probabilities))]}`);
        check('latency is reported', s.live.latency_ms > 0 && s.live.latency_ms < 1000, `${s.live.latency_ms.toFixed(0)} ms`);
        await settle(page, 10);
        const st = image_stats(await page.screenshot({ path: screenshot_path }));
        check('screenshot in microphone mode is not blank', st.stddev > 10 && st.colourful_fraction > 0.1,
              `stddev ${st.stddev.toFixed(1)}, ${screenshot_path}`);
        await page.evaluate(() => window.genrescope.stopMicrophone());
        s = await page.evaluate(() => window.genrescope.state());
        check('stopMicrophone() stops', !s.live.active);
        check('no request left the origin', app.foreign_requests.length === 0, app.foreign_requests.slice(0, 3).join(', '));
        check('no page errors', app.page_errors.length === 0, app.page_errors.slice(0, 3).join(' | '));
    } finally {
        await app.close();
    }

    // 2. Permission denied: a fake device but no fake-UI flag: headless Chromium dismisses the prompt.
    app = await open_app({ dist_dir, extra_flags: ['--use-fake-device-for-media-stream'] });
    try {
        await app.browser.contexts()[0].clearPermissions();
        const err = await app.page.evaluate(() => Promise.race([
            window.genrescope.startMicrophone().then(() => 'started', (e) => (e instanceof Error ? e.message : `not an Error: ${e}`)),
            new Promise((r) => setTimeout(() => r('timeout'), 15000))]));
        const s = await app.page.evaluate(() => window.genrescope.state());
        check('denied microphone: clear message, shown in the UI', /permission denied/.test(err) && s.error.includes(err) && !s.live.active,
              `${err} | ui: ${s.error}`);
    } finally {
        await app.close();
    }
    return 0;
}

await run_test(main);
