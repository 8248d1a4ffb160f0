// The site as a whole: headers and isolation, sub-path hosting, offline use through the service worker, saving a PNG,
// and the start-up budgets of both builds (first frame time, initial transfer), measured and written to
// build/browser/budgets.json.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { spawn } from 'node:child_process';
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
    name: 'a plain static server (python3 -m http.server, no headers at all): the page brings its own CSP, isolation comes from the worker',
    async run(t) {
      const server = spawn('python3', ['-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', t.site],
        { stdio: ['ignore', 'pipe', 'pipe'] });
      try {
        const port = await new Promise((ok, fail) => {
          let text = '';
          server.stdout.on('data', (d) => { text += d; const m = /port (\d+)/.exec(text); if (m) ok(Number(m[1])); });
          server.on('exit', (code) => fail(new Error(`http.server exited with ${code}`)));
          setTimeout(() => fail(new Error('http.server did not start')), 10000);
        });
        const page = await t.newPage();
        const response = await page.goto(`http://127.0.0.1:${port}/`);
        assert.equal(response.headers()['content-security-policy'], undefined, 'the server sends no CSP');
        await page.waitForFunction(() => window.crossOriginIsolated === true, null, { timeout: 30000 });
        await page.waitForFunction(() => window.dae && window.dae.ready, null, { timeout: 30000 });
        // The policy is the page's: its meta tag, and it is enforced (an inline script is refused and reported; eval
        // cannot be checked from here, as code run through the DevTools protocol is exempt from the page's CSP).
        const policy = await page.evaluate(() => document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.content);
        assert.match(policy ?? '', /script-src 'self' 'wasm-unsafe-eval'/);
        const blocked = await page.evaluate(() => {
          const violations = [];
          document.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective));
          const s = document.createElement('script');
          s.textContent = 'window.inlineRan = true;';
          document.body.appendChild(s);
          return new Promise((ok) => setTimeout(() => ok({ inlineRan: window.inlineRan === true, violations }), 200));
        });
        t.problems.splice(0);  // the refusal above is reported as a console error, on purpose
        assert.equal(blocked.inlineRan, false, 'inline script is refused');
        assert.ok(blocked.violations.some((v) => v.startsWith('script-src')), `violations reported: ${blocked.violations}`);
        await drag(page, 0, [[0.3, 0.3], [0.7, 0.7]]);
        const s = await state(page);
        assert.ok(s.psnrDenoised > s.psnrNoisy);
        assert.equal(s.build, 'threads', 'the worker made the page isolated, so the threaded build runs');
      } finally {
        server.kill();
      }
    },
  },
  {
    name: 'works offline after the first visit (service worker cache)',
    async run(t) {
      const context = await t.newContext();
      const page = await context.newPage();
      // Another app on the same origin, and an older version of this site, each with a cache.
      await page.goto(new URL('precache.json', t.url).href);
      await page.evaluate(async () => { await caches.open('another-app'); await caches.open('dae-site-000000000000'); });
      await openApp(t, { page });
      await page.evaluate(async () => {
        const reg = await navigator.serviceWorker.ready;
        while (!navigator.serviceWorker.controller) await new Promise((f) => setTimeout(f, 50));
        return reg.active.state;
      });
      const keys = await page.evaluate(() => caches.keys());
      assert.ok(keys.includes('another-app'), `the worker leaves other apps' caches alone: ${keys}`);
      assert.ok(!keys.includes('dae-site-000000000000'), `and drops this site's old one: ${keys}`);
      assert.equal(keys.filter((k) => k.startsWith('dae-site-')).length, 1);
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
      assert.equal(download.suggestedFilename(), 'sample-9-denoised.png');
      const path = join(t.out, 'saved-denoised.png');
      await download.saveAs(path);
      const bytes = readFileSync(path);
      assert.deepEqual([...bytes.subarray(1, 4)], [80, 78, 71]);
      assert.equal(bytes.readUInt32BE(16), 28);
    },
  },
  {
    name: 'budgets, both builds: first interactive frame and initial transfer (measured, reported)',
    async run(t) {
      const siteRoot = process.env.DAE_SITE ?? 'build/site';
      const manifest = JSON.parse(readFileSync(join(siteRoot, 'models', 'models.json'), 'utf8'));
      const report = { budgets: { firstFrameMs: 1500, transferGzipBytes: 1048576 } };
      // Loads alternate between the builds, so a busy machine slows both alike.
      const builds = { threads: { query: '', runs: [] }, plain: { query: '?build=plain', runs: [] } };
      for (let i = 0; i < 3; i++)
        for (const [name, b] of Object.entries(builds)) {
          const page = await t.newPage();
          const urls = new Map();  // path -> times fetched
          page.on('requestfinished', (r) => {
            const p = new URL(r.url()).pathname;
            urls.set(p, (urls.get(p) ?? 0) + 1);
          });
          await openApp(t, { page, url: t.url + b.query });
          assert.equal((await state(page)).build, name);
          b.runs.push(await page.evaluate(() => ({ ...window.dae.timings,
            load: performance.getEntriesByType('navigation')[0].loadEventEnd })));
          if (!b.transfer) {
            let raw = 0, gz = 0;
            const files = [...urls.keys()].filter((p) => !p.endsWith('/') && !p.includes('/ort/'));
            for (const p of files) {
              const data = readFileSync(join(siteRoot, decodeURIComponent(p)));
              raw += data.length;
              gz += gzipSync(data, { level: 9 }).length;
            }
            assert.ok(![...urls.keys()].some((p) => p.includes('/ort/')), 'ONNX Runtime is not part of the initial load');
            // Models for other kinds of image (the RGB photo model) load when first needed, never at start.
            for (const m of manifest.models.filter((m) => m.name !== manifest.default))
              assert.ok(![...urls.keys()].some((p) => p.endsWith('/' + m.file)), `model '${m.name}' is not part of the initial load`);
            const other = name === 'threads' ? 'dae_app.wasm' : 'dae_app_threads.wasm';
            assert.ok(![...urls.keys()].some((p) => p.endsWith('/' + other)), `the ${name} build does not fetch ${other}`);
            const index = readFileSync(join(siteRoot, 'index.html'));
            b.transfer = { files: files.length + 1, rawBytes: raw + index.length, gzipBytes: gz + gzipSync(index).length,
              // The threaded build's workers each run the app's script; a host's cache (or the service worker) serves
              // the repeats, this test's server (no-cache, no validators) sends them again.
              repeated: Object.fromEntries([...urls].filter(([, n]) => n > 1).map(([p, n]) => [p.split('/').pop(), n])) };
          }
          await page.close();
        }
      for (const [name, b] of Object.entries(builds)) {
        const med = (k) => b.runs.map((r) => r[k]).sort((x, y) => x - y)[1];
        b.median = { firstFrame: med('firstFrame'), ready: med('ready'), load: med('load') };
        report[name] = { runs: b.runs, median: b.median, transfer: b.transfer };
        t.log(`${name} build: first frame ${b.median.firstFrame.toFixed(0)} ms, ready ${b.median.ready.toFixed(0)} ms ` +
          `after navigation (median of 3); initial transfer ${(b.transfer.gzipBytes / 1024).toFixed(0)} KiB gzipped ` +
          `(${(b.transfer.rawBytes / 1024).toFixed(0)} KiB raw, ${b.transfer.files} files` +
          `${Object.keys(b.transfer.repeated).length ? `; fetched more than once: ${JSON.stringify(b.transfer.repeated)}` : ''})`);
        assert.ok(b.transfer.gzipBytes <= report.budgets.transferGzipBytes, `${name} build: initial transfer within 1 MB gzipped`);
      }
      writeFileSync(join(t.out, 'budgets.json'), JSON.stringify(report, null, 2) + '\n');
    },
  },
];
