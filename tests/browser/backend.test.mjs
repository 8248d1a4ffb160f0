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
    name: 'ONNX Runtime Web on a color photo with a grayscale model (channels as a batch) matches the engine\'s tiles',
    async run(t) {
      const page = await openApp(t);
      // 300x200 runs in tiles in the engine and whole in ONNX Runtime: the two agree only if the tiles' context is
      // wide enough. 'unet' is picked for photos so each color channel goes through it as one item of a batch.
      const r = await page.evaluate(async ([small, data]) => {
        const upload = (bytes, name) => window.dae.uploadFile(new File([new Uint8Array(bytes)], name, { type: 'image/png' }),
          { mode: 'full' });
        await upload(small, 'small.png');  // a quick first photo, to pick the model for photos on
        const picked = await window.dae.loadModel('unet');
        await upload(data, 'color.png');
        await window.dae.whenIdle();
        return picked;
      }, [[...colorPhoto(24, 16)], [...colorPhoto(300, 200)]]);
      assert.ok(r.ok, r.message);
      const done = await page.evaluate(() => window.dae.setBackend('ort-wasm'));
      assert.ok(done.ok, done.message);
      await page.waitForFunction(() => { const s = window.dae.state(); return !s.ortPending && !s.busy && s.maxAbsDiff >= 0; });
      const s = await state(page);
      const im = await images(page);
      assert.equal(im.channels, 3);
      assert.equal(im.ort.length, 3 * 300 * 200);
      t.log(`300x200 color, unet per channel: engine ${s.engineMs.toFixed(0)} ms in tiles, ORT ${s.ortMs.toFixed(0)} ms ` +
        `whole, max |diff| ${s.maxAbsDiff.toExponential(2)}`);
      assert.ok(s.maxAbsDiff < 1e-4, `engine tiles and ORT agree (max diff ${s.maxAbsDiff})`);
    },
  },
];
