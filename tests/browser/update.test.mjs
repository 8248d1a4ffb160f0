// Deploying a new version over a published site: a page keeps running the version it loaded, whole (its app and its
// models.json from one cache), is told that a new one waits, and reloads into it, leaving no old cache behind.
import { cpSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stampSiteVersion } from '../../web/site-version.mjs';
import { assert, plainStaticServer, state } from './lib.mjs';

// A deploy onto the served copy: the default model gets a new description in models.json, and the version is
// stamped again, as build-site.mjs does. Each rewritten file's time moves on by 2 s at least: http.server's
// Last-Modified counts whole seconds, and a revalidation within the same second would keep the old file.
function deploy(dir, description) {
  const rewrite = (path, change) => {
    const before = statSync(path).mtimeMs;
    change(path);
    const time = new Date(Math.max(Date.now(), before + 2000));
    utimesSync(path, time, time);
  };
  rewrite(join(dir, 'models', 'models.json'), (path) => {
    const manifest = JSON.parse(readFileSync(path, 'utf8'));
    manifest.models.find((m) => m.name === manifest.default).description = description;
    writeFileSync(path, JSON.stringify(manifest, null, 2) + '\n');
  });
  rewrite(join(dir, 'sw.js'), () => stampSiteVersion(dir));
}

// The description of the default model in the models.json the page gets, and this site's caches.
const seen = (page) => page.evaluate(async () => {
  const manifest = await (await fetch('models/models.json')).json();
  return { description: manifest.models.find((m) => m.name === manifest.default).description ?? '',
    caches: (await caches.keys()).filter((k) => k.startsWith('dae-site-')) };
});

// Asks the browser to look for a new sw.js now (as it does on navigations) and waits until the worker it finds has
// installed; returns its state then: 'installed' while it waits, 'activating' or later where it took over.
const findUpdate = (page) => page.evaluate(async () => {
  const registration = await navigator.serviceWorker.getRegistration();
  await registration.update();
  const worker = registration.installing;
  if (!worker) return 'no new worker';
  await new Promise((done) => {
    const check = () => { if (worker.state !== 'installing') done(); };
    worker.addEventListener('statechange', check);
    check();
  });
  return worker.state;
});

// Resolves once `count()` reaches `n`, failing with `what` after 30 s.
async function until(count, n, what) {
  for (let i = 0; count() < n; i++) {
    if (i === 300) throw new Error(`timed out waiting until ${what}`);
    await new Promise((f) => setTimeout(f, 100));
  }
}

