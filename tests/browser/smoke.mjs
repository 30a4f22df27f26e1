// smoke.mjs: browser smoke test of the GenreScope page in headless Chromium (playwright-core): boot, drop, render, bad file.
// usage: node tests/browser/smoke.mjs DIST_DIR SHARED_DIR SCREENSHOT.png
//   DIST_DIR:       build/web/dist (index.html, bridge.js, app.js, app.wasm)
//   SHARED_DIR:     the team's reference material (../shared): clips/rock.00005-10s-16s.wav, clips/bad/text.wav
//   SCREENSHOT.png: where the screenshot of the loaded spectrogram goes (…-error.png beside it: the bad file)
// Prints one line per check, then "N passed, M failed"; exits 1 on any failure, 2 on a usage error.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';
import { start_static_server } from '../../tools/serve.mjs';

const k_chromium = process.env.GENRESCOPE_CHROMIUM || '/usr/bin/chromium';
const k_chromium_flags = [
    '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--no-first-run', '--enable-unsafe-swiftshader', '--use-angle=swiftshader',
];
const k_timeout_ms = 60000;          // per wait
const k_hop_length = 512;            // the app's log-mel hop, samples
const k_analysis_rate_hz = 22050;    // the app's analysis rate, Hz
const k_min_colourful_fraction = 0.2;  // of the screenshot's pixels, once a spectrogram is shown

let n_passed = 0;
let n_failed = 0;
function check(name, ok, detail = '') {
    if (ok) ++n_passed;
    else ++n_failed;
    console.log(`${ok ? 'PASS' : 'FAIL'} ${name}${detail ? ` (${detail})` : ''}`);
}

// Decodes an 8-bit RGB/RGBA, non-interlaced PNG (what Chromium's screenshots are) into {width, height, channels, pixels}.
function decode_png(buf) {
    if (buf.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
    let pos = 8;
    let width = 0, height = 0, bit_depth = 0, colour_type = 0, interlace = 0;
    const idat = [];
    while (pos < buf.length) {
        const len = buf.readUInt32BE(pos);
        const type = buf.toString('latin1', pos + 4, pos + 8);
        const data = buf.subarray(pos + 8, pos + 8 + len);
        if (type === 'IHDR') {
            width = data.readUInt32BE(0);
            height = data.readUInt32BE(4);
            bit_depth = data[8];
            colour_type = data[9];
            interlace = data[12];
        } else if (type === 'IDAT') idat.push(data);
        else if (type === 'IEND') break;
        pos += 12 + len;
    }
    const channels = { 2: 3, 6: 4 }[colour_type];
    if (bit_depth !== 8 || !channels || interlace !== 0) throw new Error(`unsupported PNG (type ${colour_type}, depth ${bit_depth})`);
    const raw = zlib.inflateSync(Buffer.concat(idat));
    const stride = width * channels;
    const pixels = Buffer.alloc(height * stride);
    for (let y = 0; y < height; ++y) {
        const filter = raw[y * (stride + 1)];
        const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
        const out = pixels.subarray(y * stride, (y + 1) * stride);
        const prev = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : Buffer.alloc(stride);
        for (let i = 0; i < stride; ++i) {
            const a = i >= channels ? out[i - channels] : 0;
            const b = prev[i];
            const c = i >= channels ? prev[i - channels] : 0;
            let p;
            switch (filter) {
                case 0: p = 0; break;
                case 1: p = a; break;
                case 2: p = b; break;
                case 3: p = (a + b) >> 1; break;
                case 4: {  // Paeth
                    const pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c);
                    p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
                    break;
                }
                default: throw new Error(`bad PNG filter ${filter}`);
            }
            out[i] = (line[i] + p) & 0xff;
        }
    }
    return { width, height, channels, pixels };
}

// Luminance standard deviation and the fraction of clearly coloured pixels (max - min channel > 40).
function image_stats(png) {
    const { width, height, channels, pixels } = decode_png(png);
    let sum = 0, sum2 = 0, colourful = 0;
    const n = width * height;
    for (let i = 0; i < n; ++i) {
        const r = pixels[i * channels], g = pixels[i * channels + 1], b = pixels[i * channels + 2];
        const lum = 0.2126 * r + 0.7152 * g + 0.0722 * b;
        sum += lum;
        sum2 += lum * lum;
        if (Math.max(r, g, b) - Math.min(r, g, b) > 40) ++colourful;
    }
    const mean = sum / n;
    return { width, height, stddev: Math.sqrt(Math.max(0, sum2 / n - mean * mean)), colourful_fraction: colourful / n };
}

// Drops `file_path` on the page the way a user's drag and drop does (a DragEvent carrying a File).
async function drop_file(page, file_path) {
    const name = path.basename(file_path);
    const base64 = fs.readFileSync(file_path).toString('base64');
    await page.evaluate(({ name, base64 }) => {
        const bytes = Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], name, { type: 'audio/wav' }));
        const target = document.getElementById('canvas');
        target.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
        target.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, { name, base64 });
}

// Waits until the app's state() satisfies `predicate_source` (a JS expression over `s`); returns the state.
async function wait_state(page, predicate_source) {
    await page.waitForFunction(`(() => { const s = window.genrescope.state(); return ${predicate_source}; })()`,
                               null, { timeout: k_timeout_ms, polling: 50 });
    return page.evaluate(() => window.genrescope.state());
}

// Lets the app draw a few frames (the view re-renders on the next animation frame).
async function settle(page) {
    await page.evaluate(() => new Promise((resolve) => {
        let n = 0;
        const tick = () => (++n >= 5 ? resolve() : requestAnimationFrame(tick));
        requestAnimationFrame(tick);
    }));
}

function expected_frames(duration_s) {
    return 1 + Math.floor(Math.round(duration_s * k_analysis_rate_hz) / k_hop_length);  // centred STFT
}

