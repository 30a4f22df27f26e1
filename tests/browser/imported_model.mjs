// imported_model.mjs: a model made by `genrescope import yamnet` loads in the page through "Load model" (its card
// carries a graph of no archs.h architecture, YAMNet's front end, 521 labels, two outputs), classifies a clip,
// and agrees with `genrescope classify` on the same file.
// usage: node imported_model.mjs DIST_DIR SHARED_DIR GENRESCOPE WORK_DIR
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { check, classify_in_page, max_abs_diff, open_app, run_test } from './lib.mjs';

const [dist_dir, shared_dir, cli, work] = process.argv.slice(2);
if (!work) {
    console.error('usage: node imported_model.mjs DIST_DIR SHARED_DIR GENRESCOPE WORK_DIR');
    process.exit(2);
}

run_test(async () => {
    fs.rmSync(work, { recursive: true, force: true });
    const out = path.join(work, 'yamnet');
    execFileSync(cli, ['import', 'yamnet', path.join(shared_dir, 'pretrained/yamnet/yamnet_waveform_in.tflite'), '--out', out],
                 { stdio: 'inherit' });
    const onnx = fs.readFileSync(path.join(out, 'model.onnx')).toString('base64');
    const card = JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8'));
    const clip = path.join(shared_dir, 'clips/classical.00005-10s-16s.wav');
    const native = JSON.parse(execFileSync(cli, ['classify', '--model', path.join(out, 'model.onnx'), '--json', clip],
                                           { encoding: 'utf8', maxBuffer: 64 << 20 }))[0];
    const app = await open_app({ dist_dir });
    try {
        check('app ready', app.ready === 'ready', app.ready);
        const res = await app.page.evaluate(async ({ onnx, card }) => {
            const bytes = Uint8Array.from(atob(onnx), (ch) => ch.charCodeAt(0));
            try { await window.genrescope.loadModel(new Blob([bytes]), card); return 'loaded'; }
            catch (e) { return e instanceof Error ? e.message : String(e); }
        }, { onnx, card });
        const st = await app.page.evaluate(() => window.genrescope.state());
        check('Load model takes the imported YAMNet', res === 'loaded' && st.model.labels.length === 521, res);
        const r = await classify_in_page(app.page, clip);
        check('classifies a clip with it: top class Music', !r.error && r.top === 'Music', r.error || r.top);
        if (!r.error) {
            const d = max_abs_diff(r.probabilities, native.probabilities);
            check('agrees with genrescope classify (<= 1e-3)', d <= 1e-3, `max |dp| ${d.toExponential(2)}, ` +
                  `${r.segments.length} segments, ${r.timings_ms.inference.toFixed(0)} ms inference, backend ${r.backend}`);
        }
        check('no page errors', app.page_errors.length === 0, app.page_errors.slice(0, 3).join(' | '));
    } finally {
        await app.close();
    }
});
