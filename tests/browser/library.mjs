// library.mjs: library mode in the page (window.genrescope.library, web/src/library.*, library.js): 20 files (the
// shared clips, two broken ones, and copies this test re-encodes: trimmed, with gain) -> 18 done and 2 errors with
// their one-line messages; state() counts; the table's sort and genre filter change order and set; exportCsv() parses
// back and agrees with `genrescope classify --json` (WAV files: same genre, probabilities <= 1e-3); map() has 18
// finite points; similar(rock) finds its 44.1-kHz stereo copy first; several dropped files go to the library;
// Cancel stops the queue; 100 generated 30-s files stream through with bounded memory (JS heap + wasm memory,
// before/after, printed with the throughput); screenshots of the table and the map (not blank).
// usage: tools/node tests/browser/library.mjs DIST_DIR SHARED_DIR GENRESCOPE OUT_DIR
//   OUT_DIR: screenshots (library_table.png, library_map.png) and library.csv from the page
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { check, image_stats, open_app, run_test, settle } from './lib.mjs';

const k_tolerance = 1e-3;          // page (ORT-web WASM) vs native (libtorch), probabilities
const k_stream_files = Number(process.env.GENRESCOPE_LIBRARY_FILES || 100);  // generated files streamed through (memory check)
const k_stream_seconds = 30;       // each this long (a GTZAN track's length)
const k_memory_bound_mb = 200;     // growth allowed over the 100 files (JS heap + wasm memory)

const [dist_dir, shared_dir, cli, out_dir] = process.argv.slice(2);
if (!out_dir) {
    console.error('usage: tools/node tests/browser/library.mjs DIST_DIR SHARED_DIR GENRESCOPE OUT_DIR');
    process.exit(2);
}

// ---- WAV helpers (22.05-kHz mono 16-bit PCM clips) ---------------------------------------------------------
function read_pcm16(file) {
    const wav = fs.readFileSync(file);
    if (wav.readUInt16LE(22) !== 1 || wav.readUInt16LE(34) !== 16 || wav.toString('latin1', 36, 40) !== 'data')
        throw new Error(`${file}: not a plain mono 16-bit PCM WAV`);
    const data = wav.subarray(44, 44 + wav.readUInt32LE(40));
    return { rate: wav.readUInt32LE(24), pcm: new Int16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length)) };
}
function write_wav(pcm, rate) {
    const h = Buffer.alloc(44);
    h.write('RIFF', 0); h.writeUInt32LE(36 + pcm.length * 2, 4); h.write('WAVE', 8); h.write('fmt ', 12);
    h.writeUInt32LE(16, 16); h.writeUInt16LE(1, 20); h.writeUInt16LE(1, 22); h.writeUInt32LE(rate, 24);
    h.writeUInt32LE(rate * 2, 28); h.writeUInt16LE(2, 32); h.writeUInt16LE(16, 34); h.write('data', 36);
    h.writeUInt32LE(pcm.length * 2, 40);
    return Buffer.concat([h, Buffer.from(pcm.buffer, pcm.byteOffset, pcm.length * 2)]);
}
function trimmed(file, seconds) {
    const { rate, pcm } = read_pcm16(file);
    return write_wav(pcm.slice(0, Math.round(seconds * rate)), rate);
}
function with_gain(file, db) {
    const { rate, pcm } = read_pcm16(file);
    const g = Math.pow(10, db / 20);
    return write_wav(pcm.map((v) => Math.max(-32768, Math.min(32767, Math.round(v * g)))), rate);
}

// RFC 4180 CSV -> rows of fields.
function parse_csv(text) {
    const rows = [];
    let row = [], field = '', i = 0, quoted = false;
    while (i < text.length) {
        const c = text[i];
        if (quoted) {
            if (c === '"' && text[i + 1] === '"') { field += '"'; i += 2; continue; }
            if (c === '"') { quoted = false; ++i; continue; }
            field += c; ++i; continue;
        }
        if (c === '"') { quoted = true; ++i; continue; }
        if (c === ',') { row.push(field); field = ''; ++i; continue; }
        if (c === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i += 2; continue; }
        field += c; ++i;
    }
    if (field !== '' || row.length > 0) { row.push(field); rows.push(row); }
    return rows;
}

