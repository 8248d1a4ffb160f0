// Models: the manifest's model card, and a bad model file that must leave the working model in place.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assert, drag, openApp, state } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const badModels = join(here, '..', 'data', 'bad-models');
const shippedModels = join(here, '..', '..', 'web', 'models');

// A models.json as a broken host or a bad edit could serve it, and the message each must produce.
const badManifests = [
  { status: 404, body: 'not found', expect: /models\/models\.json: HTTP 404/ },
  { body: '{"default": "unet32", "models": [', expect: /models\/models\.json is not valid JSON/ },
  { body: 'null', expect: /needs a non-empty "models" list/ },
  { body: '{"models": []}', expect: /needs a non-empty "models" list/ },
  { body: '{"models": [{"name": 7, "file": "x.safetensors"}]}', expect: /model 1 needs a string "name" and "file"/ },
  { body: '{"models": [{"name": "a", "file": "a.safetensors"}, {"name": "b", "file": "b.safetensors", "channels": 2}]}',
    expect: /model 2 \('b'\): "channels" must be 1 or 3/ },
];

export const tests = [
  {
    name: 'bad model files show a message and keep the previous model working',
    async run(t) {
      const page = await openApp(t);
      const before = await state(page);
      const files = readdirSync(badModels).filter((f) => f.endsWith('.safetensors') && !f.startsWith('valid'));
      for (const f of files) {
        const r = await page.evaluate(([data, name]) => window.dae.loadModelBytes(new Uint8Array(data).buffer, name),
          [[...readFileSync(join(badModels, f))], f]);
        assert.equal(r.ok, false, `${f} must be refused`);
        assert.match(r.message, /kept the previous model/);
      }
      // A negative size through the binding itself (it would read as about 4 GB) is refused too.
      const negative = await page.evaluate(() => {
        const p = Module._malloc(16);
        try { return [Module._dae_load_model(p, -1, 0, 0), window.dae.state().message]; } finally { Module._free(p); }
      });
      assert.deepEqual(negative, [0, "Could not load model '': no bytes were handed over"]);
      const after = await state(page);
      assert.equal(after.model, before.model);
      await drag(page, 0, [[0.2, 0.5], [0.8, 0.5]]);
      const s = await state(page);
      assert.ok(s.psnrDenoised > s.psnrNoisy, 'the kept model still denoises');
      t.log(`${files.length} bad files refused; last message: ${s.message}`);
      await t.screenshot(page);
    },
  },
  {
    name: 'a broken models.json shows a message; the app keeps running and takes a model file',
    async run(t) {
      const conv = [...readFileSync(join(shippedModels, 'conv.safetensors'))];
      for (const bad of badManifests) {
        const context = await t.newContext({ serviceWorkers: 'block' });
        const page = await context.newPage();
        await page.route('**/models/models.json', (route) =>
          route.fulfill({ status: bad.status ?? 200, contentType: 'application/json', body: bad.body }));
        // The WebAssembly arrives late, so the manifest fails before the app is up: that failure must wait for
        // the app to show it, not escape as an unhandled rejection.
        await page.route('**/dae_app.wasm', async (route) => {
          await new Promise((resolve) => setTimeout(resolve, 1000));
          await route.fallback();
        });
        await page.goto(t.url);
        await page.waitForFunction(() => {
          try {
            return window.dae.state().messageIsError;
          } catch {
            return false;
          }
        }, null, { timeout: 30000 });
        const s = await state(page);
        assert.match(s.message, bad.expect, `served ${JSON.stringify(bad.body)}`);
        // Nothing is lost: the page still runs, and a model file handed over by hand works.
        const r = await page.evaluate((data) => window.dae.loadModelBytes(new Uint8Array(data).buffer, 'conv'), conv);
        assert.ok(r.ok, r.message);
        await page.evaluate(() => window.dae.loadSample(3));
        await page.waitForFunction(() => window.dae.ready, null, { timeout: 30000 });
        const after = await state(page);
        assert.equal(after.model, 'conv');
        assert.ok(after.psnrDenoised > after.psnrNoisy, 'the model loaded by hand denoises');
        t.log(`${JSON.stringify(bad.body).slice(0, 40)} -> ${s.message}`);
        await context.close();
        // Chromium logs the HTTP error status it was served on purpose; that one console line is expected.
        const expected = t.problems.findIndex((p) => p.includes(`status of ${bad.status}`));
        if (bad.status && expected >= 0) t.problems.splice(expected, 1);
      }
    },
  },
  {
    name: 'model card shows the manifest entry; models load by name',
    async run(t) {
      const page = await openApp(t);
      const manifest = await page.evaluate(() => window.dae.manifest);
      await page.keyboard.press('KeyM');
      await t.screenshot(page, 'card');
      for (const m of manifest.models) {
        const r = await page.evaluate((n) => window.dae.loadModel(n), m.name);
        assert.ok(r.ok, r.message);
        assert.equal((await state(page)).model, m.name);
      }
      const missing = await page.evaluate(() => window.dae.loadModel('no-such-model'));
      assert.equal(missing.ok, false);
    },
  },
];
