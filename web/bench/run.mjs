#!/usr/bin/env node
// Browser benchmark: the engine vs ONNX Runtime Web at the same thread count, in headless Chromium on a cross-origin
// isolated page (what threads need), one page per thread count; prints the tables and writes build/bench/browser.md.
// Usage: node web/bench/run.mjs [--threads 1,2] [--cases unet32:28:100,unet32:256:20,photo:1024:3]
//   [--bench-dir build/wasm/wasm/bench] [--bench-threads-dir build/wasm-threads/wasm/bench] [--out build/bench]
// More threads on a machine with more cores: --threads 1,2,4 (the engine and ONNX Runtime Web both stop at 4).
// A case is model:side:runs (web/models/MODEL.safetensors and .onnx, a side x side image, single calls per backend).
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const { chromium } = createRequire(path.join(root, 'web', 'package.json'))('playwright-core');
const args = { threads: '1,2', cases: 'unet32:28:100,unet32:256:20,photo:1024:3',
  'bench-dir': path.join(root, 'build/wasm/wasm/bench'), 'bench-threads-dir': path.join(root, 'build/wasm-threads/wasm/bench'),
  out: path.join(root, 'build/bench') };
for (let i = 2; i < process.argv.length; i += 2) {
  const key = process.argv[i].replace(/^--/, '');
  if (!(key in args) || i + 1 >= process.argv.length) {
    console.error('usage: node web/bench/run.mjs [--threads 1,2] [--cases model:side:runs,...] [--bench-dir DIR] ' +
      '[--bench-threads-dir DIR] [--out DIR]');
    process.exit(2);
  }
  args[key] = process.argv[i + 1];
}
const threadCounts = args.threads.split(',').map(Number);
if (threadCounts.some((n) => !Number.isInteger(n) || n < 1 || n > 4)) {
  console.error('--threads: counts from 1 to 4');
  process.exit(2);
}
for (const [dir, hint] of [[args['bench-dir'], 'make wasm'], [args['bench-threads-dir'], 'make wasm-threads']])
  if (!fs.existsSync(path.join(dir, 'dae_bench.js'))) {
    console.error(`${dir}/dae_bench.js not found: build it first (${hint})`);
    process.exit(1);
  }

// URL prefix -> folder.
const mounts = [
  ['/ort/', path.join(root, 'web/node_modules/onnxruntime-web/dist')],
  ['/models/', path.join(root, 'web/models')],
  ['/threads/dae_bench.', path.resolve(args['bench-threads-dir']), 'dae_bench.'],
  ['/dae_bench.', path.resolve(args['bench-dir']), 'dae_bench.'],
  ['/', here],
];
const types = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm' };
// Cross-origin isolation: SharedArrayBuffer, so both the engine and ONNX Runtime Web can run threads.
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin' };

const server = http.createServer((req, res) => {
  const url = decodeURIComponent(req.url.split('?')[0]);
  for (const [prefix, dir, keep = ''] of mounts) {
    if (!url.startsWith(prefix)) continue;
    const file = path.join(dir, keep + url.slice(prefix.length));
    if (!file.startsWith(dir) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) break;
    res.writeHead(200, { 'Content-Type': types[path.extname(file)] || 'application/octet-stream', ...isolation });
    fs.createReadStream(file).pipe(res);
    return;
  }
  res.writeHead(404, isolation).end();
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const port = server.address().port;

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--no-first-run', '--disable-background-networking',
    // Playwright gives every launch a fresh temporary profile.
    '--disable-component-update', '--disable-sync', '--disable-quic'],
});
const results = [];
try {
  for (const threads of threadCounts) {
    // A fresh page per thread count: ONNX Runtime Web fixes its thread count when it first starts.
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('console', (m) => process.stderr.write(`[page, ${threads} thread(s)] ${m.text()}\n`));
    await page.goto(`http://127.0.0.1:${port}/index.html?threads=${threads}&cases=${args.cases}`);
    await page.waitForFunction(() => window.benchResult, null, { timeout: 0, polling: 500 });
    const result = await page.evaluate(() => window.benchResult);
    await context.close();
    if (result.error) throw new Error(result.error);
    results.push(result);
  }
} finally {
  await browser.close();
  server.close();
}

const f = (x, d = 2) => x.toFixed(d);
const first = results[0];
const command = `node web/bench/run.mjs --threads ${args.threads} --cases ${args.cases}`;
let md = `# Browser: the engine (${first.isa}) vs ONNX Runtime Web ${first.ortVersion} (wasm), same thread count\n\n`;
md += `\`${command}\`: headless Chromium on a cross-origin isolated page, the threaded engine build; per case, ` +
  `single calls alternating engine / ONNX Runtime after warm-up, medians. The browser reports ` +
  `${first.cores} cores (this machine: ${os.cpus().length}). Roofline: the engine's SIMD multiply-add peak in the ` +
  `page at each thread count (\`dae::ops::peak_gflops\`: ${results.map((r) => `${f(r.peakGflops, 1)} GFLOP/s at ` +
  `${r.threads}`).join(', ')}), and each row's GFLOP/s as a share of it. GFLOP/s count every convolution as direct ` +
  `(2 per multiply-add); Winograd layers do fewer, so a share can pass what the arithmetic alone allows. ` +
  `Max abs diff compares clamped outputs (the ONNX graph ends in a Clip). ` +
  `More threads: \`node web/bench/run.mjs --threads 1,2,4\`.\n\n`;
md += '| image | model | threads | runs | engine ms | ORT ms | engine vs ORT | engine GFLOP/s | of peak | ORT GFLOP/s | ' +
  'max abs diff |\n|---|---|---|---|---|---|---|---|---|---|---|\n';
for (const r of results)
  for (const c of r.cases)
    md += `| ${c.side}x${c.side}${c.channels === 3 ? ' RGB' : ''} | ${c.model} | ${r.threads} | ${c.runs} | ` +
      `${f(c.engineMedianMs, c.engineMedianMs < 10 ? 3 : 1)} | ${f(c.ortMedianMs, c.ortMedianMs < 10 ? 3 : 1)} | ` +
      `**${f(c.ortMedianMs / c.engineMedianMs)}x** | ${f(c.engineGflops, 1)} | ${f(100 * c.engineOfPeak, 0)}% | ` +
      `${f(c.ortGflops, 1)} | ` +
      `${c.maxDiff.toExponential(1)} |\n`;
if (results.length > 1) {
  md += `\nSpeed-up over one thread (median time at 1 thread / at N threads):\n\n` +
    '| image | model | threads | engine | ORT |\n|---|---|---|---|---|\n';
  const one = results.find((r) => r.threads === 1);
  for (const r of results.filter((x) => one && x !== one))
    r.cases.forEach((c, i) => {
      const base = one.cases[i];
      md += `| ${c.side}x${c.side}${c.channels === 3 ? ' RGB' : ''} | ${c.model} | ${r.threads} | ` +
        `${f(base.engineMedianMs / c.engineMedianMs)}x | ${f(base.ortMedianMs / c.ortMedianMs)}x |\n`;
    });
}
console.log(md);
fs.mkdirSync(args.out, { recursive: true });
fs.writeFileSync(path.join(args.out, 'browser.md'), md);
fs.writeFileSync(path.join(args.out, 'browser.json'), JSON.stringify({ command, results }, null, 1) + '\n');
