// Image files made on the fly for the upload tests: PNG (gray, RGBA, a smooth color picture), an animated GIF and a
// CMYK JPEG, each written from its format's definition so no binary fixtures are needed.
import { crc32, deflateSync } from 'node:zlib';

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

// A PNG file from its filtered scanlines `raw` (filter byte 0 on each row).
function pngFile(w, h, { bitDepth, colorType }, raw, level) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([bitDepth, colorType, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level })), chunk('IEND', Buffer.alloc(0))]);
}

// pixel(x, y) -> [r, g, b, a] bytes; colour type 6 (RGBA), 8 bits.
export function png(w, h, pixel) {
  const raw = Buffer.alloc(h * (1 + 4 * w));
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) raw.set(pixel(x, y), y * (1 + 4 * w) + 1 + 4 * x);
  return pngFile(w, h, { bitDepth: 8, colorType: 6 }, raw, 1);
}

// rgba: w·h·4 bytes, row by row; colour type 6 (RGBA), 8 bits, fastest deflate (for very large test images).
export function pngRgba(w, h, rgba) {
  const raw = Buffer.alloc(h * (1 + 4 * w));
  for (let y = 0; y < h; y++) rgba.copy(raw, y * (1 + 4 * w) + 1, y * 4 * w, (y + 1) * 4 * w);
  return pngFile(w, h, { bitDepth: 8, colorType: 6 }, raw, 1);
}

// A w×h color picture with camera-like grain, as RGBA bytes, the same for the same arguments: soft color gradients
// and a few hard-edged discs, plus noise of about ±`grain` levels from an integer hash (no Math.random).
export function noisyPhotoRgba(w, h, grain = 12) {
  const rgba = Buffer.alloc(w * h * 4);
  let at = 0;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++, at += 4) {
      const u = x / w, v = y / h;
      const disc = ((u * 7) % 1 - 0.5) ** 2 + ((v * 5) % 1 - 0.5) ** 2 < 0.08;
      const base = disc ? [200, 70, 40] : [60 + 140 * u, 90 + 100 * v, 180 - 120 * u * v];
      for (let k = 0; k < 3; k++) {
        let hsh = Math.imul(x + 1, 73856093) ^ Math.imul(y + 1, 19349663) ^ Math.imul(k + 1, 83492791);
        hsh = Math.imul(hsh ^ (hsh >>> 13), 1274126177);
        const noise = ((hsh >>> 8) & 0xff) / 255 * 2 - 1;
        rgba[at + k] = Math.max(0, Math.min(255, Math.round(base[k] + grain * noise)));
      }
      rgba[at + 3] = 255;
    }
  return rgba;
}

// A dark shape on a light background, like a product photo: the 28×28 path should invert it.
export const productPhoto = (w = 120, h = 80) =>
  png(w, h, (x, y) => ((x - w / 2) ** 2 / (w * w / 9) + (y - h / 2) ** 2 / (h * h / 9) < 1 ? [40, 40, 60, 255] : [250, 250, 250, 255]));

// Fully transparent except an opaque bright disc.
export const transparentPng = () =>
  png(64, 64, (x, y) => ((x - 32) ** 2 + (y - 32) ** 2 < 200 ? [255, 255, 255, 255] : [0, 0, 0, 0]));

// A 2-frame animated 4×4 GIF (first frame: left half white); browsers decode the first frame.
export function animatedGif() {
  const frame = (pixels) => {
    // LZW with a clear code before every pixel keeps every code 3 bits wide (minimum code size 2).
    const codes = [];
    for (const p of pixels) codes.push(4, p);
    codes.push(5);
    const bytes = [];
    let acc = 0, bits = 0;
    for (const c of codes) {
      acc |= c << bits;
      bits += 3;
      while (bits >= 8) { bytes.push(acc & 255); acc >>= 8; bits -= 8; }
    }
    if (bits) bytes.push(acc & 255);
    return Buffer.from([0x21, 0xf9, 4, 0, 10, 0, 0, 0, // graphic control: 0.1 s
      0x2c, 0, 0, 0, 0, 4, 0, 4, 0, 0, 2, bytes.length, ...bytes, 0]);
  };
  const left = [], right = [];
  for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) { left.push(x < 2 ? 1 : 0); right.push(x >= 2 ? 1 : 0); }
  return Buffer.concat([Buffer.from('GIF89a'), Buffer.from([4, 0, 4, 0, 0x80, 0, 0, 0, 0, 0, 255, 255, 255]),
    Buffer.from([0x21, 0xff, 11, ...Buffer.from('NETSCAPE2.0'), 3, 1, 0, 0, 0]), frame(left), frame(right),
    Buffer.from([0x3b])]);
}

