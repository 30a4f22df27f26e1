// bench-web.mjs: browser app benchmarks (headless Chromium, WASM backend, no cross-origin isolation): cold page
// load, a 30-s WAV from drop to full result, a 5-minute mp3 (lame; else Ogg Vorbis through sox), microphone
// refresh rate and audio -> bars latency, model file size, the size of our wasm; for one or more models.
// Prints one line per number, a table when several models were measured, and a JSON summary.
// usage: tools/node tools/bench-web.mjs [--dist build/web/dist] [--shared ../shared] [--runs N]
//                                       [--model default|DIR|FILE.onnx]...   (default: the dist's own model)
//   --model DIR: DIR/model.onnx + DIR/model.json (a training run or `genrescope quantize` output); FILE.onnx: its
//   card is FILE.json, else model.json beside it. Each model is served as the page's default (a copy of dist/
//   under build/bench-web/ with links to dist's files and the model in models/), so the cold load loads it.
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
    const o = { dist: path.join(root, 'build/web/dist'), shared: path.join(root, '../shared'), runs: 5, models: [] };
    for (let i = 0; i < argv.length; ++i) {
        const value = () => {
            if (i + 1 >= argv.length) throw new Error(`${argv[i]} needs a value`);
            return argv[++i];
        };
        if (argv[i] === '--dist') o.dist = value();
        else if (argv[i] === '--shared') o.shared = value();
        else if (argv[i] === '--runs') o.runs = Number(value());
        else if (argv[i] === '--model') o.models.push(value());
        else throw new Error(`unknown option ${argv[i]}`);
    }
    if (o.models.length === 0) o.models.push('default');
    return o;
}

const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

// {onnx, card} paths of a --model value ('default': the dist's own models/default.*).
function model_files(spec, dist) {
    if (spec === 'default')
        return { onnx: path.join(dist, 'models/default.onnx'), card: path.join(dist, 'models/default.json') };
    let onnx, card;
    if (fs.existsSync(spec) && fs.statSync(spec).isDirectory()) {
        onnx = path.join(spec, 'model.onnx');
        card = path.join(spec, 'model.json');
    } else {
        onnx = spec;
        const twin = spec.replace(/\.onnx$/i, '.json');
        card = twin !== spec && fs.existsSync(twin) ? twin : path.join(path.dirname(spec), 'model.json');
    }
    for (const f of [onnx, card]) if (!fs.existsSync(f)) throw new Error(`--model ${spec}: no ${f}`);
    return { onnx, card };
}

// A folder that serves dist/ with `files` as its default model: links to dist's entries, models/ a real folder.
function dist_with_model(dist, files, dir) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(path.join(dir, 'models'), { recursive: true });
    for (const entry of fs.readdirSync(dist))
        if (entry !== 'models') fs.symlinkSync(path.resolve(dist, entry), path.join(dir, entry));
    fs.copyFileSync(files.onnx, path.join(dir, 'models/default.onnx'));
    fs.copyFileSync(files.card, path.join(dir, 'models/default.json'));
    return dir;
}

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
    const note = await page.evaluate(() => window.genrescope.state().model);
    if (note.note && !note.name) throw new Error(`the page did not load the model: ${note.note}`);
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
        return { wall_ms: performance.now() - t0, timings: result.timings_ms, segments: result.segments.length,
                 analysed: result.analysed || null };
    }, { name: path.basename(file_path), base64, via_drop });
}

// "decode 1, features 68, inference 117 (6 batches), other 20 ms; 31 of 31 windows"
function breakdown(r) {
    const t = r.timings;
    const other = t.total - t.decode - t.features - t.inference;
    const a = r.analysed ? `; ${r.analysed.windows} of ${r.analysed.of} windows analysed` : `; ${r.segments} segments`;
    return `decode ${t.decode.toFixed(0)}, features ${t.features.toFixed(0)}, inference ${t.inference.toFixed(0)}` +
           `${t.batches !== undefined ? ` (${t.batches} batches)` : ''}, other ${other.toFixed(0)} ms${a}`;
}