async function main() {
    const [dist_dir, shared_dir, screenshot_path] = process.argv.slice(2);
    if (!dist_dir || !shared_dir || !screenshot_path) {
        console.error('usage: node tests/browser/smoke.mjs DIST_DIR SHARED_DIR SCREENSHOT.png');
        return 2;
    }
    const good_clip = path.join(shared_dir, 'clips', 'rock.00005-10s-16s.wav');
    const bad_clip = path.join(shared_dir, 'clips', 'bad', 'text.wav');
    for (const f of [path.join(dist_dir, 'index.html'), path.join(dist_dir, 'app.wasm'), good_clip, bad_clip]) {
        if (!fs.existsSync(f)) {
            console.error(`smoke.mjs: missing ${f}`);
            return 2;
        }
    }
    fs.mkdirSync(path.dirname(path.resolve(screenshot_path)), { recursive: true });
    const error_screenshot = screenshot_path.replace(/(\.png)?$/i, '-error.png');

    const { server, url } = await start_static_server({ dir: dist_dir, port: 0 });
    const origin = new URL(url).origin;
    const browser = await chromium.launch({ executablePath: k_chromium, headless: true, args: k_chromium_flags });
    const foreign_requests = [];
    const page_errors = [];
    try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
        page.on('request', (req) => {
            const u = req.url();
            if (!u.startsWith('data:') && !u.startsWith('blob:') && new URL(u).origin !== origin) foreign_requests.push(u);
        });
        page.on('pageerror', (err) => page_errors.push(String(err)));
        page.on('console', (msg) => {
            if (msg.type() === 'error') page_errors.push(`console: ${msg.text()}`);
        });

        // 1. Boot: ready resolves after the first frame.
        const t0 = Date.now();
        await page.goto(url);
        await page.waitForFunction(() => window.genrescope !== undefined, null, { timeout: k_timeout_ms });
        const ready = await page.evaluate(() =>
            Promise.race([window.genrescope.ready.then(() => 'ready', (e) => `rejected: ${e}`),
                          new Promise((r) => setTimeout(() => r('timeout'), 60000))]));
        check('app ready (first frame rendered)', ready === 'ready', `${ready}, ${Date.now() - t0} ms`);
        if (ready !== 'ready') return 1;
        const initial = await page.evaluate(() => window.genrescope.state());
        check('initial state is empty', initial.file === '' && initial.error === '' && initial.frames === 0,
              JSON.stringify(initial));
        await settle(page);
        const blank_stats = image_stats(await page.screenshot());

        // 2. A good file through a drop: log-mel computed and drawn.
        const good_name = path.basename(good_clip);
        await drop_file(page, good_clip);
        let s = await wait_state(page, `s.frames > 0 && s.file === ${JSON.stringify(good_name)}`);
        check('dropped WAV analysed', s.error === '' && s.n_mels === 128 && s.frames === expected_frames(s.duration_s),
              `${s.frames} frames x ${s.n_mels} mels, ${s.duration_s} s, ${s.format}, decode ${s.decode_ms.toFixed(1)} ms, ` +
              `log-mel ${s.features_ms.toFixed(1)} ms`);
        await settle(page);
        const shot = await page.screenshot({ path: screenshot_path });
        const st = image_stats(shot);
        check('screenshot shows a spectrogram',
              st.stddev > 10 && st.colourful_fraction > k_min_colourful_fraction && blank_stats.colourful_fraction < 0.05,
              `luminance stddev ${st.stddev.toFixed(1)}, coloured ${(100 * st.colourful_fraction).toFixed(1)}% ` +
              `(before the drop ${(100 * blank_stats.colourful_fraction).toFixed(1)}%), ${screenshot_path}`);

        // 3. A bad file through the file picker: an error line, no crash.
        await page.setInputFiles('#file_picker', bad_clip);
        s = await wait_state(page, `s.file === ${JSON.stringify(path.basename(bad_clip))}`);
        check('bad file reports an error', s.error.length > 0 && s.frames === 0, JSON.stringify(s.error));
        await settle(page);
        await page.screenshot({ path: error_screenshot });

        // 4. Still working: the good file again (drop), after the error.
        await drop_file(page, good_clip);
        s = await wait_state(page, `s.file === ${JSON.stringify(good_name)}`);
        check('good file loads again after the error', s.error === '' && s.frames === expected_frames(s.duration_s),
              `${s.frames} frames`);
        await settle(page);

        // 5. A 44.1 kHz stereo file: averaged to mono and resampled to the analysis rate.
        const stereo_clip = path.join(shared_dir, 'clips', 'rock.00005-44k-stereo.wav');
        if (fs.existsSync(stereo_clip)) {
            await page.setInputFiles('#file_picker', stereo_clip);
            s = await wait_state(page, `s.file === ${JSON.stringify(path.basename(stereo_clip))}`);
            check('44.1 kHz stereo file resampled', s.error === '' && s.sample_rate_hz === 44100 &&
                  s.frames === expected_frames(s.duration_s), `${s.frames} frames, ${s.duration_s} s, ${s.format}`);
        }

        check('no request left the origin', foreign_requests.length === 0, foreign_requests.slice(0, 3).join(', '));
        check('no page errors', page_errors.length === 0, page_errors.slice(0, 3).join(' | '));
    } finally {
        await browser.close();
        server.close();
    }
    return n_failed > 0 ? 1 : 0;
}

let rc;
try {
    rc = await main();
} catch (e) {
    check('smoke test ran to the end', false, e.stack || String(e));
    rc = 1;
}
console.log(`${n_passed} passed, ${n_failed} failed`);
process.exit(rc === 2 ? 2 : n_failed > 0 ? 1 : rc);
