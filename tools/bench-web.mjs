// bench-web.mjs: browser app benchmarks (headless Chromium, WASM backend, no cross-origin isolation): cold page
// load, a 30-s WAV from drop to full result, a 5-minute mp3 (lame; else Ogg Vorbis through sox), microphone
// refresh rate and audio -> bars latency, the size of our wasm. Prints one line per number and a JSON summary.
// usage: tools/node tools/bench-web.mjs [--dist build/web/dist] [--shared ../shared] [--runs N]
// Test audio is generated under build/bench-web/ from the reference clips (../shared/clips/*.00005-10s-16s.wav).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { start_static_server } from './serve.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const k_flags = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync',
                 '--no-first-run', '--enable-unsafe-swiftshader', '--use-angle=swiftshader',
                 '--autoplay-policy=no-user-gesture-required'];

function parse_args(argv) {
    const o = { dist: path.join(root, 'build/web/dist'), shared: path.join(root, '../shared'), runs: 5 };
    for (let i = 0; i < argv.length; ++i) {
        if (argv[i] === '--dist') o.dist = argv[++i];
        else if (argv[i] === '--shared') o.shared = argv[++i];
        else if (argv[i] === '--runs') o.runs = Number(argv[++i]);
        else throw new Error(`unknown option ${argv[i]}`);
    }
    return o;
}

const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

// Concatenates the PCM16 mono 22.05 kHz reference clips into a WAV of duration_s seconds.
function make_wav(shared, duration_s, out) {
    const dir = path.join(shared, 'clips');
    const clips = fs.readdirSync(dir).filter((f) => /\.00005-10s-16s\.wav$/.test(f)).sort();
    const rate = 22050;
    const n = Math.round(duration_s * rate);
    const pcm = Buffer.alloc(n * 2);
    let pos = 0;
    for (let i = 0; pos < pcm.length; ++i) {
        const data = fs.readFileSync(path.join(dir, clips[i % clips.length])).subarray(44);
        pos += data.copy(pcm, pos, 0, Math.min(data.length, pcm.length - pos));
    }
    const h = Buffer.alloc(44);
    h.write('RIFF', 0); h.writeUInt32LE(36 + pcm.length, 4); h.write('WAVE', 8); h.write('fmt ', 12);
    h.writeUInt32LE(16, 16); h.writeUInt16LE(1, 20); h.writeUInt16LE(1, 22); h.writeUInt32LE(rate, 24);
    h.writeUInt32LE(rate * 2, 28); h.writeUInt16LE(2, 32); h.writeUInt16LE(16, 34); h.write('data', 36);
    h.writeUInt32LE(pcm.length, 40);
    fs.writeFileSync(out, Buffer.concat([h, pcm]));
    return out;
}

// A compressed 5-minute file: mp3 through lame when installed, else Ogg Vorbis through sox.
function make_compressed(wav, dir) {
    try {
        const mp3 = path.join(dir, 'five-minutes.mp3');
        if (!fs.existsSync(mp3)) execFileSync('lame', ['--quiet', '-b', '128', '--resample', '44.1', wav, mp3]);
        return mp3;
    } catch (e) {
        const ogg = path.join(dir, 'five-minutes.ogg');
        if (!fs.existsSync(ogg)) execFileSync('sox', [wav, '-r', '44100', ogg]);
        return ogg;
    }
}

async function open_page(browser, url) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const t0 = Date.now();
    await page.goto(url);
    await page.waitForFunction(() => window.genrescope !== undefined);
    await page.evaluate(() => window.genrescope.ready);
    return { page, context, load_ms: Date.now() - t0 };
}

// classify() timed in the page; via_drop: the same file dropped on the canvas (the user's path).
async function time_file(page, file_path, via_drop) {
    const base64 = fs.readFileSync(file_path).toString('base64');
    return page.evaluate(async ({ name, base64, via_drop }) => {
        const bytes = Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
        const file = new File([bytes], name);
        const t0 = performance.now();
        let result;
        if (via_drop) {
            const before = window.genrescope.lastResult;
            const transfer = new DataTransfer();
            transfer.items.add(file);
            document.getElementById('canvas').dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
            while (window.genrescope.lastResult === before) await new Promise((r) => setTimeout(r, 2));
            result = window.genrescope.lastResult;
        } else {
            result = await window.genrescope.classify(file);
        }
        return { wall_ms: performance.now() - t0, timings: result.timings_ms, segments: result.segments.length };
    }, { name: path.basename(file_path), base64, via_drop });
}

