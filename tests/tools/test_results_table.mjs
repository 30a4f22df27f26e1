// test_results_table.mjs: tools/results-table.mjs on a made-up runs folder: the B cell of a run whose five
// folds ran one by one, a part-done run, a fold still training, and the paired McNemar counts.
// usage: tools/node tests/tools/test_results_table.mjs GENRESCOPE WORK_DIR
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [bin, work] = process.argv.slice(2);
if (!bin || !work) {
  console.error('usage: tools/node tests/tools/test_results_table.mjs GENRESCOPE WORK_DIR');
  process.exit(2);
}
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const labels = ['blues', 'classical', 'country', 'disco', 'hiphop', 'jazz', 'metal', 'pop', 'reggae', 'rock'];

// A run folder whose test tracks are `keys`, of which those with right[i] are predicted right (two segments
// each; a wrong track is called the next label). macro_f1 is only carried through, so any value does.
const writeRun = (dir, keys, right, f1) => {
  mkdirSync(dir, { recursive: true });
  const seg = { segment_labels: [], segment_track_ids: [], track_keys: keys, logits: [] };
  keys.forEach((key, t) => {
    const label = t % labels.length;
    const guess = right[t] ? label : (label + 1) % labels.length;
    for (let s = 0; s < 2; ++s) {
      seg.segment_labels.push(label);
      seg.segment_track_ids.push(t);
      seg.logits.push(...labels.map((_, c) => (c === guess ? 3 : 0)));
    }
  });
  const acc = right.filter(Boolean).length / keys.length;
  writeFileSync(join(dir, 'predictions.json'), JSON.stringify({ labels, test: seg }));
  writeFileSync(join(dir, 'report.json'), JSON.stringify({
    info: { seed: 1 }, calibration: { temperature: 1 },
    metrics: { test: { track: { accuracy: acc, macro_f1: f1 } } },
  }));
};

rmSync(work, { recursive: true, force: true });
const keys = (fold) => Array.from({ length: 4 }, (_, i) => `${labels[i]}/${labels[i]}.${fold}000${i}`);
// genrescope_cnn: five folds, 4 / 3 / 2 / 4 / 3 of 4 right (no kfold_summary.json, as kfold:5:I runs leave).
const cnnRight = [[1, 1, 1, 1], [1, 1, 1, 0], [1, 1, 0, 0], [1, 1, 1, 1], [1, 1, 1, 0]];
cnnRight.forEach((r, f) => writeRun(join(work, 'B/genrescope_cnn', `fold_${f}`), keys(f), r.map(Boolean), 0.5 + f / 10));
// linear: folds 0 and 2 finished; fold 1 still training (its checkpoint is newer than its report).
writeRun(join(work, 'B/linear/fold_0'), keys(0), [0, 0, 1, 1].map(Boolean), 0.4);
writeRun(join(work, 'B/linear/fold_2'), keys(2), [1, 1, 1, 1].map(Boolean), 0.6);
writeRun(join(work, 'B/linear/fold_1'), keys(1), [1, 1, 1, 1].map(Boolean), 0.9);
const ckpt = join(work, 'B/linear/fold_1/checkpoint.pt');
writeFileSync(ckpt, 'x');
utimesSync(ckpt, new Date(), new Date(Date.now() + 60_000));

const out = execFileSync(process.execPath, [join(root, 'tools/results-table.mjs'), work, '--no-bench'], {
  encoding: 'utf8', env: { ...process.env, GENRESCOPE_BIN: bin },
});
const row = (name) => out.split('\n').find((l) => l.startsWith(`| ${name} |`));
const cells = (line) => line.split('|').slice(1, -1).map((c) => c.trim());

// Five finished folds: 100, 75, 50, 100, 75% -> mean 80.0, sample std 20.9; macro-F1 0.5..0.9 -> 0.700 ± 0.158.
const cnn = cells(row('genrescope_cnn'));
assert.equal(cnn[4], '80.0 ± 20.9', out);
assert.equal(cnn[5], '0.700 ± 0.158', out);
assert.equal(cnn[2], 'not run');
// Two finished folds of five, marked as such; the fold still training is left out.
const lin = cells(row('linear'));
assert.equal(lin[4], '75.0 (folds 0, 2 of 0-4 only)', out);
assert.equal(lin[5], '0.500 (folds 0, 2 of 0-4 only)', out);
// Paired over the tracks both tested (folds 0 and 2): only ours right on fold 0's first two tracks, only
// linear right on fold 2's last two; exact two-sided p for 2 / 2 is 1.
const pairedLine = out.split('\n').filter((l) => l.startsWith('| linear |')).at(-1);
assert.equal(cells(pairedLine)[2], '2 / 2 (p 1.0; 8 tracks)', out);
assert.equal(cells(pairedLine)[1], 'not run');
console.log('results-table: 7 checks passed');
