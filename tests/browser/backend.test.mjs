// The second backend: ONNX Runtime Web loads only when chosen, matches the engine, and switching back works.
import { assert, openApp, state } from './lib.mjs';

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
];
