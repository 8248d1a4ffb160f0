// Writes the committed bad-IDX corpus: one malformed file per failure the IDX reader must name, plus valid files.
// Run with `node tests/data/bad-idx/make-corpus.mjs` after changing a case; the files are committed.
// Every case is read as an image file (rank 3) under a 16 MiB limit; the fuzzer starts from these files.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

import { randomBytesFrom } from '../random-bytes.mjs';

const here = dirname(fileURLToPath(import.meta.url));

function be32(values) {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, i * 4));
  return b;
}
// An unsigned-byte IDX file: magic with the rank, dims, then `data` (or a ramp of product(dims) bytes).
function idx(dims, data, { type = 0x08, rank = dims.length } = {}) {
  const count = dims.reduce((a, b) => a * b, 1);
  data ??= Buffer.from(Array.from({ length: count }, (_, i) => (i * 7) & 0xff));
  return Buffer.concat([be32([(type << 8) | rank]), be32(dims), data]);
}

const randomBytes = randomBytesFrom(4242);

const valid = idx([2, 28, 28]);
const validGz = gzipSync(valid);
const cases = [
  ['valid-2x28x28.idx', valid, 'OK'],
  ['valid-2x28x28.idx.gz', validGz, 'OK'],
  ['valid-two-members.idx.gz', Buffer.concat([gzipSync(valid.subarray(0, 100)), gzipSync(valid.subarray(100))]), 'OK'],
  ['empty.idx', Buffer.alloc(0), 'is empty'],
  ['short-header.idx', Buffer.from([0, 0, 8]), 'too short for an IDX header'],
  ['bad-magic.idx', Buffer.from('this is not an IDX file'), 'not an IDX file (bad magic number)'],
  ['float-elements.idx', idx([1, 2, 2], be32([0, 0, 0, 0]), { type: 0x0d }), 'holds element type 0x0d'],
  ['rank-zero.idx', be32([0x800]), 'has 0 dimensions (1 to 4 are read)'],
  ['rank-255.idx', Buffer.concat([be32([0x8ff]), randomBytes(64)]), 'has 255 dimensions (1 to 4 are read)'],
  ['labels-not-images.idx', idx([5], Buffer.from([1, 2, 3, 4, 5])), 'has 1 dimensions, expected 3'],
  ['header-cut.idx', Buffer.concat([be32([0x803]), be32([2, 28])]), 'ends inside the header'],
  ['zero-images.idx', idx([0, 28, 28], Buffer.alloc(0)), 'has an empty dimension'],
  ['huge-count.idx', idx([0xffffffff, 28, 28], Buffer.alloc(784)), 'has dimensions too large to read'],
  ['overflowing-dims.idx', idx([65536, 65536, 65536], Buffer.alloc(16)), 'has dimensions too large to read'],
  ['truncated-data.idx', idx([10, 28, 28], Buffer.alloc(5 * 784, 16)), 'ends inside the data: the header promises 7840 bytes, the file holds 3920'],
  ['trailing-bytes.idx', Buffer.concat([valid, Buffer.from('extra')]), 'has 5 trailing bytes after the data'],
  ['gzip-truncated.idx.gz', validGz.subarray(0, validGz.length >> 1), 'gzip data ends early (truncated file)'],
  ['gzip-corrupt.idx.gz', Buffer.concat([validGz.subarray(0, 10), randomBytes(200)]), 'corrupt gzip data'],
  ['gzip-trailing-garbage.idx.gz', Buffer.concat([validGz, Buffer.from('garbage after the stream')]), 'corrupt gzip data'],
  // 32 MiB of zeros behind a valid header: a few KiB compressed, past the 16 MiB limit once inflated.
  ['gzip-bomb.idx.gz', gzipSync(Buffer.concat([be32([0x803, 42800, 28, 28]), Buffer.alloc(32 << 20)]), { level: 9 }),
    'decompresses to more than'],
  ['random-bytes.idx', Buffer.concat([Buffer.from([0x1f, 0x8b]), randomBytes(300)]), 'gzip'],
];

const lines = ['# file<TAB>expected substring of the error, or OK when the file must load (read as rank 3, 16 MiB limit)'];
for (const [name, bytes, expected] of cases) {
  writeFileSync(join(here, name), bytes);
  lines.push(`${name}\t${expected}`);
}
writeFileSync(join(here, 'expected.tsv'), lines.join('\n') + '\n');
console.log(`wrote ${cases.length} cases`);
