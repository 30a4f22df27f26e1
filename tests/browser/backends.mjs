// backends.mjs: the WebGPU backend (SwiftShader in headless Chromium, --enable-unsafe-webgpu) against the WASM one
// on a few clips: max |dp| <= 1e-4 over track and segment probabilities. Also: ?backend=wasm forces WASM.
// usage: tools/node tests/browser/backends.mjs DIST_DIR SHARED_DIR
import fs from 'node:fs';
import path from 'node:path';
import { check, classify_in_page, max_abs_diff, open_app, run_test } from './lib.mjs';

const k_tolerance = 1e-4;
const k_clips = ['rock.00005-10s-16s.wav', 'classical.00005-10s-16s.wav', 'jazz.00005-8s.mp3'];  // SwiftShader is slow

function diff(a, b) {
    let d = max_abs_diff(a.probabilities, b.probabilities);
    if (a.segments.length !== b.segments.length) return Infinity;
    a.segments.forEach((s, i) => { d = Math.max(d, max_abs_diff(s.probabilities, b.segments[i].probabilities)); });
    return d;
}

async function classify_all(app, clips) {
    const out = {};
    for (const c of clips) out[path.basename(c)] = await classify_in_page(app.page, c);
    return out;
}

async function main() {
    const [dist_dir, shared_dir] = process.argv.slice(2);
    if (!dist_dir || !shared_dir) {
        console.error('usage: tools/node tests/browser/backends.mjs DIST_DIR SHARED_DIR');
        return 2;
    }
    const clips = k_clips.map((f) => path.join(shared_dir, 'clips', f)).filter((f) => fs.existsSync(f));
    const gpu_flags = ['--enable-unsafe-webgpu'];
    let app = await open_app({ dist_dir, extra_flags: gpu_flags, query: '?backend=wasm' });
    let wasm;
    try {
        check('?backend=wasm: ready on WASM', app.ready === 'ready' &&
              (await app.page.evaluate(() => window.genrescope.backend)) === 'wasm');
        wasm = await classify_all(app, clips);
    } finally {
        await app.close();
    }
    app = await open_app({ dist_dir, extra_flags: gpu_flags });  // no ?backend: the WebGPU probe decides
    try {
        const backend = await app.page.evaluate(() => window.genrescope.backend);
        const s = await app.page.evaluate(() => window.genrescope.state());
        check('WebGPU adapter found and used by default', app.ready === 'ready' && backend === 'webgpu',
              `${backend}: ${s.model.note || ''}`);
        const gpu = await classify_all(app, clips);
        for (const c of clips) {
            const n = path.basename(c);
            const a = wasm[n], b = gpu[n];
            const ok = !a.error && !b.error && b.backend === 'webgpu' && a.backend === 'wasm';
            const d = ok ? diff(a, b) : Infinity;
            check(`WebGPU vs WASM: ${n}`, ok && d <= k_tolerance,
                  a.error || b.error || `max |dp| ${d.toExponential(2)}, webgpu ${b.timings_ms.inference.toFixed(0)} ms vs wasm ` +
                  `${a.timings_ms.inference.toFixed(0)} ms inference`);
        }
        check('no request left the origin', app.foreign_requests.length === 0, app.foreign_requests.slice(0, 3).join(', '));
    } finally {
        await app.close();
    }
    return 0;
}

await run_test(main);
