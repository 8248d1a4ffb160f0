// The walking skeleton end to end: the page loads, a stroke drawn with the mouse is denoised, quality improves.
import { assert, drag, images, openApp, psnr, state, sum } from './lib.mjs';

export const tests = [
  {
    name: 'a stroke drawn on the pad is denoised: PSNR(denoised) > PSNR(noisy)',
    async run(t) {
      const page = await openApp(t);
      const before = await images(page);
      assert.equal(sum(before.clean), 0, 'the pad starts blank');
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
];