export const tests = [
  {
    name: 'after a deploy the open page keeps its version whole, offers the new one, and reloads into it',
    // Chromium's own wait before the first update() (about a minute) leaves too little room under the usual 90 s.
    timeoutSeconds: 180,
    async run(t) {
      const dir = join(t.out, 'update-site');
      rmSync(dir, { recursive: true, force: true });
      cpSync(t.site, dir, { recursive: true, dereference: true });
      const server = await plainStaticServer(dir);
      try {
        const url = `http://127.0.0.1:${server.port}/`;
        const page = await t.newPage();
        let loads = 0;
        page.on('domcontentloaded', () => loads++);
        await page.goto(url);
        // The first visit: the worker installs, takes over and the page reloads once into isolation.
        await page.waitForFunction(() => window.crossOriginIsolated === true, null, { timeout: 30000 });
        await page.waitForFunction(() => window.dae && window.dae.ready, null, { timeout: 30000 });
        const first = await seen(page);
        assert.equal(first.caches.length, 1, `one cache: ${first.caches}`);
        assert.deepEqual(await page.evaluate(() => window.daeUpdate), { waiting: false, stale: false });

        deploy(dir, 'second deploy');
        // Chromium answers the first update() after the app's first visit only about a minute later (with the old
        // worker too); the log says how long it took.
        const asked = Date.now();
        assert.equal(await findUpdate(page), 'installed', 'the new worker waits while the page runs the old version');
        t.log(`update found and installed after ${((Date.now() - asked) / 1000).toFixed(1)} s`);
        const during = await seen(page);
        assert.equal(during.description, first.description, 'the open page still gets the models.json it started with');
        await page.waitForFunction(() => window.daeUpdate.waiting === true, null, { timeout: 10000 });
        const bar = page.locator('#update');
        assert.ok(await bar.isVisible(), 'the page shows that a new version is ready');
        assert.match(await bar.textContent(), /new version/);
        await t.screenshot(page, 'offered');

        // The person chooses to reload: the new worker takes over and the page reloads once into it.
        const before = loads;
        await bar.locator('button').click();
        await until(() => loads, before + 1, 'the page reloads after Reload');
        await page.waitForFunction(() => window.dae && window.dae.ready, null, { timeout: 30000 });
        const second = await seen(page);
        assert.equal(second.description, 'second deploy', 'the reloaded page gets the new models.json');
        assert.equal(second.caches.length, 1, `one cache: ${second.caches}`);
        assert.notEqual(second.caches[0], first.caches[0], 'the old version\'s cache is gone');
        assert.deepEqual(await page.evaluate(() => window.daeUpdate), { waiting: false, stale: false });

        // Not checked here: a page opened while a version waits takes it by itself only when no other page of the
        // site is open, and the page navigated away from can still count as open then (a race: the clean-clone run
        // saw it fail once), so that path shows the Reload bar at worst.
        t.log(`caches ${first.caches[0]} -> ${second.caches[0]}`);
      } finally {
        server.close();
      }
    },
  },
  {
    name: 'a deploy during a visit: a file the open version has not stored yet is checked against its hash, refused when the server\'s copy is newer, never mixed in',
    async run(t) {
      const dir = join(t.out, 'mixed-site');
      rmSync(dir, { recursive: true, force: true });
      cpSync(t.site, dir, { recursive: true, dereference: true });
      const server = await plainStaticServer(dir);
      try {
        const page = await t.newPage();
        await page.goto(`http://127.0.0.1:${server.port}/`);
        await page.waitForFunction(() => window.crossOriginIsolated === true, null, { timeout: 30000 });
        await page.waitForFunction(() => window.dae && window.dae.ready, null, { timeout: 30000 });
        const stored = (file) => page.evaluate(async (file) => {
          const name = (await caches.keys()).find((k) => k.startsWith('dae-site-'));
          return Boolean(await (await caches.open(name)).match(file));
        }, file);
        // A model this version lists, fetched for the first time: its bytes match, so it is used and stored.
        const unet = await page.evaluate(() => window.dae.loadModel('unet'));
        assert.ok(unet.ok, unet.message);
        assert.equal(await stored('models/unet.safetensors'), true);
        // A deploy lands: seed's file is retrained (here: another model's bytes) and the version stamped again.
        cpSync(join(dir, 'models', 'conv.safetensors'), join(dir, 'models', 'seed.safetensors'));
        stampSiteVersion(dir);
        const seed = await page.evaluate(() => window.dae.loadModel('seed'));
        t.log(`after the deploy: ${seed.message}`);
        assert.equal(seed.ok, false, 'the new deploy\'s seed is not mixed into the old version');
        assert.match(seed.message, /HTTP 409/);
        assert.equal((await state(page)).model, 'unet', 'the model in use stays');
        assert.equal(await stored('models/seed.safetensors'), false, 'nothing of the new version is stored');
        const direct = await page.evaluate(async () => {
          const r = await fetch('models/seed.safetensors');
          return [r.status, await r.text()];
        });
        assert.equal(direct[0], 409);
        assert.match(direct[1], /has changed on the server since this page's version .* reload the page/);
        // The browser's own report of the two refused requests, which are the point here.
        t.problems.splice(0, t.problems.length, ...t.problems.filter((p) => !/status of 409 \(Version changed\)/.test(p)));
      } finally {
        server.close();
      }
    },
  },
];

