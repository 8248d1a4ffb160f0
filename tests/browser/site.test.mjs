// The site as a whole: headers and isolation, sub-path hosting, offline use through the service worker, saving a PNG,
// and the start-up budgets (first frame time, initial transfer), measured and written to build/browser/budgets.json.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { assert, drag, openApp, state } from './lib.mjs';

export const tests = [
  {
    name: 'served with isolation and CSP headers; works from a sub-path',
    async run(t) {
      const base = await t.serve('/some/sub/path/');
      const page = await t.newPage();
      const response = await page.goto(base);
      const h = response.headers();
      assert.equal(h['cross-origin-opener-policy'], 'same-origin');
      assert.equal(h['cross-origin-embedder-policy'], 'require-corp');
      assert.match(h['content-security-policy'], /script-src 'self' 'wasm-unsafe-eval'/);
      await page.waitForFunction(() => window.dae && window.dae.ready, null, { timeout: 30000 });
      assert.equal(await page.evaluate(() => window.crossOriginIsolated), true);
      const wasm = await page.evaluate(() => fetch('dae_app.wasm').then((r) => r.headers.get('content-type')));
      assert.equal(wasm, 'application/wasm');
      await drag(page, 0, [[0.3, 0.3], [0.7, 0.7]]);
      const s = await state(page);
      assert.ok(s.psnrDenoised > s.psnrNoisy);
    },
  },
  {
    name: 'on a host without isolation headers the service worker provides cross-origin isolation',
    async run(t) {
      const base = await t.serve('/plain/', { isolate: false });
      const page = await t.newPage();
      const response = await page.goto(base);
      assert.equal(response.headers()['cross-origin-embedder-policy'], undefined, 'the host sends no isolation headers');
      // The first visit registers the worker and reloads once; the reloaded page is isolated.
      await page.waitForFunction(() => window.crossOriginIsolated === true, null, { timeout: 30000 });
      await page.waitForFunction(() => window.dae && window.dae.ready, null, { timeout: 30000 });
      assert.equal(await page.evaluate(() => typeof SharedArrayBuffer), 'function');
      const s = await state(page);
      assert.ok(s.model);
    },
  },
  {
    name: 'works offline after the first visit (service worker cache)',
    async run(t) {
      const context = await t.newContext();
      const page = await context.newPage();
      await openApp(t, { page });
      await page.evaluate(async () => {
        const reg = await navigator.serviceWorker.ready;
        while (!navigator.serviceWorker.controller) await new Promise((f) => setTimeout(f, 50));
        return reg.active.state;
      });
      await context.setOffline(true);
      await page.reload();
      await page.waitForFunction(() => window.dae && window.dae.ready, null, { timeout: 30000 });
      await page.evaluate(() => window.dae.loadSample(5));
      const s = await state(page);
      assert.ok(s.model, 'the model came from the cache');
      assert.ok(s.psnrDenoised > s.psnrNoisy);
      await t.screenshot(page, 'offline');
      await context.setOffline(false);
    },
  },
  {
    name: 'Save PNG downloads the denoised image',
    async run(t) {
      const page = await openApp(t);
      await page.evaluate(() => window.dae.loadSample(9));
      const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('KeyS')]);
      assert.equal(download.suggestedFilename(), 'denoised.png');
      const path = join(t.out, 'saved-denoised.png');
      await download.saveAs(path);
      const bytes = readFileSync(path);
      assert.deepEqual([...bytes.subarray(1, 4)], [80, 78, 71]);
      assert.equal(bytes.readUInt32BE(16), 28);
    },
  },
  {
    name: 'budgets: first interactive frame and initial transfer (measured, reported)',
    async run(t) {
      const runs = [];
      let transfer = null;
      for (let i = 0; i < 3; i++) {
        const page = await t.newPage();
        const urls = new Set();
        page.on('requestfinished', (r) => urls.add(new URL(r.url()).pathname));
        await openApp(t, { page });
        runs.push(await page.evaluate(() => ({ ...window.dae.timings,
          load: performance.getEntriesByType('navigation')[0].loadEventEnd })));
        if (!transfer) {
          const siteRoot = process.env.DAE_SITE ?? 'build/site';
          let raw = 0, gz = 0;
          const files = [...urls].filter((p) => !p.endsWith('/') && !p.includes('/ort/'));
          for (const p of files) {
            const data = readFileSync(join(siteRoot, decodeURIComponent(p)));
            raw += data.length;
            gz += gzipSync(data, { level: 9 }).length;
          }
          assert.ok(![...urls].some((p) => p.includes('/ort/')), 'ONNX Runtime is not part of the initial load');
          // Models for other kinds of image (the RGB photo model) load when first needed, never at start.
          const manifest = JSON.parse(readFileSync(join(siteRoot, 'models', 'models.json'), 'utf8'));
          for (const m of manifest.models.filter((m) => m.name !== manifest.default))
            assert.ok(![...urls].some((p) => p.endsWith('/' + m.file)), `model '${m.name}' is not part of the initial load`);
          const index = statSync(join(siteRoot, 'index.html')).size;
          transfer = { files: files.length + 1, rawBytes: raw + index, gzipBytes: gz + gzipSync(readFileSync(join(siteRoot, 'index.html'))).length };
        }
        await page.close();
      }
      const med = (k) => runs.map((r) => r[k]).sort((a, b) => a - b)[1];
      const report = { runs, median: { firstFrame: med('firstFrame'), ready: med('ready'), load: med('load') }, transfer,
        budgets: { firstFrameMs: 1500, transferGzipBytes: 1048576 } };
      writeFileSync(join(t.out, 'budgets.json'), JSON.stringify(report, null, 2) + '\n');
      t.log(`first frame ${report.median.firstFrame.toFixed(0)} ms, ready ${report.median.ready.toFixed(0)} ms after navigation (median of 3); ` +
        `initial transfer ${(transfer.gzipBytes / 1024).toFixed(0)} KiB gzipped (${(transfer.rawBytes / 1024).toFixed(0)} KiB raw, ${transfer.files} files)`);
      assert.ok(transfer.gzipBytes <= 1048576, 'initial transfer within 1 MB gzipped');
    },
  },
];
