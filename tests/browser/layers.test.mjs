// "Inside the model": every node of the graph, run on the image on screen through the engine's layer observer.
import { assert, openApp, state } from './lib.mjs';
import { colorPhoto } from './fixtures.mjs';

// Opens the view and waits until its rows are built for the current image and model.
async function layers(page) {
  await page.evaluate(() => window.dae.showLayers(true));
  await page.waitForFunction(() => {
    const s = window.dae.state();
    return !s.busy && s.layers && s.layers.rows.length > 0 && s.layers.rows.length >= 2;
  }, null, { timeout: 30000 });
  // One more frame, so rows made before the last change are replaced.
  await page.evaluate(() => new Promise((f) => requestAnimationFrame(() => requestAnimationFrame(f))));
  return (await state(page)).layers;
}

export const tests = [
  {
    name: 'inside the model: a row per node with its shape, the seed autoencoder\'s code marked, the U-Net\'s skip connections named, live on a change of noise, a photo by its region',
    async run(t) {
      const page = await openApp(t);
      const loaded = await page.evaluate(() => window.dae.loadModel('seed'));
      assert.ok(loaded.ok, loaded.message);
      let v = await layers(page);
      t.log(`seed: ${v.rows.map((r) => `${r.name} ${r.c}x${r.h}x${r.w}${r.code ? ' (code)' : ''}`).join(', ')}; ${v.ms.toFixed(1)} ms`);
      assert.deepEqual(v.rows.map((r) => [r.name, r.c, r.h, r.w]),
        [['enc1', 16, 14, 14], ['enc2', 8, 7, 7], ['enc3', 8, 7, 7], ['dec1', 16, 14, 14], ['dec2', 1, 28, 28]]);
      assert.deepEqual(v.rows.map((r) => r.code), [false, true, false, false, false]);
      assert.equal(v.inputNumbers, 784, 'the code is 392 numbers for 784 pixels');
      assert.equal(v.error, '');
      await t.screenshot(page, 'seed', { doc: 'layers.png' });

      // A change of noise runs the view again on the new noisy image.
      const before = v.rows[0];
      await page.evaluate(async () => { window.dae.setNoise({ amount: 0.45, seed: 7 }); await window.dae.whenIdle(); });
      v = await layers(page);
      assert.notDeepEqual([v.rows[0].min, v.rows[0].max], [before.min, before.max], 'the layers follow the noise');

      // The U-Net: no single code, its concatenations named as skip connections.
      assert.ok((await page.evaluate(() => window.dae.loadModel('unet'))).ok);
      v = await layers(page);
      t.log(`unet: ${v.rows.length} nodes; ${v.rows.filter((r) => r.joins).map((r) => `${r.name}: ${r.joins}`).join('; ')}`);
      assert.ok(v.rows.every((r) => !r.code));
      const joins = v.rows.filter((r) => r.joins);
      assert.ok(joins.length >= 2, 'a U-Net joins its encoder to its decoder more than once');
      assert.ok(joins.every((r) => /^(skip connection|residual): /.test(r.joins)), joins.map((r) => r.joins).join('; '));
      assert.deepEqual([v.rows.at(-1).c, v.rows.at(-1).h, v.rows.at(-1).w], [1, 28, 28]);
      await t.screenshot(page, 'unet');

      // A photo: the 64x64 region in the middle of the view, with the photo model's channels.
      await page.evaluate(async (data) => {
        await window.dae.uploadFile(new File([new Uint8Array(data)], 'photo.png', { type: 'image/png' }), { mode: 'full' });
        await window.dae.whenIdle();
      }, [...colorPhoto(200, 150)]);
      v = await layers(page);
      assert.deepEqual(v.region, [68, 43, 64, 64]);
      const s = await state(page);
      assert.equal(v.rows[0].h, 64);
      assert.equal(v.rows.at(-1).c, s.modelChannels);
      t.log(`${s.model} on a photo's 64x64 region: ${v.rows.length} nodes in ${v.ms.toFixed(1)} ms`);
      await t.screenshot(page, 'photo');

      // The explanations, over the layer view.
      await page.evaluate(() => window.dae.showExplain(true));
      await page.evaluate(() => new Promise((f) => requestAnimationFrame(() => requestAnimationFrame(f))));
      assert.equal((await state(page)).showExplain, true);
      await t.screenshot(page, 'explain', { doc: 'explain.png' });
    },
  },
  {
    name: 'walk the code: seed\'s code of the drawing and of a sample, mixed and decoded; its ends are the two images\' own reconstructions',
    async run(t) {
      const page = await openApp(t);
      assert.ok((await page.evaluate(() => window.dae.loadModel('seed'))).ok);
      // No noise: the denoised image is the model's reconstruction of the clean one.
      await page.evaluate(async () => { window.dae.setNoise({ amount: 0 }); window.dae.loadSample(0); await window.dae.whenIdle(); });
      const walkAt = (tt) => page.evaluate(async (tt) => {
        window.dae.walk({ sample: 5, t: tt });
        while (!window.dae.state().walk?.ready) await new Promise((f) => requestAnimationFrame(f));
        return { s: window.dae.state().walk, px: Array.from(window.dae.walkImage()) };
      }, tt);
      const maxDiff = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
      const a = await walkAt(0), mid = await walkAt(0.5), b = await walkAt(1);
      assert.deepEqual(a.s.code, [8, 7, 7]);
      assert.equal(a.s.error, '');
      const ownA = await page.evaluate(() => Array.from(window.dae.getImages().engine));
      await t.screenshot(page, 'walk', { doc: 'walk.png' });
      await page.evaluate(async () => { window.dae.loadSample(5); await window.dae.whenIdle(); });
      const ownB = await page.evaluate(() => Array.from(window.dae.getImages().engine));
      t.log(`ends against the reconstructions: ${maxDiff(a.px, ownA).toExponential(1)}, ${maxDiff(b.px, ownB).toExponential(1)}; ` +
        `the middle differs from both by ${maxDiff(mid.px, a.px).toFixed(2)} and ${maxDiff(mid.px, b.px).toFixed(2)}`);
      assert.ok(maxDiff(a.px, ownA) <= 1e-4, 'mix 0 is the drawing\'s reconstruction');
      assert.ok(maxDiff(b.px, ownB) <= 1e-4, 'mix 1 is the sample\'s reconstruction');
      assert.ok(maxDiff(mid.px, a.px) > 0.05 && maxDiff(mid.px, b.px) > 0.05, 'the middle is neither end');
      // A U-Net has no single code: the walk says so.
      assert.ok((await page.evaluate(() => window.dae.loadModel('unet'))).ok);
      const u = await page.evaluate(async () => {
        await new Promise((f) => requestAnimationFrame(() => requestAnimationFrame(f)));
        return window.dae.state().walk;
      });
      assert.match(u.error, /has no single code to walk: its skip connections go around it/);
    },
  },
];

