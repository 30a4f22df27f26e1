// serve.mjs: a tiny static file server for build/web/dist (node's http module only), optionally cross-origin isolated.
// usage: tools/node tools/serve.mjs [--dir DIR] [--port N] [--host H] [--isolate]
//   --dir      folder to serve (default: build/web/dist next to this script's repository)
//   --port     TCP port (default 8080; 0 picks a free one)
//   --host     address to bind (default 127.0.0.1: only this machine)
//   --isolate  adds COOP/COEP headers (crossOriginIsolated = true: SharedArrayBuffer, threaded ORT-web)
// Also importable: start_static_server({dir, port, host, isolate}) -> Promise<{server, url}>.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const k_mime_types = {
    '.html': 'text/html; charset=utf-8',
    '.js': 'text/javascript; charset=utf-8',
    '.mjs': 'text/javascript; charset=utf-8',
    '.wasm': 'application/wasm',
    '.json': 'application/json; charset=utf-8',
    '.css': 'text/css; charset=utf-8',
    '.png': 'image/png',
    '.svg': 'image/svg+xml',
    '.txt': 'text/plain; charset=utf-8',
    '.onnx': 'application/octet-stream',
    '.wav': 'audio/wav',
};

// Serves files under `dir` (GET/HEAD only, no directory listings except index.html, no paths outside dir).
export function start_static_server({ dir, port = 0, host = '127.0.0.1', isolate = false, log = false }) {
    const root = path.resolve(dir);
    const server = http.createServer((req, res) => {
        const headers = { 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' };
        if (isolate) {
            headers['Cross-Origin-Opener-Policy'] = 'same-origin';
            headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
            headers['Cross-Origin-Resource-Policy'] = 'same-origin';
        }
        const finish = (status, body, type) => {
            res.writeHead(status, { ...headers, 'Content-Type': type || 'text/plain; charset=utf-8' });
            res.end(req.method === 'HEAD' ? undefined : body);
            if (log) console.log(`${status} ${req.method} ${req.url}`);
        };
        if (req.method !== 'GET' && req.method !== 'HEAD') return finish(405, 'method not allowed\n');
        let rel;
        try {
            rel = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
        } catch {
            return finish(400, 'bad request\n');
        }
        if (rel.endsWith('/')) rel += 'index.html';
        const file = path.resolve(root, '.' + rel);
        if (file !== root && !file.startsWith(root + path.sep)) return finish(403, 'forbidden\n');
        fs.stat(file, (err, st) => {
            if (err || !st.isFile()) return finish(404, 'not found\n');
            const type = k_mime_types[path.extname(file).toLowerCase()] || 'application/octet-stream';
            res.writeHead(200, { ...headers, 'Content-Type': type, 'Content-Length': st.size });
            if (log) console.log(`200 ${req.method} ${req.url}`);
            if (req.method === 'HEAD') return res.end();
            fs.createReadStream(file).pipe(res);
        });
    });
    return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
            const { port: bound } = server.address();
            resolve({ server, url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}/` });
        });
    });
}

function parse_args(argv) {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const opts = { dir: path.join(here, '..', 'build', 'web', 'dist'), port: 8080, host: '127.0.0.1', isolate: false };
    for (let i = 0; i < argv.length; ++i) {
        const a = argv[i];
        const value = () => {
            if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
            return argv[++i];
        };
        if (a === '--dir') opts.dir = value();
        else if (a === '--port') opts.port = Number(value());
        else if (a === '--host') opts.host = value();
        else if (a === '--isolate') opts.isolate = true;
        else throw new Error(`unknown option '${a}'`);
    }
    if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw new Error('--port: 0..65535');
    return opts;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
    let opts;
    try {
        opts = parse_args(process.argv.slice(2));
    } catch (e) {
        console.error(`serve.mjs: ${e.message}`);
        process.exit(2);
    }
    if (!fs.existsSync(path.join(opts.dir, 'index.html'))) {
        console.error(`serve.mjs: no index.html in ${opts.dir} (run tools/build web)`);
        process.exit(1);
    }
    const { url } = await start_static_server({ ...opts, log: true });
    console.log(`GenreScope: ${url}${opts.isolate ? ' (cross-origin isolated)' : ''}  (Ctrl-C stops)`);
}
