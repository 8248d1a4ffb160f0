// Writes the committed bad-model corpus: one malformed file per failure the loader must name.
// Run with `node tests/data/bad-models/make-corpus.mjs` after changing a case; the files are committed.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { randomBytesFrom } from '../random-bytes.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const arch = JSON.stringify({
  name: 'tiny', channels: 1, size_multiple: 1,
  nodes: [{ name: 'c', op: 'conv', inputs: ['input'], cin: 1, cout: 1, kernel: 3, stride: 1, pad: 1 }],
});

function floats(values) {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeFloatLE(v, i * 4));
  return b;
}

// IEEE half bits of normal values that halves hold exactly (the valid F16 case uses only such values).
function halves(values) {
  const b = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => {
    const e = Math.floor(Math.log2(Math.abs(v)));
    const mant = Math.abs(v) / 2 ** e - 1;
    if (mant * 1024 !== Math.round(mant * 1024)) throw new Error(`${v} is not exact in F16`);
    b.writeUInt16LE((v < 0 ? 0x8000 : 0) | ((e + 15) << 10) | (mant * 1024), i * 2);
  });
  return b;
}

// header: object written as JSON as-is; data: Buffer appended after it.
function file(header, data = Buffer.alloc(0), headerText = JSON.stringify(header)) {
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(headerText)));
  return Buffer.concat([len, Buffer.from(headerText), data]);
}

const weight = [0.1, 0.2, 0.1, 0.2, 0.4, 0.2, 0.1, 0.2, 0.1];
function model({ meta = { 'dae.arch': arch }, tensors, data } = {}) {
  tensors ??= {
    'c.weight': { dtype: 'F32', shape: [1, 1, 3, 3], data_offsets: [0, 36] },
    'c.bias': { dtype: 'F32', shape: [1], data_offsets: [36, 40] },
  };
  data ??= floats([...weight, 0.05]);
  return file({ __metadata__: meta, ...tensors }, data);
}

const randomBytes = randomBytesFrom(12345);