// A baseline CMYK JPEG (Adobe APP14, no colour transform) of flat 8×8 blocks: each block is only a DC coefficient.
// Adobe CMYK JPEGs store inverted values (255 = no ink): the default is white, black, black, white 8×8 blocks.
export function cmykJpeg(blocks = [[255, 255, 255, 255], [255, 255, 255, 0], [255, 255, 255, 0], [255, 255, 255, 255]]) {
  const seg = (marker, body) => Buffer.concat([Buffer.from([0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 255]), Buffer.from(body)]);
  const dcBits = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
  const dcCodes = [];  // canonical Huffman codes for categories 0..11
  let code = 0, k = 0;
  for (let len = 1; len <= 16; len++) {
    for (let i = 0; i < dcBits[len - 1]; i++) dcCodes[k++] = [code++, len];
    code <<= 1;
  }
  const out = [];
  let acc = 0, nbits = 0;
  const put = (value, len) => {
    for (let i = len - 1; i >= 0; i--) {
      acc = (acc << 1) | ((value >> i) & 1);
      if (++nbits === 8) { out.push(acc); if (acc === 0xff) out.push(0); acc = 0; nbits = 0; }
    }
  };
  const prev = [0, 0, 0, 0];
  for (const block of blocks)
    for (let c = 0; c < 4; c++) {
      const dc = 8 * (block[c] - 128), diff = dc - prev[c];
      prev[c] = dc;
      const cat = diff === 0 ? 0 : Math.floor(Math.log2(Math.abs(diff))) + 1;
      put(...dcCodes[cat]);
      if (cat) put(diff > 0 ? diff : diff + (1 << cat) - 1, cat);
      put(0, 1);  // EOB: the AC table's only code
    }
  if (nbits) put((1 << (8 - nbits)) - 1, 8 - nbits);
  const w = 16, h = 8 * Math.ceil(blocks.length / 2);
  return Buffer.concat([Buffer.from([0xff, 0xd8]),
    seg(0xee, [...Buffer.from('Adobe'), 0, 100, 0, 0, 0, 0, 0]),
    seg(0xdb, [0, ...new Array(64).fill(1)]),
    seg(0xc0, [8, h >> 8, h & 255, w >> 8, w & 255, 4, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0, 4, 0x11, 0]),
    seg(0xc4, [0x00, ...dcBits, ...Array.from({ length: 12 }, (_, i) => i)]),
    seg(0xc4, [0x10, 1, ...new Array(15).fill(0), 0x00]),
    seg(0xda, [4, 1, 0x00, 2, 0x00, 3, 0x00, 4, 0x00, 0, 63, 0]),
    Buffer.from(out), Buffer.from([0xff, 0xd9])]);
}

// A w×h 1-bit grayscale PNG, all black: tiny on disk (deflated zeros) however large its dimensions.
export function blackPng(w, h) {
  return pngFile(w, h, { bitDepth: 1, colorType: 0 }, Buffer.alloc(h * (1 + Math.ceil(w / 8))), 9);
}

// A smooth color picture: a red-to-blue ramp across, green rising down, a yellow disc and a cyan square. Its channels
// differ from each other almost everywhere, so a result that lost the color shows at once.
export const colorPhoto = (w = 160, h = 120) => png(w, h, (x, y) => {
  if ((x - w * 0.3) ** 2 + (y - h * 0.5) ** 2 < (h * 0.22) ** 2) return [235, 215, 40, 255];
  if (x > w * 0.6 && x < w * 0.85 && y > h * 0.2 && y < h * 0.55) return [30, 200, 210, 255];
  return [Math.round(220 * (1 - x / w)) + 20, Math.round(200 * y / h) + 20, Math.round(220 * x / w) + 20, 255];
});
