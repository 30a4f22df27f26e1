// inference.js: ONNX Runtime Web for the page: backend choice (WebGPU probe, WASM fallback, ?backend=), model
// sessions checked against their card, and serialised batch runs. Defines window.gs_inference. Classic script.
(function () {
    'use strict';

    // dist/ort/ holds each bundle with the .mjs/.wasm pair it loads (copied from node_modules at build time).
    const k_bundles = { wasm: './ort/ort.wasm.min.mjs', webgpu: './ort/ort.webgpu.min.mjs' };
    const ort_modules = {};  // backend -> the imported module

    async function load_ort(backend) {
        if (!ort_modules[backend]) {
            const ort = await import(k_bundles[backend]);
            ort.env.wasm.wasmPaths = new URL('ort/', document.baseURI).href;
            // Threads need cross-origin isolation (tools/serve --isolate); without it ORT runs single-threaded.
            ort.env.wasm.numThreads = self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
            ort.env.logLevel = 'error';
            ort_modules[backend] = ort;
        }
        return ort_modules[backend];
    }

    // The backend to try first: ?backend=wasm|webgpu, else WebGPU when the browser gives an adapter.
    async function preferred_backend() {
        const forced = new URLSearchParams(location.search).get('backend');
        if (forced === 'wasm' || forced === 'webgpu') return { backend: forced, note: `forced by ?backend=${forced}` };
        let adapter = null;
        try {
            adapter = navigator.gpu ? await navigator.gpu.requestAdapter() : null;
        } catch (e) {
            adapter = null;
        }
        if (adapter) return { backend: 'webgpu', note: 'WebGPU adapter found' };
        return { backend: 'wasm', note: navigator.gpu ? 'no WebGPU adapter: using WASM' : 'no WebGPU in this browser: using WASM' };
    }

    async function sha256_hex(bytes) {
        if (!self.crypto || !crypto.subtle) return null;  // insecure context (plain http on another host)
        const digest = await crypto.subtle.digest('SHA-256', bytes);
        return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
    }

    // A ready model: session + what the card says about its tensors.
    class model_session {
        constructor(ort, session, backend, card) {
            this.ort = ort;
            this.session = session;
            this.backend = backend;
            this.card = card;
            this.input_name = (card.io && card.io.input_name) || 'input';
            this.output_name = (card.io && card.io.output_name) || 'probabilities';
            this.n_classes = card.labels.length;
            // The backbone's own class scores (card "tags"), fetched beside the probabilities; may be the same output.
            this.tag_output = card.tags && typeof card.tags.output === 'string' ? card.tags.output : null;
            this.n_tags = this.tag_output && Array.isArray(card.tags.labels) ? card.tags.labels.length : 0;
            this.fetches = [...new Set([this.output_name, this.tag_output].filter((x) => x))];
            // The track embedding's source (card "embedding", or an older backbone card's training.backbone.embedding),
            // fetched only when asked (library mode); null when the card names none or the graph lacks it.
            const emb = card.embedding && typeof card.embedding.output === 'string' ? card.embedding.output
                : card.training && card.training.backbone && typeof card.training.backbone.embedding === 'string'
                    ? card.training.backbone.embedding : null;
            this.embedding_output = emb && session.outputNames.includes(emb) && !this.fetches.includes(emb) ? emb : null;
        }
        // data: Float32Array of n * bins * frames; resolves to {probs: Float32Array of n * n_classes, tags: Float32Array
        // of n * n_tags, or null for a card without tags, embedding: Float32Array of n * dim when with_embedding and the
        // model has one, else null}. Only these outputs are fetched (the embedding only when asked).
        async run(data, n, bins, frames, with_embedding = false) {
            const input = new this.ort.Tensor('float32', data, [n, 1, bins, frames]);
            const fetches = with_embedding && this.embedding_output ? [...this.fetches, this.embedding_output] : this.fetches;
            const out = await this.session.run({ [this.input_name]: input }, fetches);
            const read = (name) => {
                const t = out[name];
                return t.data instanceof Float32Array ? t.data : new Float32Array(t.data);
            };
            const probs = read(this.output_name);
            const tags = this.tag_output ? read(this.tag_output) : null;
            const embedding = fetches.length > this.fetches.length ? read(this.embedding_output) : null;
            for (const name of fetches) if (out[name] && out[name].dispose) out[name].dispose();
            return { probs, tags, embedding };
        }
        release() {
            try { this.session.release(); } catch (e) { /* already gone */ }
        }
    }

    // Creates a session for onnx_bytes on `backend`, checks it against the card (names, a warm-up run of one
    // zero segment giving n_classes values). Throws an Error saying what is wrong.
    async function create_session(backend, onnx_bytes, card) {
        const ort = await load_ort(backend);
        const session = await ort.InferenceSession.create(onnx_bytes, { executionProviders: [backend] });
        const m = new model_session(ort, session, backend, card);
        if (!session.inputNames.includes(m.input_name))
            throw new Error(`the model has no input '${m.input_name}' (it has ${session.inputNames.join(', ')})`);
        for (const name of m.fetches)
            if (!session.outputNames.includes(name))
                throw new Error(`the model has no output '${name}' (it has ${session.outputNames.join(', ')})`);
        const [, , bins, frames] = card.io.input_shape;
        const { probs, tags } = await m.run(new Float32Array(bins * frames), 1, bins, frames);
        if (probs.length !== m.n_classes)
            throw new Error(`the model gives ${probs.length} outputs per segment, the card has ${m.n_classes} labels`);
        if (!probs.every(Number.isFinite)) throw new Error('the model gives non-finite outputs');
        if (tags && tags.length !== m.n_tags)
            throw new Error(`the model gives ${tags.length} tag scores per segment ('${m.tag_output}'), the card's ` +
                            `tags name ${m.n_tags}`);
        if (tags && !tags.every(Number.isFinite)) throw new Error('the model gives non-finite tag scores');
        return m;
    }

    // Checks the ONNX bytes against the card (sha256, when pinned and the page can hash), then opens a session on
    // the preferred backend, falling back to WASM if WebGPU fails. Resolves to {model, backend, note, load_ms}.
    async function open_model(onnx_bytes, card) {
        const t0 = performance.now();
        if (card.onnx_sha256) {
            const sha = await sha256_hex(onnx_bytes);
            if (sha !== null && sha !== card.onnx_sha256)
                throw new Error(`the .onnx does not match its card (sha256 ${sha.slice(0, 12)}..., the card pins ` +
                                `${String(card.onnx_sha256).slice(0, 12)}...)`);
        }
        const pref = await preferred_backend();
        let note = pref.note;
        let model;
        try {
            model = await create_session(pref.backend, onnx_bytes, card);
        } catch (e) {
            if (pref.backend !== 'webgpu') throw e;
            note = `WebGPU failed (${e.message || e}); using WASM`;
            console.warn('[genrescope] ' + note);
            model = await create_session('wasm', onnx_bytes, card);
        }
        return { model, backend: model.backend, note, load_ms: performance.now() - t0 };
    }

    window.gs_inference = { open_model, create_session, preferred_backend };
})();