// Every benchmark for the page served from dist_dir (whose models/default.* is the model measured).
async function bench_dist(o, dist_dir, audio) {
    const summary = {};
    const { server, url } = await start_static_server({ dir: dist_dir, port: 0 });
    let browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: k_flags });
    try {
        const loads = [];
        for (let i = 0; i < 3; ++i) {
            const p = await open_page(browser, url);  // a new context each time: empty cache (cold)
            loads.push(p.load_ms);
            await p.context.close();
        }
        summary.cold_load_ms = median(loads);
        console.log(`  cold page load to ready (first frame + model session), median of 3: ${summary.cold_load_ms} ms`);

        const { page } = await open_page(browser, url);
        summary.model = await page.evaluate(() => window.genrescope.state().model.name);
        await time_file(page, audio.wav30, false);  // warm-up
        const drops = [], calls = [];
        for (let i = 0; i < o.runs; ++i) {
            drops.push(await time_file(page, audio.wav30, true));
            calls.push((await time_file(page, audio.wav30, false)).wall_ms);
        }
        const mid = drops.sort((a, b) => a.wall_ms - b.wall_ms)[Math.floor(drops.length / 2)];
        summary.wav30_drop_to_result_ms = mid.wall_ms;
        summary.wav30_classify_ms = median(calls);
        summary.wav30_breakdown_ms = mid.timings;
        summary.wav30_analysed = mid.analysed;
        console.log(`  30-s WAV, drop to full result, median of ${o.runs}: ${mid.wall_ms.toFixed(0)} ms ` +
                    `(classify(): ${summary.wav30_classify_ms.toFixed(0)} ms; ${breakdown(mid)})`);

        const long = [];
        for (let i = 0; i < 3; ++i) long.push(await time_file(page, audio.compressed, false));
        const m = long.sort((a, b) => a.wall_ms - b.wall_ms)[1];
        summary.five_minutes_file = path.basename(audio.compressed);
        summary.five_minutes_ms = m.wall_ms;
        summary.five_minutes_breakdown_ms = m.timings;
        summary.five_minutes_analysed = m.analysed;
        console.log(`  5-minute ${path.extname(audio.compressed).slice(1)}, median of 3: ${m.wall_ms.toFixed(0)} ms ` +
                    `(decode = browser decode + resample; ${breakdown(m)})`);
    } finally {
        await browser.close();
    }

    // Microphone: the 30-s WAV as Chromium's fake capture device.
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: [...k_flags,
        '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${audio.wav30}`] });
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
        console.log(`  microphone: ${r.rate.toFixed(1)} updates/s; audio -> bars latency median ` +
                    `${summary.mic_latency_ms.median.toFixed(0)} ms, max ${summary.mic_latency_ms.max.toFixed(0)} ms ` +
                    `(${r.latencies.length} updates)`);
    } finally {
        await browser.close();
        server.close();
    }
    return summary;
}

function print_table(results) {
    const rows = [
        ['model file', (r) => `${(r.model_bytes / 1e6).toFixed(2)} MB`, '<= 5 MB'],
        ['cold load to ready', (r) => `${(r.cold_load_ms / 1000).toFixed(2)} s`, '<= 3 s'],
        ['30-s WAV, drop to full result', (r) => `${r.wav30_drop_to_result_ms.toFixed(0)} ms`, '<= 300 ms'],
        ['5-minute file, to full result', (r) => `${(r.five_minutes_ms / 1000).toFixed(2)} s` +
            (r.five_minutes_analysed ? ` (${r.five_minutes_analysed.windows}/${r.five_minutes_analysed.of} windows)` : ''), '<= 2 s'],
        ['microphone updates', (r) => `${r.mic_updates_per_s.toFixed(1)}/s`, '>= 4/s'],
        ['microphone audio -> bars', (r) => `${r.mic_latency_ms.median.toFixed(0)} ms (max ${r.mic_latency_ms.max.toFixed(0)})`, '<= 200 ms'],
    ];
    console.log(`\n| metric | ${results.map((r) => `${r.model} (${r.spec})`).join(' | ')} | budget |`);
    console.log(`|---|${results.map(() => '---|').join('')}---|`);
    for (const [name, cell, budget] of rows) console.log(`| ${name} | ${results.map(cell).join(' | ')} | ${budget} |`);
}

async function main() {
    const o = parse_args(process.argv.slice(2));
    const work = path.join(root, 'build', 'bench-web');
    fs.mkdirSync(work, { recursive: true });
    const wav30 = make_wav(o.shared, 30, path.join(work, 'thirty-seconds.wav'));
    const wav300 = make_wav(o.shared, 300, path.join(work, 'five-minutes.wav'));
    const audio = { wav30, compressed: make_compressed(wav300, work) };
    const results = [];
    for (const [i, spec] of o.models.entries()) {
        const files = model_files(spec, o.dist);
        const dist_dir = spec === 'default' ? o.dist : dist_with_model(o.dist, files, path.join(work, `dist-${i}`));
        console.log(`model ${spec} (${files.onnx})`);
        const r = { spec, ...(await bench_dist(o, dist_dir, audio)) };
        r.model_bytes = fs.statSync(files.onnx).size;
        console.log(`  model file: ${(r.model_bytes / 1e6).toFixed(2)} MB`);
        results.push(r);
    }
    const summary = { device: 'headless Chromium, WASM backend, 1 thread (no COOP/COEP)', models: results };
    summary.app_wasm_bytes = fs.statSync(path.join(o.dist, 'app.wasm')).size;
    summary.app_js_bytes = fs.statSync(path.join(o.dist, 'app.js')).size;
    console.log(`our wasm: ${(summary.app_wasm_bytes / 1048576).toFixed(2)} MiB (app.js ${(summary.app_js_bytes / 1024).toFixed(0)} KiB)`);
    if (results.length > 1) print_table(results);
    console.log(JSON.stringify(summary));
}

await main();
