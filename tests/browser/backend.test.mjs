// The second backend: ONNX Runtime Web loads only when chosen, matches the engine, and switching back works.
import { assert, images, openApp, state } from './lib.mjs';
import { colorPhoto } from './fixtures.mjs';

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
      assert.equal(s.backend, 1);
      assert.ok(s.maxAbsDiff < 1e-4, `engine and ORT agree (max diff ${s.maxAbsDiff})`);
      const im = await page.evaluate(() => { const i = window.dae.getImages(); return [Array.from(i.denoised), Array.from(i.ort)]; });
      assert.deepEqual(im[0], im[1], 'the shown result is ONNX Runtime\'s');
      await t.screenshot(page);
      await page.keyboard.press('KeyB');  // cycles back to the engine (no WebGPU headless)
      const back = await state(page);
      assert.equal(back.backend, back.webgpu ? 2 : 0);
    },
  },
  {
    name: 'ONNX Runtime Web on a color photo: the RGB photo model, and a gray model per channel, match the engine\'s tiles',
    async run(t) {
      const page = await openApp(t);
      // 200x150 runs in tiles in the engine and whole in ONNX Runtime: the two agree only if the tiles' context is
      // wide enough and both get the same channels.
      const r = await page.evaluate(async (data) => {
        const r = await window.dae.uploadFile(new File([new Uint8Array(data)], 'color.png', { type: 'image/png' }),
          { mode: 'full' });
        await window.dae.whenIdle();
        return r;
      }, [...colorPhoto(200, 150)]);
      assert.ok(r.ok, r.message);
      const done = await page.evaluate(() => window.dae.setBackend('ort-wasm'));
      assert.ok(done.ok, done.message);
      const agreed = async (model) => {
        await page.waitForFunction((m) => {
          const s = window.dae.state();
          return s.model === m && !s.ortPending && !s.busy && s.maxAbsDiff >= 0;
        }, model);
        const s = await state(page);
        const im = await images(page);
        assert.equal(im.channels, 3);
        assert.equal(im.ort.length, 3 * 200 * 150);
        assert.deepEqual(im.denoised, im.ort, 'the shown result is ONNX Runtime\'s');
        t.log(`200x150 color, ${model}: engine ${s.engineMs.toFixed(0)} ms in tiles, ORT ${s.ortMs.toFixed(0)} ms whole, ` +
          `max |diff| ${s.maxAbsDiff.toExponential(2)}`);
        assert.ok(s.maxAbsDiff < 1e-4, `${model}: engine tiles and ORT agree (max diff ${s.maxAbsDiff})`);
      };
      await agreed('photo');
      // 'unet' is grayscale: each color channel goes through it as one item of a batch.
      assert.ok((await page.evaluate(() => window.dae.loadModel('unet'))).ok);
      await agreed('unet');
    },
  },
];
