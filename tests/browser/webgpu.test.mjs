// The third backend: ONNX Runtime Web on WebGPU, run on Chromium's software adapter against the engine, and what the
// page does when the browser has no WebGPU adapter (the suite's default Chromium).
import { assert, images, openApp, psnr, state } from './lib.mjs';

// SwiftShader's WebGPU adapter in headless Chromium. It runs in software (seconds per run), so one 28x28 sample only.
const WEBGPU_FLAGS = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'];

const hasAdapter = (page) => page.evaluate(async () => !!(navigator.gpu && (await navigator.gpu.requestAdapter())));
const maxAbsDiff = (a, b) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

export const tests = [
  {
    name: 'ONNX Runtime Web (WebGPU) on a software adapter agrees with the engine, and switching back works',
    async run(t) {
      const page = await (await t.launch(WEBGPU_FLAGS)).newPage();
      const ortRequests = [];
      page.on('request', (r) => { if (r.url().includes('/ort/')) ortRequests.push(r.url()); });
      await openApp(t, { page });
      assert.ok(await hasAdapter(page), 'Chromium started with a software WebGPU adapter');
      await page.waitForFunction(() => window.dae.state().webgpu, null, { timeout: 10000 });
      await page.evaluate(async () => { window.dae.loadSample(40); await window.dae.whenIdle(); });

      const started = Date.now();
      const r = await page.evaluate(() => window.dae.setBackend('ort-webgpu'));
      const switchMs = Date.now() - started;
      assert.ok(r.ok, r.message);
      assert.ok(ortRequests.some((u) => u.endsWith('ort.webgpu.min.js')), 'the WebGPU build of ONNX Runtime was loaded');
      assert.ok(!ortRequests.some((u) => u.endsWith('ort.wasm.min.js')), 'and not the WASM build');
      const s = await state(page);
      assert.equal(s.backend, 'ort-webgpu');
      assert.match(s.ortStatus, /^webgpu, last run/);
      assert.ok(s.source.includes('40'), s.source);
      const im = await images(page);
      assert.equal(im.width * im.height * im.channels, 28 * 28);
      assert.deepEqual(im.denoised, im.ort, 'the shown result is WebGPU\'s');
      // Computed here from the two images, not taken from the app.
      const d = maxAbsDiff(im.engine, im.ort);
      t.log(`28x28 on SwiftShader WebGPU: switch ${switchMs} ms (ORT run ${s.ortMs.toFixed(0)} ms), engine ` +
        `${s.engineMs.toFixed(3)} ms, max |engine - WebGPU| ${d.toExponential(2)} (app: ${s.maxAbsDiff.toExponential(2)})`);
      assert.ok(d < 1e-4, `engine and WebGPU agree (max diff ${d})`);
      assert.ok(Math.abs(d - s.maxAbsDiff) < 1e-6, `the app reports the same difference (${s.maxAbsDiff} vs ${d})`);
      assert.ok(psnr(im.clean, im.ort) > psnr(im.clean, im.noisy), 'WebGPU\'s result is denoised');
      await t.screenshot(page);

      const back = await page.evaluate(() => window.dae.setBackend('engine'));
      assert.ok(back.ok);
      assert.equal((await state(page)).backend, 'engine');
      const after = await images(page);
      assert.deepEqual(after.denoised, after.engine, 'the shown result is the engine\'s again');
    },
  },
  {
    name: 'Auto times WebGPU on one tile against the engine and keeps the faster for the model; without an adapter, the engine',
    async run(t) {
      const page = await (await t.launch(WEBGPU_FLAGS)).newPage();
      const ortRequests = [];
      page.on('request', (r) => { if (r.url().includes('/ort/')) ortRequests.push(r.url()); });
      await openApp(t, { page });
      await page.waitForFunction(() => window.dae.state().webgpu, null, { timeout: 10000 });
      await page.evaluate(async () => { window.dae.loadSample(40); await window.dae.whenIdle(); });
      const r = await page.evaluate(() => window.dae.setBackend('auto'));
      assert.ok(r.ok, r.message);
      const s = await state(page);
      const a = s.auto;
      t.log(`28x28, ${s.model}: ${a.reason}; in use: ${s.backendInUse}`);
      assert.equal(s.backend, 'auto');
      assert.equal(a.measuring, false);
      assert.ok(a.key.startsWith(`${s.model} `), a.key);
      assert.ok(ortRequests.some((u) => u.endsWith('ort.webgpu.min.js')), 'WebGPU was really timed');
      assert.ok(a.engineMsPerMp > 0 && a.webgpuMsPerMp > 0, JSON.stringify(a));
      const faster = a.webgpuMsPerMp < a.engineMsPerMp ? 'ort-webgpu' : 'engine';
      assert.equal(a.chosen, faster, 'the faster one is chosen');
      assert.equal(s.backendInUse, faster);
      assert.match(a.reason, /^WebGPU \d+ ms per megapixel, the engine \d+: (WebGPU|the engine) is \d+\.\dx faster$/);
      const im = await images(page);
      assert.deepEqual(im.denoised, faster === 'engine' ? im.engine : im.ort, 'the shown result is the chosen backend\'s');
      await t.screenshot(page);
      // The choice holds for this model: another sample of the same size is not timed again.
      const runs = ortRequests.length;
      await page.evaluate(async () => { window.dae.loadSample(7); await window.dae.whenIdle(); });
      const again = await state(page);
      assert.equal(again.auto.key, a.key);
      assert.equal(again.auto.measuring, false);
      assert.equal(ortRequests.length, runs, 'nothing more was fetched');

      // The suite's default Chromium has no adapter: Auto is the engine at once, and ONNX Runtime is never fetched.
      const plain = await t.newPage();
      const plainRequests = [];
      plain.on('request', (r) => { if (r.url().includes('/ort/')) plainRequests.push(r.url()); });
      await openApp(t, { page: plain });
      await plain.waitForFunction(() => window.dae.state().ortStatus !== '', null, { timeout: 10000 });
      const r2 = await plain.evaluate(() => window.dae.setBackend('auto'));
      assert.ok(r2.ok, r2.message);
      const p = await state(plain);
      assert.equal(p.backendInUse, 'engine');
      assert.match(p.auto.reason, /no WebGPU adapter/);
      assert.equal(plainRequests.length, 0);
      const pim = await images(plain);
      assert.deepEqual(pim.denoised, pim.engine);
    },
  },
  {
    name: 'without a WebGPU adapter, choosing WebGPU says why it is unavailable and the engine keeps working',
    async run(t) {
      const page = await openApp(t);
      assert.equal(await hasAdapter(page), false, 'the default Chromium has no WebGPU adapter');
      // The page checks for an adapter after its first frame.
      await page.waitForFunction(() => window.dae.state().ortStatus !== '', null, { timeout: 10000 });
      assert.equal((await state(page)).webgpu, false, 'the WebGPU choice is offered as unavailable');

      const r = await page.evaluate(() => window.dae.setBackend('ort-webgpu'));
      assert.equal(r.ok, false);
      assert.match(r.message, /adapter/i, 'the reason names the missing adapter');
      const s = await state(page);
      t.log(`reason: ${s.message}`);
      assert.equal(s.backend, 'engine', 'back on the engine');
      assert.ok(s.messageIsError);
      assert.match(s.message, /adapter/i);
      assert.match(s.message, /switched back to the engine/);
      await t.screenshot(page);

      const count = s.denoiseCount;
      await page.evaluate(async () => { window.dae.loadSample(7); await window.dae.whenIdle(); });
      const s2 = await state(page);
      assert.ok(s2.source.includes('7'), s2.source);
      assert.ok(s2.denoiseCount > count, 'the engine denoised the next image');
      assert.equal(s2.backend, 'engine');
      const im = await images(page);
      assert.deepEqual(im.denoised, im.engine);
      assert.ok(psnr(im.clean, im.denoised) > psnr(im.clean, im.noisy));
    },
  },
];
