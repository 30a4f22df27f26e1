#!/usr/bin/env bash
# test_device_kit.sh: tools/device-kit packs a dataset into carry-sized FLAC parts and unpacks them losslessly
# (the features of every clip are byte-identical to the original's), skips what it cannot read, and refuses
# bad arguments with a message.
# usage: test_device_kit.sh REPO_DIR GENRESCOPE MAKE_SYNTH_DATASET WORK_DIR
set -u
repo="$1"; bin="$2"; synth="$3"; work="$4"
kit="$repo/tools/device-kit"
rm -rf "$work"; mkdir -p "$work"
passed=0; failed=0
ok() { passed=$((passed + 1)); echo "PASS $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; }

# 12 clips of 30 s in 3 class folders, plus a broken file; one clip as .au (GTZAN ships blues and jazz so).
"$synth" "$work/data" --tracks-per-class 4 --seconds 30 --bad >/dev/null || { echo "FAIL dataset"; exit 1; }
sox -q "$work/data/drone/drone.00001.wav" "$work/data/drone/drone.00001.au" && rm "$work/data/drone/drone.00001.wav"
clips=$(find "$work/data" -type f \( -name '*.wav' -o -name '*.au' \) ! -name 'broken*' | wc -l)

# 1. Pack into parts of at most 1 MiB.
"$kit" pack "$work/data" --out "$work/kit" --part-mib 1 --no-prefix >"$work/pack.out" 2>"$work/pack.err"
rc=$?
if [ "$rc" = 0 ]; then ok "pack exits 0"; else bad "pack exit $rc: $(tail -2 "$work/pack.err")"; fi
if grep -q "skipped drone/broken.wav" "$work/pack.err"; then ok "the unreadable file is named as skipped"; else bad "no skip message: $(cat "$work/pack.err")"; fi
parts=$(find "$work/kit" -mindepth 1 -maxdepth 1 -type d -name 'data_*' | wc -l)
if [ "$parts" -ge 2 ]; then ok "$parts parts"; else bad "$parts parts (expected several of 1 MiB)"; fi
over=0
for p in "$work"/kit/data_*; do
    bytes=$(find "$p" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
    [ "$bytes" -le 1048576 ] || { over=1; echo "  $p holds $bytes bytes"; }
done
if [ "$over" = 0 ]; then ok "every part holds <= 1 MiB"; else bad "a part is over 1 MiB"; fi
if grep -q "device-kit unpack" "$work/pack.out"; then ok "prints the device calls"; else bad "no device calls printed"; fi

# 2. Unpack every part (twice: a repeated call changes nothing).
for round in 1 2; do
    for p in "$work"/kit/data_*; do "$kit" unpack "$p" --to "$work/unpacked" 2>>"$work/unpack.err" || bad "unpack $p"; done
    n=$(find "$work/unpacked" -type f -name '*.flac' | wc -l)
    if [ "$n" = "$clips" ]; then ok "round $round: $n of $clips clips unpacked"; else bad "round $round: $n clips unpacked, expected $clips"; fi
done
if [ -e "$work/unpacked/.device-kit-part" ]; then bad "the part marker was copied"; else ok "no part marker in the dataset"; fi

# 3. Lossless: the features of each unpacked FLAC equal the original's byte for byte.
same=0 differ=0
while IFS= read -r orig; do
    rel="${orig#"$work/data/"}"
    "$bin" features "$orig" "$work/a.npy" >/dev/null 2>&1
    "$bin" features "$work/unpacked/${rel%.*}.flac" "$work/b.npy" >/dev/null 2>&1
    if [ -s "$work/a.npy" ] && cmp -s "$work/a.npy" "$work/b.npy"; then same=$((same + 1)); else differ=$((differ + 1)); echo "  differs: $rel"; fi
    rm -f "$work/a.npy" "$work/b.npy"
done < <(find "$work/data" -type f \( -name '*.wav' -o -name '*.au' \) ! -name 'broken*')
if [ "$differ" = 0 ] && [ "$same" = "$clips" ]; then ok "features identical for all $same clips (.wav and .au)"; else bad "$differ of $clips clips differ"; fi

# 4. Bad arguments: a message and exit 2, nothing written.
"$kit" pack "$work/nowhere" --out "$work/kit2" --no-prefix >/dev/null 2>"$work/e1"; rc=$?
if [ "$rc" = 2 ] && grep -q "no folder" "$work/e1" && [ ! -e "$work/kit2" ]; then ok "missing DATA refused"; else bad "missing DATA: exit $rc, $(cat "$work/e1")"; fi
"$kit" pack "$work/data" --out "$work/kit2" --part-mib 65 --no-prefix >/dev/null 2>"$work/e2"; rc=$?
if [ "$rc" = 2 ] && grep -q "1-64" "$work/e2"; then ok "--part-mib 65 refused"; else bad "--part-mib 65: exit $rc, $(cat "$work/e2")"; fi
mkdir -p "$work/empty/x"
"$kit" pack "$work/empty" --out "$work/kit3" --no-prefix >/dev/null 2>"$work/e3"; rc=$?
if [ "$rc" = 2 ] && grep -q "no audio files" "$work/e3"; then ok "a folder without audio refused"; else bad "empty DATA: exit $rc, $(cat "$work/e3")"; fi
"$kit" unpack "$work/data" --to "$work/u2" >/dev/null 2>"$work/e4"; rc=$?
if [ "$rc" = 2 ] && grep -q "neither a data part" "$work/e4"; then ok "unpack of a foreign folder refused"; else bad "foreign unpack: exit $rc, $(cat "$work/e4")"; fi

echo "device-kit: $passed passed, $failed failed"
[ "$failed" = 0 ]
