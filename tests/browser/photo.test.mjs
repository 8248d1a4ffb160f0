// A person's own photo: kept at full size, denoised as it is when it is noisy already (no noise added, a strength
// control), saved at full size as PNG and JPEG; too large a photo refused from its header; EXIF orientation applied;
// and a 24-megapixel photo through the real page, compared with dae-denoise's result on the same file.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assert, openApp, state } from './lib.mjs';
import { blackPng, noisyPhotoRgba, png, pngRgba } from './fixtures.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'build', 'native', 'native', 'cli', 'dae-denoise');

// Uploads bytes as a File at full resolution; resolves with the upload's {ok, message} once the app is idle.
const uploadFull = (page, name, type, bytes) => page.evaluate(async ([name, type, data]) => {
  const r = await window.dae.uploadFile(new File([new Uint8Array(data)], name, { type }), { mode: 'full' });
  await window.dae.whenIdle();
  return r;
}, [name, type, [...bytes]]);

// In the page: decodes window.testBlob and compares its pixels with the shown result's 8-bit RGBA (dae.resultRgba):
// {w, h, maxDiff, meanDiff} over R, G and B.
async function compareWithResult() {
  const bitmap = await createImageBitmap(window.testBlob);
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(bitmap, 0, 0);
  const got = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
  const want = window.dae.resultRgba();
  let maxDiff = 0, sum = 0;
  const n = want.w * want.h;
  if (bitmap.width === want.w && bitmap.height === want.h)
    for (let i = 0; i < n * 4; i += 4)
      for (let k = 0; k < 3; k++) {
        const d = Math.abs(got[i + k] - want.rgba[i + k]);
        if (d > maxDiff) maxDiff = d;
        sum += d;
      }
  return { w: bitmap.width, h: bitmap.height, maxDiff, meanDiff: sum / (3 * n) };
}

