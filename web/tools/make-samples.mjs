#!/usr/bin/env node
// Writes web/samples/fashion-mnist-test-100.bin: ten Fashion-MNIST test images of each class, for the app's gallery.
// Format: 100 label bytes (0-9), then 100 images of 28×28 bytes, row-major, 0 = background; about 40 KB gzipped.
// Usage: node web/tools/make-samples.mjs [/usr/share/datasets/fashion-mnist] [web/samples]
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';

const dir = process.argv[2] ?? '/usr/share/datasets/fashion-mnist';
const out = process.argv[3] ?? 'web/samples';
const kPerClass = 10;

const images = gunzipSync(readFileSync(join(dir, 't10k-images-idx3-ubyte.gz')));
const labels = gunzipSync(readFileSync(join(dir, 't10k-labels-idx1-ubyte.gz')));
if (images.readUInt32BE(0) !== 2051 || labels.readUInt32BE(0) !== 2049) throw new Error('not IDX image/label files');
const count = images.readUInt32BE(4);
if (images.readUInt32BE(8) !== 28 || images.readUInt32BE(12) !== 28) throw new Error('expected 28×28 images');

// The first kPerClass test images of each class, in class order, so the gallery reads as a table.
const picked = [];
for (let cls = 0; cls < 10; cls++) {
  for (let i = 0; i < count && picked.filter((p) => labels[8 + p] === cls).length < kPerClass; i++)
    if (labels[8 + i] === cls) picked.push(i);
}
const data = Buffer.alloc(picked.length * (1 + 784));
picked.forEach((index, k) => {
  data[k] = labels[8 + index];
  images.copy(data, picked.length + k * 784, 16 + index * 784, 16 + (index + 1) * 784);
});
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'fashion-mnist-test-100.bin'), data);
console.log(`wrote ${picked.length} images (${data.length} bytes) to ${join(out, 'fashion-mnist-test-100.bin')}`);
