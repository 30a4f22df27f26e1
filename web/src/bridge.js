// bridge.js: the page side of GenreScope: the Emscripten Module settings, inputs (drop, file picker, pasted URL)
// -> classification, the model (ONNX Runtime Web via gs_inference) and the automation API window.genrescope.
// Loaded after inference.js, audio_io.js and library.js, before app.js. Classic script.
(function () {
    'use strict';

    const canvas = document.getElementById('canvas');
    const picker = document.getElementById('file_picker');
    const model_picker = document.getElementById('model_picker');
    const files_picker = document.getElementById('files_picker');
    const folder_picker = document.getElementById('folder_picker');
    const overlay = document.getElementById('drop_overlay');
    const status_line = document.getElementById('status');
    const k_default_model = { onnx: 'models/default.onnx', card: 'models/default.json' };

    function show_status(text) {
        status_line.textContent = text;
        status_line.hidden = !text;
    }
    function message_of(e) {
        return e && e.message ? e.message : String(e);
    }

    let resolve_runtime;
    const runtime_ready = new Promise((resolve) => { resolve_runtime = resolve; });  // first frame drawn
    let resolve_ready, reject_ready;
    const ready = new Promise((resolve, reject) => {
        resolve_ready = resolve;
        reject_ready = reject;
    });

    // ---- wasm heap helpers --------------------------------------------------------------------------
    function with_heap_copy(typed, fn) {
        const ptr = Module._malloc(Math.max(4, typed.byteLength));
        if (!ptr) throw new Error('out of memory');
        try {
            Module.HEAPU8.set(new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength), ptr);
            return fn(ptr);
        } finally {
            Module._free(ptr);
        }
    }

    // ---- model --------------------------------------------------------------------------------------
    let model = null;             // gs_inference model_session in use
    let model_bytes = null;       // its .onnx, kept for a WebGPU -> WASM fallback at run time
    let model_chain = Promise.resolve();

    async function read_card_text(card) {
        if (typeof card === 'string' && card.trim().startsWith('{')) return card;
        if (card && typeof card === 'object' && !(card instanceof Blob) && !(card instanceof ArrayBuffer) && !ArrayBuffer.isView(card))
            return JSON.stringify(card);
        const { bytes } = await gs_audio.read_input(card);
        return new TextDecoder().decode(bytes);
    }

    async function load_model_now(onnx, card) {
        await runtime_ready;
        const card_text = await read_card_text(card);
        const err = Module.ccall('gs_check_card', 'string', ['string'], [card_text]);
        if (err) throw new Error(err);
        const card_obj = JSON.parse(card_text);
        const { bytes } = await gs_audio.read_input(onnx);
        if (bytes.byteLength === 0) throw new Error('the .onnx file is empty');
        let opened;
        try {
            opened = await gs_inference.open_model(new Uint8Array(bytes), card_obj);
        } catch (e) {
            throw new Error(`the .onnx cannot be used with this card: ${message_of(e)}`);
        }
        const set_err = Module.ccall('gs_set_model', 'string', ['string', 'string', 'string', 'number'],
                                     [card_text, opened.backend, opened.note, opened.load_ms]);
        if (set_err) {
            opened.model.release();
            throw new Error(set_err);
        }
        const old = model;
        model = opened.model;
        model_bytes = new Uint8Array(bytes);
        if (old) infer_chain = infer_chain.then(() => old.release());
        return { name: card_obj.name, labels: card_obj.labels, backend: opened.backend, load_ms: opened.load_ms };
    }

    // loadModel(onnx, card): a bad pair leaves the current model and rejects with the reason (also shown).
    function load_model(onnx, card) {
        const p = model_chain.then(() => load_model_now(onnx, card)).catch((e) => {
            const msg = message_of(e);
            Module.ccall('gs_model_error', null, ['string'], [msg]);
            throw new Error('Load model: ' + msg);
        });
        model_chain = p.catch(() => {});
        return p;
    }

    // ---- inference (C++ asks through js_run_batch; one request at a time) -----------------------------
    let infer_chain = Promise.resolve();

    // out: {probs, tags} from model_session.run (tags null for a card without them).
    function deliver(request_id, out) {
        const { probs, tags, embedding } = out;
        if (embedding) with_heap_copy(embedding, (e) => Module._gs_batch_embedding(request_id, e, embedding.length));
        with_heap_copy(probs, (p) => {
            if (!tags) return Module._gs_batch_done(request_id, p, probs.length, 0, 0);
            with_heap_copy(tags, (t) => Module._gs_batch_done(request_id, p, probs.length, t, tags.length));
        });
    }

    async function run_batch(request_id, data, n, bins, frames) {
        const m = model;
        if (!m) {
            Module.ccall('gs_batch_failed', null, ['number', 'string'], [request_id, 'no model loaded']);
            return;
        }
        try {
            deliver(request_id, await m.run(data, n, bins, frames, library_jobs > 0));
        } catch (e) {
            if (m.backend === 'webgpu' && model === m) {
                // WebGPU failed at run time: fall back to WASM with the same model and say so.
                const note = `WebGPU failed while running (${message_of(e)}); switched to WASM`;
                console.warn('[genrescope] ' + note);
                try {
                    model = await gs_inference.create_session('wasm', model_bytes, m.card);
                    Module.ccall('gs_set_backend', null, ['string', 'string'], ['wasm', note]);
                    deliver(request_id, await model.run(data, n, bins, frames, library_jobs > 0));
                    return;
                } catch (e2) {
                    e = e2;
                }
            }
            Module.ccall('gs_batch_failed', null, ['number', 'string'], [request_id, message_of(e)]);
        }
    }

    // ---- classification -----------------------------------------------------------------------------
    let next_job_id = 1;
    const pending = new Map();  // job id -> {resolve, reject}
    let classify_chain = Promise.resolve();
    let last_result = null;

    let library_jobs = 0;  // library files in classification: the model's embedding output is fetched too

    // library_index >= 0: the file is that library item (C++ records its stages and result).
    async function classify_now(input, library_index = -1) {
        await ready;
        const t0 = performance.now();
        const job_id = next_job_id++;
        const done = new Promise((resolve, reject) => pending.set(job_id, { resolve, reject }));
        if (library_index >= 0) Module._gs_library_begin(library_index, job_id);
        let name = input && input.name ? input.name : typeof input === 'string' ? input : '';
        try {
            const read = await gs_audio.read_input(input);
            name = read.name;
            const bytes = read.bytes;
            if (gs_audio.is_wav_or_au(bytes)) {
                with_heap_copy(new Uint8Array(bytes), (ptr) =>
                    Module.ccall('gs_classify_bytes', null, ['number', 'string', 'number', 'number', 'number'],
                                 [job_id, name, ptr, bytes.byteLength, t0]));
            } else {
                const t = performance.now();
                const { mono, rate_hz } = await gs_audio.browser_decode(name, bytes);
                const decode_ms = performance.now() - t;
                with_heap_copy(mono, (ptr) =>
                    Module.ccall('gs_classify_pcm', null, ['number', 'string', 'number', 'number', 'number', 'number', 'number'],
                                 [job_id, name, ptr, mono.length, rate_hz, decode_ms, t0]));
            }
        } catch (e) {
            Module.ccall('gs_report_error', null, ['number', 'string'], [job_id, (name ? name + ': ' : '') + message_of(e)]);
        }
        return done;
    }

    // classify(input): File | Blob | ArrayBuffer | URL string -> Promise<result>; one file at a time, in order.
    function classify(input) {
        const p = classify_chain.then(() => classify_now(input));
        classify_chain = p.catch(() => {});
        return p;
    }

    function from_ui(input) {
        classify(input).catch((e) => console.warn('[genrescope] ' + message_of(e)));
    }

    // ---- library mode (library.js: the queue; web/src/library.*: stages, results, map, exports) ---------
    function library_run(input, index) {
        const p = classify_chain.then(async () => {
            ++library_jobs;
            try {
                return await classify_now(input, index);
            } finally {
                --library_jobs;
            }
        });
        classify_chain = p.catch(() => {});
        return p;
    }
    let note_timer = null;
    const library_queue = gs_library.create_queue({
        module: () => Module,
        run: library_run,
        reopen: (input) => from_ui(input),
        note: (text) => {
            show_status(text);
            clearTimeout(note_timer);
            note_timer = setTimeout(() => show_status(''), 5000);
        },
    });
    const library_string = (what) => Module.UTF8ToString(Module._gs_library_json(what));
    function library_state() {
        return JSON.parse(library_string(0));
    }
    async function library_add(inputs) {
        await ready;
        const indices = await library_queue.add(inputs);
        const items = library_state().items;
        return indices.map((i) => items[i]);
    }
    // "Play similar": the selected song, then its nearest songs, each re-opened in the single-song view and played
    // to its end; stopping playback, opening another file or clearing the library ends the run.
    const playlist = { files: [], pos: -1, waiting: false };
    function play_position(pos) {
        playlist.pos = pos;
        if (pos < 0 || pos >= playlist.files.length) {
            playlist.files = [];
            playlist.pos = -1;
            playlist.waiting = false;
            return;
        }
        const items = library_state().items;
        const index = items.findIndex((it) => it.file === playlist.files[pos]);
        if (index < 0) return play_position(pos + 1);
        playlist.waiting = true;  // gs_set_playback starts it once the song is decoded
        library_queue.reopen(index);
    }
    // [{file, distance}] of the k songs nearest to `file`, nearest first (web/src/library.cpp).
    const library_similar = (file, k) =>
        JSON.parse(Module.UTF8ToString(Module.ccall('gs_library_similar', 'number', ['string', 'number'], [String(file), k])));
    function play_similar(file, k = 5) {
        const similar = library_similar(file, k);
        playlist.files = [file, ...similar.map((s) => s.file)];
        play_position(0);
        return playlist.files.slice();
    }
    gs_audio.on_end(() => { if (playlist.pos >= 0) play_position(playlist.pos + 1); });
    function library_from_ui(pairs) {
        if (pairs.length > 0) library_add(pairs).catch((e) => console.warn('[genrescope] ' + message_of(e)));
    }
    function download(name, mime, text) {
        const url = URL.createObjectURL(new Blob([text], { type: mime }));
        const a = document.createElement('a');
        a.href = url;
        a.download = name;
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10000);
    }

    // ---- microphone ---------------------------------------------------------------------------------
    async function start_microphone() {
        await ready;
        if (gs_audio.microphone_active()) return;
        Module._gs_mic_started();
        try {
            await gs_audio.start_microphone((chunk, rate_hz, arrival_ms) => {
                // Latency is counted from the capture of the chunk's first sample (arrival - chunk length): the
                // worklet's block is part of the audio -> bars delay.
                const capture_ms = arrival_ms - 1000 * chunk.length / rate_hz;
                with_heap_copy(chunk, (ptr) => Module._gs_mic_push(ptr, chunk.length, rate_hz, capture_ms));
            });
        } catch (e) {
            Module.ccall('gs_mic_stopped', null, ['string'], [message_of(e)]);
            throw e;
        }
    }
    async function stop_microphone() {
        await ready;
        gs_audio.stop_microphone();
        Module.ccall('gs_mic_stopped', null, ['string'], ['']);
    }

    // ---- Emscripten settings and the hooks C++ calls (web/src/js_calls.cpp) ---------------------------
    window.Module = {
        canvas: canvas,
        print: (text) => console.log(text),
        printErr: (text) => console.warn(text),
        gs_on_first_frame: () => resolve_runtime(),
        gs_open_file_dialog: () => picker.click(),
        gs_open_model_dialog: () => model_picker.click(),
        gs_classify_url: (url) => from_ui(url),
        gs_start_microphone: () => start_microphone().catch((e) => console.warn('[genrescope] ' + message_of(e))),
        gs_stop_microphone: () => stop_microphone(),
        gs_reset_model: () => load_model(k_default_model.onnx, k_default_model.card).catch((e) => console.warn(message_of(e))),
        gs_run_batch: (request_id, data, n, bins, frames) => {
            infer_chain = infer_chain.then(() => run_batch(request_id, data, n, bins, frames));
        },
        gs_job_done: (job_id, json) => {
            const result = JSON.parse(json);
            last_result = result;
            const p = pending.get(job_id);
            pending.delete(job_id);
            if (p) p.resolve(result);
        },
        gs_job_failed: (job_id, message) => {
            const p = pending.get(job_id);
            pending.delete(job_id);
            if (p) p.reject(new Error(message));
        },
        gs_library_open_files: () => files_picker.click(),
        gs_library_open_folder: () => folder_picker.click(),
        gs_library_cancel: () => library_queue.cancel(),
        gs_library_clear: () => library_queue.clear(),
        gs_library_select: (index) => library_queue.reopen(index),
        gs_download: download,
        gs_set_playback: (samples, rate_hz) => {
            // A library file classified in the background while "Play similar" plays leaves the player to the run.
            if (library_jobs > 0 && playlist.pos >= 0 && !playlist.waiting) return;
            gs_audio.set_playback(samples, rate_hz);
            if (playlist.waiting) {
                playlist.waiting = false;
                gs_audio.play();
            } else if (playlist.pos >= 0) {
                play_position(-1);  // another song was opened: the run ends
            }
        },
        gs_library_play_similar: (file, k) => play_similar(file, k),
        gs_playback_toggle: () => gs_audio.toggle(),
        gs_playback_seek: (t) => gs_audio.seek(t),
        gs_playback_position: () => gs_audio.position(),
        gs_playback_playing: () => gs_audio.playing(),
        onAbort: (what) => {
            show_status('GenreScope stopped: ' + what);
            reject_ready(new Error(String(what)));
        },
    };
    canvas.addEventListener('webglcontextlost', (e) => {
        show_status('The WebGL context was lost; reload the page.');
        e.preventDefault();
    });

    // Boot: first frame, then the default model. `ready` resolves once both are done (a model that fails to
    // load is reported in the UI and in state().model.note; the page still works for loading another).
    runtime_ready.then(async () => {
        show_status('Loading the model...');
        try {
            await load_model(k_default_model.onnx, k_default_model.card);
            show_status('');
        } catch (e) {
            show_status(message_of(e));
        }
        resolve_ready();
    });

    // ---- page inputs --------------------------------------------------------------------------------
    function first_file(list) {
        return list && list.length > 0 ? list[0] : null;
    }
    window.addEventListener('dragover', (e) => {
        e.preventDefault();
        if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
        overlay.hidden = false;
    });
    window.addEventListener('dragleave', (e) => {
        if (e.relatedTarget === null) overlay.hidden = true;
    });
    window.addEventListener('drop', (e) => {
        e.preventDefault();
        overlay.hidden = true;
        const drop = gs_library.read_drop(e.dataTransfer);  // synchronously: the transfer empties after the event
        if (drop.single) from_ui(drop.single);
        else if (drop.collect)
            drop.collect().then(library_from_ui, (err) => show_status('Reading the dropped folder: ' + message_of(err)));
    });
    window.addEventListener('paste', (e) => {
        const pasted = e.clipboardData ? Array.from(e.clipboardData.files || []) : [];
        if (pasted.length > 1) return library_from_ui(gs_library.from_picker(pasted, false));  // several: the library
        const file = first_file(e.clipboardData && e.clipboardData.files);
        if (file) return from_ui(file);
        const text = e.clipboardData ? e.clipboardData.getData('text').trim() : '';
        if (/^https?:\/\//.test(text) && document.activeElement !== canvas) from_ui(text);
    });
    picker.addEventListener('change', () => {
        const file = first_file(picker.files);
        picker.value = '';  // choosing the same file again fires 'change' again
        if (file) from_ui(file);
    });
    files_picker.addEventListener('change', () => {
        const pairs = gs_library.from_picker(files_picker.files, false);
        files_picker.value = '';
        library_from_ui(pairs);
    });
    folder_picker.addEventListener('change', () => {
        const pairs = gs_library.from_picker(folder_picker.files, true);
        folder_picker.value = '';
        if (pairs.length === 0) show_status('That folder has no audio files (.wav, .mp3, .flac, .ogg, ...)');
        library_from_ui(pairs);
    });
    model_picker.addEventListener('change', () => {
        const files = Array.from(model_picker.files || []);
        model_picker.value = '';
        const onnx = files.find((f) => /\.onnx$/i.test(f.name));
        const card = files.find((f) => /\.json$/i.test(f.name));
        if (!onnx || !card) {
            Module.ccall('gs_model_error', null, ['string'], ['choose both the .onnx and its .json card (select the two files together)']);
            return;
        }
        load_model(onnx, card).catch((e) => console.warn('[genrescope] ' + message_of(e)));
    });

    window.genrescope = {
        ready: ready,
        get backend() { return model ? model.backend : null; },
        classify: classify,
        get lastResult() { return last_result; },
        // {result, error, busy, progress, file, live: {active, updates, probabilities, latency_ms, ...},
        //  model: {name, labels, backend, note}, saliency: {...}}
        state: () => JSON.parse(Module.UTF8ToString(Module._gs_state_json())),
        startMicrophone: start_microphone,
        stopMicrophone: stop_microphone,
        loadModel: load_model,
        // Library mode: many files, one at a time (README "Library mode in the page").
        library: {
            add: library_add,  // inputs (array) -> Promise<[item]> when those are finished
            state: library_state,  // {total, done, failed, waiting, busy, labels, items: [{file, status, ...}]}
            map: () => JSON.parse(library_string(1)),  // [{file, x, y, top}]
            similar: (file, k = 10) => library_similar(file, k),
            exportCsv: () => library_string(3),
            exportJson: () => library_string(4),
            exportM3u: () => library_string(5),
            view: () => JSON.parse(library_string(2)),
            memory: () => JSON.parse(library_string(6)),  // {heap_used, library_bytes}: wasm malloc'd bytes, the items' share  // {sort, ascending, genre, text, files}: the table's rows
            // setView({sort: 'confidence', ascending: false, genre: 'rock', text: ''}): as the table's headers and filters
            setView: (v = {}) => {
                const err = Module.ccall('gs_library_set_view', 'string', ['string', 'number', 'string', 'string'],
                                         [v.sort || '', v.ascending === false ? 0 : 1, v.genre || '', v.text || '']);
                if (err) throw new Error(err);
                return JSON.parse(library_string(2));
            },
            // select(file): highlights it (table, map, similar list) and re-opens it in the single-song view.
            select: (file) => {
                const i = library_state().items.findIndex((it) => it.file === file);
                if (i >= 0) {
                    Module._gs_library_set_selected(i);
                    Module.gs_library_select(i);
                }
                return i;
            },
            // playSimilar(file, k): plays it, then its k nearest songs, each to its end; returns the play order.
            // playing(): {files, position, playing} of that run (position -1: none).
            playSimilar: (file, k = 5) => play_similar(String(file), k),
            playing: () => ({ files: playlist.files.slice(), position: playlist.pos, playing: gs_audio.playing() }),
            cancel: () => library_queue.cancel(),
            clear: () => { play_position(-1); library_queue.clear(); },
        },
    };

    if (!document.createElement('canvas').getContext('webgl2'))
        show_status('This browser has no WebGL2: GenreScope cannot draw here.');
    else
        show_status('Loading GenreScope...');
})();
