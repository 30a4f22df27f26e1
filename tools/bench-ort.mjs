// bench-ort.mjs: times an exported model on ONNX Runtime Web's WASM backend under Node (ms per 3-s segment).
// usage: tools/node tools/bench-ort.mjs MODEL.onnx [--batch 8] [--runs 30] [--json]
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-web';

const args = process.argv.slice(2);
const model = args.find((a) => !a.startsWith('--'));
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
if (!model) {
  console.error('usage: tools/node tools/bench-ort.mjs MODEL.onnx [--batch 8] [--runs 30] [--json]');
  process.exit(2);
}
ort.env.wasm.numThreads = 1;  // a page without cross-origin isolation runs single-threaded
ort.env.logLevel = 'error';
const session = await ort.InferenceSession.create(readFileSync(model), { executionProviders: ['wasm'] });
const inputName = session.inputNames[0];
// The input shape comes from the model: [batch, 1, bins, frames].
const meta = session.inputMetadata?.[0] ?? null;
let dims = meta && meta.shape ? meta.shape.slice(1).map(Number) : null;
if (!dims || dims.some((d) => !Number.isFinite(d))) {
  console.error('cannot read the input shape from the model');
  process.exit(1);
}
const results = {};
for (const batch of [1, opt('batch', 8)]) {
  const size = batch * dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  for (let i = 0; i < size; ++i) data[i] = Math.sin(i * 0.37);
  const feeds = { [inputName]: new ort.Tensor('float32', data, [batch, ...dims]) };
  for (let i = 0; i < 3; ++i) await session.run(feeds);  // warm-up
  const times = [];
  for (let r = 0; r < opt('runs', 30); ++r) {
    const t0 = performance.now();
    await session.run(feeds);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  results[`batch${batch}`] = { median_ms: median, min_ms: times[0], ms_per_segment: median / batch };
}
if (args.includes('--json')) {
  console.log(JSON.stringify({ model, input: [ 'batch', ...dims ], backend: 'wasm', threads: 1, ...results }));
} else {
  for (const [k, v] of Object.entries(results)) {
    console.log(`${model} ${k}: median ${v.median_ms.toFixed(2)} ms, ${v.ms_per_segment.toFixed(2)} ms/segment (wasm, 1 thread)`);
  }
}
