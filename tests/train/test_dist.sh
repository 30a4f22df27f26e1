#!/usr/bin/env bash
# test_dist.sh: data-parallel training over c10d/Gloo with two CPU processes on 127.0.0.1 (tools/train-dist):
# the same loss curve as one process with the same global batch, the accuracy gate, a killed rank stopping the
# other with a message that names it, --resume with two processes, and what the card and report record.
# usage: test_dist.sh GENRESCOPE MAKE_SYNTH_DATASET WORK_DIR
set -u
bin="$1"; synth="$2"; work="$3"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rm -rf "$work"; mkdir -p "$work"
passed=0; failed=0
ok() { passed=$((passed + 1)); echo "PASS $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; }
node() { "$repo/tools/node" "$@"; }
json() { node -e "const j=JSON.parse(require('fs').readFileSync(process.argv[1],'utf8')); console.log(eval(process.argv[2]))" "$1" "$2"; }
# A free TCP port for the rendezvous (tests may run in parallel).
port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close();})"; }

"$synth" "$work/data" --tracks-per-class 12 --seconds 4 || { echo "FAIL dataset"; exit 1; }

# 1. The same schedule: one process with a global batch of 16 against two processes with 8 each. The
#    architecture has no batch norm (which normalises each rank's slice with its own statistics); its dropout
#    masks are drawn for the global batch on every rank (ir_torch.h set_batch_slice), and every rank cuts and
#    augments the whole global batch from the same (seed, epoch) generators. What remains is the order of
#    floating-point sums (the gradient all-reduce): the curves agree to ~1e-6, asserted within 1e-4 relative.
lin=(--data "$work/data" --split kfold:4:0 --arch linear_mfcc_stats --epochs 4 --batch-size 16 --crops-per-track 4
     --seed 3 --threads 1 --patience 100 --cache-dir "$work/cache")
"$bin" train "${lin[@]}" --run-dir "$work/one" >"$work/one.out" 2>"$work/one.err" || bad "one-process run failed: $(tail -2 "$work/one.err")"
start=$(date +%s%N)
"$repo/tools/train-dist" 2 --port "$(port)" --bin "$bin" -- "${lin[@]}" --run-dir "$work/two" >"$work/two.out" 2>"$work/two.err"
rc=$?
echo "BENCH linear_mfcc_stats, 2 processes x 1 thread: $(( ($(date +%s%N) - start) / 1000000 )) ms wall"
if [ "$rc" = 0 ]; then ok "two processes train (exit 0)"; else bad "two processes: exit $rc: $(tail -3 "$work/two.err")"; fi
curves="$(node -e "
const r = (d) => JSON.parse(require('fs').readFileSync(d + '/report.json', 'utf8')).curve;
const a = r(process.argv[1]), b = r(process.argv[2]);
let worst = 0;
for (let i = 0; i < a.length; ++i) worst = Math.max(worst, Math.abs(a[i].train_loss - b[i].train_loss) / Math.abs(a[i].train_loss));
console.log(a.length === b.length && a.length === 4 ? worst : 'lengths ' + a.length + ' ' + b.length);
" "$work/one" "$work/two" 2>&1)"
echo "train loss, one process:  $(json "$work/one/report.json" "j.curve.map(c => c.train_loss.toFixed(6)).join(' ')")"
echo "train loss, two processes: $(json "$work/two/report.json" "j.curve.map(c => c.train_loss.toFixed(6)).join(' ')")"
if node -e "process.exit(Number(process.argv[1]) <= 1e-4 ? 0 : 1)" "$curves"; then ok "loss curves agree (worst relative difference $curves)"
else bad "loss curves differ: worst relative difference $curves"; fi
if [ "$(json "$work/one/report.json" "JSON.stringify(j.curve.map(c => c.valid_track_accuracy))")" = "$(json "$work/two/report.json" "JSON.stringify(j.curve.map(c => c.valid_track_accuracy))")" ]; then
    ok "validation accuracies identical epoch by epoch"
else bad "validation accuracies differ"; fi
if [ "$(json "$work/two/model.json" "j.training.distributed.world_size")" = 2 ] && [ "$(json "$work/two/model.json" "j.training.distributed.backend")" = gloo ] &&
   [ "$(json "$work/two/report.json" "j.info.distributed.world_size")" = 2 ]; then ok "card and report record world size 2 and gloo"
else bad "card/report do not record the distributed run"; fi
if [ "$(json "$work/one/model.json" "j.training.distributed")" = undefined ]; then ok "a one-process card has no distributed entry"; else bad "one-process card claims distribution"; fi

# 2. The accuracy gate of train_functional, with batch norm (genrescope_cnn), two processes.
cnn=(--data "$work/data" --split kfold:4:0 --arch genrescope_cnn --epochs 5 --batch-size 16 --crops-per-track 4
     --seed 3 --threads 1 --patience 100 --level-align 0 --cache-dir "$work/cache")
