// The app's icons, drawn here at build time (no image files to keep in sync): a Fashion-MNIST T-shirt, its left half
// noisy and its right half clean, split by the accent line. build-site.mjs writes them as PNGs for the manifest.
import { deflateSync } from 'node:zlib';

const BACKGROUND = [20, 22, 25];
const SHIRT = [230, 230, 230];
const ACCENT = [232, 180, 0];
// The T-shirt's outline in the unit square, clockwise from the left of the neck.
const SHIRT_OUTLINE = [[0.38, 0.17], [0.18, 0.25], [0.06, 0.45], [0.2, 0.53], [0.28, 0.44], [0.28, 0.86],
  [0.72, 0.86], [0.72, 0.44], [0.8, 0.53], [0.94, 0.45], [0.82, 0.25], [0.62, 0.17], [0.57, 0.23], [0.5, 0.25],
  [0.43, 0.23]];
// The noisy half shows noise in Fashion-MNIST's own pixels: 28 across the icon.
const GRID = 28;

function inside([x, y], polygon) {
  let hit = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i], [xj, yj] = polygon[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) hit = !hit;
  }
  return hit;
}

// A fixed pseudo-random value in [-1, 1] per grid cell, so every build draws the same icon.
function cellNoise(cx, cy) {
  let h = (cx * 374761393 + cy * 668265263) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 1274126177) >>> 0;
  return ((h ^ (h >>> 16)) >>> 0) / 0x7fffffff - 1;
}

// RGBA pixels of a size×size icon. maskable: the background fills the square and the drawing keeps to the central
// 80% that launchers never crop; otherwise the background is a rounded square with transparent corners.
export function drawIcon(size, { maskable = false } = {}) {
  const rgba = new Uint8Array(size * size * 4);
  const scale = maskable ? 0.8 : 0.92, offset = (1 - scale) / 2;
  const radius = 0.2 * size;
  const sub = 4;  // samples per side of each pixel, for smooth edges
  for (let py = 0; py < size; py++)
    for (let px = 0; px < size; px++) {
      let cover = 0, shirt = 0;
      for (let sy = 0; sy < sub; sy++)
        for (let sx = 0; sx < sub; sx++) {
          const x = px + (sx + 0.5) / sub, y = py + (sy + 0.5) / sub;
          const dx = Math.max(radius - x, 0, x - (size - radius)), dy = Math.max(radius - y, 0, y - (size - radius));
          if (!maskable && dx * dx + dy * dy > radius * radius) continue;
          cover++;
          if (inside([(x / size - offset) / scale, (y / size - offset) / scale], SHIRT_OUTLINE)) shirt++;
        }
      const u = ((px + 0.5) / size - offset) / scale, v = ((py + 0.5) / size - offset) / scale;
      let level = shirt / Math.max(1, cover);
      if (u < 0.5) {
        const n = cellNoise(Math.floor(u * GRID + GRID), Math.floor(v * GRID + GRID));
        level = Math.min(1, Math.max(0, level + 0.45 * n));
      }
      const onLine = Math.abs(u - 0.5) * size * scale < Math.max(1, size / 96) && v > 0.08 && v < 0.94;
      const color = onLine ? ACCENT : BACKGROUND.map((b, k) => b + (SHIRT[k] - b) * level);
      const o = (py * size + px) * 4;
      for (let k = 0; k < 3; k++) rgba[o + k] = Math.round(color[k]);
      rgba[o + 3] = Math.round((255 * cover) / (sub * sub));
    }
  return rgba;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

// An 8-bit RGBA PNG of width×height pixels.
export function encodePng(rgba, width, height) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 6, 0, 0, 0], 8);  // 8 bits, RGBA, deflate, no filter set, not interlaced
  const rows = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) Buffer.from(rgba.subarray(y * width * 4, (y + 1) * width * 4)).copy(rows, y * (width * 4 + 1) + 1);
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

// The icon files the manifest lists: name -> PNG bytes.
export function iconFiles() {
  return {
    'icons/icon-192.png': encodePng(drawIcon(192), 192, 192),
    'icons/icon-512.png': encodePng(drawIcon(512), 512, 512),
    'icons/maskable-512.png': encodePng(drawIcon(512, { maskable: true }), 512, 512),
    'icons/favicon-32.png': encodePng(drawIcon(32), 32, 32),
  };
}
