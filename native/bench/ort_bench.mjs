// onnxruntime's CPU provider (npm onnxruntime-node) against the native engine on the shipped model files, the
// same inputs, calls alternating between the two, one and two threads each. Prints a table and writes
// build/bench/ort.md; never passes or fails on time.
// Usage: node native/bench/ort_bench.mjs [--ort build/ort-node/node_modules/onnxruntime-node]
//   [--peer build/native/native/bench/dae_bench_peer] [--models unet32,photo] [--threads 1,2] [--budget 3]
// onnxruntime-node is not a project dependency: `ONNXRUNTIME_NODE_INSTALL=skip npm install --prefix build/ort-node
// onnxruntime-node` puts it where --ort looks by default (the install script would fetch GPU parts otherwise).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) =>
  (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const ortDir = path.resolve(args.ort || path.join(root, 'build/ort-node/node_modules/onnxruntime-node'));
const peerPath = path.resolve(args.peer || path.join(root, 'build/native/native/bench/dae_bench_peer'));
const models = (args.models || 'unet32,photo').split(',');
const threadCounts = (args.threads || '1,2').split(',').map(Number);
const budgetMs = 1000 * Number(args.budget || 3);
const outDir = path.resolve(args.out || path.join(root, 'build/bench'));
const ort = createRequire(import.meta.url)(ortDir);
const ortVersion = JSON.parse(fs.readFileSync(path.join(ortDir, 'package.json'), 'utf8')).version;

// The engine process: one command per line, one answer per line.
const peer = spawn(peerPath, [], { stdio: ['pipe', 'pipe', 'inherit'] });
const answers = [];
readline.createInterface({ input: peer.stdout }).on('line', (line) => answers.shift()(line));
function ask(command) {
  return new Promise((resolve, reject) => {
    answers.push((line) => (line.startsWith('error') ? reject(new Error(`${command}: ${line}`)) : resolve(line)));
    peer.stdin.write(command + '\n');
  });
}

// Seeded uniform [0, 1) values, the same for both sides.
function randomInput(count, seed) {
  const data = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s / 4294967296;
  }
  return data;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const cases = { unet32: [[1, 28], [256, 28], [1, 256]], photo: [[1, 256], [1, 1024]] };
const rows = [];
// The roof: the engine's multiply-add peak for its instruction set at each thread count (dae::ops::peak_gflops).
const peaks = {};
let isa = '';
for (const threads of threadCounts) [peaks[threads], isa] = (await ask(`peak ${threads}`)).split(' ').map((x, i) => (i ? x : Number(x)));
fs.mkdirSync(outDir, { recursive: true });
const inputFile = path.join(outDir, 'ort-input.f32'), outputFile = path.join(outDir, 'ort-output.f32');
for (const name of models) {
  const onnx = path.join(root, 'web/models', name + '.onnx'), weights = path.join(root, 'web/models', name + '.safetensors');
  if (!fs.existsSync(onnx) || !fs.existsSync(weights)) {
    console.log(`${name}: no ${path.relative(root, onnx)} and .safetensors yet, skipped`);
    continue;
  }
  const channels = Number((await ask(`model ${weights}`)).split(' ')[1]);
  for (const threads of threadCounts) {
    const session = await ort.InferenceSession.create(onnx, {
      executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all',
    });
    for (const [n, side] of cases[name] || cases.unet32) {
      const input = randomInput(n * channels * side * side, 7 + side + n);
      fs.writeFileSync(inputFile, input);
      await ask(`input ${inputFile} ${n} ${channels} ${side} ${side}`);
      const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', input, [n, channels, side, side]) };
      let theirs = await session.run(feeds);
      await ask(`run ${threads}`);
      const engineMs = [], ortMs = [];
      const start = performance.now();
      while (engineMs.length < 5 || performance.now() - start < budgetMs) {
        engineMs.push(Number(await ask(`run ${threads}`)));
        const t0 = performance.now();
        theirs = await session.run(feeds);
        ortMs.push(performance.now() - t0);
      }
      const flops = Number(await ask('flops'));
      await ask(`output ${outputFile}`);
      const bytes = fs.readFileSync(outputFile);  // small files share a pooled buffer: copy out the float32 view
      const ours = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
      const ref = theirs[session.outputNames[0]].data;
      // The ONNX graph ends in a Clip to [0, 1] (native/trainer/export_onnx.cpp); the engine's forward pass does not
      // (dae::denoise clamps after it). On these random inputs, which no model saw in training, a raw output can dip
      // below 0 (unet32 at batch 256: -0.0029 in 2 of 256 images, which onnxruntime gives as 0): compare clamped values.
      let diff = 0;
      for (let i = 0; i < ours.length; i++) diff = Math.max(diff, Math.abs(Math.min(1, Math.max(0, ours[i])) - ref[i]));
      const e = median(engineMs), o = median(ortMs);
      const gflops = flops / e / 1e6;
      const row = `| ${name} | ${side}x${side}x${channels} | ${n} | ${threads} | ${e.toFixed(3)} | ${o.toFixed(3)} | ` +
        `${(o / e).toFixed(2)}x | ${gflops.toFixed(1)} | ${(100 * gflops / peaks[threads]).toFixed(0)}% | ` +
        `${(flops / o / 1e6).toFixed(1)} | ${engineMs.length} | ${diff.toExponential(1)} |`;
      console.log(row);
      rows.push(row);
    }
  }
}
peer.stdin.end();
const header = '| model | image | batch | threads | engine ms | onnxruntime ms | engine speed-up | engine GFLOP/s | of peak | ' +
  'onnxruntime GFLOP/s | runs | max abs diff |\n|---|---|---|---|---|---|---|---|---|---|---|---|';
const roof = `Roofline: the engine's ${isa} multiply-add peak on this machine (dae::ops::peak_gflops) ` +
  `${threadCounts.map((t) => `${peaks[t].toFixed(1)} GFLOP/s at ${t} thread(s)`).join(', ')}. GFLOP/s count every ` +
  `convolution as direct (2 per multiply-add); Winograd layers do fewer. Max abs diff compares clamped outputs.`;
fs.writeFileSync(path.join(outDir, 'ort.md'),
  `# Engine vs onnxruntime ${ortVersion} CPU provider (onnxruntime-node), medians of alternating calls\n\n` +
  `${roof}\n\n${header}\n${rows.join('\n')}\n`);
console.log(`\n${roof}\n\n${header}\n${rows.join('\n')}\nwritten to ${path.relative(root, path.join(outDir, 'ort.md'))}`);
