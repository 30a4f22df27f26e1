// bridge.js: the page side of GenreScope: the Emscripten Module settings, file drop / file picker -> gs_load_audio,
// and window.genrescope (ready, state(), load_file()) for tests and later steps. Loaded before app.js.
(function () {
    'use strict';

    const canvas = document.getElementById('canvas');
    const picker = document.getElementById('file_picker');
    const overlay = document.getElementById('drop_overlay');
    const status_line = document.getElementById('status');

    let resolve_ready;
    let reject_ready;
    const ready = new Promise((resolve, reject) => {
        resolve_ready = resolve;
        reject_ready = reject;
    });

    function show_status(text) {
        status_line.textContent = text;
        status_line.hidden = !text;
    }

    // Emscripten reads these settings when app.js starts.
    window.Module = {
        canvas: canvas,
        print: (text) => console.log(text),
        printErr: (text) => console.error(text),
        // Called by the app (EM_JS in main.cpp) after its first frame was drawn.
        gs_on_first_frame: () => {
            show_status('');
            resolve_ready();
        },
        // Called by the app's "open a file..." button.
        gs_open_file_dialog: () => picker.click(),
        onAbort: (what) => {
            show_status('GenreScope stopped: ' + what);
            reject_ready(new Error(String(what)));
        },
    };
    canvas.addEventListener('webglcontextlost', (e) => {
        show_status('The WebGL context was lost; reload the page.');
        e.preventDefault();
    });

    // Copies the file into the wasm heap and hands it to C++ (which decodes and analyses it synchronously).
    async function load_file(file) {
        await ready;
        const bytes = new Uint8Array(await file.arrayBuffer());
        const ptr = Module._malloc(Math.max(1, bytes.length));
        if (!ptr) throw new Error('out of memory for ' + file.name);
        try {
            Module.HEAPU8.set(bytes, ptr);
            Module.ccall('gs_load_audio', null, ['string', 'number', 'number'], [file.name, ptr, bytes.length]);
        } finally {
            Module._free(ptr);
        }
    }

    function first_file(list) {
        return list && list.length > 0 ? list[0] : null;
    }

    // Drop anywhere on the page.
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
        const file = first_file(e.dataTransfer && e.dataTransfer.files);
        if (file) load_file(file).catch((err) => console.error(err));
    });
    picker.addEventListener('change', () => {
        const file = first_file(picker.files);
        picker.value = '';  // choosing the same file again fires 'change' again
        if (file) load_file(file).catch((err) => console.error(err));
    });

    window.genrescope = {
        ready: ready,
        // {file, error, frames, n_mels, sample_rate_hz, duration_s, format, decode_ms, features_ms, generation}
        state: () => JSON.parse(Module.UTF8ToString(Module._gs_state_json())),
        load_file: load_file,
    };

    if (!document.createElement('canvas').getContext('webgl2'))
        show_status('This browser has no WebGL2: GenreScope cannot draw here.');
    else
        show_status('Loading GenreScope...');
})();
