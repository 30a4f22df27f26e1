#!/usr/bin/env bash
# test_library.sh: `genrescope library` on good and broken clips: outputs, agreement with classify, resume (rerun, kill -9, changed file), shards + merge.
# usage: test_library.sh GENRESCOPE SHARED_DIR WORK_DIR REPO_DIR
set -u
bin="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; shared="$2"; work="$3"; repo="$4"
node() { "$repo/tools/node" "$@"; }
rm -rf "$work"; mkdir -p "$work"
passed=0; failed=0
ok() { passed=$((passed + 1)); echo "PASS $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; }
check() { local name="$1"; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }

# The library: every good clip (wav, flac, mp3, ogg) at the top, the broken files in a subfolder, a text file
# that is not audio (ignored).
music="$work/music"
mkdir -p "$music/broken"
for f in "$shared"/clips/*.*; do cp "$f" "$music/"; done
cp "$shared"/clips/bad/* "$music/broken/"
echo "not audio" > "$music/notes.txt"
n_good=$(find "$music" -maxdepth 1 -type f -name '*.*' ! -name '*.txt' | wc -l)
n_bad=$(find "$music/broken" -type f | wc -l)
n_all=$((n_good + n_bad))
echo "library of $n_good good and $n_bad broken files"

# 1. One run: every good file done, every bad one an error with a reason, a row per file.
"$bin" library "$music" --out "$work/ref" --threads 2 2> "$work/ref.err"; rc=$?
check "library exits 0 (got $rc)" [ "$rc" = 0 ]
for f in library.csv library.json similar.csv library.html library.journal.jsonl; do
    check "wrote $f" [ -s "$work/ref/$f" ]
done
rows=$(($(wc -l < "$work/ref/library.csv") - 1))
check "CSV rows == files ($rows == $n_all)" [ "$rows" = "$n_all" ]
done_rows=$(grep -c '^[^,]*,done,' "$work/ref/library.csv")
check "every good file done ($done_rows == $n_good)" [ "$done_rows" = "$n_good" ]
err_rows=$(grep -c '^broken/[^,]*,error,[^,]' "$work/ref/library.csv")
check "every bad file an error with a reason ($err_rows == $n_bad)" [ "$err_rows" = "$n_bad" ]
check "bad files named on stderr" grep -q "broken/truncated.wav: " "$work/ref.err"
check "the text file is not in the library" bash -c "! grep -q notes.txt '$work/ref/library.csv'"

# 2. The same probabilities as classify --json (1e-4), the card's embedding length, the map and similar songs.
(cd "$music" && "$bin" classify --json ./*.* 2>/dev/null) > "$work/classify.json"
verdict="$(node -e '
const fs = require("fs");
const [libPath, clsPath, cardPath, n] = process.argv.slice(1);
const lib = JSON.parse(fs.readFileSync(libPath, "utf8"));
const cls = JSON.parse(fs.readFileSync(clsPath, "utf8")).filter(r => !r.error);
const dim = JSON.parse(fs.readFileSync(cardPath, "utf8")).embedding.dim;
const byFile = new Map(lib.items.map(i => [i.file, i]));
let worst = 0, problems = [];
for (const r of cls) {
  const it = byFile.get(r.file.replace(/^\.\//, ""));
  if (!it || it.status !== "done") { problems.push("missing " + r.file); continue; }
  r.labels.forEach((l, c) => { worst = Math.max(worst, Math.abs(it.probabilities[l] - r.probabilities[c])); });
  if (it.genre !== r.top) problems.push(r.file + ": genre " + it.genre + " vs " + r.top);
  if (it.uncertain !== r.uncertain || it.outside !== r.outside) problems.push(r.file + ": flags differ");
}
if (cls.length !== Number(n)) problems.push("classify gave " + cls.length + " results");
if (worst > 1e-4) problems.push("max probability difference " + worst);
const done = lib.items.filter(i => i.status === "done");
if (!done.every(i => Array.isArray(i.embedding) && i.embedding.length === dim && i.embedding.every(Number.isFinite)))
  problems.push("embeddings missing or not of dim " + dim);
if (lib.items.some(i => i.status !== "done" && i.embedding && i.embedding.length)) problems.push("an error item has an embedding");
const map = lib.map || [];
if (map.length !== done.length || !map.every(p => Number.isFinite(p.x) && Number.isFinite(p.y))) problems.push("map has " + map.length + " points");
if (new Set(map.map(p => p.x + "," + p.y)).size < 2) problems.push("map points all alike");
console.log(problems.length ? problems.join("; ") : "ok " + worst);
' "$work/ref/library.json" "$work/classify.json" "$repo/models/default.json" "$n_good" 2>&1)"
case "$verdict" in ok*) ok "probabilities == classify --json, embeddings of the card's dim, map ($verdict)" ;; *) bad "json: $verdict" ;; esac
sim_ok="$(node -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\r\n").slice(1).map(l => l.split(","));
const per = new Map();
for (const [f, rank, g, d] of lines) { if (f === g || !(Number(d) >= 0 && Number(d) <= 2)) { console.log("bad row " + f); process.exit(); } per.set(f, (per.get(f) || 0) + 1); }
console.log(per.size === Number(process.argv[2]) && [...per.values()].every(v => v === 5) ? "ok" : "similar.csv: " + per.size + " files");
' "$work/ref/similar.csv" "$n_good")"
check "similar.csv: 5 neighbours for every classified file ($sim_ok)" [ "$sim_ok" = ok ]
n_pl=$(ls "$work/ref/playlists"/*.m3u | wc -l)
n_labels=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).labels.length)' "$repo/models/default.json")
check "a playlist per genre ($n_pl == $n_labels)" [ "$n_pl" = "$n_labels" ]
pl_paths=$(cat "$work/ref/playlists"/*.m3u | grep -v '^#' | grep -c .)
check "playlists hold every classified file once ($pl_paths == $n_good)" [ "$pl_paths" = "$n_good" ]
missing=0; while IFS= read -r p; do [ -f "$p" ] || missing=$((missing + 1)); done < <(cat "$work/ref/playlists"/*.m3u | grep -v '^#')
check "playlist paths are absolute and exist" [ "$missing" = 0 ]
check "library.html has the map and the table" bash -c "grep -q '<svg' '$work/ref/library.html' && grep -q 'jazz.00005-8s.mp3' '$work/ref/library.html' && grep -q 'broken/empty.wav' '$work/ref/library.html'"
sort "$work/ref/library.csv" > "$work/ref.sorted"

# 3. A second run analyses nothing: the summary says 0 analysed, the journal and the CSV are unchanged.
cp "$work/ref/library.journal.jsonl" "$work/journal.before"
"$bin" library "$music" --out "$work/ref" --threads 2 2> "$work/rerun.err"; rc=$?
check "rerun: 0 analysed, all $n_all skipped (exit $rc)" grep -q "0 analysed, $n_all skipped" "$work/rerun.err"
check "rerun: journal unchanged" cmp -s "$work/journal.before" "$work/ref/library.journal.jsonl"
check "rerun: same CSV" cmp -s <(sort "$work/ref/library.csv") "$work/ref.sorted"

# 4. kill -9 after the first finished file, rerun: only the rest is analysed, and the CSV is the uninterrupted one's.
"$bin" library "$music" --out "$work/killed" --threads 1 2> /dev/null &
pid=$!
for _ in $(seq 1 600); do
    [ "$(cat "$work/killed/library.journal.jsonl" 2>/dev/null | wc -l)" -ge 2 ] && break
    sleep 0.05
done
kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
in_journal=$(($(wc -l < "$work/killed/library.journal.jsonl") - 1))
check "killed mid-run ($in_journal of $n_all in the journal)" [ "$in_journal" -ge 1 ] && [ "$in_journal" -lt "$n_all" ]
check "killed run wrote no CSV" [ ! -e "$work/killed/library.csv" ]
"$bin" library "$music" --out "$work/killed" --threads 2 2> "$work/resume.err"
analysed=$(sed -n 's/.*: \([0-9]*\) analysed, \([0-9]*\) skipped.*/\1 \2/p' "$work/resume.err")
check "resume analyses only the rest ($analysed; $in_journal were done)" [ "${analysed#* }" -ge "$in_journal" ] && [ "${analysed% *}" -le $((n_all - in_journal)) ]
check "resumed CSV == uninterrupted CSV" cmp -s "$work/killed/library.csv" "$work/ref/library.csv"

# 4b. One run per output folder: a second one while the first is running is refused (library.lock).
"$bin" library "$music" --out "$work/locked" --threads 1 2> /dev/null &
pid=$!
for _ in $(seq 1 600); do [ -e "$work/locked/library.journal.jsonl" ] && break; sleep 0.05; done
"$bin" library "$music" --out "$work/locked" --threads 1 2> "$work/second.err"; rc=$?
first_alive=0; kill -0 "$pid" 2>/dev/null && first_alive=1
kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
if [ "$first_alive" = 1 ]; then
    check "a second run into a folder being written is refused (exit $rc)" [ "$rc" = 1 ] && grep -q "another genrescope library run" "$work/second.err"
else
    echo "SKIP second-run refusal: the first run had finished already"
fi

# 5. A file whose content changed is redone: blues's name now holds the jazz clip with one sample changed near
#    its end (new content, so not found in the journal by its sha256).
cp -r "$work/ref" "$work/changed"; cp -r "$music" "$work/music2"
target="$work/music2/blues.00005-10s-16s.wav"
cp "$music/jazz.00005-10s-16s.wav" "$target"
printf '\x01' | dd of="$target" bs=1 seek=$(($(stat -c %s "$target") - 101)) conv=notrunc status=none
mv "$work/music2/rock.00005-10s-16s.wav" "$work/music2/renamed-rock.wav"   # renamed: same content, kept
"$bin" library "$work/music2" --out "$work/changed" --threads 2 2> "$work/changed.err"
check "changed file redone, renamed one kept (1 analysed)" grep -q "1 analysed, $((n_all - 1)) skipped" "$work/changed.err"
check "renamed file listed under its new name with its old result" \
    [ "$(grep '^renamed-rock.wav,' "$work/changed/library.csv" | cut -d, -f2-)" = "$(grep '^rock.00005-10s-16s.wav,' "$work/ref/library.csv" | cut -d, -f2-)" ]
genre_b=$(grep '^blues.00005-10s-16s.wav,' "$work/changed/library.csv" | cut -d, -f5)
genre_j=$(grep '^jazz.00005-10s-16s.wav,' "$work/changed/library.csv" | cut -d, -f5)
check "changed file gets its new content's result ($genre_b, like the jazz clip's $genre_j)" [ "$genre_b" = jazz ] && [ "$genre_j" = jazz ]

# 6. Two shards and --merge == one run (CSV identical after sorting).
"$bin" library "$music" --out "$work/s0" --shard 0/2 --threads 2 2> "$work/s0.err"
"$bin" library "$music" --out "$work/s1" --shard 1/2 --threads 2 2> "$work/s1.err"
r0=$(($(wc -l < "$work/s0/library.csv") - 1)); r1=$(($(wc -l < "$work/s1/library.csv") - 1))
check "shards split the files ($r0 + $r1 == $n_all, both non-empty)" [ $((r0 + r1)) = "$n_all" ] && [ "$r0" -gt 0 ] && [ "$r1" -gt 0 ]
"$bin" library --merge "$work/s0" "$work/s1" --out "$work/merged" 2> "$work/merge.err"; rc=$?
check "merge exits 0 (got $rc)" [ "$rc" = 0 ]
check "merged CSV == one run's (sorted)" cmp -s <(sort "$work/merged/library.csv") "$work/ref.sorted"
check "merged library.json has the map" node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")); process.exit(j.map && j.map.length===Number(process.argv[2]) ? 0 : 1)' "$work/merged/library.json" "$n_good"

# 7. A model whose card names no embedding output: results, but no embeddings, no map, no similar songs, and it says so.
mkdir -p "$work/noemb" "$work/few"
cp "$repo/models/default.onnx" "$work/noemb/model.onnx"
node -e 'const fs=require("fs"); const c=JSON.parse(fs.readFileSync(process.argv[1],"utf8")); delete c.embedding;
if (c.training && c.training.backbone) delete c.training.backbone.embedding; fs.writeFileSync(process.argv[2], JSON.stringify(c));' \
    "$repo/models/default.json" "$work/noemb/model.json"
cp "$music"/blues.00005-10s-16s.wav "$music"/rock.00005-10s-16s.wav "$music"/jazz.00005-8s.mp3 "$work/few/"
"$bin" library "$work/few" --model "$work/noemb/model.onnx" --out "$work/noemb_out" 2> "$work/noemb.err"; rc=$?
check "no embedding output: exit 0 and says so (exit $rc)" [ "$rc" = 0 ] && grep -q "no embeddings" "$work/noemb.err"
check "no embedding output: 3 done, no embeddings, no map" node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));
process.exit(j.items.filter(i=>i.status==="done").length===3 && j.items.every(i=>!i.embedding||!i.embedding.length) && !(j.map&&j.map.length) ? 0 : 1)' "$work/noemb_out/library.json"
check "no embedding output: similar.csv has only its header" [ "$(grep -c . "$work/noemb_out/similar.csv")" = 1 ]
check "no embedding output: the page says why there is no map" grep -q "names no embedding output" "$work/noemb_out/library.html"

# 8. Usage and refusal.
"$bin" library 2>/dev/null; check "no folders: exit 2" [ $? = 2 ]
"$bin" library "$music" --shard 2/2 2>/dev/null; check "--shard 2/2: exit 2" [ $? = 2 ]
"$bin" library --merge "$work/s0" 2>/dev/null; check "--merge without --out: exit 2" [ $? = 2 ]
"$bin" library --merge "$music" --out "$work/m2" 2>/dev/null; check "--merge of a folder without a journal: exit 1" [ $? = 1 ]
mkdir -p "$work/other"; sed '1s/"sha256":"[0-9a-f]*"/"sha256":"0000"/' "$work/ref/library.journal.jsonl" > "$work/other/library.journal.jsonl"
"$bin" library "$music" --out "$work/other" 2> "$work/other.err"; rc=$?
check "a journal of another model is refused (exit $rc, one line)" [ "$rc" = 1 ] && [ "$(grep -c . "$work/other.err")" = 1 ]
check "help names library" bash -c "'$bin' --help | grep -q 'genrescope library DIR'"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