// Adds files as File handles listed under their folder-relative names ({input, name}, as a dropped folder gives).
async function add_in_page(page, files) {
    const payload = files.map(({ name, bytes }) => ({ name, base64: bytes.toString('base64') }));
    return page.evaluate(async (payload) => {
        const inputs = payload.map(({ name, base64 }) => ({
            name, input: new File([Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0))], name.split('/').pop()) }));
        return window.genrescope.library.add(inputs);
    }, payload);
}

async function memory_mb(page, cdp) {
    await cdp.send('HeapProfiler.collectGarbage');
    const { usedSize } = await cdp.send('Runtime.getHeapUsage');
    const { wasm, heap } = await page.evaluate(() => ({ wasm: Module.HEAPU8.length, heap: window.genrescope.library.memory() }));
    return { js: usedSize / 1048576, wasm: wasm / 1048576, heap_used: heap.heap_used / 1048576, library: heap.library_bytes / 1048576 };
}

async function screenshot(page, name, what) {
    await settle(page, 8);
    const png = await page.screenshot();
    fs.writeFileSync(path.join(out_dir, name), png);
    const st = image_stats(png);
    check(`${what} screenshot not blank (${name})`, st.stddev > 10 && st.colourful_fraction > 0.002,
          `stddev ${st.stddev.toFixed(1)}, colourful ${(100 * st.colourful_fraction).toFixed(2)}%`);
    return png;
}

