// library.js: library mode's page side: gathering many files (several dropped or chosen files, folders walked
// recursively through webkitGetAsEntry or <input webkitdirectory>) and the queue that sends them one at a time
// through the page's classification, yielding between files. Defines window.gs_library; bridge.js creates the
// queue and window.genrescope.library. C++ (web/src/library.*) keeps the stages and results. Classic script.
(function () {
    'use strict';

    // Extensions a folder's files must have to be queued (explicitly chosen files are all queued).
    const k_audio_ext = /\.(wav|wave|au|snd|mp3|ogg|oga|opus|flac|m4a|aac|mp4|webm|aif|aiff)$/i;

    function message_of(e) {
        return e && e.message ? e.message : String(e);
    }

    // The name an input is listed under: a folder-relative path, a File's name, a URL's last part, {name}.
    function name_of(input) {
        if (typeof input === 'string') {
            try {
                const u = new URL(input, document.baseURI);
                return decodeURIComponent(u.pathname.split('/').pop() || u.hostname);
            } catch (e) {
                return input;
            }
        }
        if (input && input.webkitRelativePath) return input.webkitRelativePath;
        if (input && typeof input.name === 'string' && input.name) return input.name;
        return 'buffer';
    }

    // {name, bytes} -> a File (what classify() reads); other inputs as they are.
    function to_input(input) {
        if (input && !(input instanceof Blob) && typeof input === 'object' && 'bytes' in input && 'name' in input)
            return new File([input.bytes], String(input.name));
        return input;
    }

    // All files under a FileSystemEntry (directories read to the end: readEntries returns batches).
    async function walk_entry(entry, out) {
        if (entry.isFile) {
            const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
            if (k_audio_ext.test(file.name)) out.push({ input: file, name: entry.fullPath.replace(/^\//, '') });
            return;
        }
        if (!entry.isDirectory) return;
        const reader = entry.createReader();
        const children = [];
        for (;;) {
            const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
            if (batch.length === 0) break;
            children.push(...batch);
        }
        children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        for (const c of children) await walk_entry(c, out);
    }

    // What a drop carries, read synchronously (a DataTransfer is emptied after its event):
    // {single: File | null, collect: () => Promise<[{input, name}]> | null}. One plain file keeps the single-song
    // behaviour; several files or any folder go to the library.
    function read_drop(transfer) {
        if (!transfer) return { single: null, collect: null };
        const entries = [];
        const files = [];
        for (const item of Array.from(transfer.items || [])) {
            if (item.kind !== 'file') continue;
            const entry = item.webkitGetAsEntry ? item.webkitGetAsEntry() : null;
            const file = item.getAsFile();
            entries.push(entry);
            files.push(file);
        }
        if (files.length === 0) for (const f of Array.from(transfer.files || [])) { entries.push(null); files.push(f); }
        const has_folder = entries.some((e) => e && e.isDirectory);
        if (files.length === 1 && !has_folder) return { single: files[0], collect: null };
        if (files.length === 0) return { single: null, collect: null };
        return {
            single: null,
            collect: async () => {
                const out = [];
                for (let i = 0; i < files.length; ++i) {
                    if (entries[i] && entries[i].isDirectory) await walk_entry(entries[i], out);
                    else if (files[i]) out.push({ input: files[i], name: files[i].name });
                }
                return out;
            },
        };
    }

    // Files from <input multiple> or <input webkitdirectory> (folder: audio extensions only, sorted by path).
    function from_picker(list, folder) {
        const out = Array.from(list || [])
            .filter((f) => !folder || k_audio_ext.test(f.name))
            .map((f) => ({ input: f, name: folder && f.webkitRelativePath ? f.webkitRelativePath : f.name }));
        if (folder) out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        return out;
    }

    // The queue. deps: {module: () => Module, run: (input, index) => Promise (one file through classification,
    // serialised with the page's other files), reopen: (input) => void, note: (text) => void}.
    function create_queue(deps) {
        const entries = [];  // index -> {input kept for re-opening (File handles and URLs only), name}
        const queue = [];    // indices waiting
        const waiters = new Map();  // index -> resolve
        let running = false;
        let cancel = false;
        let generation = 0;

        const M = () => deps.module();
        const finish = (index) => {
            const w = waiters.get(index);
            waiters.delete(index);
            if (w) w();
        };

        async function pump() {
            if (running) return;
            running = true;
            try {
                while (queue.length > 0) {
                    if (cancel) {
                        for (const index of queue.splice(0)) {
                            M()._gs_library_cancelled(index);
                            finish(index);
                        }
                        break;
                    }
                    const index = queue.shift();
                    const entry = entries[index];
                    const gen = generation;
                    try {
                        await deps.run(to_input(entry.input), index);
                    } catch (e) {
                        // the error is in the item (C++ got it through the job); nothing else to do
                    }
                    if (gen === generation) {
                        // Keep only a handle to re-open the file later, never its bytes.
                        const inp = entry.input;
                        entry.input = inp instanceof File || typeof inp === 'string' ? inp : null;
                    }
                    finish(index);
                    await new Promise((r) => setTimeout(r, 0));  // let the page draw between files
                }
            } finally {
                running = false;
                cancel = false;
                M()._gs_library_set_cancelling(0);
            }
        }

        // add(inputs): [{input, name}] or raw inputs; resolves with those items' results when all are finished.
        function add(list) {
            const arr = Array.isArray(list) ? list : list && typeof list.length === 'number' && !(typeof list === 'string') ? Array.from(list) : [list];
            const indices = [];
            const done = [];
            for (const x of arr) {
                const pair = x && typeof x === 'object' && 'input' in x && 'name' in x && !('bytes' in x) ? x : { input: x, name: name_of(x) };
                const index = M().ccall('gs_library_add', 'number', ['string'], [pair.name]);
                entries[index] = { input: pair.input, name: pair.name };
                indices.push(index);
                done.push(new Promise((resolve) => waiters.set(index, resolve)));
                queue.push(index);
            }
            pump();
            return Promise.all(done).then(() => indices);
        }

        function cancel_queue() {
            if (!running && queue.length === 0) return;
            cancel = true;
            M()._gs_library_set_cancelling(1);
        }

        async function clear() {
            cancel_queue();
            while (running) await new Promise((r) => setTimeout(r, 20));
            ++generation;
            entries.length = 0;
            M()._gs_library_clear();
        }

        function reopen(index) {
            const e = entries[index];
            if (e && e.input) deps.reopen(e.input);
            else deps.note(`${e ? e.name : 'that file'}: its bytes were not kept (only file handles and URLs are); add it again to see it`);
        }

        return { add, cancel: cancel_queue, clear, reopen, running: () => running };
    }

    window.gs_library = { read_drop, from_picker, create_queue, name_of, message_of };
})();
