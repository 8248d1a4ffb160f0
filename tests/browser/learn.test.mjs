// "Watch it learn": the image on screen denoised by the model as it was during its training, from the history file
// dae-train --snapshots wrote beside it, downloaded the first time the slider is used.
import { assert, images, openApp, state } from './lib.mjs';

const historyRequests = (page) =>
  page.evaluate(() => performance.getEntriesByType('resource').filter((e) => e.name.includes('.snapshots.')).length);
const frames = (page) => page.evaluate(() => new Promise((f) => requestAnimationFrame(() => requestAnimationFrame(f))));

export const tests = [
  {
    name: 'watch it learn: nothing downloaded until the slider is used; seed from its random start to the model file, the last step giving the shipped model\'s result (and unet\'s), the layer view following the step',
    async run(t) {
      const page = await openApp(t);
      assert.ok((await page.evaluate(() => window.dae.loadModel('seed'))).ok);
      await page.evaluate(async () => {
        window.dae.setNoise({ amount: 0.3, seed: 5 });
        window.dae.loadSample(3);
        await window.dae.whenIdle();
      });
      const shipped = { px: (await images(page)).denoised, psnr: (await state(page)).psnrDenoised };

      // Open: the slider and the download's size, nothing fetched yet.
      await page.evaluate(() => window.dae.showTraining(true));
      await frames(page);
      let tv = (await state(page)).training;
      assert.equal(tv.available, true);
      assert.equal(tv.loaded, false);
      assert.equal(tv.file, 'seed.snapshots.safetensors');
      assert.ok(tv.bytes > 10000, `size ${tv.bytes}`);
      assert.equal(await historyRequests(page), 0, 'the history is not downloaded before the slider is used');
      await t.screenshot(page, 'closed-history');

      // The last step: the model file's weights exactly, so the shipped model's result.
      const models = await page.evaluate(() => fetch('models/models.json').then((r) => r.json()));
      const count = models.models.find((m) => m.name === 'seed').snapshots.count;
      tv = await page.evaluate((i) => window.dae.trainingStep(i), count - 1);
      assert.equal(tv.loaded, true);
      assert.equal(tv.inUse, true);
      assert.equal(tv.snapshots.length, count);
      assert.equal(tv.index, count - 1);
      assert.equal(tv.snapshots[0].step, 0);
      for (let i = 1; i < count; i++) assert.ok(tv.snapshots[i].step > tv.snapshots[i - 1].step);
      assert.deepEqual((await images(page)).denoised, shipped.px, 'the last snapshot is the shipped model');
      assert.equal(await historyRequests(page), 1);
      t.log(`${count} snapshots over ${tv.snapshots.at(-1).step} steps, ${tv.bytes} bytes; validation PSNR ` +
        `${tv.snapshots[0].valPsnr.toFixed(2)} dB at step 0, ${tv.snapshots.at(-1).valPsnr.toFixed(2)} dB at the end`);

      // Step 0: the random start, far worse, and the layer view shows that network's insides.
      await page.evaluate(() => window.dae.showLayers(true));
      const layersAt = async (i) => {
        await page.evaluate((i) => window.dae.trainingStep(i), i);
        await page.waitForFunction(() => window.dae.state().layers?.rows.length === 5);
        await frames(page);
        return (await state(page)).layers.rows.map((r) => [r.min, r.max]);
      };
      const lastLayers = await layersAt(count - 1);
      const firstLayers = await layersAt(0);
      assert.notDeepEqual(firstLayers, lastLayers, 'the layer view runs the model at the step shown');
      await page.evaluate(() => window.dae.showLayers(false));
      const start = await state(page);
      assert.ok(start.psnrDenoised < shipped.psnr - 3, `step 0: ${start.psnrDenoised} dB against ${shipped.psnr}`);
      assert.notDeepEqual((await images(page)).denoised, shipped.px);
      const mid = await page.evaluate((i) => window.dae.trainingStep(i), Math.floor(count / 2));
      const midPsnr = (await state(page)).psnrDenoised;
      t.log(`this sample: ${start.psnrDenoised.toFixed(2)} dB at step 0, ${midPsnr.toFixed(2)} dB at step ` +
        `${mid.snapshots[mid.index].step}, ${shipped.psnr.toFixed(2)} dB at the end`);
      assert.ok(midPsnr > start.psnrDenoised);
      await frames(page);
      await t.screenshot(page, 'mid-training', { doc: 'learn.png' });

      // Closed: back to the model file; the history is not fetched again when reopened.
      await page.evaluate(async () => { window.dae.showTraining(false); await window.dae.whenIdle(); });
      assert.equal((await state(page)).training, undefined);
      assert.deepEqual((await images(page)).denoised, shipped.px);
      await page.evaluate((i) => window.dae.trainingStep(i), 1);
      assert.equal(await historyRequests(page), 1, 'one download per visit');

      // unet's history spans its two runs (9 epochs, then the fine-tune) and also ends on the shipped model.
      assert.ok((await page.evaluate(() => window.dae.loadModel('unet'))).ok);
      await page.evaluate(async () => { window.dae.showTraining(false); await window.dae.whenIdle(); });
      const unet = (await images(page)).denoised;
      tv = await page.evaluate(() => window.dae.trainingStep(1000));  // past the end: the last snapshot
      assert.equal(tv.index, tv.snapshots.length - 1);
      assert.deepEqual([...new Set(tv.snapshots.map((e) => e.run))], [0, 1]);
      assert.deepEqual((await images(page)).denoised, unet, 'the last snapshot is the shipped unet');
      assert.equal(await historyRequests(page), 2);

      // A model without a history says which models have one.
      assert.ok((await page.evaluate(() => window.dae.loadModel('conv'))).ok);
      await page.evaluate(() => window.dae.whenIdle());
      tv = (await state(page)).training;
      assert.equal(tv.available, false);
      assert.equal(tv.inUse, false);
    },
  },
  {
    name: 'watch it learn: a damaged history is refused with the reason, and the model keeps working',
    async run(t) {
      // Without the service worker, which would refuse the changed file itself (409: not the file its version lists).
      const page = await t.newPage({ serviceWorkers: 'block' });
      await page.context().route('**/models/seed.snapshots.safetensors', async (route) => {
        const r = await route.fetch();
        const body = await r.body();
        await route.fulfill({ status: 200, body: body.subarray(0, body.length - 100) });
      });
      await openApp(t, { page });
      assert.ok((await page.evaluate(() => window.dae.loadModel('seed'))).ok);
      const error = await page.evaluate(() => window.dae.trainingStep(3).then(() => '', (e) => e.message));
      assert.match(error, /training history could not be read: snapshots: /);
      t.problems.splice(0, t.problems.length, ...t.problems.filter((p) => !/training history/.test(p)));
      const s = await state(page);
      assert.equal(s.training.loaded, false);
      assert.equal(s.training.inUse, false);
      assert.equal(s.model, 'seed');
      assert.ok(s.psnrDenoised > 0);
    },
  },
];
