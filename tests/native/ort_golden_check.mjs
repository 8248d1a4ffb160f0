// Cross-check of the shipped ONNX files: ONNX Runtime Web (WASM backend, under node) must reproduce the golden
// LibTorch outputs, clamped to [0, 1] as the ONNX graph's final Clip does, for every shipped model.
// Usage: node tests/native/ort_golden_check.mjs <repo root>
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { readSafetensors } from './safetensors.mjs';

// Same bound as the engine's golden test; measured differences are below 1e-6.
const TOLERANCE = 1e-5;

const root = process.argv[2];
const require = createRequire(path.join(root, 'web', 'package.json'));
const ort = require('onnxruntime-web');
ort.env.wasm.numThreads = 1;

let checked = 0, failed = 0;
for (const file of fs.readdirSync(path.join(root, 'web', 'models')).sort()) {
  if (!file.endsWith('.onnx')) continue;
  const name = file.slice(0, -'.onnx'.length);
  const goldenFile = path.join(root, 'tests', 'data', 'golden', name + '.safetensors');
  if (!fs.existsSync(goldenFile)) {
    console.log(`FAIL ${name}: shipped ONNX model has no golden file ${goldenFile}`);
    failed += 1;
    continue;
  }
  const golden = readSafetensors(goldenFile);
  const session = await ort.InferenceSession.create(fs.readFileSync(path.join(root, 'web', 'models', file)));
  for (const suffix of ['', '_odd']) {
    const input = golden['input' + suffix], expected = golden['output' + suffix];
    const result = await session.run({ input: new ort.Tensor('float32', input.data, input.shape) });
    const out = result.output;
    let maxDiff = 0;
    if (out.dims.join('x') !== expected.shape.join('x')) maxDiff = Infinity;
    else
      for (let i = 0; i < out.data.length; i++)
        maxDiff = Math.max(maxDiff, Math.abs(out.data[i] - Math.min(1, Math.max(0, expected.data[i]))));
    const ok = maxDiff <= TOLERANCE;
    failed += ok ? 0 : 1;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${name} input${suffix} [${input.shape}] max abs diff ${maxDiff.toExponential(2)}`);
  }
  ++checked;
}
if (checked === 0) {
  console.log('FAIL: no ONNX model in web/models has a golden file');
  process.exit(1);
}
process.exit(failed ? 1 : 0);
