// The second backend: ONNX Runtime Web loads only when chosen, matches the engine, and switching back works.
import { assert, images, openApp, psnr, state } from './lib.mjs';
import { colorPhoto, png } from './fixtures.mjs';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const shipped = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web', 'models', 'models.json'), 'utf8'));

// A gray photo-like image: smooth shading with a few hard edges.
const grayPhoto = (w, h) => png(w, h, (x, y) => {
  const v = Math.round(60 + 120 * x / w + ((x - 70) ** 2 + (y - 60) ** 2 < 900 ? 60 : 0));
  return [v, v, v, 255];
});

// Uploads PNG bytes at full resolution, as the file button does, and waits until the result is in.
const uploadFull = (page, bytes, name) => page.evaluate(async ([data, name]) => {
  const r = await window.dae.uploadFile(new File([new Uint8Array(data)], name, { type: 'image/png' }), { mode: 'full' });
  await window.dae.whenIdle();
  return r;
}, [[...bytes], name]);

export const tests = [
  {
    name: 'ONNX Runtime Web (WASM) loads on first use and agrees with the engine',
    async run(t) {
      const page = await t.newPage();
      const ortRequests = [];
      page.on('request', (r) => { if (r.url().includes('/ort/')) ortRequests.push(r.url()); });
      await openApp(t, { page });
      await page.evaluate(() => window.dae.loadSample(12));
      await page.evaluate(() => window.dae.whenIdle());
      assert.equal(ortRequests.length, 0, 'nothing of ONNX Runtime is fetched before it is chosen');
      const r = await page.evaluate(() => window.dae.setBackend('ort-wasm'));
      assert.ok(r.ok, r.message);
      assert.ok(ortRequests.some((u) => u.endsWith('ort.wasm.min.js')));
      await page.evaluate(() => window.dae.loadSample(40));
      await page.waitForFunction(() => { const s = window.dae.state(); return !s.ortPending && s.maxAbsDiff >= 0 && s.source.includes('40'); });
      const s = await state(page);
      t.log(`engine ${s.engineMs.toFixed(3)} ms, ORT ${s.ortMs.toFixed(3)} ms, max |diff| ${s.maxAbsDiff.toExponential(2)}`);
      assert.equal(s.backend, 'ort-wasm');
      assert.ok(s.maxAbsDiff < 1e-4, `engine and ORT agree (max diff ${s.maxAbsDiff})`);
      const im = await page.evaluate(() => { const i = window.dae.getImages(); return [Array.from(i.denoised), Array.from(i.ort)]; });
      assert.deepEqual(im[0], im[1], 'the shown result is ONNX Runtime\'s');
      await t.screenshot(page);
      // A result of a shape no image has (as a broken or hostile backend could hand over) is refused unread.
      await page.evaluate(() => window.Module._dae_ort_result(8, 1000000, 1000000, 28, 28, 1, 0));
      assert.match((await state(page)).ortStatus, /shape \[1000000, 1000000, 28, 28\], which is no image of this app/);
      await page.keyboard.press('KeyB');  // cycles back to the engine (no WebGPU headless)
      const back = await state(page);
      assert.equal(back.backend, back.webgpu ? 'ort-webgpu' : 'engine');
      // The app owns the backend names: another one is refused and changes nothing.
      await assert.rejects(page.evaluate(() => window.dae.setBackend('ort-gpu')), /unknown backend 'ort-gpu'/);
      assert.equal((await state(page)).backend, back.backend);
    },
  },
  {
    name: 'ONNX Runtime Web on a color photo: the RGB photo model, and a gray model per channel, match the engine\'s tiles',
    async run(t) {
      const page = await openApp(t);
      // 200x150 runs in tiles in the engine and whole in ONNX Runtime: the two agree only if the tiles' context is
      // wide enough and both get the same channels.
      const r = await uploadFull(page, colorPhoto(200, 150), 'color.png');
      assert.ok(r.ok, r.message);
      const done = await page.evaluate(() => window.dae.setBackend('ort-wasm'));
      assert.ok(done.ok, done.message);
      const agreed = async (model, channels = 3) => {
        await page.waitForFunction((m) => {
          const s = window.dae.state();
          return s.model === m && !s.ortPending && !s.busy && s.maxAbsDiff >= 0;
        }, model);
        const s = await state(page);
        const im = await images(page);
        assert.equal(im.channels, channels);
        assert.equal(im.ort.length, channels * 200 * 150);
        assert.deepEqual(im.denoised, im.ort, 'the shown result is ONNX Runtime\'s');
        t.log(`200x150 ${channels === 3 ? 'color' : 'gray'}, ${model}: engine ${s.engineMs.toFixed(0)} ms in tiles, ORT ${s.ortMs.toFixed(0)} ms whole, ` +
          `max |diff| ${s.maxAbsDiff.toExponential(2)}`);
        assert.ok(s.maxAbsDiff < 1e-4, `${model}: engine tiles and ORT agree (max diff ${s.maxAbsDiff})`);
      };
      await agreed('photo');
      // 'unet' is grayscale: each color channel goes through it as one item of a batch.
      assert.ok((await page.evaluate(() => window.dae.loadModel('unet'))).ok);
      await agreed('unet');
      // A gray photo through the RGB photo model: ONNX Runtime gets the same synthetic color noise as the engine's
      // tiles (keyed by pixel position, at the level estimated on the whole image).
      const gray = await uploadFull(page, grayPhoto(200, 150), 'gray.png');
      assert.ok(gray.ok, gray.message);
      assert.ok((await page.evaluate(() => window.dae.loadModel('photo'))).ok);
      await agreed('photo', 1);
    },
  },
  {
    name: 'ONNX Runtime Web on a photo over a megapixel: tile by tile with the engine\'s context, the same result as the engine',
    async run(t) {
      const page = await openApp(t);
      // A small model keeps this quick; what is tested is the tiling around ONNX Runtime.
      const small = await uploadFull(page, colorPhoto(64, 48), 'small.png');
      assert.ok(small.ok, small.message);
      assert.ok((await page.evaluate(() => window.dae.loadModel('unet'))).ok);
      const r = await uploadFull(page, colorPhoto(1400, 900), 'large.png');
      assert.ok(r.ok, r.message);
      const done = await page.evaluate(() => window.dae.setBackend('ort-wasm'));
      assert.ok(done.ok, done.message);
      await page.waitForFunction(() => {
        const s = window.dae.state();
        return s.model === 'unet' && !s.ortPending && !s.busy && s.maxAbsDiff >= 0;
      });
      const s = await state(page);
      assert.equal(s.width, 1400);
      assert.equal(s.ortTiles, 6, '1400x900 in tiles of 512');
      assert.equal(s.ortTilesDone, 6);
      t.log(`1400x900 color, unet: engine ${s.engineMs.toFixed(0)} ms, ORT ${s.ortMs.toFixed(0)} ms in ${s.ortTiles} tiles, ` +
        `max |diff| ${s.maxAbsDiff.toExponential(2)}; ${s.ortStatus}`);
      assert.ok(s.maxAbsDiff < 1e-4, `engine and ORT tiles agree (max diff ${s.maxAbsDiff})`);
      assert.match(s.ortStatus, /in 6 tiles/);
      const shown = await page.evaluate(() => {
        const i = window.dae.getImages();
        let same = i.denoised.length === i.ort.length && i.ort.length === 3 * 1400 * 900;
        for (let k = 0; same && k < i.ort.length; ++k) same = i.denoised[k] === i.ort[k];
        return same;
      });
      assert.ok(shown, 'the shown result is ONNX Runtime\'s, every tile of it');
      // A new noise draw while the run is under way: the run starts again on the new input, and its result is for it.
      await page.evaluate(() => window.dae.setNoise({ seed: 11 }));
      await page.waitForFunction(() => { const s = window.dae.state(); return s.ortPending && s.ortTilesDone < s.ortTiles; });
      await page.evaluate(() => window.dae.setNoise({ seed: 12 }));
      await page.waitForFunction(() => {
        const s = window.dae.state();
        return !s.ortPending && !s.busy && s.maxAbsDiff >= 0 && s.seed === 12;
      });
      assert.ok((await state(page)).maxAbsDiff < 1e-4, 'the result after the restart is of the current noise');
    },
  },
  {
    name: 'the engine\'s ensemble: the photo models average 8 mirrors and turns; Fashion-MNIST models allow none',
    async run(t) {
      const page = await openApp(t);
      // The default Fashion-MNIST model learned one orientation: switching the ensemble on changes nothing.
      await page.evaluate(() => window.dae.whenIdle());
      assert.equal((await state(page)).modelSymmetries, 1);
      assert.equal(await page.evaluate(() => window.dae.setEnsemble(true)), 1);
      await page.evaluate(() => window.dae.setEnsemble(false));
      // A gray photo with the model picked for it (a photo model, trained with flips and turns).
      await page.evaluate(() => window.dae.setNoise({ kind: 'gaussian', amount: 0.2, seed: 4 }));
      const up = await uploadFull(page, grayPhoto(200, 150), 'gray.png');
      assert.ok(up.ok, up.message);
      const before = await state(page);
      assert.equal(before.model, shipped.default_photo_gray ?? shipped.default_photo);
      assert.equal(before.modelSymmetries, 8);
      assert.equal(before.ensemble, 1);
      const one = await images(page);
      assert.equal(await page.evaluate(() => window.dae.setEnsemble(true)), 8);
      await page.waitForFunction(() => { const s = window.dae.state(); return !s.busy && s.ensemble === 8; });
      const eight = await images(page);
      const s = await state(page);
      let diff = 0;
      for (let i = 0; i < one.denoised.length; ++i) diff = Math.max(diff, Math.abs(one.denoised[i] - eight.denoised[i]));
      const p1 = psnr(one.denoised, one.clean), p8 = psnr(eight.denoised, eight.clean);
      t.log(`200x150 gray, sigma 0.2, ${before.model}: one run ${p1.toFixed(2)} dB (${before.engineMs.toFixed(0)} ms), ` +
        `ensemble of 8 ${p8.toFixed(2)} dB (${s.engineMs.toFixed(0)} ms), max |diff| ${diff.toFixed(3)}`);
      assert.ok(diff > 1e-3, 'the ensemble changed the result');
      assert.ok(p8 > p1, 'and made it cleaner');
      // ONNX Runtime runs the model once, so the difference is not shown while the ensemble is on.
      assert.ok((await page.evaluate(() => window.dae.setBackend('ort-wasm'))).ok);
      await page.waitForFunction(() => { const s = window.dae.state(); return !s.busy && !s.ortPending; });
      assert.equal((await state(page)).maxAbsDiff, -1);
      await page.evaluate(() => window.dae.setEnsemble(false));
      await page.waitForFunction(() => { const s = window.dae.state(); return !s.busy && !s.ortPending && s.maxAbsDiff >= 0; });
      assert.ok((await state(page)).maxAbsDiff < 1e-4);
    },
  },
];
