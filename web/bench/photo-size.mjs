#!/usr/bin/env node
// Full-size photo benchmark: a generated noisy color photo of 12 and 24 megapixels through the real page (the built
// site in headless Chromium, "My photo is noisy", the engine at 1 and 2 threads), through ONNX Runtime Web on the same
// page, and through dae-denoise at 1 and 2 threads, in one run. Prints a table of time to the first tile shown, total
// time, time per megapixel and peak memory (the page's WebAssembly heap; dae-denoise's resident set from
// /usr/bin/time), and writes it to build/bench/photo-size.md. A benchmark, not a test: nothing is asserted.
// Usage: node web/bench/photo-size.mjs [--model photo] [--sizes 4000x3000,6000x4000] [--threads 1,2] [--ort 1]
//   [--site build/site] [--out build/bench]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const { chromium } = createRequire(path.join(root, 'web', 'package.json'))('playwright-core');
const { startServer } = await import(pathToFileURL(path.join(root, 'web', 'serve.mjs')).href);
const { noisyPhotoRgba, pngRgba } = await import(pathToFileURL(path.join(root, 'tests', 'browser', 'fixtures.mjs')).href);

const args = { model: 'photo', sizes: '4000x3000,6000x4000', threads: '1,2', ort: '1', site: path.join(root, 'build/site'),
  out: path.join(root, 'build/bench') };
for (let i = 2; i < process.argv.length; i += 2) {
  const key = process.argv[i].replace(/^--/, '');
  if (!(key in args) || i + 1 >= process.argv.length) {
    console.error('usage: node web/bench/photo-size.mjs [--model photo] [--sizes WxH,...] [--threads 1,2] [--ort 1|0] ' +
      '[--site DIR] [--out DIR]');
    process.exit(2);
  }
  args[key] = process.argv[i + 1];
}
const sizes = args.sizes.split(',').map((s) => s.split('x').map(Number));
const threadCounts = args.threads.split(',').map(Number);
const cli = path.join(root, 'build', 'native', 'native', 'cli', 'dae-denoise');
const modelFile = path.join(root, 'web', 'models', `${args.model}.safetensors`);
for (const f of [cli, modelFile, path.join(args.site, 'index.html')])
  if (!fs.existsSync(f)) { console.error(`missing ${f}: build first (make native site)`); process.exit(1); }

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dae-photo-bench-'));
const server = await startServer({ root: args.site, port: 0, base: '/', isolate: true });
const siteUrl = `http://127.0.0.1:${server.address().port}/`;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
  args: ['--headless', '--no-sandbox', '--no-first-run', '--disable-background-networking', '--enable-unsafe-swiftshader',
    '--js-flags=--max-old-space-size=8192'] });
const rows = [];
const mb = (b) => (b / 1048576).toFixed(0);

// One photo through the page: {ms, firstTile, heap, engineMs} or {error}.
async function inPage(file, threads, backend) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    await context.route('**/bench-input/*', (route) => route.fulfill({ status: 200, contentType: 'image/png', body: fs.readFileSync(file) }));
    const page = await context.newPage();
    await page.goto(`${siteUrl}?threads=${threads}`);
    await page.waitForFunction(() => window.dae && window.dae.ready, null, { timeout: 60000 });
    return await page.evaluate(async ([model, backend]) => {
      const d = window.dae;
      d.setPhotoMode('noisy-photo');
      d.setImage(new Float32Array(3 * 64 * 64).fill(0.5), 64, 64, { fullResolution: true, channels: 3 });
      const loaded = await d.loadModel(model);
      if (!loaded.ok) return { error: loaded.message };
      if (backend !== 'engine') await d.setBackend(backend);
      await d.whenIdle();
      const blob = await (await fetch('bench-input/photo.png')).blob();
      const ortBefore = d.state().ortMs;
      const t0 = performance.now();
      const r = await d.uploadFile(new File([blob], 'photo.png', { type: 'image/png' }), { mode: 'full' });
      if (!r.ok) return { error: r.message };
      let firstTile = null;
      while (d.state().busy || (backend !== 'engine' && d.state().ortPending)) {
        if (firstTile === null && d.state().partialTiles > 0) firstTile = performance.now() - t0;
        await new Promise((f) => setTimeout(f, 25));
      }
      const s = d.state();
      // ONNX Runtime's own time for this photo, not the small image's before it; a failure switches back to the engine.
      if (backend !== 'engine' && (s.backend !== backend || s.ortMs === ortBefore))
        return { error: `${s.ortStatus || s.message}`.slice(0, 160) };
      return { ms: performance.now() - t0, firstTile, heap: d.wasmMemoryBytes, engineMs: s.engineMs, ortMs: s.ortMs,
        threads: s.threads, message: s.message };
    }, [args.model, backend]);
  } catch (e) {
    return { error: String(e.message || e).split('\n')[0] };
  } finally {
    await context.close();
  }
}

