// Serves the benchmark page and runs it in headless Chromium; prints the tables and writes
// build/bench/browser.md. Usage: node web/bench/run.mjs [--bench-dir build/wasm/wasm/bench]
//   [--model unet] [--runs 200] [--out build/bench]
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) =>
  (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const benchDir = path.resolve(args['bench-dir'] || path.join(root, 'build/wasm/wasm/bench'));
const model = args.model || 'unet';
const runs = Number(args.runs || 200);
const outDir = path.resolve(args.out || path.join(root, 'build/bench'));

// URL prefix -> folder.
const mounts = [
  ['/ort/', path.join(root, 'web/node_modules/onnxruntime-web/dist')],
  ['/models/', path.join(root, 'web/models')],
  ['/dae_bench.', benchDir, 'dae_bench.'],
  ['/', here],
];
const types = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm' };

const server = http.createServer((req, res) => {
  const url = decodeURIComponent(req.url.split('?')[0]);
  for (const [prefix, dir, keep = ''] of mounts) {
    if (!url.startsWith(prefix)) continue;
    const file = path.join(dir, keep + url.slice(prefix.length));
    if (!file.startsWith(dir) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) break;
    res.writeHead(200, { 'Content-Type': types[path.extname(file)] || 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
    return;
  }
  res.writeHead(404).end();
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const port = server.address().port;

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--no-first-run', '--disable-background-networking',
    // Playwright gives every launch a fresh temporary profile.
    '--disable-component-update', '--disable-sync', '--disable-quic'],
});
let result;
try {
  const page = await browser.newPage();
  page.on('console', (m) => process.stderr.write(`[page] ${m.text()}\n`));
  await page.goto(`http://127.0.0.1:${port}/index.html?model=${model}&runs=${runs}`);
  await page.waitForFunction(() => window.benchResult, null, { timeout: 600000, polling: 500 });
  result = await page.evaluate(() => window.benchResult);
} finally {
  await browser.close();
  server.close();
}
if (result.error) {
  console.error(result.error);
  process.exit(1);
}

const f = (x, d = 2) => x.toFixed(d);
let md = `# Browser: engine (${result.isa}, 1 thread) vs ONNX Runtime Web (wasm, 1 thread), model ${model}\n\n`;
md += `Headless Chromium, same page, ${runs} alternating engine/ORT runs per figure after warm-up; ORT session creation ` +
  `${f(result.ortSessionMs, 0)} ms. SIMD multiply-add peak in the same page: ${f(result.peakGflops, 1)} GFLOP/s.\n\n`;
md += '| image | MFLOP | engine median ms | ORT median ms | engine back-to-back ms | ORT back-to-back ms | ' +
  'speed-up (median) | engine GFLOP/s | ORT GFLOP/s | engine % of peak |\n|---|---|---|---|---|---|---|---|---|---|\n';
for (const r of result.sizes)
  md += `| ${r.side}x${r.side} | ${f(r.flops / 1e6, 1)} | ${f(r.engineMedianMs, 3)} | ${f(r.ortMedianMs, 3)} | ` +
    `${f(r.engineMeanMs, 3)} | ${f(r.ortMeanMs, 3)} | ${f(r.ortMedianMs / r.engineMedianMs)}x | ` +
    `${f(r.engineGflops, 1)} | ${f(r.ortGflops, 1)} | ${f(100 * r.engineGflops / result.peakGflops, 0)}% |\n`;
console.log(md);
fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.join(outDir, 'browser.md'), md);
