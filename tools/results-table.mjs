// results-table.mjs: gathers protocol A and B runs into the Markdown table of docs/RESULTS.md.
// usage: tools/node tools/results-table.mjs RUNS_DIR [--no-bench]   (the table, the paired tests, the seed spread)
//   RUNS_DIR/A/<arch>/report.json         protocol A (fault-filtered split): test track accuracy, macro-F1
//   RUNS_DIR/B/<arch>/kfold_summary.json  protocol B (5-fold CV): mean +- std
//   RUNS_DIR/seeds/<name>/A/<arch>/        protocol A again with other --seed values (seed spread)
// Parameters come from `build/native/genrescope archs`; ONNX size and WASM ms/segment (batch 8, 1 thread,
// tools/bench-ort.mjs) from the A run's model.onnx; $GENRESCOPE_BIN overrides the executable. A missing run prints "not run"; a k-fold run stopped part
// way (no kfold_summary.json yet; `train --resume` continues it) prints the mean of its finished folds, marked.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const runs = args.find((a) => !a.startsWith('--'));
if (!runs) {
  console.error('usage: tools/node tools/results-table.mjs RUNS_DIR [--no-bench]');
  process.exit(2);
}
const bin = process.env.GENRESCOPE_BIN || join(root, 'build/native/genrescope');  // any build with the trainer
const archs = execFileSync(bin, ['archs'], { encoding: 'utf8' })
  .trim()
  .split('\n')
  .map((line) => {
    const m = line.match(/^(\S+)\s+(\S+)\s+(-?\d+) params/);
    return m ? { name: m[1], feature: m[2], params: Number(m[3]) } : null;
  })
  .filter(Boolean);