async function main() {
    fs.rmSync(out_dir, { recursive: true, force: true });
    fs.mkdirSync(out_dir, { recursive: true });
    const clips = path.join(shared_dir, 'clips');
    const good = fs.readdirSync(clips).filter((f) => fs.statSync(path.join(clips, f)).isFile()).sort();
    const files = good.map((f) => ({ name: f, bytes: fs.readFileSync(path.join(clips, f)) }));
    for (const f of ['text.wav', 'truncated.wav'])
        files.push({ name: `bad/${f}`, bytes: fs.readFileSync(path.join(clips, 'bad', f)) });
    // Re-encodings made here (not of rock: its nearest neighbour must be its stereo copy).
    files.push({ name: 'made/blues-first-4s.wav', bytes: trimmed(path.join(clips, 'blues.00005-10s-16s.wav'), 4) });
    files.push({ name: 'made/pop-minus-6db.wav', bytes: with_gain(path.join(clips, 'pop.00005-10s-16s.wav'), -6) });
    files.push({ name: 'made/disco-first-3s.wav', bytes: trimmed(path.join(clips, 'disco.00005-10s-16s.wav'), 3) });
    files.push({ name: 'made/jazz-plus-3db.wav', bytes: with_gain(path.join(clips, 'jazz.00005-10s-16s.wav'), 3) });
    const n_good = files.length - 2;
    check('20 inputs (18 good, 2 broken)', files.length === 20 && n_good === 18, `${files.length}`);

    const app = await open_app({ dist_dir, query: '?backend=wasm' });
    const { page } = app;
    try {
        if (!check('page ready', app.ready === 'ready', app.ready)) return 1;
        const cdp = await page.context().newCDPSession(page);
        const lib = (fn, arg) => page.evaluate(fn, arg);

        // ---- 20 files ----
        const t0 = Date.now();
        const items = await add_in_page(page, files);
        const add_s = (Date.now() - t0) / 1000;
        const st = await lib(() => window.genrescope.library.state());
        check('add() resolves with the 20 items', items.length === 20, `${items.length}`);
        check('state(): total 20, done 18, failed 2', st.total === 20 && st.done === 18 && st.failed === 2,
              `total ${st.total}, done ${st.done}, failed ${st.failed}`);
        const errors = st.items.filter((it) => it.status === 'error');
        check('broken files have one-line errors', errors.length === 2 &&
              errors.every((it) => it.file.startsWith('bad/') && it.error.length > 0 && !it.error.includes('\n')),
              errors.map((it) => `${it.file}: ${it.error}`).join(' | '));
        const done = st.items.filter((it) => it.status === 'done');
        check('done items: genre, probabilities summing to 1, duration, embedding',
              done.every((it) => it.top && Math.abs(it.probabilities.reduce((a, b) => a + b, 0) - 1) < 1e-3 &&
                                 it.duration_s > 2 && it.embedding_dim > 0),
              `embedding dim ${done[0] && done[0].embedding_dim}`);
        console.log(`20 files in ${add_s.toFixed(1)} s`);

        // ---- table view: sort and genre filter ----
        const insertion = (await lib(() => window.genrescope.library.view())).files;
        const by_conf = (await lib(() => window.genrescope.library.setView({ sort: 'confidence', ascending: false }))).files;
        const conf_of = Object.fromEntries(st.items.map((it) => [it.file, it.status === 'done' ? it.confidence : -1]));
        check('sort by confidence (descending) changes the order and is ordered',
              by_conf.length === 20 && by_conf.join() !== insertion.join() &&
              by_conf.every((f, i) => i === 0 || conf_of[by_conf[i - 1]] >= conf_of[f]));
        const by_name = (await lib(() => window.genrescope.library.setView({ sort: 'file', ascending: true }))).files;
        check('sort by file name', by_name.join() === [...by_name].sort((a, b) => a.toLowerCase() < b.toLowerCase() ? -1 : 1).join());
        const rock_view = (await lib(() => window.genrescope.library.setView({ genre: 'rock', sort: 'confidence', ascending: false }))).files;
        const rock_expected = done.filter((it) => it.top === 'rock').map((it) => it.file);
        check('genre filter "rock" shows exactly the rock songs', rock_view.length > 0 &&
              [...rock_view].sort().join() === [...rock_expected].sort().join(), rock_view.join(', '));
        const text_view = (await lib(() => window.genrescope.library.setView({ text: 'MADE/' }))).files;
        check('text filter (case-insensitive)', text_view.length === 4, text_view.join(', '));
        await lib(() => window.genrescope.library.setView({ sort: 'confidence', ascending: false }));
        await screenshot(page, 'library_table.png', 'library table');
        const kept = await lib(() => window.genrescope.library.view());
        check('the table drawn with the API\'s sort keeps it (confidence, descending)', kept.sort === 'confidence' &&
              kept.ascending === false && kept.files.join() === by_conf.join());

        // ---- CSV export vs the state and the CLI ----
        const csv = await lib(() => window.genrescope.library.exportCsv());
        // The panel's Export CSV button (where the table screenshot shows it at 1280 x 800) downloads the same text.
        const download = page.waitForEvent('download', { timeout: 10000 }).catch(() => null);
        await page.mouse.move(474, 126);
        await settle(page, 2);
        await page.mouse.down();
        await settle(page, 2);
        await page.mouse.up();
        const dl = await download;
        const dl_text = dl ? fs.readFileSync(await dl.path(), 'utf8') : '';
        check('the Export CSV button downloads library.csv (a Blob URL) equal to exportCsv()',
              dl !== null && dl.suggestedFilename() === 'library.csv' && dl_text === csv,
              dl ? `${dl.suggestedFilename()}, ${dl_text.length} bytes` : 'no download');
        fs.writeFileSync(path.join(out_dir, 'library.csv'), csv);
        const rows = parse_csv(csv);
        const header = rows[0] || [];
        const pcols = header.map((h, i) => [h, i]).filter(([h]) => h.startsWith('p_'));
        const col = (name) => header.indexOf(name);
        check('CSV: header and 20 rows, a p_ column per label', rows.length === 21 && pcols.length === st.labels.length &&
              col('file') === 0 && col('genre') > 0, `${rows.length} rows, ${pcols.length} p_ columns`);
        let max_diff_state = 0, genre_ok = true;
        for (const r of rows.slice(1)) {
            const it = st.items.find((x) => x.file === r[col('file')]);
            if (!it) { genre_ok = false; continue; }
            if (r[col('status')] !== it.status) genre_ok = false;
            if (it.status !== 'done') continue;
            if (r[col('genre')] !== it.top) genre_ok = false;
            pcols.forEach(([, ci], k) => { max_diff_state = Math.max(max_diff_state, Math.abs(Number(r[ci]) - it.probabilities[k])); });
        }
        check('CSV parses back to state()', genre_ok && max_diff_state <= 2e-6, `max diff ${max_diff_state.toExponential(1)}`);
        // The CLI on the WAV files (the browser decodes mp3/ogg/flac itself; the CLI uses libsndfile).
        const tmp = path.join(out_dir, 'wav');
        const wavs = files.filter((f) => f.name.endsWith('.wav') && !f.name.startsWith('bad/'));
        for (const f of wavs) {
            fs.mkdirSync(path.dirname(path.join(tmp, f.name)), { recursive: true });
            fs.writeFileSync(path.join(tmp, f.name), f.bytes);
        }
        const native = JSON.parse(execFileSync(cli, ['classify', '--json', ...wavs.map((f) => path.join(tmp, f.name))],
                                               { maxBuffer: 64 << 20 }).toString());
        let max_diff_cli = 0, cli_genres = true;
        for (const f of wavs) {
            const n = native.find((x) => path.resolve(x.file) === path.resolve(path.join(tmp, f.name)));
            const r = rows.find((x) => x[0] === f.name);
            if (!n || !r) { cli_genres = false; continue; }
            if (n.top !== r[col('genre')]) cli_genres = false;
            pcols.forEach(([h, ci]) => {
                const k = n.labels.indexOf(h.slice(2));
                max_diff_cli = Math.max(max_diff_cli, Math.abs(Number(r[ci]) - n.probabilities[k]));
            });
        }
        check(`CSV agrees with genrescope classify --json on ${wavs.length} WAV files (genre, probabilities <= ${k_tolerance})`,
              cli_genres && max_diff_cli <= k_tolerance, `max diff ${max_diff_cli.toExponential(1)}`);
        const m3u = await lib(() => { window.genrescope.library.setView({ genre: 'jazz' }); return window.genrescope.library.exportM3u(); });
        const m3u_files = m3u.split(/\r?\n/).filter((l) => l && !l.startsWith('#'));
        const jazz = done.filter((it) => it.top === 'jazz').map((it) => it.file);
        check('exportM3u(): the shown rows (genre jazz) as an extended M3U', m3u.startsWith('#EXTM3U') &&
              m3u_files.length === jazz.length && m3u_files.every((f) => jazz.includes(f)), m3u_files.join(', '));
        await lib(() => window.genrescope.library.setView({ sort: 'confidence', ascending: false }));
        // And `genrescope library` on the same WAV files, when this build has it: the two CSVs row by row.
        let probe = '';
        try { execFileSync(cli, ['library'], { stdio: ['ignore', 'pipe', 'pipe'] }); } catch (e) { probe = String(e.stderr || ''); }
        if (/unknown command/.test(probe)) {
            console.log('genrescope library: not in this build; compared with classify --json only');
        } else {
            const native_out = path.join(out_dir, 'native_library');
            execFileSync(cli, ['library', tmp, '--out', native_out], { stdio: ['ignore', 'ignore', 'pipe'] });
            const nrows = parse_csv(fs.readFileSync(path.join(native_out, 'library.csv'), 'utf8'));
            const nh = nrows[0] || [];
            let lib_diff = 0, lib_ok = nrows.length - 1 === wavs.length;
            for (const f of wavs) {
                const n = nrows.find((x) => x[nh.indexOf('file')] === f.name);
                const r = rows.find((x) => x[0] === f.name);
                if (!n || !r || n[nh.indexOf('genre')] !== r[col('genre')]) { lib_ok = false; continue; }
                pcols.forEach(([h, ci]) => { lib_diff = Math.max(lib_diff, Math.abs(Number(r[ci]) - Number(n[nh.indexOf(h)]))); });
            }
            check(`CSV agrees with genrescope library's library.csv on ${wavs.length} WAV files (genre, probabilities <= ${k_tolerance})`,
                  lib_ok && lib_diff <= k_tolerance, `${nrows.length - 1} rows, max diff ${lib_diff.toExponential(1)}`);
            // The embeddings, through the cosine distances: every pair in its similar.csv against the page's similar().
            const sim_path = path.join(native_out, 'similar.csv');
            if (fs.existsSync(sim_path)) {
                const srows = parse_csv(fs.readFileSync(sim_path, 'utf8')).slice(1).filter((r) => r.length >= 4);
                const page_sim = await lib((names) => Object.fromEntries(names.map((f) => [f, window.genrescope.library.similar(f, 100)])),
                                           [...new Set(srows.map((r) => r[0]))]);
                let dmax = 0, missing = 0;
                for (const [f, , g, d] of srows) {
                    const hit = (page_sim[f] || []).find((x) => x.file === g);
                    if (!hit) { ++missing; continue; }
                    dmax = Math.max(dmax, Math.abs(hit.distance - Number(d)));
                }
                check(`similar songs' cosine distances agree with genrescope library's similar.csv (<= ${k_tolerance})`,
                      srows.length > 0 && missing === 0 && dmax <= k_tolerance, `${srows.length} pairs, max diff ${dmax.toExponential(1)}`);
            }
        }
        const json = JSON.parse(await lib(() => window.genrescope.library.exportJson()));
        check('JSON export: format, 20 items, map', json.format === 'genrescope-library' && json.items.length === 20 &&
              Array.isArray(json.map) && json.map.length === 18);

        // ---- map and similar ----
        const map = await lib(() => window.genrescope.library.map());
        check('map(): 18 finite points', map.length === 18 && map.every((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && p.top),
              `${map.length}`);
        const sim = await lib(() => window.genrescope.library.similar('rock.00005-10s-16s.wav', 5));
        check('similar(rock) gives its 44.1-kHz stereo copy first', sim.length === 5 && sim[0].file === 'rock.00005-44k-stereo.wav' &&
              sim.every((s, i) => i === 0 || sim[i - 1].distance <= s.distance),
              sim.map((s) => `${s.file} ${s.distance.toFixed(4)}`).join(', '));
        await lib(() => window.genrescope.library.select('rock.00005-10s-16s.wav'));
        const reopened = await page.waitForFunction(() => {
            const s = window.genrescope.state();
            return s.file === 'rock.00005-10s-16s.wav' && !s.busy && s.result && s.result.top === 'rock';
        }, null, { timeout: 60000 }).then(() => true, () => false);
        check('selecting a song re-opens its File in the single-song view', reopened);
        await screenshot(page, 'library_map.png', 'library map');
        await page.setViewportSize({ width: 390, height: 844 });  // a phone: one column, the library under the verdict
        await page.evaluate(() => window.scrollTo(0, 0));
        await screenshot(page, 'library_narrow.png', 'narrow library');
        await page.setViewportSize({ width: 1280, height: 800 });

        // ---- "Play similar": the song, then its nearest songs, each played to its end ----
        const order = await lib(() => window.genrescope.library.playSimilar('rock.00005-10s-16s.wav', 2));
        check('playSimilar(rock, 2): the song, then its 2 nearest (the stereo copy first)',
              order.length === 3 && order[0] === 'rock.00005-10s-16s.wav' && order[1] === 'rock.00005-44k-stereo.wav', order.join(', '));
        const first_playing = await page.waitForFunction(() => {
            const s = window.genrescope.state(), p = window.genrescope.library.playing();
            return s.file === 'rock.00005-10s-16s.wav' && !s.busy && p.position === 0 && p.playing;
        }, null, { timeout: 60000 }).then(() => true, () => false);
        check('the first song plays', first_playing);
        await page.evaluate(() => window.Module.gs_playback_seek(5.7));  // near its end (6 s)
        const advanced = await page.waitForFunction(() => {
            const s = window.genrescope.state(), p = window.genrescope.library.playing();
            return s.file === 'rock.00005-44k-stereo.wav' && !s.busy && p.position === 1 && p.playing;
        }, null, { timeout: 60000 }).then(() => true, () => false);
        check('at its end the next similar song opens and plays', advanced,
              JSON.stringify(await lib(() => window.genrescope.library.playing())));
        // Files queued while the run plays are classified in the background without taking the player over.
        await page.evaluate(() => window.Module.gs_playback_seek(0));
        const queued_b64 = fs.readFileSync(path.join(clips, 'jazz.00005-10s-16s.wav')).toString('base64');
        const done_before = (await lib(() => window.genrescope.library.state())).done;
        await page.evaluate(async (b64) => {
            const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0)).buffer;
            await window.genrescope.library.add([{ name: 'during-run-0.wav', bytes }, { name: 'during-run-1.wav', bytes }]);
        }, queued_b64);
        const during = await lib(() => window.genrescope.library.playing());
        const done_after = (await lib(() => window.genrescope.library.state())).done;
        check('two files queued during the run are classified and the run keeps the player',
              done_after === done_before + 2 && during.files.length === 3 && during.position === 1 && during.playing,
              `done ${done_before} -> ${done_after}, ${JSON.stringify(during)}`);
        await page.evaluate(() => window.Module.gs_playback_toggle());  // pause: the run waits, nothing advances
        await page.waitForTimeout(1000);
        const paused = await lib(() => window.genrescope.library.playing());
        check('pausing stops the run where it is', paused.position === 1 && !paused.playing, JSON.stringify(paused));

        // ---- several dropped files go to the library; Cancel ----
        await lib(() => window.genrescope.library.clear());
        check('clear() empties the library', (await lib(() => window.genrescope.library.state())).total === 0);
        const clip_b64 = fs.readFileSync(path.join(clips, 'blues.00005-10s-16s.wav')).toString('base64');
        await page.evaluate((b64) => {
            const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
            const transfer = new DataTransfer();
            for (let i = 0; i < 3; ++i) transfer.items.add(new File([bytes], `dropped-${i}.wav`));
            const target = document.getElementById('canvas');
            target.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
            target.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
        }, clip_b64);
        await page.waitForFunction(() => { const s = window.genrescope.library.state(); return s.total === 3 && !s.busy; },
                                   null, { timeout: 60000 });
        const dropped = await lib(() => window.genrescope.library.state());
        check('three dropped files went to the library', dropped.done === 3, dropped.items.map((it) => it.file).join(', '));
        const cancel = await page.evaluate(async (b64) => {
            const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
            const lib = window.genrescope.library;
            const p = lib.add(Array.from({ length: 8 }, (_, i) => ({ name: `queued-${i}.wav`, bytes })));
            const wait = () => new Promise((r) => setTimeout(r, 20));
            while (lib.state().done < 4) await wait();  // the three dropped ones + one queued
            lib.cancel();
            await p;
            return lib.state();
        }, clip_b64);
        const cancelled = cancel.items.filter((it) => it.error === 'cancelled').length;
        check('Cancel stops the queue (the rest say "cancelled")', cancelled >= 5 && !cancel.busy &&
              cancel.done + cancelled === 11, `done ${cancel.done}, cancelled ${cancelled}`);
        await lib(() => window.genrescope.library.clear());

        // ---- Open folder... (<input webkitdirectory>): audio files only, recursively, listed by their paths ----
        const folder = path.join(out_dir, 'folder', 'music');
        fs.mkdirSync(path.join(folder, 'live', 'encore'), { recursive: true });
        fs.copyFileSync(path.join(clips, 'jazz.00005-10s-16s.wav'), path.join(folder, 'jazz.wav'));
        fs.copyFileSync(path.join(clips, 'metal.00005-8s.ogg'), path.join(folder, 'live', 'metal.ogg'));
        fs.copyFileSync(path.join(clips, 'country.00005-10s-16s.wav'), path.join(folder, 'live', 'encore', 'country.wav'));
        fs.writeFileSync(path.join(folder, 'notes.txt'), 'not audio');
        await page.setInputFiles('#folder_picker', folder);
        await page.waitForFunction(() => { const s = window.genrescope.library.state(); return s.total === 3 && !s.busy; },
                                   null, { timeout: 60000 }).catch(() => {});
        const from_folder = await lib(() => window.genrescope.library.state());
        check('Open folder...: the three audio files, with their paths, notes.txt left out',
              from_folder.total === 3 && from_folder.done === 3 &&
              from_folder.items.map((it) => it.file).sort().join() === 'music/jazz.wav,music/live/encore/country.wav,music/live/metal.ogg',
              from_folder.items.map((it) => it.file).join(', '));
        await lib(() => window.genrescope.library.clear());

        // ---- memory while 100 generated 30-s files stream through ----
        const sources = good.filter((f) => /10s-16s\.wav$/.test(f)).map((f) => Array.from(read_pcm16(path.join(clips, f)).pcm));
        await page.evaluate((sources) => { window.__sources = sources.map((s) => Int16Array.from(s)); }, sources);
        const before = await memory_mb(page, cdp);
        const t1 = Date.now();
        const stream = await page.evaluate(async ({ n, seconds }) => {
            const rate = 22050, len = rate * seconds;
            const make = (k) => {  // clips concatenated from a rotating start, with a gain per file
                const pcm = new Int16Array(len);
                const g = 0.5 + 0.5 * ((k * 37) % 11) / 10;
                for (let pos = 0, c = k; pos < len; ++c) {
                    const src = window.__sources[c % window.__sources.length];
                    for (let i = 0; i < src.length && pos < len; ++i, ++pos) pcm[pos] = Math.round(src[i] * g);
                }
                const buf = new ArrayBuffer(44 + len * 2), v = new DataView(buf);
                const w = (o, s) => { for (let i = 0; i < 4; ++i) v.setUint8(o + i, s.charCodeAt(i)); };
                w(0, 'RIFF'); v.setUint32(4, 36 + len * 2, true); w(8, 'WAVE'); w(12, 'fmt '); v.setUint32(16, 16, true);
                v.setUint16(20, 1, true); v.setUint16(22, 1, true); v.setUint32(24, rate, true); v.setUint32(28, rate * 2, true);
                v.setUint16(32, 2, true); v.setUint16(34, 16, true); w(36, 'data'); v.setUint32(40, len * 2, true);
                new Int16Array(buf, 44).set(pcm);
                return { name: `gen/${String(k).padStart(3, '0')}.wav`, bytes: new Uint8Array(buf) };
            };
            const gaps = [];
            let last = performance.now(), run = true;
            const t_start = last;
            const watch = () => { const now = performance.now(); gaps.push(now - last); last = now; if (run) requestAnimationFrame(watch); };
            requestAnimationFrame(watch);
            for (let k = 0; k < n; k += 10)  // chunks of 10, so the test itself holds no more than 10 files
                await window.genrescope.library.add(Array.from({ length: Math.min(10, n - k) }, (_, i) => make(k + i)));
            run = false;
            const sorted = [...gaps].sort((a, b) => a - b);
            return { max_frame_gap: sorted[sorted.length - 1], p95_frame_gap: sorted[Math.floor(0.95 * (sorted.length - 1))],
                     fps: 1000 * gaps.length / (performance.now() - t_start), state: window.genrescope.library.state() };
        }, { n: k_stream_files, seconds: k_stream_seconds });
        const stream_s = (Date.now() - t1) / 1000;
        const map_ms = await page.evaluate(() => { window.genrescope.library.map(); return window.genrescope.library.memory().map_ms; });
        const dim = stream.state.items.length ? stream.state.items[0].embedding_dim : 0;
        console.log(`the map (PCA of ${stream.state.items.length} ${dim}-d embeddings) took ${map_ms.toFixed(0)} ms`);
        await page.evaluate(() => { delete window.__sources; });
        const after = await memory_mb(page, cdp);
        const growth = (after.js - before.js) + (after.wasm - before.wasm);
        // Kept per file: the JS heap's growth plus the library items' bytes in the wasm heap (its other use after the
        // run is the last file's audio and features, held for the single-song view: one file, not per file). The wasm
        // memory never shrinks and starts at 64 MB; it grows only for a file whose job needs more.
        const per_file_mb = Math.max(0, (after.js - before.js) + (after.library - before.library)) / k_stream_files;
        const fmt = (m) => `JS heap ${m.js.toFixed(1)} MB, wasm memory ${m.wasm.toFixed(1)} MB (in use ${m.heap_used.toFixed(1)} MB, ` +
                           `library items ${m.library.toFixed(2)} MB)`;
        console.log(`memory before: ${fmt(before)}`);
        console.log(`memory after ${k_stream_files} files of ${k_stream_seconds} s: ${fmt(after)}`);
        console.log(`growth ${growth.toFixed(1)} MB (JS heap + wasm memory); kept per file ${(1024 * per_file_mb).toFixed(1)} KB; ` +
                    `500 files: ~${(after.js + after.wasm + (500 - k_stream_files) * per_file_mb).toFixed(0)} MB (JS heap + wasm memory)`);
        console.log(`throughput: ${k_stream_files} files of ${k_stream_seconds} s in ${stream_s.toFixed(1)} s = ` +
                    `${(60 * k_stream_files / stream_s).toFixed(1)} songs/min; frames while it ran: ${stream.fps.toFixed(1)}/s, gap p95 ` +
                    `${stream.p95_frame_gap.toFixed(0)} ms, longest ${stream.max_frame_gap.toFixed(0)} ms`);
        check(`${k_stream_files} streamed files all done`, stream.state.done === k_stream_files, `${stream.state.done}`);
        check(`memory growth over ${k_stream_files} files < ${k_memory_bound_mb} MB`, growth < k_memory_bound_mb, `${growth.toFixed(1)} MB`);
        // Frames are ~50 ms with software WebGL here; a model run of 16 windows (~150-300 ms) blocks one. The bound is
        // loose because other builds share the 2 cores (a longest gap of 3 s was seen at load average 8).
        check('the page kept drawing while the queue ran (>= 1 frame/s, 95% of gaps < 1.5 s)',
              stream.fps >= 1 && stream.p95_frame_gap < 1500,
              `${stream.fps.toFixed(1)} frames/s, p95 ${stream.p95_frame_gap.toFixed(0)} ms, longest ${stream.max_frame_gap.toFixed(0)} ms`);
        // ---- a model whose card names no embedding: the table, no map, a message ----
        await lib(() => window.genrescope.library.clear());
        const card = JSON.parse(fs.readFileSync(path.join(dist_dir, 'models', 'default.json'), 'utf8'));
        delete card.embedding;
        if (card.training && card.training.backbone) delete card.training.backbone.embedding;
        await page.evaluate((card) => window.genrescope.loadModel('models/default.onnx', card), card);
        await add_in_page(page, files.slice(0, 2));
        const no_emb = await lib(() => ({ st: window.genrescope.library.state(), map: window.genrescope.library.map(),
                                          sim: window.genrescope.library.similar('blues.00005-10s-16s.wav', 3) }));
        check('no embedding output: results, an empty map and similar list, and a message', no_emb.st.done === 2 &&
              no_emb.map.length === 0 && no_emb.sim.length === 0 && no_emb.st.embedding_note.length > 0, no_emb.st.embedding_note);
        // ---- another model loaded part-way: its results are not mixed with the earlier model's ----
        const other = { ...card, name: card.name + '-other' };
        await page.evaluate((c) => window.genrescope.loadModel('models/default.onnx', c), other);
        await add_in_page(page, files.slice(2, 3));
        const mixed = await lib(() => window.genrescope.library.state());
        const stale = mixed.items.filter((it) => it.status === 'error' && /model loaded before/.test(it.error || ''));
        check('a model loaded part-way: the earlier results become errors that say so, the new one is done',
              mixed.total === 3 && mixed.done === 1 && stale.length === 2, `${mixed.done} done, ${stale.length} marked`);
        check('no page errors', app.page_errors.length === 0, app.page_errors.slice(0, 3).join(' | '));
        return 0;
    } finally {
        await app.close();
    }
}

run_test(main);
