#!/usr/bin/env node
// Static file server for the built site on 127.0.0.1, with the headers the app wants from a real host:
// cross-origin isolation, a strict Content-Security-Policy and correct MIME types (application/wasm).
// Usage: node web/serve.mjs --root build/site [--port 8000] [--base /sub/path/]   (port 0 picks a free one)
import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

export const MIME_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.safetensors': 'application/octet-stream',
  '.bin': 'application/octet-stream',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
};

// Only this origin's files run; WebAssembly compilation is the one kind of code generation allowed.
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "frame-ancestors 'none'",
].join('; ');

// isolate = false imitates a static host that cannot set the cross-origin isolation headers (for tests).
export function securityHeaders(isolate = true) {
  const isolation = isolate ? {
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Cross-Origin-Resource-Policy': 'same-origin',
  } : {};
  return {
    ...isolation,
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  };
}

// Serves `root` under the URL prefix `base`; resolves with the listening server.
export function startServer({ root, port = 0, base = '/', isolate = true }) {
  const rootDir = resolve(root);
  if (!base.endsWith('/')) base += '/';
  const server = createServer((req, res) => {
    const send = (status, text) => {
      res.writeHead(status, { ...securityHeaders(isolate), 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(text);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n');
    let path;
    try {
      path = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
    } catch {
      return send(400, 'bad request\n');
    }
    if (path + '/' === base) {
      res.writeHead(301, { Location: base });
      return res.end();
    }
    if (!path.startsWith(base)) return send(404, 'not found\n');
    let file = normalize(join(rootDir, path.slice(base.length)));
    if (file !== rootDir && !file.startsWith(rootDir + sep)) return send(403, 'forbidden\n');
    let stat;
    try {
      stat = statSync(file);
      if (stat.isDirectory()) {
        file = join(file, 'index.html');
        stat = statSync(file);
      }
    } catch {
      return send(404, 'not found\n');
    }
    res.writeHead(200, {
      ...securityHeaders(isolate),
      'Content-Type': MIME_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': stat.size,
      'Cache-Control': 'no-cache',
    });
    if (req.method === 'HEAD') return res.end();
    // A file that cannot be read after the 200 went out (removed, unreadable) ends this response, not the server.
    createReadStream(file).on('error', () => res.destroy()).pipe(res);
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => ok(server));
  });
}

function parseArgs(argv) {
  const args = { root: 'build/site', port: 8000, base: '/' };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in args) || i + 1 >= argv.length) {
      console.error(`usage: node serve.mjs --root DIR [--port N] [--base /prefix/]  (unknown or incomplete: ${argv[i]})`);
      process.exit(2);
    }
    args[key] = key === 'port' ? Number(argv[++i]) : argv[++i];
  }
  return args;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = parseArgs(process.argv.slice(2));
  try {
    statSync(join(args.root, 'index.html'));
  } catch {
    console.error(`${args.root}/index.html not found: build the site first (make site)`);
    process.exit(1);
  }
  const server = await startServer(args);
  const base = args.base.endsWith('/') ? args.base : args.base + '/';
  console.log(`Serving ${resolve(args.root)} at http://127.0.0.1:${server.address().port}${base}  (Ctrl-C stops)`);
  const stop = () => server.close(() => process.exit(0)) && setTimeout(() => process.exit(0), 500).unref();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