async function main() {
    const o = parse_args(process.argv.slice(2));
    const work = path.join(root, 'build', 'bench-web');
    fs.mkdirSync(work, { recursive: true });
    const wav30 = make_wav(o.shared, 30, path.join(work, 'thirty-seconds.wav'));
    const wav300 = make_wav(o.shared, 300, path.join(work, 'five-minutes.wav'));
    const compressed = make_compressed(wav300, work);
    const summary = { device: 'headless Chromium, WASM backend, 1 thread (no COOP/COEP)' };

    const { server, url } = await start_static_server({ dir: o.dist, port: 0 });
    let browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: k_flags });
    try {
        const loads = [];
        for (let i = 0; i < 3; ++i) {
            const p = await open_page(browser, url);  // a new context each time: empty cache (cold)
            loads.push(p.load_ms);
            await p.context.close();
        }
        summary.cold_load_ms = median(loads);
        console.log(`cold page load to ready (first frame + model session), median of 3: ${summary.cold_load_ms} ms`);

        const { page } = await open_page(browser, url);
        await time_file(page, wav30, false);  // warm-up
        const drops = [], calls = [];
        let last;
        for (let i = 0; i < o.runs; ++i) {
            last = await time_file(page, wav30, true);
            drops.push(last.wall_ms);
            calls.push((await time_file(page, wav30, false)).wall_ms);
        }
        summary.wav30_drop_to_result_ms = median(drops);
        summary.wav30_classify_ms = median(calls);
        summary.wav30_breakdown_ms = last.timings;
        console.log(`30-s WAV, drop to full result, median of ${o.runs}: ${summary.wav30_drop_to_result_ms.toFixed(0)} ms ` +
                    `(classify(): ${summary.wav30_classify_ms.toFixed(0)} ms; decode ${last.timings.decode.toFixed(0)}, ` +
                    `features ${last.timings.features.toFixed(0)}, inference ${last.timings.inference.toFixed(0)} ms, ${last.segments} segments)`);

        const long = [];
        for (let i = 0; i < 3; ++i) long.push(await time_file(page, compressed, false));
        const m = long.sort((a, b) => a.wall_ms - b.wall_ms)[1];
        summary.five_minutes_file = path.basename(compressed);
        summary.five_minutes_ms = m.wall_ms;
        summary.five_minutes_breakdown_ms = m.timings;
        console.log(`5-minute ${path.extname(compressed).slice(1)}, median of 3: ${m.wall_ms.toFixed(0)} ms (browser decode + ` +
                    `resample ${m.timings.decode.toFixed(0)}, features ${m.timings.features.toFixed(0)}, inference ` +
                    `${m.timings.inference.toFixed(0)} ms, ${m.segments} segments)`);
    } finally {
        await browser.close();
    }

    // Microphone: the 30-s WAV as Chromium's fake capture device.
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: [...k_flags,
        '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${wav30}`] });
    try {
        const { page } = await open_page(browser, url);
        const r = await page.evaluate(async () => {
            await window.genrescope.startMicrophone();
            while (window.genrescope.state().live.updates < 3) await new Promise((r) => setTimeout(r, 20));
            const s0 = window.genrescope.state().live;
            const t0 = performance.now();
            const latencies = [];
            let seen = s0.updates;
            while (performance.now() - t0 < 5000) {
                await new Promise((r) => setTimeout(r, 10));
                const s = window.genrescope.state().live;
                if (s.updates !== seen) {
                    latencies.push(s.latency_ms);
                    seen = s.updates;
                }
            }
            const s1 = window.genrescope.state().live;
            await window.genrescope.stopMicrophone();
            return { rate: (s1.updates - s0.updates) * 1000 / (performance.now() - t0), latencies };
        });
        r.latencies.sort((a, b) => a - b);
        summary.mic_updates_per_s = r.rate;
        summary.mic_latency_ms = { median: median(r.latencies), max: r.latencies[r.latencies.length - 1] };
        console.log(`microphone: ${r.rate.toFixed(1)} updates/s; audio -> bars latency median ${summary.mic_latency_ms.median.toFixed(0)} ms, ` +
                    `max ${summary.mic_latency_ms.max.toFixed(0)} ms (${r.latencies.length} updates)`);
    } finally {
        await browser.close();
        server.close();
    }
    summary.app_wasm_bytes = fs.statSync(path.join(o.dist, 'app.wasm')).size;
    summary.app_js_bytes = fs.statSync(path.join(o.dist, 'app.js')).size;
    console.log(`our wasm: ${(summary.app_wasm_bytes / 1048576).toFixed(2)} MiB (app.js ${(summary.app_js_bytes / 1024).toFixed(0)} KiB)`);
    console.log(JSON.stringify(summary));
}

await main();