export const tests = [
  {
    name: 'my photo is noisy: no noise added, the camera model, strength 0% and 100% give the photo and the model\'s output exactly, saved at full size as PNG and JPEG',
    async run(t) {
      const page = await openApp(t);
      await page.evaluate(() => window.dae.setPhotoMode('noisy-photo'));
      const w = 640, h = 400;
      const r = await uploadFull(page, 'grain.png', 'image/png', pngRgba(w, h, noisyPhotoRgba(w, h)));
      assert.ok(r.ok, r.message);
      let s = await state(page);
      assert.equal(s.photoMode, 'noisy-photo');
      assert.equal(s.cleansAsIs, true);
      assert.equal(s.width, w);
      assert.equal(s.height, h);
      assert.equal(s.model, 'photo-camera', 'a noisy photo goes to the model that learned a camera\'s noise');
      assert.match(s.modelReason, /noisy photos/);
      assert.equal(s.messageIsError, false, s.message);
      const check = await page.evaluate(() => {
        const d = window.dae;
        const same = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);
        let im = d.getImages();
        const out = { noisyIsPhoto: same(im.noisy, im.clean), fullIsModel: same(im.denoised, im.engine) };
        const sigmaFull = d.state().sigmaDenoised;
        d.setStrength(0);
        im = d.getImages();
        out.zeroIsPhoto = same(im.denoised, im.noisy);
        out.sigmaZero = d.state().sigmaDenoised;
        d.setStrength(0.25);
        im = d.getImages();
        out.quarterErr = im.denoised.reduce((m, v, i) => Math.max(m, Math.abs(v - (0.75 * im.noisy[i] + 0.25 * im.engine[i]))), 0);
        d.setStrength(1);
        im = d.getImages();
        out.oneIsModel = same(im.denoised, im.engine);
        out.changed = im.engine.some((v, i) => v !== im.noisy[i]);
        out.refused = [];
        for (const bad of [-0.1, 1.5, NaN]) {
          try { d.setStrength(bad); } catch (e) { out.refused.push(e.message); }
        }
        try { d.setPhotoMode('clean'); } catch (e) { out.refused.push(e.message); }
        return { ...out, sigmaFull, s: d.state() };
      });
      assert.ok(check.noisyIsPhoto, 'no noise is added to a noisy photo');
      assert.ok(check.fullIsModel && check.oneIsModel, 'strength 100% is the model\'s output');
      assert.ok(check.zeroIsPhoto, 'strength 0% is the photo');
      assert.ok(check.quarterErr < 1e-6, `strength 25% blends: off by ${check.quarterErr}`);
      assert.ok(check.changed, 'the model changed the photo');
      assert.equal(check.refused.length, 4, check.refused.join('; '));
      assert.equal(check.s.strength, 1);
      t.log(`estimated noise sigma: photo ${s.sigmaNoisy.toFixed(4)}, strength 0% ${check.sigmaZero.toFixed(4)}, ` +
        `100% ${check.sigmaFull.toFixed(4)}`);
      assert.ok(Math.abs(check.sigmaZero - s.sigmaNoisy) < 1e-9);
      assert.ok(check.sigmaFull < 0.5 * s.sigmaNoisy, 'the model took most of the grain out');
      await t.screenshot(page, 'noisy-photo', { doc: 'noisy-photo.png' });

      // Saved at full size by the browser's encoders, named after the file.
      const png = await page.evaluate(async () => {
        const r = await window.dae.save();
        window.testBlob = r.blob;
        return { name: r.name, type: r.blob.type };
      });
      Object.assign(png, await page.evaluate(compareWithResult));
      assert.deepEqual([png.name, png.type, png.w, png.h, png.maxDiff], ['grain-denoised.png', 'image/png', w, h, 0]);
      const jpeg = await page.evaluate(async () => {
        const r = await window.dae.save({ jpegQuality: 90 });
        window.testBlob = r.blob;
        return { name: r.name, type: r.blob.type, size: r.blob.size };
      });
      Object.assign(jpeg, await page.evaluate(compareWithResult));
      t.log(`JPEG at quality 90: ${jpeg.size} bytes, mean difference ${jpeg.meanDiff.toFixed(2)} levels`);
      assert.deepEqual([jpeg.name, jpeg.type, jpeg.w, jpeg.h], ['grain-denoised.jpg', 'image/jpeg', w, h]);
      assert.ok(jpeg.meanDiff < 3, `the JPEG is far from the result: ${jpeg.meanDiff}`);
      assert.match((await state(page)).message, /Saved grain-denoised\.jpg \(640x400/);

      // Back to the demo: noise is added again, and the Gaussian photo model removes it.
      await page.evaluate(async () => { window.dae.setPhotoMode('demo'); await window.dae.whenIdle(); });
      s = await state(page);
      assert.equal(s.cleansAsIs, false);
      assert.equal(s.model, 'photo');
      assert.ok(s.psnrDenoised > s.psnrNoisy, `${s.psnrDenoised} <= ${s.psnrNoisy}`);
    },
  },
  {
    name: 'full size: a 3000x2000 upload keeps its size; a 60 MP header is refused before decoding, or scaled down to 50 MP when the person agrees; an EXIF-rotated JPEG shows upright',
    async run(t) {
      const page = await openApp(t);
      // The smallest model for photos keeps this quick: it is about sizes.
      await page.evaluate(async () => {
        window.dae.setImage(new Float32Array(3 * 64 * 64).fill(0.5), 64, 64, { fullResolution: true, channels: 3 });
        await window.dae.loadModel('seed');
      });
      const big = png(3000, 2000, (x, y) => [x % 256, y % 256, 128, 255]);
      const r = await uploadFull(page, 'wide.png', 'image/png', big);
      assert.ok(r.ok, r.message);
      let s = await state(page);
      assert.deepEqual([s.width, s.height, s.channels], [3000, 2000, 3]);
      assert.doesNotMatch(s.message, /scaled/);

      const huge = blackPng(10000, 6000);
      const refused = await uploadFull(page, 'huge.png', 'image/png', huge);
      assert.equal(refused.ok, false);
      assert.match(refused.message, /huge\.png is 10000x6000 \(60 megapixels\), too large to process at full size; the limit is 50 megapixels/);
      s = await state(page);
      assert.equal(s.width, 3000, 'the photo on screen stays');
      // Asked (a dialog; refused above, where the test browser dismissed it) and accepted: scaled down to the limit,
      // its shape kept, and the status line says so. Cancelled at once: this is about the size.
      let asked = '';
      page.once('dialog', (d) => { asked = d.message(); d.accept(); });
      const scaled = await page.evaluate(async (data) => {
        const d = window.dae;
        const r = await d.uploadFile(new File([new Uint8Array(data)], 'huge.png', { type: 'image/png' }), { mode: 'full' });
        const s = d.state();
        d.cancel();
        return { r, s };
      }, [...huge]);
      assert.match(asked, /huge\.png is 10000x6000, 60 megapixels: more than the 50 megapixels .* Scale it down/);
      assert.ok(scaled.r.ok, scaled.r.message);
      assert.match(scaled.r.message, /scaled down from 10000x6000 to 9128x5477 \(the limit is 50 megapixels at full size\)/);
      assert.match(scaled.s.message, /scaled down from 10000x6000/);
      assert.deepEqual([scaled.s.width, scaled.s.height], [9128, 5477]);
      t.log(`60 MP accepted for scaling: ${scaled.r.message}`);

      // A 60x40 JPEG, left third red, with EXIF orientation 6 (shown turned 90 degrees clockwise): upright it is 40x60
      // with the red at the top.
      const rotated = await page.evaluate(async () => {
        const c = new OffscreenCanvas(60, 40);
        const ctx = c.getContext('2d');
        ctx.fillStyle = '#2040c0';
        ctx.fillRect(0, 0, 60, 40);
        ctx.fillStyle = '#e02020';
        ctx.fillRect(0, 0, 20, 40);
        const jpeg = new Uint8Array(await (await c.convertToBlob({ type: 'image/jpeg', quality: 0.95 })).arrayBuffer());
        // APP1: "Exif\0\0", a big-endian TIFF header and one IFD entry: Orientation (0x0112), SHORT, 1, value 6.
        const tiff = [0x4d, 0x4d, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0];
        const body = [0x45, 0x78, 0x69, 0x66, 0, 0, ...tiff];
        const app1 = [0xff, 0xe1, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body];
        const file = new File([jpeg.slice(0, 2), new Uint8Array(app1), jpeg.slice(2)], 'portrait.jpg', { type: 'image/jpeg' });
        const r = await window.dae.uploadFile(file, { mode: 'full' });
        const im = window.dae.getImages();
        const n = im.width * im.height;
        const red = (x, y) => im.clean[y * im.width + x] - im.clean[2 * n + y * im.width + x];
        return { r, w: im.width, h: im.height, top: red(20, 8), bottom: red(20, 52) };
      });
      assert.ok(rotated.r.ok, rotated.r.message);
      assert.deepEqual([rotated.w, rotated.h], [40, 60]);
      assert.ok(rotated.top > 0.4 && rotated.bottom < -0.4, `red at the top: ${rotated.top}, blue below: ${rotated.bottom}`);
      await t.screenshot(page, 'upright');
    },
  },
  {
    name: 'cancel mid-photo: the job stops at the next tile, the tiles done stay shown, Run again finishes it',
    timeoutSeconds: 300,  // a hang guard: the photo model runs the whole photo once after the cancel
    async run(t) {
      const page = await openApp(t);
      const w = 2000, h = 1500;
      const photo = pngRgba(w, h, noisyPhotoRgba(w, h));
      // On the context, not the page: the page's service worker makes the request.
      await page.context().route('**/test-input/*', (route) => route.fulfill({ status: 200, contentType: 'image/png', body: photo }));
      const r = await page.evaluate(async () => {
        const d = window.dae;
        const sleep = (ms) => new Promise((f) => setTimeout(f, ms));
        d.setPhotoMode('noisy-photo');
        const blob = await (await fetch('test-input/mid.png')).blob();
        await d.uploadFile(new File([blob], 'mid.png', { type: 'image/png' }), { mode: 'full' });
        // The photo's job (the camera model loads first): at least one of its tiles done.
        for (let j = d.state().jobs; !(j.tiles > 1 && j.tilesDone >= 1); j = d.state().jobs) await sleep(10);
        const { cancelled: before } = d.state().jobs, left = d.state().secondsLeft;
        const ok = d.cancel();
        const at = d.state();
        // The job thread stops at the top of its next round, after the tile it is running.
        while (d.state().jobs.cancelled === before) await sleep(20);
        await sleep(1500);
        const after = d.state();
        const again = d.cancel();
        d.runAgain();
        await d.whenIdle();
        return { ok, again, at, after, left, end: d.state() };
      });
      assert.equal(r.ok, true);
      const { tilesDone, tiles } = r.at.cancelled;
      t.log(`cancelled after ${tilesDone} of ${tiles} tiles; the job ran ${r.after.jobs.lastCancelled.tilesDone}; ` +
        `about ${r.left.toFixed(0)} s were left`);
      assert.ok(r.left > 0, 'the progress says how long is left');
      assert.ok(tilesDone >= 1 && tilesDone < tiles);
      assert.ok(r.after.jobs.lastCancelled.tilesDone <= tilesDone + 1, 'at most the tile in flight finished');
      assert.equal(r.after.busy, false);
      assert.ok(r.after.partialTiles >= 1, 'the tiles done stay shown');
      assert.match(r.after.message, /^Cancelled after \d+ of \d+ tiles/);
      assert.equal(r.after.denoiseCount, r.at.denoiseCount, 'no result came');
      assert.equal(r.again, false, 'nothing left to cancel');
      assert.equal(r.end.cancelled, null);
      assert.equal(r.end.denoiseCount, r.at.denoiseCount + 1);
      assert.ok(r.end.sigmaDenoised > 0 && r.end.sigmaDenoised < r.end.sigmaNoisy);
    },
  },
  {
    name: 'a 24 MP noisy photo at full size in the threaded build: the same result as dae-denoise on the same file, peak heap printed',
    timeoutSeconds: 600,  // a hang guard: the page runs 24 MP through the engine on this machine's cores
    async run(t) {
      assert.ok(existsSync(cli), `${cli} is missing: build the native tools first (make native)`);
      const w = 6000, h = 4000;
      const dir = mkdtempSync(join(tmpdir(), 'dae-24mp-'));
      try {
        const input = join(dir, 'big.png'), output = join(dir, 'big-denoised.png');
        writeFileSync(input, pngRgba(w, h, noisyPhotoRgba(w, h)));
        // The smallest model ('seed', a few convolutions) keeps this within the suite's time: this is about size,
        // memory and agreement; the benchmark runs 'photo'.
        const model = join(root, 'web', 'models', 'seed.safetensors');
        const t0 = performance.now();
        execFileSync(cli, [input, '-o', output, '--model', model], { stdio: 'pipe' });
        const cliMs = performance.now() - t0;
        t.log(`dae-denoise: ${(cliMs / 1000).toFixed(1)} s`);
        const page = await openApp(t);
        assert.equal((await state(page)).build, 'threads');
        // On the context, not the page: the page's service worker makes the request.
        await page.context().route('**/test-input/*', (route) => route.fulfill({
          status: 200, contentType: 'image/png', body: readFileSync(route.request().url().endsWith('big.png') ? input : output),
        }));
        const errors = [];
        page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
        const run = await page.evaluate(async () => {
          const d = window.dae;
          d.setPhotoMode('noisy-photo');
          d.setImage(new Float32Array(3 * 64 * 64).fill(0.5), 64, 64, { fullResolution: true, channels: 3 });
          await d.loadModel('seed');
          await d.whenIdle();
          const blob = await (await fetch('test-input/big.png')).blob();
          const t0 = performance.now();
          const r = await d.uploadFile(new File([blob], 'big.png', { type: 'image/png' }), { mode: 'full' });
          let firstTile = null, shown = 0, first = [];
          while (d.state().busy) {
            const s = d.state();
            if (firstTile === null && s.jobs.tilesDone > 0) firstTile = performance.now() - t0;
            if (s.partialTiles > shown) [shown, first] = [s.partialTiles, s.partialFirst];
            await new Promise((f) => setTimeout(f, 50));
          }
          return { r, ms: performance.now() - t0, firstTile, shown, first, s: d.state(), heap: d.wasmMemoryBytes };
        });
        assert.ok(run.r.ok, run.r.message);
        assert.deepEqual([run.s.width, run.s.height, run.s.channels, run.s.model], [w, h, 3, 'seed']);
        // The result pane filled in tile by tile, starting where the person looks (the middle, at fit).
        t.log(`tiles shown before the whole result: up to ${run.shown} of ${run.s.jobs.tiles}; the first: ${run.first}`);
        assert.ok(run.shown > 1, 'finished tiles show while the rest run');
        const [x0, y0, x1, y1] = run.first;
        assert.ok(x0 <= w / 2 && w / 2 < x1 && y0 <= h / 2 && h / 2 < y1, `the first tile shown, ${run.first}, is not the middle`);
        assert.equal(run.s.partialTiles, 0, 'the complete result replaces the tiles');
        await page.evaluate(async () => { window.testBlob = await (await fetch('test-input/big-denoised.png')).blob(); });
        const cmp = await page.evaluate(compareWithResult);
        t.log(`24 MP (${w}x${h}) color, 'seed': page ${(run.ms / 1000).toFixed(1)} s from upload to result ` +
          `(engine ${(run.s.engineMs / 1000).toFixed(1)} s, ${run.s.threads} threads, first tile after ` +
          `${((run.firstTile ?? run.ms) / 1000).toFixed(1)} s), dae-denoise ${(cliMs / 1000).toFixed(1)} s; ` +
          `peak WebAssembly heap ${(run.heap / 1048576).toFixed(0)} MiB; texture scale-down ${run.s.textureShrink}x; ` +
          `against dae-denoise: max ${cmp.maxDiff}, mean ${cmp.meanDiff.toFixed(4)} levels`);
        assert.deepEqual([cmp.w, cmp.h], [w, h]);
        assert.ok(cmp.maxDiff <= 1, `the page and dae-denoise differ by up to ${cmp.maxDiff} levels`);
        assert.deepEqual(errors, []);
        await t.screenshot(page, '24mp');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  },
];
