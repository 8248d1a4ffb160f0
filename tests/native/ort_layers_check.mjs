// ONNX Runtime and the engine, node by node: for shipped models, dae-train export writes an ONNX file whose every node
// is also an output (--onnx-every-node) and the engine's output at every node for a noisy test image (--layers);
// ONNX Runtime Web (WASM backend, under node) runs the file on the same image and each node must match.
// Usage: node tests/native/ort_layers_check.mjs <repo root> <dae-train> <scratch dir> [model...]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { readSafetensors } from './safetensors.mjs';

// Relative to the node's largest value (at least 1): inner values are not clamped to [0, 1], and both runtimes sum
// hundreds of products in their own order. Measured differences are below 1e-6.
const TOLERANCE = 1e-5;

const [root, trainer, scratch, ...wanted] = process.argv.slice(2);
const models = wanted.length ? wanted : ['seed', 'unet', 'photo'];
const require = createRequire(path.resolve(root, 'web', 'package.json'));
const ort = require('onnxruntime-web');
ort.env.wasm.numThreads = 1;
fs.mkdirSync(scratch, { recursive: true });

let failed = 0;
for (const name of models) {
  const onnx = path.join(scratch, `${name}-nodes.onnx`), layers = path.join(scratch, `${name}-layers.safetensors`);
  execFileSync(trainer, ['export', '--from', path.join(root, 'web', 'models', `${name}.safetensors`), '--onnx', onnx,
    '--onnx-every-node', '--layers', layers], { stdio: 'inherit' });
  const engine = readSafetensors(layers);
  const session = await ort.InferenceSession.create(fs.readFileSync(onnx));
  const { input, ...nodes } = engine;
  const result = await session.run({ input: new ort.Tensor('float32', input.data, input.shape) });
  const names = Object.keys(nodes);
  if (names.length < 3) {
    console.log(`FAIL ${name}: only ${names.length} nodes in ${layers}`);
    failed += 1;
  }
  let worst = 0, worstNode = '';
  for (const node of names) {
    const a = result[node], b = nodes[node];
    if (!a || a.dims.join('x') !== b.shape.join('x')) {
      console.log(`FAIL ${name} ${node}: ONNX Runtime gives [${a ? a.dims : 'nothing'}], the engine [${b.shape}]`);
      failed += 1;
      continue;
    }
    let scale = 1, diff = 0;
    for (let i = 0; i < b.data.length; i++) scale = Math.max(scale, Math.abs(b.data[i]));
    for (let i = 0; i < b.data.length; i++) diff = Math.max(diff, Math.abs(a.data[i] - b.data[i]));
    if (diff / scale > worst) worst = diff / scale, worstNode = node;
    if (diff / scale > TOLERANCE) {
      console.log(`FAIL ${name} ${node} [${b.shape}]: max abs diff ${diff.toExponential(2)} (values up to ${scale.toFixed(2)})`);
      failed += 1;
    }
  }
  console.log(`${name}: ${names.length} nodes, largest difference ${worst.toExponential(2)} of the node's range (${worstNode})`);
}
process.exit(failed ? 1 : 0);