const read = (p) => (existsSync(p) ? JSON.parse(readFileSync(p, 'utf8')) : null);
// The folds of a k-fold run folder whose report.json was written after their last checkpoint (finished).
const finishedFolds = (dir, k) => {
  const out = [];
  for (let i = 0; i < k; ++i) {
    const rep = join(dir, `fold_${i}`, 'report.json');
    const ckpt = join(dir, `fold_${i}`, 'checkpoint.pt');
    if (!existsSync(rep) || (existsSync(ckpt) && statSync(ckpt).mtimeMs > statSync(rep).mtimeMs)) continue;
    const t = read(rep).metrics.test.track;
    out.push({ fold: i, acc: t.accuracy, f1: t.macro_f1 });
  }
  return out;
};
const pct = (x) => (Number.isFinite(x) ? (100 * x).toFixed(1) : 'n/a');
const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;
const sampleStd = (xs) => Math.sqrt(xs.reduce((s, x) => s + (x - mean(xs)) ** 2, 0) / (xs.length - 1));
const rows = [];
for (const a of archs) {
  const A = read(join(runs, 'A', a.name, 'report.json'));
  const B = read(join(runs, 'B', a.name, 'kfold_summary.json'));
  const onnx = join(runs, 'A', a.name, 'model.onnx');
  let size = 'n/a';
  let ms = 'n/a';
  if (existsSync(onnx)) {
    size = (statSync(onnx).size / 1e6).toFixed(2);
    if (!args.includes('--no-bench')) {
      const out = execFileSync(process.execPath, [join(root, 'tools/bench-ort.mjs'), onnx, '--json', '--runs', '20'], { encoding: 'utf8' });
      ms = JSON.parse(out).batch8.ms_per_segment.toFixed(2);
    }
  }
  const a_acc = A ? pct(A.metrics.test.track.accuracy) : 'not run';
  const a_f1 = A ? A.metrics.test.track.macro_f1.toFixed(3) : 'not run';
  let b_acc = B ? `${pct(B.test_track_accuracy.mean)} ± ${pct(B.test_track_accuracy.std)}` : 'not run';
  let b_f1 = B ? `${B.test_track_macro_f1.mean.toFixed(3)} ± ${B.test_track_macro_f1.std.toFixed(3)}` : 'not run';
  if (!B) {
    const done = finishedFolds(join(runs, 'B', a.name), 5);
    if (done.length === 5) {
      // Every fold finished as its own `--split kfold:5:I` run (no kfold_summary.json): the same mean and
      // sample standard deviation that summarize_folds writes.
      const ms = (xs, f) => `${f(mean(xs))} ± ${f(sampleStd(xs))}`;
      b_acc = ms(done.map((f) => f.acc), pct);
      b_f1 = ms(done.map((f) => f.f1), (x) => x.toFixed(3));
    } else if (done.length > 0) {
      const which = `folds ${done.map((f) => f.fold).join(', ')} of 0-4 only`;
      b_acc = `${pct(mean(done.map((f) => f.acc)))} (${which})`;
      b_f1 = `${mean(done.map((f) => f.f1)).toFixed(3)} (${which})`;
    }
  }
  rows.push(`| ${a.name} | ${a.feature} | ${a_acc} | ${a_f1} | ${b_acc} | ${b_f1} | ${a.params.toLocaleString('en')} | ${size} | ${ms} |`);
}
console.log('| arch | input | A: test track acc. % (142) | A: macro-F1 | B: acc. % (5-fold, mean ± std) | B: macro-F1 | parameters | ONNX MB | WASM ms/segment |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);

// Paired comparisons: is each architecture's difference from genrescope_cnn on the same test tracks more than
// chance? Protocol A: the 142 test tracks; protocol B: every fold's test tracks pooled (each track is tested
// once; the folds are the same for every architecture, seed 1). Track verdicts are recomputed from
// predictions.json (argmax of the mean segment softmax at the run's temperature, or of the mean log-softmax for
// runs whose card aggregates by geometric mean, as the reports score them)
// and checked against report.json. Exact two-sided McNemar test on the discordant tracks.
// ref: McNemar (1947); exact form: a binomial test of b against Binomial(b + c, 1/2).
const trackVerdicts = (dir) => {
  const p = read(join(dir, 'predictions.json'));
  const rep = read(join(dir, 'report.json'));
  if (!p || !p.test || !rep) return null;
  const T = rep.calibration?.temperature ?? 1;
  // The run's aggregation (its card): mean of segment probabilities, or geometric mean (mean log-probability).
  const geometric = read(join(dir, 'model.json'))?.segment?.aggregation === 'geometric_mean';
  const t = p.test;
  const k = p.labels.length;
  const sum = new Map(); // track key -> label and summed probabilities
  let last = null;
  let n_keys = 0;
  for (let s = 0; s < t.segment_labels.length; ++s) {
    // track_keys lists the tracks in the order their runs of segments appear (finalize.cpp).
    if (t.segment_track_ids[s] !== last) ++n_keys;
    last = t.segment_track_ids[s];
    const z = t.logits.slice(s * k, (s + 1) * k).map((x) => x / T);
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const tot = e.reduce((a, b) => a + b, 0);
    const id = t.track_keys[n_keys - 1];
    if (!sum.has(id)) sum.set(id, { label: t.segment_labels[s], p: new Array(k).fill(0) });
    const acc = sum.get(id).p;
    for (let c = 0; c < k; ++c) acc[c] += geometric ? Math.log(Math.max(e[c] / tot, 1e-12)) : e[c] / tot;
  }
  const right = new Map();
  for (const [key, v] of sum) right.set(key, v.p.indexOf(Math.max(...v.p)) === v.label);
  const acc = [...right.values()].filter(Boolean).length / right.size;
  if (Math.abs(acc - rep.metrics.test.track.accuracy) > 1e-9) {
    console.error(`${dir}: recomputed test track accuracy ${acc} differs from report.json's; left out`);
    return null;
  }
  return right;
};
const protocolVerdicts = (protocol, arch) => {
  if (protocol === 'A') return trackVerdicts(join(runs, 'A', arch));
  const merged = new Map();
  for (const f of finishedFolds(join(runs, 'B', arch), 5)) {
    const v = trackVerdicts(join(runs, 'B', arch, `fold_${f.fold}`));
    if (v) for (const [key, r] of v) merged.set(key, r);
  }
  return merged.size ? merged : null;
};
const binomTwoSided = (b, n) => {
  // 2 * P(X <= min(b, n - b)) for X ~ Binomial(n, 1/2), capped at 1.
  let term = Math.pow(0.5, n);
  let cdf = 0;
  const lo = Math.min(b, n - b);
  for (let i = 0; i <= lo; ++i) {
    cdf += term;
    term *= (n - i) / (i + 1);
  }
  return Math.min(1, 2 * cdf);
};
const paired = (ref, v) => {
  if (!ref || !v) return 'not run';
  let b = 0;
  let c = 0;
  let n = 0;
  for (const [key, r] of ref) {
    if (!v.has(key)) continue;
    ++n;
    if (r && !v.get(key)) ++b;
    if (!r && v.get(key)) ++c;
  }
  return `${b} / ${c} (p ${binomTwoSided(b, b + c).toPrecision(2)}${n === ref.size ? '' : `; ${n} tracks`})`;
};
const refA = protocolVerdicts('A', 'genrescope_cnn');
const refB = protocolVerdicts('B', 'genrescope_cnn');
console.log('');
console.log('| paired with genrescope_cnn | A: tracks only genrescope_cnn / only this arch gets right (exact McNemar p) | B: the same over the folds\' test tracks |');
console.log('|---|---|---|');
for (const a of archs) {
  if (a.name === 'genrescope_cnn') continue;
  console.log(`| ${a.name} | ${paired(refA, protocolVerdicts('A', a.name))} | ${paired(refB, protocolVerdicts('B', a.name))} |`);
}

// Seed spread under protocol A: RUNS_DIR/A/<arch> (seed 1) beside RUNS_DIR/seeds/<any>/A/<arch> runs of the same
// recipe with other --seed values; printed for every architecture with at least two seeds.
const seedDirs = existsSync(join(runs, 'seeds')) ? readdirSync(join(runs, 'seeds')).sort() : [];
for (const a of archs) {
  const dirs = [join(runs, 'A', a.name), ...seedDirs.map((s) => join(runs, 'seeds', s, 'A', a.name))];
  const seeds = [];
  for (const d of dirs) {
    const rep = read(join(d, 'report.json'));
    if (!rep) continue;
    const card = read(join(d, 'model.json'));  // the trainer records the epoch whose weights it kept
    seeds.push({
      seed: rep.info.seed,
      valid: rep.metrics.valid?.track?.accuracy ?? NaN,
      test: rep.metrics.test.track.accuracy,
      f1: rep.metrics.test.track.macro_f1,
      epoch: card?.training?.best_epoch ?? 'n/a',
    });
  }
  if (seeds.length < 2) continue;
  seeds.sort((x, y) => x.seed - y.seed);
  console.log('');
  console.log(`| \`${a.name}\`, protocol A | valid track acc. % | test track acc. % (142) | test macro-F1 | best epoch |`);
  console.log('|---|---|---|---|---|');
  for (const s of seeds) console.log(`| seed ${s.seed} | ${pct(s.valid)} | ${pct(s.test)} | ${s.f1.toFixed(3)} | ${s.epoch} |`);
  const ms = (key, f) => `${f(mean(seeds.map((s) => s[key])))} ± ${f(sampleStd(seeds.map((s) => s[key])))}`;
  console.log(`| mean ± std (${seeds.length} seeds) | ${ms('valid', pct)} | ${ms('test', pct)} | ${ms('f1', (x) => x.toFixed(3))} | |`);
}
