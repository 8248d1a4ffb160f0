// Color photos: a full-resolution color upload comes back in color through the photo model, which the app picks (and
// names) by itself; the person's model choice; grayscale models on color images and the other way round; the saved
// PNG; the large split view for photos.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assert, drag, images, openApp, psnr, state } from './lib.mjs';
import { colorPhoto, png } from './fixtures.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const shipped = JSON.parse(readFileSync(join(here, '..', '..', 'web', 'models', 'models.json'), 'utf8'));
const shippedPhoto = shipped.models.find((m) => m.name === shipped.default_photo);

// Opens the app, noting the requests for the shipped photo model's file.
async function openPhotoApp(t, { viewport } = {}) {
  assert.ok(shippedPhoto && shippedPhoto.channels === 3, 'models.json names an RGB photo model (default_photo)');
  assert.equal(shippedPhoto.name, 'photo');
  const page = await t.newPage(viewport ? { viewport } : {});
  const requests = [];
  page.on('request', (r) => requests.push(new URL(r.url()).pathname));
  await openApp(t, { page });
  return { page, photoRequests: () => requests.filter((p) => p.endsWith('/' + shippedPhoto.file)) };
}

async function upload(page, bytes, name = 'photo.png', mode = 'full') {
  return page.evaluate(async ([data, name, mode]) => {
    const r = await window.dae.uploadFile(new File([new Uint8Array(data)], name, { type: 'image/png' }), { mode });
    await window.dae.whenIdle();
    return r;
  }, [[...bytes], name, mode]);
}

// Mean |R - G| and |G - B| of `px` (planar RGB) over the pixels where the clean image's channels differ by > 0.2.
function channelSpread(px, clean, n) {
  let sum = 0, count = 0;
  for (let i = 0; i < n; i++)
    for (const [a, b] of [[0, 1], [1, 2]])
      if (Math.abs(clean[a * n + i] - clean[b * n + i]) > 0.2) {
        sum += Math.abs(px[a * n + i] - px[b * n + i]);
        count++;
      }
  return sum / count;
}

// The app's PSNR must be this test's, computed independently, over every value of every channel.
function checkColorResult(im, s, label) {
  const n = im.width * im.height;
  assert.equal(im.channels, 3, `${label}: three channels`);
  for (const k of ['clean', 'noisy', 'denoised']) assert.equal(im[k].length, 3 * n, `${label}: ${k} holds RGB`);
  const pn = psnr(im.noisy, im.clean), pd = psnr(im.denoised, im.clean);
  assert.ok(pd > pn + 1, `${label}: denoised ${pd.toFixed(2)} dB should beat noisy ${pn.toFixed(2)} dB`);
  assert.ok(Math.abs(s.psnrDenoised - pd) < 1e-3, `${label}: the app shows the PSNR over RGB`);
  const spread = channelSpread(im.denoised, im.clean, n), cleanSpread = channelSpread(im.clean, im.clean, n);
  assert.ok(spread > 0.7 * cleanSpread, `${label}: the channels still differ (${spread.toFixed(3)} vs clean ` +
    `${cleanSpread.toFixed(3)})`);
  return { pn, pd, spread, cleanSpread };
}

