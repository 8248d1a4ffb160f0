// Uploads through the file button, drag-and-drop and paste, both upload modes, and files that must not break the app.
import { assert, images, openApp, psnr, state, sum } from './lib.mjs';
import { animatedGif, blackPng, cmykJpeg, png, productPhoto, transparentPng } from './fixtures.mjs';

// Hands bytes to the page as a File and sends it the way a person would: 'input', 'drop' or 'paste'.
async function send(page, how, name, type, bytes) {
  if (how === 'input') {
    await page.setInputFiles('#file', { name, mimeType: type, buffer: bytes });
  } else {
    await page.evaluate(([how, name, type, data]) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(data)], name, { type }));
      if (how === 'drop') {
        document.getElementById('canvas').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      } else {
        document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
      }
    }, [how, name, type, [...bytes]]);
  }
  await page.waitForFunction(() => !/^Decoding/.test(window.dae.state().message));
  return page.evaluate(async () => {
    await window.dae.lastUpload;
    await window.dae.whenIdle();
    return window.dae.state();
  });
}

export const tests = [
  {
    name: 'file button, drop and paste each load a photo as Fashion-MNIST (28x28, inverted, centred)',
    async run(t) {
      const page = await openApp(t);
      for (const how of ['input', 'drop', 'paste']) {
        const s = await send(page, how, `photo-${how}.png`, 'image/png', productPhoto());
        assert.equal(s.messageIsError, false, s.message);
        assert.match(s.message, /inverted/);
        const im = await images(page);
        assert.equal(im.width, 28);
        // The object is bright and centred; the corners are background.
        assert.ok(im.clean[14 * 28 + 14] > 0.8, `centre ${im.clean[14 * 28 + 14]}`);
        assert.ok(im.clean[0] < 0.1 && im.clean[27 * 28 + 27] < 0.1);
        assert.ok(psnr(im.denoised, im.clean) > psnr(im.noisy, im.clean));
      }
      await t.screenshot(page);
    },
  },
  {
    name: 'full resolution: a 300x200 image is denoised in tiles with progress; a 2000x1000 one keeps its size',
    async run(t) {
      const page = await openApp(t);
      await page.evaluate(() => window.dae.setNoise({ amount: 0.2 }));
      const wide = png(300, 200, (x, y) => ((x >> 4) + (y >> 4)) % 2 ? [230, 230, 230, 255] : [30, 30, 30, 255]);
      const s1 = await page.evaluate(async (data) => {
        const r = await window.dae.uploadFile(new File([new Uint8Array(data)], 'checks.png', { type: 'image/png' }), { mode: 'full' });
        const progress = [];
        while (window.dae.state().busy) { progress.push(window.dae.state().progress); await new Promise((f) => setTimeout(f, 5)); }
        return { r, progress, s: window.dae.state() };
      }, [...wide]);
      assert.ok(s1.r.ok, s1.r.message);
      assert.equal(s1.s.width, 300);
      assert.equal(s1.s.height, 200);
      t.log(`tile progress samples: ${s1.progress.map((p) => p.toFixed(2)).join(' ')}`);
      const im = await images(page);
      assert.equal(im.denoised.length, 300 * 200);
      assert.ok(psnr(im.denoised, im.clean) > psnr(im.noisy, im.clean));
      await t.screenshot(page, 'full');
      const big = png(2000, 1000, (x, y) => (x < 1000 ? [255, 255, 255, 255] : [0, 0, 0, 255]));
      const s2 = await send(page, 'input', 'big.png', 'image/png', big);
      assert.equal(s2.width, 2000);
      assert.equal(s2.height, 1000);
      assert.doesNotMatch(s2.message, /scaled/);
      await t.screenshot(page, 'big');
    },
  },
  {
    name: 'robustness: non-image, empty, animated GIF, transparent PNG and CMYK JPEG give messages, never a crash',
    async run(t) {
      const page = await openApp(t);
      const bad = await send(page, 'input', 'notes.txt', 'text/plain', Buffer.from('hello, not an image'));
      assert.equal(bad.messageIsError, true);
      assert.match(bad.message, /not an image this browser can decode/);
      const empty = await send(page, 'input', 'empty.png', 'image/png', Buffer.alloc(0));
      assert.match(empty.message, /empty \(0 bytes\)/);
      await t.screenshot(page, 'error');
      const gif = await send(page, 'drop', 'anim.gif', 'image/gif', animatedGif());
      assert.equal(gif.messageIsError, false, gif.message);
      const transparent = await send(page, 'input', 'disc.png', 'image/png', transparentPng());
      assert.equal(transparent.messageIsError, false, transparent.message);
      let im = await images(page);
      assert.ok(im.clean[14 * 28 + 14] > 0.5, 'the opaque disc is the object');
      const cmyk = await send(page, 'input', 'cmyk.jpg', 'image/jpeg', cmykJpeg());
      assert.equal(cmyk.messageIsError, false, cmyk.message);
      im = await images(page);
      assert.ok(sum(im.clean) > 1, 'the CMYK JPEG decoded to something visible');
      assert.ok(Math.max(...im.clean) - Math.min(...im.clean) > 0.3, 'with contrast between its blocks');
      // The app still works after all of that.
      const s = await state(page);
      assert.ok(s.model && s.denoiseCount > 3);
      await t.screenshot(page);
    },
  },
  {
    name: 'huge images: a 20000x20000 PNG is refused from its header; WASM memory stays bounded over repeated uploads',
    async run(t) {
      const page = await openApp(t);
      const before = await page.evaluate(() => window.dae.wasmMemoryBytes);
      const huge = blackPng(20000, 20000);
      t.log(`20000x20000 PNG: ${(huge.length / 1024).toFixed(0)} KiB on disk, 1.6 GB once decoded to RGBA`);
      for (const mode of ['fashion-mnist', 'full']) {
        const r = await page.evaluate(async ([data, mode]) => window.dae.uploadFile(
          new File([new Uint8Array(data)], 'huge.png', { type: 'image/png' }), { mode }), [[...huge], mode]);
        assert.equal(r.ok, false);
        assert.match(r.message, /huge\.png is 20000x20000 \(400 megapixels\), too large to process/);
        const s = await state(page);
        assert.equal(s.messageIsError, true);
        assert.match(s.message, /too large to process/);
      }
      await t.screenshot(page, 'huge');
      // The modes are the app's names; another is refused and the setting stays.
      assert.equal((await state(page)).uploadMode, 'full');
      const odd = await page.evaluate(async (data) => window.dae.uploadFile(
        new File([new Uint8Array(data)], 'huge.png', { type: 'image/png' }), { mode: 'FULL' }), [...huge]);
      assert.deepEqual(odd, { ok: false, message: "uploadFile: mode must be 'fashion-mnist' or 'full', not 'FULL'" });
      assert.equal((await state(page)).uploadMode, 'full');
      // Full-resolution 1024x1024 color uploads, one after another: the heap grows to a bound and then stays put.
      // The smallest model is picked for photos first: this is about memory, and it keeps the test quick.
      await page.evaluate(() => window.dae.setNoise({ amount: 0.2 }));
      const small = png(64, 48, (x) => [x * 4, 100, 255 - x * 4, 255]);
      const picked = await page.evaluate(async (data) => {
        await window.dae.uploadFile(new File([new Uint8Array(data)], 'small.png', { type: 'image/png' }), { mode: 'full' });
        return window.dae.loadModel('seed');
      }, [...small]);
      assert.ok(picked.ok, picked.message);
      const photo = png(1024, 1024, (x, y) => ((x >> 6) + (y >> 6)) % 2 ? [220, 200, 60, 255] : [20, 40, 160, 255]);
      const sizes = [], undo = [];
      for (let i = 0; i < 12; i++) {
        const r = await page.evaluate(async ([data, i]) => {
          const r = await window.dae.uploadFile(new File([new Uint8Array(data)], `photo${i}.png`, { type: 'image/png' }), { mode: 'full' });
          await window.dae.whenIdle();
          const s = window.dae.state();
          return { ...r, bytes: window.dae.wasmMemoryBytes, width: s.width, channels: s.channels, model: s.model, undo: s.undoDepth };
        }, [[...photo], i]);
        assert.ok(r.ok, r.message);
        assert.equal(r.width, 1024);
        assert.equal(r.channels, 3);
        assert.equal(r.model, 'seed', 'the model picked for photos stays picked');
        sizes.push(r.bytes);
        undo.push(r.undo);
      }
      t.log(`WASM memory: ${(before / 1048576).toFixed(0)} MiB at start, ` +
        `${sizes.map((b) => (b / 1048576).toFixed(0)).join(', ')} MiB after each of twelve 1024x1024 color uploads (undo depth ${undo.join(', ')})`);
      // The undo history keeps earlier images up to a memory cap of four color photos of this size: from the fifth
      // upload (i = 4) on it holds four, and every upload does the same work. The heap settles within a few of them
      // (where freed photos leave room depends on how the job thread's allocations interleave with the page's: seen
      // at i = 4 or i = 6), then stays put: the last four uploads must not grow it.
      assert.ok(undo.slice(4).every((d) => d === 4), `undo depth ${undo.join(', ')}`);
      assert.ok(sizes[11] <= sizes[8], `the heap kept growing: ${sizes.join(', ')} bytes`);
      assert.ok(sizes[11] < 512 * 1048576, `the heap reached ${sizes[11]} bytes`);
      const s = await state(page);
      assert.ok(s.model && s.denoiseCount > 3);
    },
  },
  {
    name: 'sized before decoding: TIFF, AVIF and a JPEG whose frame lies past 256 KiB of comments are refused when too large; a file with no size in its header is not decoded',
    async run(t) {
      const page = await openApp(t);
      const be32 = (v) => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
      const be16 = (v) => [(v >>> 8) & 255, v & 255];
      // Five 64 KB comment segments, then a 23000x23000 baseline frame header.
      const comment = [0xff, 0xfe, ...be16(65535), ...new Array(65533).fill(0x20)];
      const jpeg = Buffer.from([0xff, 0xd8, ...[].concat(...new Array(5).fill(comment)),
        0xff, 0xc0, ...be16(17), 8, ...be16(23000), ...be16(23000), 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xff, 0xd9]);
      // A big-endian TIFF whose first directory says 30000 x 20000.
      const tiff = Buffer.from([0x4d, 0x4d, 0, 42, ...be32(8), ...be16(2), ...be16(256), ...be16(4), ...be32(1), ...be32(30000),
        ...be16(257), ...be16(3), ...be32(1), ...be16(20000), 0, 0, ...be32(0)]);
      // An AVIF's ftyp box and an image spatial extents property of 30000 x 30000.
      const avif = Buffer.from([...be32(20), ...Buffer.from('ftypavif'), 0, 0, 0, 0, ...Buffer.from('mif1'),
        ...be32(20), ...Buffer.from('ispe'), 0, 0, 0, 0, ...be32(30000), ...be32(30000)]);
      const cases = [
        ['late-frame.jpg', 'image/jpeg', jpeg, /late-frame\.jpg is 23000x23000 \(529 megapixels\), too large to process at full size; the limit is 50 megapixels/],
        ['scan.tiff', 'image/tiff', tiff, /scan\.tiff is 30000x20000 \(600 megapixels\), too large to process at full size/],
        ['photo.avif', 'image/avif', avif, /photo\.avif is 30000x30000 \(900 megapixels\), too large to process at full size/],
        ['drawing.svg', 'image/svg+xml', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="99999" height="99999"/>'),
          /drawing\.svg is not an image this browser can decode \(no PNG, JPEG/],
      ];
      t.log(`JPEG with its frame header at byte ${jpeg.length - 21} of ${jpeg.length}`);
      for (const [name, type, bytes, want] of cases) {
        const r = await page.evaluate(async ([name, type, data]) => window.dae.uploadFile(
          new File([new Uint8Array(data)], name, { type }), { mode: 'full' }), [name, type, [...bytes]]);
        assert.equal(r.ok, false, name);
        assert.match(r.message, want);
      }
      // The sizes themselves, for the formats the browser may not decode here.
      const sizes = await page.evaluate(() => {
        const I = window.daeImageInput;
        const ico = new Uint8Array([0, 0, 1, 0, 2, 0, 16, 16, 0, 0, 1, 0, 32, 0, 0, 0, 0, 0, 0, 0, 0, 0,
          0, 0, 0, 0, 1, 0, 32, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        return { ico: I.headerSize(ico) };
      });
      assert.deepEqual(sizes.ico, { w: 256, h: 256 });
      const s = await state(page);
      assert.ok(s.model && s.denoiseCount > 0, 'the app carries on');
    },
  },
  {
    name: 'a refused heap allocation (malloc returns 0) gives a message and keeps the image and the model',
    async run(t) {
      const page = await openApp(t);
      await page.evaluate(() => { window.dae.loadSample(7); return window.dae.whenIdle(); });
      const before = await state(page);
      const r = await page.evaluate(async (data) => {
        const malloc = window.Module._malloc;
        window.Module._malloc = () => 0;  // what malloc answers when the heap cannot grow
        try {
          const up = await window.dae.uploadFile(new File([new Uint8Array(data)], 'photo.png', { type: 'image/png' }), { mode: 'full' });
          const model = await window.dae.loadModelBytes(new ArrayBuffer(64), 'tiny');
          return { up, model };
        } finally {
          window.Module._malloc = malloc;
        }
      }, [...png(64, 48, (x) => [x * 4, 100, 255 - x * 4, 255])]);
      assert.equal(r.up.ok, false);
      assert.match(r.up.message, /out of memory/);
      assert.equal(r.model.ok, false);
      assert.match(r.model.message, /out of memory/);
      const s = await state(page);
      assert.equal(s.source, before.source, 'the image is the one before');
      assert.equal(s.model, before.model, 'and so is the model');
      assert.ok(s.psnrDenoised > s.psnrNoisy);
    },
  },
];
