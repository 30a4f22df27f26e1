// mic_worklet.js: AudioWorklet processor for the microphone: posts mono blocks of k_block samples to the page.
const k_block = 1024;  // samples per message (~21 ms at 48 kHz): small enough for low latency, few messages

class gs_capture extends AudioWorkletProcessor {
    constructor() {
        super();
        this.block = new Float32Array(k_block);
        this.n = 0;
    }
    process(inputs) {
        const input = inputs[0];
        if (input && input.length > 0) {
            const n_ch = input.length;
            const len = input[0].length;
            for (let i = 0; i < len; ++i) {
                let v = 0;
                for (let c = 0; c < n_ch; ++c) v += input[c][i];
                this.block[this.n++] = v / n_ch;  // channels averaged, as shared/ does for files
                if (this.n === k_block) {
                    this.port.postMessage(this.block);
                    this.block = new Float32Array(k_block);
                    this.n = 0;
                }
            }
        }
        return true;
    }
}

registerProcessor('gs-capture', gs_capture);
