#!/usr/bin/env bash
# test_cli.sh: the genrescope CLI's contract: outputs, exit codes and one-line errors on bad input.
# usage: test_cli.sh "CLI COMMAND" SHARED_DIR WORK_DIR   (CLI COMMAND may be "tools/node build/node/genrescope.js")
set -u
cli="$1"; shared="$2"; work="$3"
mkdir -p "$work"
passed=0; failed=0
ok() { passed=$((passed + 1)); echo "PASS $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; }

# expect CODE NAME -- command...: runs the command, checks the exit code and, on failure codes, a one-line stderr.
expect() {
    local want="$1" name="$2"; shift 3
    local err; err="$("$@" 2>&1 >/dev/null)"; local rc=$?
    if [ "$rc" != "$want" ]; then bad "$name: exit $rc, want $want ($err)"; return; fi
    if [ "$want" != 0 ]; then
        local lines; lines="$(printf '%s\n' "$err" | grep -c .)"
        if [ "$lines" -lt 1 ]; then bad "$name: no error message"; return; fi
        if [ "$want" = 1 ] && [ "$lines" -ne 1 ]; then bad "$name: error is not one line: $err"; return; fi
    fi
    ok "$name"
}

# shellcheck disable=SC2086
run() { $cli "$@"; }

clip="$shared/clips/blues.00005-10s-16s.wav"
expect 0 "features mel_db" -- run features "$clip" "$work/a.npy" --kind mel_db
if [ -s "$work/a.npy" ] && head -c 6 "$work/a.npy" | grep -q NUMPY; then ok "npy written"; else bad "npy written"; fi
expect 0 "features mfcc with options" -- run features "$clip" "$work/b.npy" --kind mfcc --n-mfcc 13 --n-fft 1024 --hop-length 256 --top-db none
expect 0 "features chroma reflect" -- run features "$clip" "$work/c.npy" --kind chroma --pad-mode reflect
expect 0 "features with --sr" -- run features "$shared/clips/rock.00005-44k-stereo.wav" "$work/d.npy" --kind mel_db --sr 22050
expect 0 "help" -- run --help
expect 2 "no arguments" -- run
expect 2 "unknown command" -- run frobnicate
expect 2 "unknown kind" -- run features "$clip" "$work/x.npy" --kind cqt
expect 2 "bad n-fft" -- run features "$clip" "$work/x.npy" --n-fft abc
expect 2 "unknown option" -- run features "$clip" "$work/x.npy" --colour blue
expect 2 "missing output" -- run features "$clip"
expect 1 "missing file" -- run features "$work/does-not-exist.wav" "$work/x.npy"
for f in "$shared"/clips/bad/*; do
    expect 1 "bad file $(basename "$f")" -- run features "$f" "$work/x.npy" --kind mel_db
done
expect 1 "unwritable output" -- run features "$clip" "/nonexistent-dir/x.npy"
json="$(run bench features --seconds 2 --repeat 3 --json 2>/dev/null)"
case "$json" in
    *'"median_ms":'*'"min_ms":'*'"input_seconds":2'*'"sample_rate_hz":22050'*'"n_fft":2048'*'"hop_length":512'*'"n_mels":128'*) ok "bench json" ;;
    *) bad "bench json: $json" ;;
esac
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
