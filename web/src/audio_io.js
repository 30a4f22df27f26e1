// audio_io.js: the page's audio: reading inputs (File/Blob/ArrayBuffer/URL), the browser decoder for non-WAV/AU
// formats, WebAudio playback of the analysed audio, and microphone capture (getUserMedia + AudioWorklet).
// Defines window.gs_audio. Classic script.
(function () {
    'use strict';

    const k_decode_rate_hz = 44100;  // decodeAudioData's output rate (most mp3/ogg are 44.1 kHz: no browser resampling);
                                     // shared/ then resamples to the model's rate

    // Any accepted input -> {name, bytes: ArrayBuffer}. Throws an Error saying what was wrong.
    async function read_input(input) {
        if (typeof input === 'string') {
            let url;
            try {
                url = new URL(input, document.baseURI);
            } catch (e) {
                throw new Error(`not a URL: ${input}`);
            }
            let response;
            try {
                response = await fetch(url.href);
            } catch (e) {
                throw new Error(`${url.href}: could not fetch (${e.message}; the server must allow CORS)`);
            }
            if (!response.ok) throw new Error(`${url.href}: HTTP ${response.status}`);
            const name = decodeURIComponent(url.pathname.split('/').pop() || url.hostname);
            return { name, bytes: await response.arrayBuffer() };
        }
        if (input instanceof ArrayBuffer) return { name: 'buffer', bytes: input };
        if (ArrayBuffer.isView(input)) return { name: 'buffer', bytes: input.buffer.slice(input.byteOffset, input.byteOffset + input.byteLength) };
        if (input instanceof Blob) return { name: input.name || 'blob', bytes: await input.arrayBuffer() };
        throw new Error('classify() takes a File, Blob, ArrayBuffer or URL string');
    }

    // True for the formats shared/ decodes itself (bit-exact with the trainer): RIFF/WAVE and Sun/NeXT AU.
    function is_wav_or_au(bytes) {
        if (bytes.byteLength < 4) return true;  // let shared/ explain empty and short files
        const b = new Uint8Array(bytes, 0, 4);
        const magic = String.fromCharCode(b[0], b[1], b[2], b[3]);
        return magic === 'RIFF' || magic === '.snd' || magic === 'RIFX' || magic === 'RF64';
    }

    // Browser decoding (mp3, ogg, opus, flac, m4a, ...) -> {mono: Float32Array, rate_hz}.
    async function browser_decode(name, bytes) {
        const ctx = new OfflineAudioContext(1, 1, k_decode_rate_hz);
        let buffer;
        try {
            buffer = await ctx.decodeAudioData(bytes.slice(0));
        } catch (e) {
            throw new Error(`not a WAV/AU file, and the browser cannot decode it (${e && e.message ? e.message : e})`);
        }
        const n = buffer.length;
        if (n === 0) throw new Error('the file holds no audio samples');
        const mono = new Float32Array(n);
        for (let c = 0; c < buffer.numberOfChannels; ++c) {
            const ch = buffer.getChannelData(c);
            for (let i = 0; i < n; ++i) mono[i] += ch[i];
        }
        if (buffer.numberOfChannels > 1) for (let i = 0; i < n; ++i) mono[i] /= buffer.numberOfChannels;
        return { mono, rate_hz: buffer.sampleRate };
    }

    // ---- playback -------------------------------------------------------------------------------------
    const player = { ctx: null, samples: null, rate_hz: 0, buffer: null, source: null, offset_s: 0, started_at: 0, playing: false,
                     on_end: null };  // on_end: called when a song plays to its end (not when stopped or replaced)

    function set_playback(samples, rate_hz) {
        stop_source();
        player.samples = samples;
        player.rate_hz = rate_hz;
        player.buffer = null;
        player.offset_s = 0;
    }
    function stop_source() {
        if (player.source) {
            player.source.onended = null;
            try { player.source.stop(); } catch (e) { /* not started */ }
            player.source = null;
        }
        player.playing = false;
    }
    function position() {
        if (!player.playing) return player.offset_s;
        return Math.min(duration(), player.offset_s + (player.ctx.currentTime - player.started_at));
    }
    function duration() {
        return player.samples ? player.samples.length / player.rate_hz : 0;
    }
    function play_from(t_s) {
        if (!player.samples) return;
        if (!player.ctx) player.ctx = new AudioContext();
        if (player.ctx.state === 'suspended') player.ctx.resume();
        if (!player.buffer) {
            player.buffer = player.ctx.createBuffer(1, player.samples.length, player.rate_hz);
            player.buffer.copyToChannel(player.samples, 0);
        }
        stop_source();
        const src = player.ctx.createBufferSource();
        src.buffer = player.buffer;
        src.connect(player.ctx.destination);
        player.offset_s = Math.max(0, Math.min(t_s, duration()));
        player.started_at = player.ctx.currentTime;
        src.onended = () => {
            if (player.source === src) {
                player.offset_s = position();
                player.playing = false;
                player.source = null;
                if (player.on_end) player.on_end();
            }
        };
        src.start(0, player.offset_s);
        player.source = src;
        player.playing = true;
    }
    function toggle() {
        if (player.playing) {
            player.offset_s = position();
            stop_source();
        } else {
            play_from(player.offset_s >= duration() - 0.01 ? 0 : player.offset_s);
        }
    }
    function seek(t_s) {
        if (player.playing) play_from(t_s);
        else player.offset_s = Math.max(0, Math.min(t_s, duration()));
    }

    // ---- microphone -----------------------------------------------------------------------------------
    const mic = { ctx: null, stream: null, node: null, source: null };

    // Starts capture; on_chunk(Float32Array mono, rate_hz, arrival_ms) per block. Throws a readable Error.
    async function start_microphone(on_chunk) {
        if (mic.ctx) return mic.ctx.sampleRate;
        if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia)
            throw new Error('this page cannot use a microphone (it needs https or localhost)');
        let stream;
        try {
            stream = await navigator.mediaDevices.getUserMedia({
                audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
            });
        } catch (e) {
            if (e && (e.name === 'NotAllowedError' || e.name === 'SecurityError'))
                throw new Error('microphone permission denied: allow it in the browser (address bar) and try again');
            if (e && e.name === 'NotFoundError') throw new Error('no microphone found');
            throw new Error(`could not open the microphone (${e && e.message ? e.message : e})`);
        }
        const ctx = new AudioContext();
        try {
            await ctx.audioWorklet.addModule(new URL('mic_worklet.js', document.baseURI).href);
            const source = ctx.createMediaStreamSource(stream);
            const node = new AudioWorkletNode(ctx, 'gs-capture', { numberOfInputs: 1, numberOfOutputs: 0 });
            node.port.onmessage = (e) => on_chunk(e.data, ctx.sampleRate, performance.now());
            source.connect(node);
            if (ctx.state === 'suspended') await ctx.resume();
            Object.assign(mic, { ctx, stream, node, source });
        } catch (e) {
            stream.getTracks().forEach((t) => t.stop());
            ctx.close();
            throw new Error(`could not start audio capture (${e && e.message ? e.message : e})`);
        }
        return ctx.sampleRate;
    }

    function stop_microphone() {
        if (!mic.ctx) return false;
        mic.node.port.onmessage = null;
        mic.source.disconnect();
        mic.stream.getTracks().forEach((t) => t.stop());
        mic.ctx.close();
        Object.assign(mic, { ctx: null, stream: null, node: null, source: null });
        return true;
    }

    window.gs_audio = {
        read_input, is_wav_or_au, browser_decode,
        set_playback, toggle, seek, position, playing: () => player.playing,
        play: () => { if (!player.playing) play_from(0); },
        on_end: (fn) => { player.on_end = fn; },
        start_microphone, stop_microphone, microphone_active: () => mic.ctx !== null,
    };
})();
