// Batch: several images chosen or dropped at once are denoised one by one with the current settings, listed with
// their progress, and downloaded together as a zip that an independent reader (Python's zipfile) accepts.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assert, openApp } from './lib.mjs';
import { colorPhoto, noisyPhotoRgba, png, pngRgba, productPhoto } from './fixtures.mjs';

const waitForBatch = (page) => page.waitForFunction(() => window.daeBatch && !window.daeBatch.running &&
  window.daeBatch.total > 0 && window.daeBatch.done === window.daeBatch.total, null, { timeout: 60000 });

// Lists a zip with Python's zipfile: names, sizes, CRC check, and each PNG's width and height from its header.
function readZip(path) {
  const script = `
import json, struct, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
bad = z.testzip()
out = []
for i in z.infolist():
    data = z.read(i)
    w, h = struct.unpack('>II', data[16:24])
    out.append({'name': i.filename, 'size': i.file_size, 'method': i.compress_type, 'w': w, 'h': h, 'png': list(data[:8])})
print(json.dumps({'bad': bad, 'files': out}))`;
  return JSON.parse(execFileSync('python3', ['-c', script, path], { encoding: 'utf8' }));
}

export const tests = [
  {
    name: 'several files from the file button: a progress list, a failure reported, results zipped and read back',
    async run(t) {
      const page = await openApp(t);
      const stripes = png(40, 40, (x) => (x % 8 < 4 ? [240, 240, 240, 255] : [20, 20, 20, 255]));
      const files = [
        { name: 'bag.png', mimeType: 'image/png', buffer: productPhoto() },
        { name: 'not-an-image.png', mimeType: 'image/png', buffer: Buffer.from('this is not a PNG') },
        { name: 'stripes.png', mimeType: 'image/png', buffer: stripes },
        { name: 'bag.png', mimeType: 'image/png', buffer: productPhoto(90, 90) },
      ];
      // The titles seen while it runs: the tab says which image the batch is on.
      const titles = page.evaluate(async () => {
        const seen = new Set();
        while (!window.daeBatch?.running) await new Promise((f) => setTimeout(f, 10));
        while (window.daeBatch.running) { seen.add(document.title); await new Promise((f) => setTimeout(f, 20)); }
        return [...seen];
      });
      await page.setInputFiles('#file', files);
      await waitForBatch(page);
      const seenTitles = await titles;
      assert.ok(seenTitles.some((x) => /^Batch \d\/4 · /.test(x)), `titles: ${seenTitles}`);
      const results = await page.evaluate(() => window.daeBatch.results.map(({ png, url, ...r }) => ({ ...r, pngBytes: png?.size })));
      assert.equal(results.length, 4);
      assert.deepEqual(results.map((r) => r.ok), [true, false, true, true]);
      assert.match(results[1].message, /./, 'the failure says why');
      assert.deepEqual(results.filter((r) => r.ok).map((r) => r.file), ['bag-denoised.png', 'stripes-denoised.png', 'bag-denoised-2.png']);
      for (const r of results.filter((r) => r.ok)) {
        assert.deepEqual([r.width, r.height], [28, 28], 'the current upload mode (as Fashion-MNIST) applies');
        assert.ok(r.psnrDenoised > r.psnrNoisy, `${r.file}: ${r.psnrNoisy} -> ${r.psnrDenoised}`);
      }
      // The list as a person sees it.
      const list = await page.evaluate(() => ({
        visible: !document.getElementById('batch').hidden,
        title: document.getElementById('batch-title').textContent,
        rows: [...document.querySelectorAll('#batch-list li')].map((li) => ({ failed: li.classList.contains('failed'),
          text: li.querySelector('.status').textContent, links: li.querySelectorAll('a[download]').length })),
      }));
      assert.equal(list.visible, true);
      assert.equal(list.title, 'Batch: 3 of 4 denoised');
      assert.deepEqual(list.rows.map((r) => r.links), [1, 0, 1, 1]);
      assert.equal(list.rows[1].failed, true);
      await t.screenshot(page, 'list');
      // Download all: a real download of a zip, checked by another program.
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#batch-zip')]);
      assert.equal(download.suggestedFilename(), 'denoised-images.zip');
      const path = join(t.out, 'batch.zip');
      await download.saveAs(path);
      const zip = readZip(path);
      assert.equal(zip.bad, null, 'every CRC checks');
      assert.deepEqual(zip.files.map((f) => f.name), ['bag-denoised.png', 'stripes-denoised.png', 'bag-denoised-2.png']);
      for (const [i, f] of zip.files.entries()) {
        assert.deepEqual(f.png, [137, 80, 78, 71, 13, 10, 26, 10]);
        assert.deepEqual([f.w, f.h], [28, 28]);
        assert.equal(f.size, results.filter((r) => r.ok)[i].pngBytes);
        assert.equal(f.method, 0, 'stored');
      }
      // The one-by-one link gives the same PNG as the zip holds.
      const [single] = await Promise.all([page.waitForEvent('download'), page.click('#batch-list li:first-child a[download]')]);
      assert.equal(single.suggestedFilename(), 'bag-denoised.png');
      await single.saveAs(join(t.out, 'batch-single.png'));
      assert.equal(readFileSync(join(t.out, 'batch-single.png')).length, zip.files[0].size);
    },
  },
  {
    name: 'zip entries: folders, control and reserved characters and device names made safe; names differing in case kept apart; a failing Download all says why',
    async run(t) {
      const page = await openApp(t);
      const names = ['..\\..\\AppData\\Roaming\\evil.png', '../../etc/x.png', 'Photo.png', 'photo.png', 'CON.png',
        'tab\there.png', '...png', 'what?<>.png'];
      const files = names.map((name, i) => ({ name, mimeType: 'image/png', buffer: productPhoto(60 + i, 50) }));
      await page.setInputFiles('#file', files);
      await waitForBatch(page);
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#batch-zip')]);
      const path = join(t.out, 'names.zip');
      await download.saveAs(path);
      const zip = readZip(path);
      assert.equal(zip.bad, null);
      t.log(`entries: ${zip.files.map((f) => f.name).join(', ')}`);
      assert.deepEqual(zip.files.map((f) => f.name), ['evil-denoised.png', 'x-denoised.png', 'Photo-denoised.png',
        'photo-denoised-2.png', '_CON-denoised.png', 'tab_here-denoised.png', 'image-denoised.png',
        'what___-denoised.png']);
      // A batch a zip cannot hold (more than 65535 files without zip64): the click says so instead of failing silently.
      const failed = await page.evaluate(async () => {
        const b = window.daeBatch;
        const one = b.results.find((r) => r.ok);
        for (let i = 0; i < 65536; i++) b.results.push({ ...one, file: `copy-${i}.png` });
        document.getElementById('batch-zip').click();
        while (!b.zipError) await new Promise((f) => setTimeout(f, 20));
        return { error: b.zipError, title: document.getElementById('batch-title').textContent, s: window.dae.state() };
      });
      assert.match(failed.error, /Could not make the zip: a zip without zip64 holds at most 65535 files/);
      assert.equal(failed.title, failed.error);
      assert.equal(failed.s.message, failed.error);
      assert.equal(failed.s.messageIsError, true);
    },
  },
  {
    name: 'several files dropped at once, full resolution: each result at its own size, the last one left on screen',
    async run(t) {
      const page = await openApp(t);
      await page.evaluate(() => window.dae.setNoise({ amount: 0.1 }));
      await page.keyboard.press('KeyC');  // nothing but the batch changes the image
      const photos = [['a.png', colorPhoto(96, 64)], ['b.png', colorPhoto(50, 70)]];
      await page.evaluate(async (files) => {
        // Full resolution, the other upload mode: set by one upload, as the radio button does.
        await window.dae.uploadFile(new File([new Uint8Array(files[0][1])], 'first.png', { type: 'image/png' }), { mode: 'full' });
        await window.dae.whenIdle();
        const dt = new DataTransfer();
        for (const [name, data] of files) dt.items.add(new File([new Uint8Array(data)], name, { type: 'image/png' }));
        document.getElementById('canvas').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      }, photos.map(([n, b]) => [n, [...b]]));
      await waitForBatch(page);
      const r = await page.evaluate(() => ({
        results: window.daeBatch.results.map((x) => ({ ok: x.ok, w: x.width, h: x.height, file: x.file, message: x.message })),
        s: window.dae.state(),
      }));
      assert.deepEqual(r.results.map((x) => [x.ok, x.w, x.h, x.file]), [[true, 96, 64, 'a-denoised.png'], [true, 50, 70, 'b-denoised.png']],
        JSON.stringify(r.results));
      assert.equal(r.s.kind, 'photo');
      assert.deepEqual([r.s.width, r.s.height], [50, 70], 'the last image of the batch stays on screen');
      await t.screenshot(page, 'photos');
    },
  },
  {
    name: 'a batch of three 12 MP photos at full size: each result at its own size, and their zip, built from the per-file results, reads back',
    timeoutSeconds: 600,  // a hang guard: three 12 MP photos through the engine on this machine's cores
    async run(t) {
      const w = 4000, h = 3000;
      const photo = pngRgba(w, h, noisyPhotoRgba(w, h));
      const page = await openApp(t);
      // On the context, not the page: the page's service worker makes the request.
      await page.context().route('**/test-input/*', (route) => route.fulfill({ status: 200, contentType: 'image/png', body: photo }));
      const started = Date.now();
      await page.evaluate(async () => {
        const d = window.dae;
        // Noisy photos, denoised as they are by the smallest model ('seed'): this is about size and memory.
        d.setPhotoMode('noisy-photo');
        d.setImage(new Float32Array(3 * 64 * 64).fill(0.5), 64, 64, { fullResolution: true, channels: 3 });
        await d.loadModel('seed');
        await d.whenIdle();
        const blob = await (await fetch('test-input/photo.png')).blob();
        const dt = new DataTransfer();
        for (const name of ['one.png', 'two.png', 'three.png']) dt.items.add(new File([blob], name, { type: 'image/png' }));
        document.getElementById('canvas').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      });
      await page.waitForFunction(() => window.daeBatch && !window.daeBatch.running && window.daeBatch.total === 3 &&
        window.daeBatch.done === 3, null, { timeout: 540000, polling: 500 });
      const r = await page.evaluate(() => ({
        results: window.daeBatch.results.map((x) => ({ ok: x.ok, w: x.width, h: x.height, file: x.file, message: x.message })),
        heap: window.dae.wasmMemoryBytes,
        s: window.dae.state(),
      }));
      assert.deepEqual(r.results.map((x) => [x.ok, x.w, x.h, x.file]),
        [[true, w, h, 'one-denoised.png'], [true, w, h, 'two-denoised.png'], [true, w, h, 'three-denoised.png']],
        JSON.stringify(r.results));
      assert.equal(r.s.model, 'seed');
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#batch-zip')]);
      const path = join(t.out, 'batch-12mp.zip');
      await download.saveAs(path);
      const zip = readZip(path);
      assert.equal(zip.bad, null, 'every CRC checks');
      assert.deepEqual(zip.files.map((f) => [f.name, f.w, f.h]),
        [['one-denoised.png', w, h], ['two-denoised.png', w, h], ['three-denoised.png', w, h]]);
      t.log(`three ${w}x${h} photos: ${((Date.now() - started) / 1000).toFixed(0)} s to the last result, zip of ` +
        `${zip.files.map((f) => (f.size / 1048576).toFixed(1)).join(' + ')} MB; WebAssembly heap ${(r.heap / 1048576).toFixed(0)} MiB`);
    },
  },
  {
    name: 'with ONNX Runtime Web as the backend, each result is ONNX Runtime\'s output for that image',
    async run(t) {
      const page = await openApp(t);
      const r = await page.evaluate(async () => ({ ...(await window.dae.setBackend('ort-wasm')) }));
      assert.equal(r.ok, true, r.message);
      const shapes = [productPhoto(), productPhoto(60, 100), png(40, 40, (x, y) => ((x >> 3) + (y >> 3)) % 2 ? [250, 250, 250, 255] : [10, 10, 10, 255])];
      const files = shapes.map((b, i) => ({ name: `img${i}.png`, mimeType: 'image/png', buffer: b }));
      await page.setInputFiles('#file', files);
      await waitForBatch(page);
      // Each file again on its own: its ONNX Runtime output, rounded to bytes, is what the batch's PNG holds.
      const worst = await page.evaluate(async (data) => {
        const out = [];
        const results = window.daeBatch.results;
        for (let i = 0; i < data.length; i++) {
          const bitmap = await createImageBitmap(results[i].png);
          const c = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d');
          c.drawImage(bitmap, 0, 0);
          const red = c.getImageData(0, 0, bitmap.width, bitmap.height).data.filter((_, k) => k % 4 === 0);
          await window.dae.uploadFile(new File([new Uint8Array(data[i])], `again${i}.png`, { type: 'image/png' }));
          await window.dae.whenIdle();
          await window.dae.setBackend('ort-wasm');
          await window.dae.whenIdle();
          const ort = window.dae.getImages().ort;
          out.push(Math.max(...Array.from(red, (v, k) => Math.abs(v - Math.round(ort[k] * 255)))));
        }
        return out;
      }, shapes.map((b) => [...b]));
      assert.deepEqual(worst, [0, 0, 0], `largest byte difference per image: ${worst}`);
    },
  },
];
