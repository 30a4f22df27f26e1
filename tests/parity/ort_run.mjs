// ort_run.mjs: runs an ONNX model with ONNX Runtime Web (WASM backend) under Node on a float32 .npy input.
//
// Usage: tools/node tests/parity/ort_run.mjs MODEL.onnx INPUT.npy OUTPUT.npy
// The input is fed to the model's first input under the shape stored in INPUT.npy; the model's first output
// is written to OUTPUT.npy as float32 (.npy format 1.0). Exit status 0 on success, 1 with a one-line error.
import * as fs from 'node:fs';
import * as ort from 'onnxruntime-web';

// Reads a little-endian float32 C-order .npy file (format 1.0/2.0/3.0) -> {shape, data: Float32Array}.
function read_npy(path) {
    const buf = fs.readFileSync(path);
    if (buf.length < 10 || buf.readUInt8(0) !== 0x93 || buf.toString('latin1', 1, 6) !== 'NUMPY') {
        throw new Error(`${path}: not a .npy file`);
    }
    const major = buf.readUInt8(6);
    const header_len = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
    const start = (major === 1 ? 10 : 12) + header_len;
    const header = buf.toString('latin1', major === 1 ? 10 : 12, start);
    const descr = /'descr':\s*'([^']*)'/.exec(header);
    const fortran = /'fortran_order':\s*(True|False)/.exec(header);
    const shape_m = /'shape':\s*\(([^)]*)\)/.exec(header);
    if (!descr || !fortran || !shape_m) throw new Error(`${path}: bad .npy header`);
    if (descr[1] !== '<f4') throw new Error(`${path}: dtype ${descr[1]}, expected <f4`);
    if (fortran[1] !== 'False') throw new Error(`${path}: fortran_order arrays are not supported`);
    const shape = shape_m[1].split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
    const count = shape.reduce((a, b) => a * b, 1);
    if (buf.length - start !== 4 * count) throw new Error(`${path}: data size does not match shape`);
    const data = new Float32Array(count);
    for (let i = 0; i < count; ++i) data[i] = buf.readFloatLE(start + 4 * i);
    return { shape, data };
}

// Writes a float32 C-order .npy file, format 1.0, header padded to a multiple of 64 bytes.
function write_npy(path, shape, data) {
    const shape_str = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
    let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape_str}, }`;
    const pad = 64 - ((10 + header.length + 1) % 64);
    header += ' '.repeat(pad % 64) + '\n';
    const out = Buffer.alloc(10 + header.length + 4 * data.length);
    out.writeUInt8(0x93, 0);
    out.write('NUMPY', 1, 'latin1');
    out.writeUInt8(1, 6);
    out.writeUInt8(0, 7);
    out.writeUInt16LE(header.length, 8);
    out.write(header, 10, 'latin1');
    for (let i = 0; i < data.length; ++i) out.writeFloatLE(data[i], 10 + header.length + 4 * i);
    fs.writeFileSync(path, out);
}

async function main() {
    const [model_path, input_path, output_path] = process.argv.slice(2);
    if (!output_path) throw new Error('usage: node ort_run.mjs MODEL.onnx INPUT.npy OUTPUT.npy');
    ort.env.wasm.numThreads = 1;
    ort.env.logLevel = 'error';
    const session = await ort.InferenceSession.create(new Uint8Array(fs.readFileSync(model_path)),
        { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    const input = read_npy(input_path);
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', input.data, input.shape) };
    const results = await session.run(feeds);
    const y = results[session.outputNames[0]];
    if (y.type !== 'float32') throw new Error(`output type ${y.type}, expected float32`);
    write_npy(output_path, Array.from(y.dims), y.data);
    await session.release();
}

main().catch((e) => {
    process.stderr.write(`ort_run: ${String(e && e.message ? e.message : e).split('\n')[0]}\n`);
    process.exit(1);
});