for (const [w, h] of sizes) {
  const mp = (w * h) / 1e6;
  const file = path.join(dir, `photo-${w}x${h}.png`);
  fs.writeFileSync(file, pngRgba(w, h, noisyPhotoRgba(w, h)));
  for (const threads of threadCounts) {
    const r = await inPage(file, threads, 'engine');
    rows.push(r.error ? [`${w}x${h}`, `page, engine, ${threads} thread(s)`, r.error, '', '', ''] :
      [`${w}x${h}`, `page, engine, ${r.threads} thread(s)`, ((r.firstTile ?? r.ms) / 1000).toFixed(1), (r.ms / 1000).toFixed(1),
        (r.ms / 1000 / mp).toFixed(2), `${mb(r.heap)} MiB heap`]);
    console.log(rows.at(-1).join(' | '));
  }
  if (args.ort === '1') {
    const threads = Math.max(...threadCounts);
    const r = await inPage(file, threads, 'ort-wasm');
    rows.push(r.error ? [`${w}x${h}`, `page, ONNX Runtime Web (WASM), ${threads} thread(s)`, `failed: ${r.error}`, '', '', ''] :
      [`${w}x${h}`, `page, ONNX Runtime Web (WASM), ${r.threads} thread(s)`, '-', (r.ms / 1000).toFixed(1),
        (r.ms / 1000 / mp).toFixed(2), `${mb(r.heap)} MiB app heap (ORT's own not counted)`]);
    console.log(rows.at(-1).join(' | '));
  }
  for (const threads of threadCounts) {
    const r = spawnSync('/usr/bin/time', ['-v', cli, file, '-o', path.join(dir, 'out.png'), '--model', modelFile,
      '--threads', String(threads)], { encoding: 'utf8' });
    const denoiseMs = Number(/in ([\d.]+) ms/.exec(r.stdout)?.[1] ?? NaN);
    const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(r.stderr);
    const wallS = wall ? Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]) : NaN;
    const rss = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1] ?? NaN) * 1024;
    rows.push(r.status !== 0 ? [`${w}x${h}`, `dae-denoise, ${threads} thread(s)`, `failed: ${r.stderr.trim().split('\n')[0]}`, '', '', '']
      : [`${w}x${h}`, `dae-denoise, ${threads} thread(s)`, '-', `${(denoiseMs / 1000).toFixed(1)} (${wallS.toFixed(1)} with file I/O)`,
        (denoiseMs / 1000 / mp).toFixed(2), `${mb(rss)} MiB resident`]);
    console.log(rows.at(-1).join(' | '));
  }
}
const table = [`Model '${args.model}', noisy color photos generated by tests/browser/fixtures.mjs (noisyPhotoRgba), ` +
  `"My photo is noisy"; ${os.cpus().length} cores reported; ${new Date().toISOString()}`, '',
  '| photo | where | first tile shown (s) | total (s) | s per megapixel | peak memory |', '|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n') + '\n';
fs.mkdirSync(args.out, { recursive: true });
fs.writeFileSync(path.join(args.out, 'photo-size.md'), table);
console.log(`\n${table}`);
await browser.close();
server.close();
fs.rmSync(dir, { recursive: true, force: true });
