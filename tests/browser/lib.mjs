// lib.mjs: helpers the browser tests share: Chromium launch with the flags that work here, a static server for
// dist/, check() bookkeeping, PNG statistics for screenshots, and feeding files to the page.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';
import { start_static_server } from '../../tools/serve.mjs';

export const k_chromium = process.env.GENRESCOPE_CHROMIUM || '/usr/bin/chromium';
export const k_chromium_flags = [
    '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--no-first-run', '--enable-unsafe-swiftshader', '--use-angle=swiftshader',
    '--autoplay-policy=no-user-gesture-required',
];
export const k_timeout_ms = 60000;  // per wait

let n_passed = 0;
let n_failed = 0;
export function check(name, ok, detail = '') {
    if (ok) ++n_passed;
    else ++n_failed;
    console.log(`${ok ? 'PASS' : 'FAIL'} ${name}${detail ? ` (${detail})` : ''}`);
    return ok;
}

// Runs main() (returns 0, 1 or 2 for a usage error), prints the tally and exits with the right status.
export async function run_test(main) {
    let rc;
    try {
        rc = await main();
    } catch (e) {
        check('test ran to the end', false, e.stack || String(e));
        rc = 1;
    }
    console.log(`${n_passed} passed, ${n_failed} failed`);
    process.exit(rc === 2 ? 2 : n_failed > 0 ? 1 : rc);
}

// Decodes an 8-bit RGB/RGBA, non-interlaced PNG (what Chromium's screenshots are) into {width, height, channels, pixels}.
export function decode_png(buf) {
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
export function image_stats(png) {
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

// Serves dist_dir on a free localhost port and opens a page on it. Records requests to other origins and page
// errors. extra_flags: more Chromium flags; query: appended to the URL ("?backend=wasm").
export async function open_app({ dist_dir, extra_flags = [], query = '', viewport = { width: 1280, height: 800 },
                                 isolate = false }) {
    const { server, url } = await start_static_server({ dir: dist_dir, port: 0, isolate });
    const origin = new URL(url).origin;
    const browser = await chromium.launch({ executablePath: k_chromium, headless: true,
                                            args: [...k_chromium_flags, ...extra_flags] });
    const foreign_requests = [];
    const page_errors = [];
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    page.on('request', (req) => {
        const u = req.url();
        if (!u.startsWith('data:') && !u.startsWith('blob:') && new URL(u).origin !== origin) foreign_requests.push(u);
    });
    page.on('pageerror', (err) => page_errors.push(String(err)));
    page.on('console', (msg) => {
        if (msg.type() === 'error') page_errors.push(`console: ${msg.text()}`);
    });
    const t0 = Date.now();
    await page.goto(url + query);
    await page.waitForFunction(() => window.genrescope !== undefined, null, { timeout: k_timeout_ms });
    const ready = await page.evaluate((ms) =>
        Promise.race([window.genrescope.ready.then(() => 'ready', (e) => `rejected: ${e}`),
                      new Promise((r) => setTimeout(() => r('timeout'), ms))]), k_timeout_ms);
    const close = async () => {
        await browser.close();
        server.close();
    };
    return { browser, page, url, origin, foreign_requests, page_errors, ready, ready_ms: Date.now() - t0, close };
}

// classify() in the page on a File made from file_path; resolves to the result or {error: message}.
export async function classify_in_page(page, file_path) {
    const name = path.basename(file_path);
    const base64 = fs.readFileSync(file_path).toString('base64');
    return page.evaluate(async ({ name, base64 }) => {
        const bytes = Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
        try {
            return await window.genrescope.classify(new File([bytes], name));
        } catch (e) {
            return { error: e instanceof Error ? e.message : `not an Error: ${e}` };
        }
    }, { name, base64 });
}

// Drops `file_path` on the page the way a user's drag and drop does (a DragEvent carrying a File).
export async function drop_file(page, file_path) {
    const name = path.basename(file_path);
    const base64 = fs.readFileSync(file_path).toString('base64');
    await page.evaluate(({ name, base64 }) => {
        const bytes = Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], name));
        const target = document.getElementById('canvas');
        target.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
        target.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, { name, base64 });
}

// Waits until state() satisfies `predicate_source` (a JS expression over `s`); returns the state.
export async function wait_state(page, predicate_source, timeout = k_timeout_ms) {
    await page.waitForFunction(`(() => { const s = window.genrescope.state(); return ${predicate_source}; })()`,
                               null, { timeout, polling: 50 });
    return page.evaluate(() => window.genrescope.state());
}

// Lets the app draw a few frames.
export async function settle(page, n_frames = 5) {
    await page.evaluate((n_frames) => new Promise((resolve) => {
        let n = 0;
        const tick = () => (++n >= n_frames ? resolve() : requestAnimationFrame(tick));
        requestAnimationFrame(tick);
    }), n_frames);
}

// The good clips (not bad/) of SHARED_DIR/clips, sorted.
export function good_clips(shared_dir) {
    const dir = path.join(shared_dir, 'clips');
    return fs.readdirSync(dir).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort().map((f) => path.join(dir, f));
}

export function max_abs_diff(a, b) {
    if (!a || !b || a.length !== b.length) return Infinity;
    let m = 0;
    for (let i = 0; i < a.length; ++i) m = Math.max(m, Math.abs(a[i] - b[i]));
    return m;
}
