// The walking skeleton end to end: the page opens on a denoised sample, a stroke drawn with the mouse is denoised,
// quality improves.
import { assert, drag, images, openApp, psnr, state, sum } from './lib.mjs';

export const tests = [
  {
    name: 'the first view shows the point: a sample with noise added and removed, metrics filled in, the hint line',
    async run(t) {
      const page = await openApp(t);
      const s = await state(page);
      assert.match(s.source, /^sample 0 /, 'a first visit opens on a sample');
      assert.equal(s.undoDepth, 0, 'the blank pad before it is not an undo step');
      const im = await images(page);
      const pn = psnr(im.noisy, im.clean), pd = psnr(im.denoised, im.clean);
      assert.ok(sum(im.clean) > 50, 'the sample has content');
      assert.ok(pn < 40, 'noise was added');
      assert.ok(pd > pn + 3, `and removed: ${pn.toFixed(2)} -> ${pd.toFixed(2)} dB`);
      assert.ok(Math.abs(s.psnrDenoised - pd) < 1e-3 && s.ssimDenoised > s.ssimNoisy, 'the metrics are filled in');
      // An empty message: the status line shows the app's hint (draw, drop a photo or pick a sample).
      assert.equal(s.message, '');
      assert.equal(await page.evaluate(() => document.getElementById('loading').hidden), true);
      t.log(`first view: ${s.source}, PSNR ${pn.toFixed(2)} -> ${pd.toFixed(2)} dB, SSIM ${s.ssimNoisy.toFixed(3)} -> ` +
        `${s.ssimDenoised.toFixed(3)}`);
      await t.screenshot(page, 'first-view', { doc: 'page.png' });
    },
  },
  {
    name: 'a stroke drawn on the pad is denoised: PSNR(denoised) > PSNR(noisy)',
    async run(t) {
      const page = await openApp(t);
      await page.keyboard.press('KeyC');  // clear the start sample
      await page.waitForFunction(() => window.dae.getImages().clean.every((v) => v === 0));
      await drag(page, 0, [[0.2, 0.3], [0.5, 0.5], [0.8, 0.7], [0.5, 0.8]]);
      const im = await images(page);
      assert.equal(im.width, 28);
      assert.equal(im.height, 28);
      assert.ok(sum(im.clean) > 20, `the stroke should paint pixels (sum ${sum(im.clean)})`);
      const pn = psnr(im.noisy, im.clean), pd = psnr(im.denoised, im.clean);
      t.log(`PSNR noisy ${pn.toFixed(2)} dB, denoised ${pd.toFixed(2)} dB`);
      assert.ok(pd > pn, `denoised ${pd} should beat noisy ${pn}`);
      const s = await state(page);
      assert.ok(Math.abs(s.psnrDenoised - pd) < 1e-3, 'the app shows the same PSNR the test computes');
      await t.screenshot(page);
    },
  },
  {
    name: 'without the samples file the page still gets ready, on the blank pad, and says what is missing',
    async run(t) {
      const context = await t.newContext({ serviceWorkers: 'block' });
      const page = await context.newPage();
      await page.route('**/samples/*.bin', (route) => route.fulfill({ status: 404, body: 'gone' }));
      const warnings = [];
      page.on('console', (m) => { if (m.type() === 'warning') warnings.push(m.text()); });
      await openApp(t, { page });
      const s = await state(page);
      assert.equal(s.source, 'blank');
      assert.ok(s.model, 'the model is loaded');
      // Shown in the status line (until the model's own message follows) and in the console.
      assert.ok(warnings.some((w) => /Could not load the samples/.test(w)), `warnings: ${warnings}`);
      t.problems.splice(0, t.problems.length, ...t.problems.filter((p) => !/404/.test(p)));  // the browser's own report
    },
  },
];
