// Drawing tools: pen, brush size, eraser, clear, undo (buttons and keys), touch and pen input, and the noise brush.
import { assert, drag, images, openApp, state, sum } from './lib.mjs';

const line = [[0.1, 0.5], [0.9, 0.5]];

export const tests = [
  {
    name: 'brush size, eraser, undo and clear with keyboard shortcuts',
    async run(t) {
      const page = await openApp(t);
      await page.keyboard.press('KeyC');  // from the start sample to a blank pad
      await page.waitForFunction(() => window.dae.getImages().clean.every((v) => v === 0));
      await drag(page, 0, line);
      const thin = sum((await images(page)).clean);
      await page.keyboard.press('KeyU');  // undo
      await page.waitForFunction(() => window.dae.getImages().clean.every((v) => v === 0));
      for (let i = 0; i < 4; i++) await page.keyboard.press('BracketRight');
      assert.equal((await state(page)).brush, 3.5);
      await drag(page, 0, line);
      const thick = sum((await images(page)).clean);
      assert.ok(thick > thin * 1.5, `a larger brush paints more (${thin} -> ${thick})`);
      assert.equal((await state(page)).tool, 'pen');
      await page.keyboard.press('KeyE');
      await page.waitForFunction(() => window.dae.state().tool === 'eraser');
      await drag(page, 0, [[0.5, 0.1], [0.5, 0.9]]);
      const erased = sum((await images(page)).clean);
      assert.ok(erased < thick - 5, `the eraser removes paint (${thick} -> ${erased})`);
      await page.keyboard.press('Control+KeyZ');
      await page.waitForFunction((v) => Math.abs(window.dae.getImages().clean.reduce((a, b) => a + b, 0) - v) < 1e-3, thick);
      await page.keyboard.press('KeyC');
      await page.waitForFunction(() => window.dae.getImages().clean.every((v) => v === 0));
      await t.screenshot(page);
    },
  },
  {
    name: 'touch and pen strokes (pointer events) draw, pen pressure makes fainter strokes',
    async run(t) {
      const page = await openApp(t, { viewport: { width: 400, height: 800 } });
      await page.keyboard.press('KeyC');  // from the start sample to a blank pad
      await page.waitForFunction(() => window.dae.getImages().clean.every((v) => v === 0));
      const s = await state(page);
      const stroke = (type, pressure) => page.evaluate(([rect, type, pressure]) => {
        const canvas = document.getElementById('canvas');
        const [x, y, w, h] = rect;
        const ev = (kind, fx, buttons) => canvas.dispatchEvent(new PointerEvent(kind, {
          pointerId: 7, pointerType: type, isPrimary: true, clientX: x + fx * w, clientY: y + h / 2, buttons, pressure,
          bubbles: true, cancelable: true }));
        const frame = () => new Promise((f) => requestAnimationFrame(() => requestAnimationFrame(f)));
        return (async () => {
          ev('pointerdown', 0.1, 1);
          await frame();
          for (let i = 1; i <= 8; i++) { ev('pointermove', 0.1 + i * 0.1, 1); await frame(); }
          ev('pointerup', 0.9, 0);
          await frame();
          await new Promise((f) => setTimeout(f, 150));
          await window.dae.whenIdle();
        })();
      }, [s.panes[0], type, pressure]);
      await stroke('touch', 0);
      const touched = (await images(page)).clean;
      assert.ok(sum(touched) > 10, `touch drew (${sum(touched)})`);
      assert.ok(Math.max(...touched) > 0.99, 'touch paints at full strength');
      await page.keyboard.press('KeyC');
      await stroke('pen', 0.3);
      const penned = (await images(page)).clean;
      assert.ok(sum(penned) > 3, 'pen drew');
      assert.ok(Math.max(...penned) < 0.5, `light pen pressure paints faintly (max ${Math.max(...penned)})`);
      await t.screenshot(page, 'phone');
    },
  },
  {
    name: 'noise brush adds noise only where painted when noise is not everywhere',
    async run(t) {
      const page = await openApp(t);
      await page.evaluate(() => window.dae.loadSample(0));
      await page.evaluate(() => window.dae.whenIdle());
      // Untick "Everywhere" through the same state the checkbox edits, via its keyboard-free path: the API.
      await page.evaluate(() => window.dae.setNoise({ kind: 'gaussian', amount: 0.5 }));
      const controls = await page.evaluate(() => window.dae.state());
      assert.equal(controls.noiseEverywhere, true);
      await page.keyboard.press('KeyN');
      await page.waitForFunction(() => window.dae.state().tool === 'noise-brush');
      await page.evaluate(() => window.dae.setNoiseEverywhere(false));
      let im = await images(page);
      assert.deepEqual(im.noisy, im.clean, 'no noise before painting with the noise brush');
      await drag(page, 0, [[0.0, 0.25], [0.5, 0.25]]);
      im = await images(page);
      let top = 0, bottom = 0;
      for (let y = 0; y < 28; y++)
        for (let x = 0; x < 28; x++) {
          const d = Math.abs(im.noisy[y * 28 + x] - im.clean[y * 28 + x]);
          if (y < 12 && x < 14) top += d;
          if (y > 16) bottom += d;
        }
      assert.ok(top > 1, `noise where painted (${top})`);
      assert.equal(bottom, 0, 'no noise elsewhere');
      await t.screenshot(page);
    },
  },
];
