// Turns any image the browser can decode (file button, drag-and-drop, paste) into pixels for the app: either a
// Float32Array fitted into 28×28 grayscale the way Fashion-MNIST was made, or the image at its full size (up to the
// app's limit) as 8-bit RGBA with any transparency blended in, in color unless every pixel is gray. EXIF orientation
// is applied: a portrait phone photo comes out upright.
'use strict';

window.daeImageInput = (() => {
  const kMaxFileBytes = 256 << 20;    // refuse files larger than this before decoding
  const kMaxDecodedPixels = 100e6;    // as Fashion-MNIST: refuse absurd dimensions instead of exhausting memory
  const kWorkSide = 256;              // working resolution for the 28×28 path (trimming)

  function canvas2d(w, h) {
    const c = typeof OffscreenCanvas === 'function' ? new OffscreenCanvas(w, h) : Object.assign(
      document.createElement('canvas'), { width: w, height: h });
    return [c, c.getContext('2d', { willReadFrequently: true })];
  }

  // Rec. 601 luma, as in the grayscale conversion Fashion-MNIST's images went through.
  function luminance(rgba, count) {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++)
      out[i] = (0.299 * rgba[i * 4] + 0.587 * rgba[i * 4 + 1] + 0.114 * rgba[i * 4 + 2]) / 255;
    return out;
  }

  function borderMean(px, w, h) {
    let sum = 0, n = 0;
    for (let x = 0; x < w; x++) { sum += px[x] + px[(h - 1) * w + x]; n += 2; }
    for (let y = 0; y < h; y++) { sum += px[y * w] + px[y * w + w - 1]; n += 2; }
    return sum / n;
  }

  // Draws the bitmap's region onto a w×h canvas (first filled with the gray `background` unless 'auto') and returns
  // its luminance. Transparent pixels become `transparent` (0..1); 'auto' picks the opposite of the opaque pixels'
  // mean so a logo on transparency keeps its contrast whatever its colour.
  function render(bitmap, sx, sy, sw, sh, w, h, dx = 0, dy = 0, dw = w, dh = h, background = 'auto', transparent = 'auto') {
    const [, ctx] = canvas2d(w, h);
    if (background !== 'auto') {
      const g = Math.round(background * 255);
      ctx.fillStyle = `rgb(${g},${g},${g})`;
      ctx.fillRect(0, 0, w, h);
    }
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(bitmap, sx, sy, sw, sh, dx, dy, dw, dh);
    const rgba = ctx.getImageData(0, 0, w, h).data;
    const lum = luminance(rgba, w * h);
    let opaque = 0, sum = 0;
    for (let i = 0; i < w * h; i++) { const a = rgba[i * 4 + 3] / 255; opaque += a; sum += a * lum[i]; }
    const bg = transparent !== 'auto' ? transparent : opaque > 0 && sum / opaque > 0.5 ? 0 : 1;
    // getImageData is not premultiplied: blend each pixel over the background by its alpha.
    for (let i = 0; i < w * h; i++) { const a = rgba[i * 4 + 3] / 255; lum[i] = a * lum[i] + (1 - a) * bg; }
    return { lum, bg, rgba };
  }

  // Fashion-MNIST: trim to the object, fit the longer side to 28 keeping the aspect ratio, centre, and show
  // light-on-dark (the dataset negated its photos of products on white).
  function asFashionMnist(bitmap) {
    const scale = Math.min(1, kWorkSide / Math.max(bitmap.width, bitmap.height));
    const ww = Math.max(1, Math.round(bitmap.width * scale)), wh = Math.max(1, Math.round(bitmap.height * scale));
    const { lum: work, bg } = render(bitmap, 0, 0, bitmap.width, bitmap.height, ww, wh);
    const background = borderMean(work, ww, wh);
    const invert = background > 0.5;
    let x0 = ww, y0 = wh, x1 = -1, y1 = -1;
    for (let y = 0; y < wh; y++)
      for (let x = 0; x < ww; x++)
        if (Math.abs(work[y * ww + x] - background) > 0.1) {
          x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
        }
    if (x1 < 0) { x0 = 0; y0 = 0; x1 = ww - 1; y1 = wh - 1; }
    const sx = x0 / scale, sy = y0 / scale, sw = (x1 - x0 + 1) / scale, sh = (y1 - y0 + 1) / scale;
    const fit = 28 / Math.max(sw, sh);
    const dw = Math.max(1, sw * fit), dh = Math.max(1, sh * fit);
    // Transparent pixels take the same background as in the trimming pass; the margin around the fitted
    // object takes the image's border colour, so the object sits on its own background before the inversion.
    const { lum: px } = render(bitmap, sx, sy, sw, sh, 28, 28, (28 - dw) / 2, (28 - dh) / 2, dw, dh, background, bg);
    if (invert) for (let i = 0; i < px.length; i++) px[i] = 1 - px[i];
    return { px, w: 28, h: 28, c: 1, notes: invert ? ['inverted: light background'] : [] };
  }

  // The bitmap at its own size as RGBA bytes, transparent pixels blended over the gray opposite to the opaque pixels'
  // mean (as the 28×28 path does), and whether it is gray (R = G = B everywhere: then the app takes one plane).
  function fullResolution(bitmap) {
    const w = bitmap.width, h = bitmap.height;
    const [, ctx] = canvas2d(w, h);
    ctx.drawImage(bitmap, 0, 0);
    const rgba = ctx.getImageData(0, 0, w, h).data;
    const count = w * h;
    let opaque = 0, sum = 0, gray = true;
    for (let i = 0, j = 0; i < count; i++, j += 4) {
      const a = rgba[j + 3];
      if (a === 0) continue;
      if (rgba[j] !== rgba[j + 1] || rgba[j] !== rgba[j + 2]) gray = false;
      if (a === 255) { opaque += 1; sum += (0.299 * rgba[j] + 0.587 * rgba[j + 1] + 0.114 * rgba[j + 2]) / 255; }
    }
    if (opaque < count) {
      let weight = 0, lum = 0;
      for (let i = 0, j = 0; i < count; i++, j += 4) {
        const a = rgba[j + 3] / 255;
        weight += a;
        lum += a * (0.299 * rgba[j] + 0.587 * rgba[j + 1] + 0.114 * rgba[j + 2]) / 255;
      }
      const bg = (weight > 0 && lum / weight > 0.5 ? 0 : 1) * 255;
      // getImageData is not premultiplied: blend each pixel over the background by its alpha.
      for (let j = 0; j < count * 4; j += 4) {
        const a = rgba[j + 3] / 255;
        for (let k = 0; k < 3; k++) rgba[j + k] = Math.round(a * rgba[j + k] + (1 - a) * bg);
        rgba[j + 3] = 255;
      }
    }
    return { rgba, w, h, c: gray ? 1 : 3, notes: [] };
  }

  // Width and height from the file's first bytes `b` for PNG, GIF, BMP, WebP, ICO/CUR, TIFF and the ISO base media
  // formats (AVIF, HEIC), or null (another format, or no size there). A JPEG's size is in its frame header, which may
  // lie anywhere after other segments: jpegSize walks the file for it. This lets a 20000×20000 image be refused
  // before the browser decodes it, which would take gigabytes.
  function headerSize(b) {
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const has = (n) => b.length >= n;
    const ascii = (at, text) => has(at + text.length) && [...text].every((c, i) => b[at + i] === c.charCodeAt(0));
    if (ascii(0, '\x89PNG') && has(24)) return { w: dv.getUint32(16), h: dv.getUint32(20) };
    if (ascii(0, 'GIF8') && has(10)) return { w: dv.getUint16(6, true), h: dv.getUint16(8, true) };
    if (ascii(0, 'BM') && has(26)) return { w: Math.abs(dv.getInt32(18, true)), h: Math.abs(dv.getInt32(22, true)) };
    if (ascii(0, 'RIFF') && ascii(8, 'WEBP') && has(30)) {
      if (ascii(12, 'VP8X')) return { w: 1 + (dv.getUint32(24, true) & 0xffffff), h: 1 + (dv.getUint32(27, true) & 0xffffff) };
      if (ascii(12, 'VP8 ')) return { w: dv.getUint16(26, true) & 0x3fff, h: dv.getUint16(28, true) & 0x3fff };
      if (ascii(12, 'VP8L')) { const v = dv.getUint32(21, true); return { w: 1 + (v & 0x3fff), h: 1 + ((v >>> 14) & 0x3fff) }; }
      return null;
    }
    // ICO (type 1) and CUR (type 2): a directory of images of at most 256×256 each (0 stands for 256).
    if (has(6) && dv.getUint16(0, true) === 0 && [1, 2].includes(dv.getUint16(2, true)) && dv.getUint16(4, true) > 0) {
      let w = 0, h = 0;
      for (let i = 0, n = dv.getUint16(4, true); i < n && has(6 + 16 * i + 2); i++) {
        w = Math.max(w, b[6 + 16 * i] || 256);
        h = Math.max(h, b[6 + 16 * i + 1] || 256);
      }
      return w ? { w, h } : null;
    }
    // TIFF: ImageWidth (256) and ImageLength (257) in the first directory, SHORT or LONG, in the file's byte order.
    if (ascii(0, 'II*\0') || ascii(0, 'MM\0*')) {
      const le = b[0] === 0x49, ifd = has(8) ? dv.getUint32(4, le) : 0;
      if (!has(ifd + 2)) return null;
      const size = {};
      for (let i = 0, n = dv.getUint16(ifd, le); i < n && has(ifd + 2 + 12 * i + 12); i++) {
        const e = ifd + 2 + 12 * i, tag = dv.getUint16(e, le), type = dv.getUint16(e + 2, le);
        const value = type === 3 ? dv.getUint16(e + 8, le) : dv.getUint32(e + 8, le);
        if (tag === 256) size.w = value;
        if (tag === 257) size.h = value;
      }
      return size.w !== undefined && size.h !== undefined ? size : null;
    }
    // AVIF, HEIC and their kin: every 'ispe' (image spatial extents) property box in reach; the largest is the
    // picture itself (the others are its tiles or thumbnails).
    if (ascii(4, 'ftyp')) {
      let best = null;
      for (let at = 8; at + 16 <= b.length; at++)
        if (b[at] === 0x69 && ascii(at, 'ispe')) {
          const w = dv.getUint32(at + 8), h = dv.getUint32(at + 12);
          if (!best || w * h > best.w * best.h) best = { w, h };
        }
      return best;
    }
    return null;
  }

  // A JPEG's size from its first start-of-frame (SOF0..SOF15 except DHT, JPG and DAC), walking the marker segments
  // through the whole file as far as needed (reading ten bytes at each), or null when there is none.
  async function jpegSize(blob) {
    const read = async (at, n) => new Uint8Array(await blob.slice(at, at + n).arrayBuffer());
    for (let at = 2, segments = 0; at + 9 <= blob.size && segments < 10000; segments++) {
      const b = await read(at, 10);
      if (b.length < 4 || b[0] !== 0xff) return null;
      const marker = b[1];
      if (marker === 0xff) { at++; continue; }
      if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) { at += 2; continue; }
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc)
        return b.length >= 9 ? { w: (b[7] << 8) | b[8], h: (b[5] << 8) | b[6] } : null;
      if (marker === 0xda) return null;  // the image data starts before any frame header: not a valid JPEG
      at += 2 + ((b[2] << 8) | b[3]);
    }
    return null;
  }

  // The size from the header, or an Error saying why the file is not taken: a format this page cannot size before
  // decoding is not decoded at all.
  async function sizeBeforeDecoding(blob, name) {
    const first = new Uint8Array(await blob.slice(0, 256 << 10).arrayBuffer());
    const size = first.length >= 3 && first[0] === 0xff && first[1] === 0xd8 && first[2] === 0xff ? await jpegSize(blob)
      : headerSize(first);
    if (!size || !(size.w > 0 && size.h > 0))
      throw new Error(`${name} is not an image this browser can decode (no PNG, JPEG, GIF, WebP, BMP, ICO, TIFF, AVIF or ` +
        'HEIC header with a size was found)');
    return size;
  }

  const tooLarge = (name, w, h, limit, how) => new Error(`${name} is ${w}x${h} (${(w * h / 1e6).toFixed(0)} ` +
    `megapixels), too large to process ${how}; the limit is ${limit / 1e6} megapixels`);

  // fullRes: the full-size path, for images up to maxPixels (the app's limit); else the 28×28 path. Resolves with
  // {px, w, h, c, notes, name} (c planes of w×h floats) or, at full size, {rgba, w, h, c, notes, name}; rejects with
  // an Error whose message can be shown to a person. Too large an image is refused from its header, before decoding,
  // unless agreeToScale(name, w, h, limit) says yes (full size only, up to 100 megapixels decoded): then it is scaled
  // down to the limit, keeping its shape, and a note says so.
  async function decode(blob, fullRes, maxPixels = 50e6, agreeToScale = async () => false) {
    const name = blob.name || 'pasted image';
    if (blob.size === 0) throw new Error(`${name} is empty (0 bytes)`);
    if (blob.size > kMaxFileBytes) throw new Error(`${name} is ${(blob.size / 1048576).toFixed(0)} MB; the limit is ${kMaxFileBytes >> 20} MB`);
    const limit = fullRes ? maxPixels : kMaxDecodedPixels;
    const how = fullRes ? 'at full size' : 'at all';
    const head = await sizeBeforeDecoding(blob, name);
    let scale = false;
    if (head.w * head.h > limit) {
      if (!fullRes || head.w * head.h > kMaxDecodedPixels || !(await agreeToScale(name, head.w, head.h, limit)))
        throw tooLarge(name, head.w, head.h, limit, how);
      scale = true;
    }
    let bitmap;
    try {
      bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image' });
    } catch {
      throw new Error(`${name} is not an image this browser can decode`);
    }
    try {
      const notes = [];
      if (bitmap.width * bitmap.height > limit) {
        if (!scale) throw tooLarge(name, bitmap.width, bitmap.height, limit, how);
        // The largest size of the same shape within the limit (the upright image's, after EXIF orientation).
        const f = Math.sqrt(limit / (bitmap.width * bitmap.height));
        const w = Math.max(1, Math.floor(bitmap.width * f)), h = Math.max(1, Math.floor(bitmap.height * f));
        const small = await createImageBitmap(bitmap, { resizeWidth: w, resizeHeight: h, resizeQuality: 'high' });
        notes.push(`scaled down from ${bitmap.width}x${bitmap.height} to ${w}x${h} (the limit is ${limit / 1e6} ` +
          'megapixels at full size)');
        bitmap.close();
        bitmap = small;
      }
      const result = fullRes ? fullResolution(bitmap) : asFashionMnist(bitmap);
      return { ...result, notes: [...notes, ...result.notes], name };
    } finally {
      bitmap.close();
    }
  }

  return { decode, headerSize, jpegSize };
})();