export const tests = [
  {
    name: 'a color upload comes back in color: photo model picked automatically (loaded on demand) and named',
    async run(t) {
      const { page, photoRequests } = await openPhotoApp(t);
      assert.equal(photoRequests().length, 0, 'the photo model is not part of the first load');
      await page.evaluate(() => window.dae.setNoise({ kind: 'gaussian', amount: 0.1, seed: 3 }));
      const r = await upload(page, colorPhoto());
      assert.ok(r.ok, r.message);
      assert.match(r.message, /as 160x120 color; model 'photo' \(chosen automatically for full-resolution images\)/);
      assert.equal(photoRequests().length, 1, 'the photo model was fetched once, when needed');
      const s = await state(page);
      assert.equal(s.model, 'photo');
      assert.equal(s.modelChannels, 3);
      assert.equal(s.modelProgress, 1);
      assert.equal(s.layout, 'large');
      const im = await images(page);
      const q = checkColorResult(im, s, 'photo model');
      t.log(`photo model, sigma 0.1: noisy ${q.pn.toFixed(2)} dB, denoised ${q.pd.toFixed(2)} dB, ` +
        `channel spread ${q.spread.toFixed(3)} (clean ${q.cleanSpread.toFixed(3)}); SSIM ${s.ssimDenoised.toFixed(3)}`);
      await t.screenshot(page, 'large');

      // The saved PNG is the denoised image, in color.
      const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('KeyS')]);
      const path = join(t.out, 'saved-color.png');
      await download.saveAs(path);
      const saved = readFileSync(path);
      assert.equal(saved.readUInt32BE(16), 160);
      assert.ok([2, 6].includes(saved[25]), `PNG colour type ${saved[25]} is RGB or RGBA`);
      const worst = await page.evaluate(async () => {
        const { width: w, height: h, denoised } = window.dae.getImages();
        const bitmap = await createImageBitmap(window.dae.lastSavedPng);
        const ctx = new OffscreenCanvas(w, h).getContext('2d');
        ctx.drawImage(bitmap, 0, 0);
        const rgba = ctx.getImageData(0, 0, w, h).data;
        let d = 0;
        for (let i = 0; i < w * h; i++)
          for (let k = 0; k < 3; k++) d = Math.max(d, Math.abs(rgba[i * 4 + k] - Math.round(denoised[k * w * h + i] * 255)));
        return d;
      });
      assert.ok(worst <= 1, `the saved PNG holds the denoised RGB values (worst byte difference ${worst})`);

      // Salt-and-pepper on a photo, with a photo model that never learned it: the noise controls say a median filter
      // does better (the manifest's noise_train decides); Gaussian again, and the note is gone.
      assert.equal(s.noiseNote, '');
      await page.evaluate(async () => { window.dae.setNoise({ kind: 'salt-pepper', amount: 0.1 }); await window.dae.whenIdle(); });
      const sp = await state(page);
      if (shippedPhoto.noise_train.includes('salt-pepper')) assert.equal(sp.noiseNote, '');
      else assert.match(sp.noiseNote, /^'photo' learned gaussian noise only: on salt-and-pepper photos a 3x3 median filter/);
      await page.evaluate(async () => { window.dae.setNoise({ kind: 'gaussian', amount: 0.1 }); await window.dae.whenIdle(); });
      assert.equal((await state(page)).noiseNote, '');

      // Camera noise: the amount reads as an ISO setting; the noise is spread over neighbouring pixels (demosaicing),
      // unlike Gaussian noise; camera-jpeg gives 8-bit values at the asked quality; a bad quality is refused.
      const neighbourCorrelation = () => page.evaluate(() => {
        const { width: w, height: h, clean, noisy } = window.dae.getImages();
        let num = 0, den = 0;
        for (let y = 0; y < h; y++)
          for (let x = 0; x + 1 < w; x++) {
            const i = w * h + y * w + x;  // green
            const a = noisy[i] - clean[i], b = noisy[i + 1] - clean[i + 1];
            num += a * b, den += a * a;
          }
        return num / den;
      });
      const gaussianCorrelation = await neighbourCorrelation();
      await page.evaluate(async () => { window.dae.setNoise({ kind: 'camera', amount: 0.04 }); await window.dae.whenIdle(); });
      const cam = await state(page);
      assert.equal(cam.noise, 'camera');
      assert.ok(Math.abs(cam.iso - 6400) < 1, `ISO ${cam.iso} for amount 0.04`);
      const cameraCorrelation = await neighbourCorrelation();
      assert.ok(cameraCorrelation > 0.2 && Math.abs(gaussianCorrelation) < 0.1,
        `neighbour correlation: camera ${cameraCorrelation.toFixed(3)}, gaussian ${gaussianCorrelation.toFixed(3)}`);
      assert.ok(cam.psnrNoisy < 40, `camera noise at 0.04: noisy ${cam.psnrNoisy.toFixed(2)} dB`);
      // A camera's noise on a photo goes to the model that learned it, where the site has one; a model that did not
      // learn it gets a note saying non-local means may do better.
      assert.equal(cam.model, shipped.default_photo_camera ?? shipped.default_photo);
      if (shipped.default_photo_camera) assert.match(cam.modelReason, /chosen automatically for full-resolution images with a camera's noise/);
      const camModel = shipped.models.find((m) => m.name === cam.model);
      if (camModel.noise_train.includes('camera')) assert.equal(cam.noiseNote, '');
      else assert.match(cam.noiseNote, new RegExp(`^'${cam.model}' learned gaussian noise only: a camera's noise`));
      await page.evaluate(async () => { window.dae.setNoise({ kind: 'camera-jpeg', jpegQuality: 60 }); await window.dae.whenIdle(); });
      const jpeg = await state(page);
      assert.equal(jpeg.noise, 'camera-jpeg');
      assert.equal(jpeg.jpegQuality, 60);
      const eightBit = await page.evaluate(() => window.dae.getImages().noisy.every((v) => Math.abs(v * 255 - Math.round(v * 255)) < 1e-3));
      assert.ok(eightBit, 'camera-jpeg values are 8-bit');
      await assert.rejects(page.evaluate(() => window.dae.setNoise({ jpegQuality: 0 })), /JPEG quality 0 is not in 1..100/);
      t.log(`camera 0.04 (ISO 6400): noisy ${cam.psnrNoisy.toFixed(2)} dB, denoised ${cam.psnrDenoised.toFixed(2)} dB; ` +
        `neighbour correlation ${cameraCorrelation.toFixed(3)} (gaussian ${gaussianCorrelation.toFixed(3)})`);
      await page.evaluate(async () => { window.dae.setNoise({ kind: 'gaussian', amount: 0.1 }); await window.dae.whenIdle(); });
      assert.equal((await state(page)).model, shipped.default_photo, 'Gaussian noise goes back to the photo model');

      // Samples go back to the Fashion-MNIST default, and the page says so.
      await page.evaluate(async () => { window.dae.loadSample(7); await window.dae.whenIdle(); });
      const back = await state(page);
      assert.equal(back.model, shipped.default);
      assert.equal(back.layout, 'three');
      assert.match(back.message, new RegExp(`Using model '${shipped.default}' .*for drawing and samples, chosen automatically`));
      assert.equal(photoRequests().length, 1);
    },
  },
  {
    name: 'a grayscale model on a color image keeps the color; the chosen model sticks for that kind of image',
    async run(t) {
      const { page } = await openPhotoApp(t);
      await page.evaluate(() => window.dae.setNoise({ kind: 'gaussian', amount: 0.2, seed: 5 }));
      assert.ok((await upload(page, colorPhoto())).ok);
      const r = await page.evaluate(async () => { const r = await window.dae.loadModel('unet'); await window.dae.whenIdle(); return r; });
      assert.ok(r.ok, r.message);
      const s = await state(page);
      assert.equal(s.model, 'unet');
      assert.equal(s.modelReason, 'your choice for full-resolution images');
      const q = checkColorResult(await images(page), s, 'unet per channel');
      t.log(`unet per channel, sigma 0.2: noisy ${q.pn.toFixed(2)} dB, denoised ${q.pd.toFixed(2)} dB`);
      await t.screenshot(page, 'gray-model');
      // Another photo keeps the person's pick; samples still get the default; photos get the pick again.
      assert.ok((await upload(page, colorPhoto(120, 90), 'second.png')).ok);
      assert.equal((await state(page)).model, 'unet');
      await page.evaluate(async () => { window.dae.loadSample(2); await window.dae.whenIdle(); });
      assert.equal((await state(page)).model, shipped.default);
      assert.ok((await upload(page, colorPhoto(), 'third.png')).ok);
      assert.equal((await state(page)).model, 'unet');
    },
  },
  {
    name: 'the RGB model on the 28x28 canvas and on a grayscale photo: gray in, gray out; gray photos get the gray photo model by themselves',
    async run(t) {
      const { page } = await openPhotoApp(t);
      await page.evaluate(() => window.dae.setNoise({ kind: 'gaussian', amount: 0.2, seed: 9 }));
      await page.evaluate(() => window.dae.loadSample(1));
      const r = await page.evaluate(async () => { const r = await window.dae.loadModel('photo'); await window.dae.whenIdle(); return r; });
      assert.ok(r.ok, r.message);
      let s = await state(page);
      assert.equal(s.modelChannels, 3);
      assert.equal(s.channels, 1);
      let im = await images(page);
      assert.equal(im.denoised.length, 28 * 28, 'the 28x28 result stays one channel');
      assert.ok(psnr(im.denoised, im.clean) > psnr(im.noisy, im.clean));
      // A grayscale photo gets the gray photo model by itself (or, in a models.json without one, the color model,
      // gray given synthetic color noise): one channel in, one out.
      const grayPick = shipped.default_photo_gray ?? shipped.default_photo;
      const checks = png(96, 64, (x, y) => (((x >> 4) + (y >> 4)) % 2 ? [200, 200, 200, 255] : [50, 50, 50, 255]));
      const u = await upload(page, checks, 'gray.png');
      assert.match(u.message, new RegExp(`as 96x64 grayscale; model '${grayPick}' \\(chosen automatically for full-resolution images\\)`));
      s = await state(page);
      assert.equal(s.modelChannels, shipped.models.find((m) => m.name === grayPick).channels);
      im = await images(page);
      assert.equal(s.channels, 1);
      assert.equal(im.denoised.length, 96 * 64);
      const viaPick = psnr(im.denoised, im.clean);
      assert.ok(viaPick > psnr(im.noisy, im.clean) + 5, `${grayPick} on gray: ${viaPick.toFixed(2)} dB`);
      // The color model on the same gray photo, chosen by hand: gray through synthetic color noise, one channel out.
      const c = await page.evaluate(async () => { const r = await window.dae.loadModel('photo'); await window.dae.whenIdle(); return r; });
      assert.ok(c.ok, c.message);
      s = await state(page);
      assert.equal(s.modelChannels, 3);
      assert.equal(s.channels, 1);
      im = await images(page);
      assert.equal(im.denoised.length, 96 * 64);
      const viaPhoto = psnr(im.denoised, im.clean);
      assert.ok(viaPhoto > psnr(im.noisy, im.clean) + 5, `photo model on gray: ${viaPhoto.toFixed(2)} dB`);
      await t.screenshot(page, 'gray-photo');
      // The grayscale default on the same noisy image, for the log.
      const d = await page.evaluate(async (name) => { const r = await window.dae.loadModel(name); await window.dae.whenIdle(); return r; }, shipped.default);
      assert.ok(d.ok, d.message);
      const viaDefault = psnr((await images(page)).denoised, im.clean);
      t.log(`gray photo, sigma 0.2: noisy ${psnr(im.noisy, im.clean).toFixed(2)} dB, ${grayPick} ${viaPick.toFixed(2)} dB, ` +
        `photo model ${viaPhoto.toFixed(2)} dB, ` +
        `${shipped.default} ${viaDefault.toFixed(2)} dB`);
    },
  },
  {
    name: 'large view for photos: the split drags, zoom and pan are shared, F gives the image the window',
    async run(t) {
      const { page } = await openPhotoApp(t);
      // Wider than the window's shape, so the pane's width is what limits it.
      assert.ok((await upload(page, colorPhoto(300, 120))).ok);
      let s = await state(page);
      assert.equal(s.layout, 'large');
      const [, , w0] = s.panes[2];
      assert.ok(w0 > 0.6 * 1280, `the photo pane is ${w0} px wide`);
      assert.equal(s.panes[0][2], 0, 'no separate clean pane');
      await drag(page, 2, [[0.5, 0.5], [0.35, 0.4], [0.2, 0.6]]);
      s = await state(page);
      assert.ok(Math.abs(s.splitAt - 0.2) < 0.02, `split at ${s.splitAt}`);
      await page.keyboard.press('KeyF');
      s = await state(page);
      assert.equal(s.hideControls, true);
      assert.ok(s.panes[2][2] > w0, 'without the controls the pane grows');
      const [x, y, w, h] = s.panes[2];
      await page.mouse.move(x + w * 0.7, y + h * 0.5);
      await page.mouse.wheel(0, -400);
      await page.waitForFunction(() => window.dae.state().zoom > 1.5);
      await drag(page, 2, [[0.5, 0.5], [0.7, 0.6]], { button: 'right' });
      s = await state(page);
      assert.ok(Math.abs(s.splitAt - 0.2) < 0.02, 'panning leaves the split where it was');
      await page.keyboard.press('KeyV');
      assert.equal((await state(page)).compare, 'clean-denoised', 'V: clean | denoised');
      await t.screenshot(page, 'zoomed');
      await page.keyboard.press('Digit4');
      assert.equal((await state(page)).compare, 'single', 'a number key shows one image');
      await t.screenshot(page, 'difference');
    },
  },
];
