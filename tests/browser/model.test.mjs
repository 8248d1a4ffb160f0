// Models: the manifest's model card, and a bad model file that must leave the working model in place.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assert, drag, openApp, state } from './lib.mjs';

const badModels = join(dirname(fileURLToPath(import.meta.url)), '..', 'data', 'bad-models');

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