const valid = model();
const cases = [
  ['valid-tiny.safetensors', valid, 'OK'],
  ['empty.safetensors', Buffer.alloc(0), 'the file is empty'],
  ['short.safetensors', Buffer.from([1, 2, 3, 4, 5]), 'too short for a header'],
  ['random-bytes.safetensors', randomBytes(4096), 'safetensors:'],
  ['truncated.safetensors', valid.subarray(0, valid.length - 3), 'past the end of the data'],
  ['header-cut.safetensors', valid.subarray(0, 40), 'runs past the end'],
  ['header-absurd.safetensors', Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 0, 0, 0x40]), Buffer.alloc(64)]),
    'larger than the 16 MiB limit'],
  ['header-not-json.safetensors', file(null, Buffer.alloc(0), '{"a": [1, 2'), 'not valid JSON'],
  ['header-array.safetensors', file(null, Buffer.alloc(0), '[1, 2, 3]'), 'not a JSON object'],
  ['valid-f16.safetensors', model({ tensors: {
    'c.weight': { dtype: 'F16', shape: [1, 1, 3, 3], data_offsets: [0, 18] },
    'c.bias': { dtype: 'F16', shape: [1], data_offsets: [18, 20] } },
  data: halves([0.125, 0.25, 0.125, 0.25, 0.5, 0.25, 0.125, 0.25, -0.0625, 0.03125]) }), 'OK'],
  ['dtype-bf16.safetensors', model({ tensors: {
    'c.weight': { dtype: 'BF16', shape: [1, 1, 3, 3], data_offsets: [0, 18] },
    'c.bias': { dtype: 'F32', shape: [1], data_offsets: [18, 22] } }, data: Buffer.alloc(22) }),
    'only F32 and F16 are supported'],
  ['dtype-unknown.safetensors', model({ tensors: {
    'c.weight': { dtype: 'F33', shape: [1, 1, 3, 3], data_offsets: [0, 36] },
    'c.bias': { dtype: 'F32', shape: [1], data_offsets: [36, 40] } } }), "unknown dtype 'F33'"],
  ['overlap.safetensors', model({ tensors: {
    'c.weight': { dtype: 'F32', shape: [1, 1, 3, 3], data_offsets: [0, 36] },
    'c.bias': { dtype: 'F32', shape: [1], data_offsets: [32, 36] } } }), 'overlap'],
  ['offsets-out-of-range.safetensors', model({ tensors: {
    'c.weight': { dtype: 'F32', shape: [1, 1, 3, 3], data_offsets: [0, 36] },
    'c.bias': { dtype: 'F32', shape: [1], data_offsets: [4000, 4004] } } }), 'past the end of the data'],
  ['offsets-reversed.safetensors', model({ tensors: {
    'c.weight': { dtype: 'F32', shape: [1, 1, 3, 3], data_offsets: [0, 36] },
    'c.bias': { dtype: 'F32', shape: [0], data_offsets: [40, 36] } } }), 'end before they begin'],
  ['shape-negative.safetensors', model({ tensors: {
    'c.weight': { dtype: 'F32', shape: [1, -1, 3, 3], data_offsets: [0, 36] },
    'c.bias': { dtype: 'F32', shape: [1], data_offsets: [36, 40] } } }), 'not a non-negative integer'],
  ['shape-huge.safetensors', model({ tensors: {
    'c.weight': { dtype: 'F32', shape: [65536, 65536, 65536, 3], data_offsets: [0, 36] },
    'c.bias': { dtype: 'F32', shape: [1], data_offsets: [36, 40] } } }), 'shape larger than the file'],
  ['shape-wrong-for-arch.safetensors', model({ tensors: {
    'c.weight': { dtype: 'F32', shape: [1, 9], data_offsets: [0, 36] },
    'c.bias': { dtype: 'F32', shape: [1], data_offsets: [36, 40] } } }), 'the architecture needs [1, 1, 3, 3]'],
  ['tensor-missing.safetensors', model({ tensors: {
    'c.weight': { dtype: 'F32', shape: [1, 1, 3, 3], data_offsets: [0, 36] } }, data: floats(weight) }),
    "tensor 'c.bias' is missing"],
  ['tensor-extra.safetensors', model({ tensors: {
    'c.weight': { dtype: 'F32', shape: [1, 1, 3, 3], data_offsets: [0, 36] },
    'c.bias': { dtype: 'F32', shape: [1], data_offsets: [36, 40] },
    'c.momentum': { dtype: 'F32', shape: [1], data_offsets: [40, 44] } }, data: floats([...weight, 0, 0]) }),
    "unexpected tensor 'c.momentum'"],
  ['weight-nan.safetensors', model({ data: floats([0.1, NaN, 0.1, 0.2, 0.4, 0.2, 0.1, 0.2, 0.1, 0]) }),
    'non-finite value'],
  ['weight-inf.safetensors', model({ data: floats([...weight, Infinity]) }), "'c.bias' holds a non-finite value"],
  ['no-arch-metadata.safetensors', model({ meta: { format: 'pt' } }), "no 'dae.arch' metadata"],
  ['arch-not-json.safetensors', model({ meta: { 'dae.arch': '{"nodes": [' } }), 'not valid JSON'],
  ['arch-unknown-op.safetensors', model({ meta: { 'dae.arch': arch.replace('"conv"', '"deform_conv"') } }),
    "unknown op 'deform_conv'"],
  ['arch-bad-channels.safetensors', model({ meta: { 'dae.arch': arch.replace('"cin":1', '"cin":3') } }),
    'expects 3 input channels'],
  ['metadata-not-string.safetensors', file({ __metadata__: { 'dae.arch': 5 } }), 'is not a string'],
  ['png-image.safetensors', Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    randomBytes(64)]), 'this is a PNG image'],
  ['onnx-model.safetensors', Buffer.concat([Buffer.from([0x08, 0x07, 0x12, 0x04]), randomBytes(64)]),
    'an ONNX model'],
];

// Weightless graphs that cost far more than any real model: refused at load, before they run.
function weightless(nodes) {
  return file({ __metadata__: { 'dae.arch': JSON.stringify({ name: 'bomb', channels: 1, size_multiple: 1, nodes }) } });
}
const upsamples = (count) => Array.from({ length: count }, (_, i) =>
  ({ name: `u${i + 1}`, op: 'upsample', inputs: [i ? `u${i}` : 'input'], scale: 2 }));
cases.push(
  ['upsample-bomb.safetensors', weightless(upsamples(8)),
    "activation values per image pixel at node 'u8' (upsample), more than the 16384 allowed"],
  ['add-bomb.safetensors', weightless([...upsamples(6), ...Array.from({ length: 3000 }, (_, i) =>
    ({ name: `a${i + 1}`, op: 'add', inputs: [i ? `a${i}` : 'u6', 'u6'] }))]),
    'operations per image pixel, more than the 1e+07 allowed'],
);

const lines = ['# file<TAB>expected substring of the error, or OK when the file must load'];
for (const [name, bytes, expected] of cases) {
  writeFileSync(join(here, name), bytes);
  lines.push(`${name}\t${expected}`);
}
writeFileSync(join(here, 'expected.tsv'), lines.join('\n') + '\n');
console.log(`wrote ${cases.length} cases`);
