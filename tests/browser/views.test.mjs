// Views and layout: difference heat map, split view, zoom and pan, pixel inspector, help, high-DPI, resize, phone width.
import { assert, drag, openApp, state } from './lib.mjs';

// The share of pixels in the middle w×h of a screenshot (PNG bytes) that are near black or near white, decoded by the
// page's own image decoder.
const pureShare = (page, bytes) => page.evaluate(async (data) => {
  const bitmap = await createImageBitmap(new Blob([new Uint8Array(data)], { type: 'image/png' }));
  const c = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d');
  c.drawImage(bitmap, 0, 0);
  const rgba = c.getImageData(0, 0, bitmap.width, bitmap.height).data;
  let pure = 0;
  for (let i = 0; i < rgba.length; i += 4) if (rgba[i + 1] < 24 || rgba[i + 1] > 231) ++pure;
  return pure / (rgba.length / 4);
}, [...bytes]);

export const tests = [
  {
    name: 'past the GPU\'s texture limit (a phone\'s 1024 simulated): shown scaled down, and zoomed in, the visible part at full resolution',
    async run(t) {
      const page = await openApp(t);
      // 2400x1600 color, mid gray with a one-pixel checkerboard in the middle: scaled down by 3 (box filter) it is an
      // even gray there, at full resolution black and white.
      await page.evaluate(async () => {
        const d = window.dae;
        d.setImage(new Float32Array(3 * 64 * 64).fill(0.5), 64, 64, { fullResolution: true, channels: 3 });
        await d.loadModel('seed');
        d.setSigma(0.05);
        const w = 2400, h = 1600, px = new Float32Array(3 * w * h).fill(0.5);
        for (let y = 500; y < 1100; y++)
          for (let x = 900; x < 1500; x++) for (let k = 0; k < 3; k++) px[k * w * h + y * w + x] = (x + y) % 2;
        d.setMaxTextureSide(1024);
        d.setImage(px, w, h, { fullResolution: true, channels: 3 });
        await d.whenIdle();
      });
      await page.keyboard.press('Digit1');  // the clean image alone
      await page.waitForFunction(() => window.dae.state().compare === 'single');
      let s = await state(page);
      assert.equal(s.textureMaxSide, 1024);
      assert.equal(s.textureShrink, 3);
      assert.deepEqual(s.detail, [], 'the whole image does not fit one texture: no detail at fit');
      const [x, y, w, h] = s.panes[2];
      const middle = { x: x + w / 2 - 40, y: y + h / 2 - 40, width: 80, height: 80 };
      const fit = await pureShare(page, await page.screenshot({ clip: middle }));
      for (let i = 0; i < 10; i++) await page.keyboard.press('Equal');
      await page.waitForFunction(() => window.dae.state().zoom > 9 && window.dae.state().detail.length === 1);
      s = await state(page);
      const d = s.detail[0];
      t.log(`2400x1600 under a 1024 limit: texture scaled down ${s.textureShrink}x; zoom ${s.zoom.toFixed(1)}x shows ` +
        `${d.image} [${d.x0}, ${d.x1}) x [${d.y0}, ${d.y1}) at full resolution`);
      assert.equal(d.image, 'clean');
      assert.ok(d.x0 <= 1200 && d.x1 >= 1200 && d.y0 <= 800 && d.y1 >= 800, 'the visible middle is in it');
      assert.ok(d.x1 - d.x0 <= 1024 && d.y1 - d.y0 <= 1024, 'and it fits the limit');
      const zoomed = await pureShare(page, await page.screenshot({ clip: middle }));
      t.log(`black or white pixels in the middle of the view: ${(fit * 100).toFixed(0)}% at fit, ` +
        `${(zoomed * 100).toFixed(0)}% zoomed in`);
      assert.ok(zoomed > 0.8, `the checkerboard shows at full resolution (${zoomed})`);
      assert.ok(fit < 0.2, `while the scaled-down copy is gray there (${fit})`);
      await t.screenshot(page, 'detail');
      // The split view: each side has its own full-resolution part.
      await page.keyboard.press('KeyV');
      await page.waitForFunction(() => window.dae.state().compare === 'noisy-denoised' &&
        window.dae.state().detail.length === 2);
      s = await state(page);
      assert.deepEqual(s.detail.map((e) => e.image).sort(), ['denoised', 'noisy']);
      // Back to the GPU's own limit: the image fits it whole again.
      await page.evaluate(() => window.dae.setMaxTextureSide(0));
      await page.waitForFunction(() => window.dae.state().textureShrink === 1 && window.dae.state().detail.length === 0);
    },
  },
  {
    name: 'difference view, split view, wheel zoom, right-drag pan, pixel inspector and help via shortcuts',
    async run(t) {
      const page = await openApp(t);
      await page.evaluate(() => window.dae.loadSample(3));
      await page.keyboard.press('Digit4');
      assert.equal((await state(page)).view, 'difference');
      await t.screenshot(page, 'difference');
      await page.keyboard.press('Digit3');
      await page.keyboard.press('KeyV');
      assert.equal((await state(page)).split, true);
      const s = await state(page);
      const [x, y, w, h] = s.panes[2];
      await page.mouse.move(x + w * 0.5, y + h * 0.5);
      await page.mouse.wheel(0, -300);
      await page.waitForFunction(() => window.dae.state().zoom > 1.2);
      const zoomed = await state(page);
      await drag(page, 2, [[0.5, 0.5], [0.3, 0.3]], { button: 'right' });
      await page.mouse.move(x + w * 0.25, y + h * 0.75);
      await page.waitForFunction(() => window.dae.state().inspect[0] >= 0);
      const inspected = await state(page);
      t.log(`zoom ${zoomed.zoom.toFixed(2)}, inspecting pixel ${inspected.inspect}`);
      await t.screenshot(page, 'split-zoom');
      await page.keyboard.press('KeyH');
      assert.equal((await state(page)).showHelp, true);
      await t.screenshot(page, 'help');
      await page.keyboard.press('Digit0');
      // The key is handled on the app's next frame, which a busy machine may draw late.
      await page.waitForFunction(() => window.dae.state().zoom === 1, null, { timeout: 10000 });
    },
  },
  {
    name: 'high-DPI (2x) renders a canvas at device resolution; resize and phone width relayout',
    async run(t) {
      const page = await openApp(t, { page: await t.newPage({ viewport: { width: 1000, height: 700 }, deviceScaleFactor: 2 }) });
      const size = await page.evaluate(() => [document.getElementById('canvas').width, document.getElementById('canvas').height]);
      assert.deepEqual(size, [2000, 1400]);
      await drag(page, 0, [[0.2, 0.2], [0.8, 0.8]]);
      const s = await state(page);
      assert.ok(s.psnrDenoised > s.psnrNoisy);
      await t.screenshot(page, 'hidpi');
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForFunction(() => window.dae.state().panes[0][2] < 150);
      const phone = await state(page);
      assert.ok(phone.panes[2][0] + phone.panes[2][2] <= 390, 'all three panes fit a phone-width screen');
      await drag(page, 0, [[0.2, 0.8], [0.8, 0.2]]);
      await t.screenshot(page, 'phone');
    },
  },
];
