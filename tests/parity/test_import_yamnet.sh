#!/usr/bin/env bash
# test_import_yamnet.sh: `genrescope import yamnet` end to end, against an independent runtime and on real music.
#   1. Arm NN (Debian's TFLite runtime) runs the int8 export on YAMNet's embedded test vector; our import of the
#      same file, exported to ONNX and run by ONNX Runtime Web (what the page uses), must give the same top class
#      and scores within 2/256 (Arm NN computes with int8 activations and outputs scores in steps of 1/256; we
#      run the network in float32 with the dequantised weights).
#   2. The waveform export's import, through shared/'s front end, `classify`: every music clip's top AudioSet
#      class is "Music", and the card and ONNX survive the loader (sha256, graph).
# usage: test_import_yamnet.sh GENRESCOPE ARMNN_ORACLE REPO SHARED WORK
set -u
bin="$1"; oracle="$2"; repo="$3"; shared="$4"; work="$5"
rm -rf "$work"; mkdir -p "$work"
passed=0; failed=0
ok() { passed=$((passed + 1)); echo "PASS $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; }
node() { "$repo/tools/node" "$@"; }
y="$shared/pretrained/yamnet"

for f in spectra waveform; do
    if "$bin" import yamnet "$y/yamnet_${f}_in.tflite" --out "$work/$f" >"$work/$f.out" 2>&1; then
        ok "import $f: $(head -1 "$work/$f.out")"
    else
        bad "import $f: $(tail -2 "$work/$f.out")"
    fi
done

if "$oracle" run "$y/yamnet_spectra_in.tflite" "$y/yamnet_test_spectra.bin" "$work/armnn.npy" "$work/in.npy" 2>"$work/armnn.err"; then
    ok "Arm NN ran the int8 export"
    if node "$repo/tests/parity/ort_run.mjs" "$work/spectra/model.onnx" "$work/in.npy" "$work/ours.npy" 2>"$work/ort.err"; then
        if msg="$("$oracle" compare "$work/armnn.npy" "$work/ours.npy" 0.0078125)"; then
            ok "ours (ONNX Runtime Web) vs Arm NN on the test vector: $msg"
        else
            bad "ours vs Arm NN: $msg"
        fi
    else
        bad "ort_run: $(tail -2 "$work/ort.err")"
    fi
else
    bad "Arm NN: $(tail -2 "$work/armnn.err")"
fi

n=0
for clip in "$shared"/clips/*.wav "$shared"/clips/*.flac "$shared"/clips/*.mp3 "$shared"/clips/*.ogg; do
    [ -f "$clip" ] || continue
    n=$((n + 1))
    top="$("$bin" classify --model "$work/waveform/model.onnx" --json "$clip" 2>"$work/classify.err" |
           node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s)[0];console.log(j.top)})' 2>&1)"
    if [ "$top" = "Music" ]; then ok "$(basename "$clip"): top class Music"; else bad "$(basename "$clip"): top '$top' $(tail -1 "$work/classify.err")"; fi
done
[ "$n" -ge 10 ] || bad "only $n music clips found under $shared/clips"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
