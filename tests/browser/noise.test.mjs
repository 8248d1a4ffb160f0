// Noise types, strength, seed and re-roll: each changes the noisy image as described, deterministically.
import { assert, images, openApp, psnr, state } from './lib.mjs';

export const tests = [
  {
    name: 'every noise type corrupts a sample, the model improves on each, seeds reproduce and re-roll changes',
    async run(t) {
      const page = await openApp(t);
      await page.evaluate(() => window.dae.loadSample(7));
      const rows = [];
      for (const [kind, amount] of [['gaussian', 0.3], ['salt-pepper', 0.15], ['speckle', 0.5], ['poisson', 0.3]]) {
        await page.evaluate(([kind, amount]) => window.dae.setNoise({ kind, amount, seed: 5 }), [kind, amount]);
        await page.evaluate(() => window.dae.whenIdle());
        const im = await images(page);
        const s = await state(page);
        assert.equal(s.noise, kind);
        const pn = psnr(im.noisy, im.clean), pd = psnr(im.denoised, im.clean);
        rows.push(`${kind} ${amount}: noisy ${pn.toFixed(2)} dB, denoised ${pd.toFixed(2)} dB`);
        assert.ok(pn < 40, `${kind} adds noise`);
        if (kind === 'salt-pepper') {
          const flipped = im.noisy.filter((v, i) => v !== im.clean[i] && (v === 0 || v === 1)).length;
          assert.ok(flipped > 40 && flipped < 200, `salt-pepper flips about 15% of pixels (${flipped})`);
        }
      }
      t.log(rows.join('; '));
      // The kinds are the engine's names: anything else is refused and changes nothing.
      const refused = await page.evaluate(() => {
        try { window.dae.setNoise({ kind: 'pink', amount: 0.9 }); return 'accepted'; } catch (e) { return e.message; }
      });
      assert.match(refused, /unknown noise kind 'pink'/);
      const after = await state(page);
      assert.equal(after.noise, 'poisson');
      assert.ok(Math.abs(after.amount - 0.3) < 1e-6, `amount ${after.amount}`);
      await page.evaluate(() => window.dae.setNoise({ kind: 'gaussian', amount: 0.3, seed: 42 }));
      const a = (await images(page)).noisy;
      await page.keyboard.press('KeyR');
      await page.evaluate(() => window.dae.whenIdle());
      const b = (await images(page)).noisy;
      assert.notDeepEqual(a, b, 're-roll draws new noise');
      await page.evaluate(() => window.dae.setNoise({ seed: 42 }));
      const c = (await images(page)).noisy;
      assert.deepEqual(a, c, 'the same seed gives the same noise');
      await page.evaluate(() => window.dae.setSigma(0));
      const clean = await images(page);
      assert.deepEqual(clean.noisy, clean.clean, 'strength 0 adds nothing');
      await t.screenshot(page);
    },
  },
];