"$repo/tools/train-dist" 2 --port "$(port)" --bin "$bin" -- "${cnn[@]}" --run-dir "$work/cnn" >"$work/cnn.out" 2>"$work/cnn.err"
acc="$(json "$work/cnn/report.json" "j.metrics.test.track.accuracy" 2>/dev/null)"
if node -e "process.exit(Number(process.argv[1]) >= 0.95 ? 0 : 1)" "$acc"; then ok "genrescope_cnn on two processes: test track accuracy $acc >= 0.95"
else bad "genrescope_cnn on two processes: accuracy '$acc' ($(tail -2 "$work/cnn.err"))"; fi
if "$bin" classify --model "$work/cnn/model.onnx" "$work/data/drone/drone.00000.wav" >/dev/null 2>&1; then ok "its model loads in classify"; else bad "its model does not load"; fi
# ONNX Runtime runs the exported graph: probabilities of two random inputs, each row summing to 1.
node -e "
const fs = require('fs');
const [bins, frames] = process.argv[2].split(',').map(Number);
const n = 2 * bins * frames, hdr = \"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1, \" + bins + ', ' + frames + '), }';
const pad = 64 - ((10 + hdr.length + 1) % 64);
const h = Buffer.from(hdr + ' '.repeat(pad % 64) + '\n', 'latin1');
const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length & 255, h.length >> 8]);
const d = Buffer.alloc(4 * n); let s = 7;
for (let i = 0; i < n; ++i) { s = (s * 1103515245 + 12345) % 2147483648; d.writeFloatLE(s / 2147483648 * 2 - 1, 4 * i); }
fs.writeFileSync(process.argv[1], Buffer.concat([pre, h, d]));
" "$work/in.npy" "$(json "$work/cnn/model.json" "j.io.input_shape.slice(2).join(',')")"
if node "$repo/tests/parity/ort_run.mjs" "$work/cnn/model.onnx" "$work/in.npy" "$work/out.npy" 2>"$work/ort.err" &&
   node -e "
const b = require('fs').readFileSync(process.argv[1]); const h = b.readUInt16LE(8), o = 10 + h, k = (b.length - o) / 8;
for (let r = 0; r < 2; ++r) { let s = 0; for (let c = 0; c < k; ++c) s += b.readFloatLE(o + 4 * (r * k + c)); if (Math.abs(s - 1) > 1e-4) process.exit(1); }
" "$work/out.npy"; then ok "ONNX Runtime runs the distributed run's model (rows sum to 1)"
else bad "ONNX Runtime on the distributed model: $(tail -1 "$work/ort.err")"; fi

# 3. kill -9 one rank mid-run: the other exits non-zero within the timeout, naming the lost rank; then
#    --resume with two processes finishes the run from the last checkpoint.
p="$(port)"
long=("${cnn[@]}" --epochs 40 --run-dir "$work/killed" --dist-timeout 60)
RANK=0 WORLD_SIZE=2 LOCAL_RANK=0 MASTER_ADDR=127.0.0.1 MASTER_PORT=$p "$bin" train "${long[@]}" >"$work/r0.out" 2>"$work/r0.err" &
r0=$!
RANK=1 WORLD_SIZE=2 LOCAL_RANK=1 MASTER_ADDR=127.0.0.1 MASTER_PORT=$p "$bin" train "${long[@]}" >"$work/r1.out" 2>"$work/r1.err" &
r1=$!
for _ in $(seq 1 600); do [ -s "$work/killed/checkpoint.pt" ] && break; sleep 0.2; done
sleep 0.5
kill -9 "$r1"
killed_at=$(date +%s)
wait "$r0"; rc=$?
took=$(( $(date +%s) - killed_at ))
if [ "$rc" != 0 ] && grep -q "lost contact with rank 1" "$work/r0.err"; then ok "rank 1 killed: rank 0 exits $rc after ${took} s: $(grep -m1 "lost contact" "$work/r0.err" | cut -c1-160)"
else bad "rank 1 killed: rank 0 exit $rc after ${took} s: $(tail -2 "$work/r0.err")"; fi
if [ "$took" -le 60 ]; then ok "within the 60-s timeout"; else bad "rank 0 took ${took} s"; fi
"$repo/tools/train-dist" 2 --port "$(port)" --bin "$bin" -- "${cnn[@]}" --epochs 8 --run-dir "$work/killed" --resume >"$work/res.out" 2>"$work/res.err"
rc=$?
if [ "$rc" = 0 ] && grep -q "resumed after epoch" "$work/res.err" && [ "$(json "$work/killed/report.json" "j.curve.length")" = 8 ]; then
    ok "--resume on two processes finishes the run ($(grep -m1 "resumed after" "$work/res.err"))"
else bad "--resume: exit $rc: $(tail -2 "$work/res.err")"; fi

# 4. Bad environments are clear errors, not hangs.
RANK=2 WORLD_SIZE=2 "$bin" train "${lin[@]}" --run-dir "$work/bad" >/dev/null 2>"$work/bad.err"; rc=$?
if [ "$rc" = 1 ] && grep -q "RANK" "$work/bad.err"; then ok "RANK outside WORLD_SIZE: exit 1, says so"; else bad "RANK=2 of 2: exit $rc"; fi
WORLD_SIZE=2 RANK=1 MASTER_PORT="$(port)" "$bin" train "${lin[@]}" --run-dir "$work/bad" --dist-timeout 3 >/dev/null 2>"$work/alone.err"; rc=$?
if [ "$rc" = 1 ] && grep -q "cannot join" "$work/alone.err"; then ok "no rank 0 to meet: exit 1 after the timeout ($(grep -m1 "cannot join" "$work/alone.err" | cut -c1-140))"
else bad "no rank 0: exit $rc: $(head -2 "$work/alone.err")"; fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
