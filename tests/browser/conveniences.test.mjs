// Small things people expect of an image tool: the result copied to the clipboard, model download progress, and a
// tab title that says when work is running.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { assert, images, openApp, state } from './lib.mjs';

export const tests = [
  {
    name: 'Ctrl+C copies the denoised image to the clipboard as a PNG',
    async run(t) {
      const context = await t.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
      const page = await openApp(t, { page: await context.newPage() });
      await page.evaluate(() => window.dae.loadSample(42));
      await page.evaluate(() => window.dae.whenIdle());
      await page.locator('#canvas').focus();
      await page.keyboard.press('Control+KeyC');
      await page.waitForFunction(() => window.dae.lastCopy !== null);
      const r = await page.evaluate(() => window.dae.lastCopy);
      assert.equal(r.ok, true, r.message);
      const s = await state(page);
      assert.match(s.message, /Copied the denoised image \(28x28\)/);
      assert.match(s.source, /^sample 42 /, 'Ctrl+C did not clear the image as C alone does');
      // What the clipboard holds, decoded by the browser, is the denoised image to the byte.
      const pasted = await page.evaluate(async () => {
        const [item] = await navigator.clipboard.read();
        const blob = await item.getType('image/png');
        const bitmap = await createImageBitmap(blob);
        const c = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d');
        c.drawImage(bitmap, 0, 0);
        const rgba = c.getImageData(0, 0, bitmap.width, bitmap.height).data;
        return { types: item.types, w: bitmap.width, h: bitmap.height, red: Array.from(rgba.filter((_, i) => i % 4 === 0)) };
      });
      assert.ok(pasted.types.includes('image/png'), `clipboard types: ${pasted.types}`);
      assert.deepEqual([pasted.w, pasted.h], [28, 28]);
      const im = await images(page);
      const worst = Math.max(...pasted.red.map((v, i) => Math.abs(v - Math.round(im.denoised[i] * 255))));
      assert.equal(worst, 0, 'the pasted pixels are the denoised ones');
    },
  },
  {
    name: 'a model download shows its progress in the app and in the tab title, which returns to normal after',
    async run(t) {
      // No service worker, so the throttled network below is what the page's fetch goes through.
      const context = await t.newContext({ serviceWorkers: 'block' });
      const page = await openApp(t, { page: await context.newPage() });
      const base = 'Denoising autoencoder';
      await page.waitForFunction((b) => document.title === b, base);  // the title follows within a fifth of a second
      const manifest = JSON.parse(readFileSync(join(t.site, 'models', 'models.json'), 'utf8'));
      const current = (await state(page)).model;
      // The largest other grayscale model: the slowest download, so progress is seen between 0 and 100%.
      const other = manifest.models.filter((m) => m.name !== current && (m.channels ?? 1) === 1)
        .map((m) => ({ ...m, bytes: statSync(join(t.site, 'models', m.file.replace(/^models\//, ''))).size }))
        .sort((a, b) => b.bytes - a.bytes)[0];
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20,
        downloadThroughput: Math.max(16384, other.bytes / 3), uploadThroughput: -1 });
      const seen = page.evaluate(async (name) => {
        const titles = new Set(), fractions = new Set();
        const done = window.dae.loadModel(name);
        let finished = false;
        done.finally(() => { finished = true; });
        while (!finished) {
          titles.add(document.title);
          fractions.add(window.dae.state().modelProgress);
          await new Promise((f) => setTimeout(f, 50));
        }
        return { result: await done, titles: [...titles], fractions: [...fractions] };
      }, other.name);
      const r = await seen;
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      assert.equal(r.result.ok, true, r.result.message);
      const partial = r.titles.map((x) => /^Downloading model (\d+)% · Denoising autoencoder$/.exec(x)).filter(Boolean)
        .map((m) => Number(m[1]));
      t.log(`${other.name} (${other.bytes} bytes): titles seen ${JSON.stringify(r.titles)}`);
      assert.ok(partial.some((p) => p > 0 && p < 100), `the title showed the download part-way: ${r.titles}`);
      assert.ok(r.fractions.some((f) => f > 0 && f < 1), 'state().modelProgress moved between 0 and 1');
      await page.evaluate(() => window.dae.whenIdle());
      await page.waitForFunction((b) => document.title === b, base);
      assert.equal((await state(page)).model, other.name);
    },
  },
  {
    name: 'the tab title says when a full-resolution image is being denoised',
    async run(t) {
      const page = await openApp(t);
      const titles = await page.evaluate(async () => {
        const w = 640, h = 480, px = new Float32Array(w * h * 3);
        for (let i = 0; i < px.length; i++) px[i] = ((i * 2654435761) % 1000) / 1000;
        window.dae.setImage(px, w, h, { fullResolution: true, channels: 3 });
        const seen = new Set();
        await new Promise((f) => setTimeout(f, 50));
        while (window.dae.state().busy) {
          seen.add(document.title);
          await new Promise((f) => setTimeout(f, 30));
        }
        return [...seen];
      });
      t.log(`titles: ${JSON.stringify(titles)}`);
      assert.ok(titles.some((x) => /^(Denoising|Downloading model)/.test(x)), `work showed in the title: ${titles}`);
      // Idle again: the plain title, within the fifth of a second the page takes to notice.
      await page.waitForFunction(() => document.title === 'Denoising autoencoder', null, { timeout: 2000 });
    },
  },
];
