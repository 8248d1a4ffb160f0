// Publishing: the built site copied to a plain static server (python3 -m http.server: no isolation headers, no CSP,
// nothing special) under a sub-path works as it does locally; the service worker makes it isolated and threaded,
// and where no worker can run the page says why it runs on one thread.
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { assert, drag, openApp, plainStaticServer, state } from './lib.mjs';

// A web root holding the site at /tools/denoiser/, as a project page or a shared host would.
function webRoot(t) {
  const root = join(t.out, 'static-host');
  rmSync(root, { recursive: true, force: true });
  mkdirSync(join(root, 'tools'), { recursive: true });
  symlinkSync(resolve(t.site), join(root, 'tools', 'denoiser'));
  return root;
}

export const tests = [
  {
    name: 'a plain static server at a sub-path: first view denoised, threads through the service worker',
    async run(t) {
      const server = await plainStaticServer(webRoot(t));
      try {
        const url = `http://127.0.0.1:${server.port}/tools/denoiser/`;
        const page = await t.newPage();
        const response = await page.goto(url);
        const h = response.headers();
        for (const header of ['cross-origin-opener-policy', 'cross-origin-embedder-policy', 'content-security-policy'])
          assert.equal(h[header], undefined, `the server sends no ${header}`);
        // The first load registers the worker and reloads once; the page it serves then is isolated.
        await page.waitForFunction(() => window.crossOriginIsolated === true, null, { timeout: 30000 });
        await openApp(t, { page, url: page.url() });
        const s = await state(page);
        assert.equal(s.build, 'threads');
        assert.deepEqual(await page.evaluate(() => window.dae.isolation), { isolated: true, why: 'the page is cross-origin isolated' });
        assert.match(s.source, /^sample /, 'it opens on a sample');
        assert.ok(s.psnrDenoised > s.psnrNoisy + 3, `denoised: ${s.psnrNoisy} -> ${s.psnrDenoised} dB`);
        assert.equal(s.message, '', 'the status line shows the hint');
        const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
        assert.equal(scope, url, 'the worker is scoped to the sub-path');
        await page.keyboard.press('KeyC');
        await drag(page, 0, [[0.3, 0.3], [0.7, 0.7]]);
        const drawn = await state(page);
        assert.ok(drawn.psnrDenoised > drawn.psnrNoisy);
        await t.screenshot(page);
      } finally {
        server.close();
      }
    },
  },
  {
    name: 'where no service worker can run (the host has no sw.js, or the browser blocks workers), the page runs single-threaded and says why',
    async run(t) {
      const server = await plainStaticServer(webRoot(t));
      try {
        const url = `http://127.0.0.1:${server.port}/tools/denoiser/`;
        for (const how of ['sw.js missing', 'workers blocked']) {
          const context = await t.newContext(how === 'workers blocked' ? { serviceWorkers: 'block' } : {});
          const page = await context.newPage();
          if (how === 'sw.js missing') await context.route('**/sw.js', (route) => route.fulfill({ status: 404, body: 'not here' }));
          await openApp(t, { page, url });
          await page.waitForFunction(() => window.dae.isolation.why !== 'waiting for the service worker', null, { timeout: 10000 });
          // coi.js settles once registration has failed, which may come after the first result.
          await page.waitForFunction(() => /^Running on one thread/.test(window.dae.state().message), null, { timeout: 10000 });
          const s = await state(page);
          const iso = await page.evaluate(() => window.dae.isolation);
          t.log(`${how}: ${s.message}`);
          assert.equal(iso.isolated, false);
          assert.equal(s.build, 'plain');
          assert.equal(s.messageIsError, false);
          assert.ok(s.message.includes(iso.why), 'the status line gives the reason');
          assert.match(s.message, /Draw, drop a photo or pick a sample/, 'and still the hint');
          assert.ok(s.psnrDenoised > s.psnrNoisy + 3, 'the single-threaded build denoises the start sample');
          await t.screenshot(page, how.replace(/\W+/g, '-'));
        }
        // The failed registration is a console error of the browser's own, expected here.
        t.problems.splice(0, t.problems.length, ...t.problems.filter((p) => !/fetching the script/.test(p)));
      } finally {
        server.close();
      }
    },
  },
];
