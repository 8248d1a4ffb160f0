// Runs the browser benchmark in the page and leaves the result in window.benchResult for the runner.
import createBench from './dae_bench.js';
import * as ort from './ort/ort.wasm.min.mjs';

const params = new URLSearchParams(location.search);
const model = params.get('model') || 'unet';
const runs = Number(params.get('runs') || 200);
const sizes = (params.get('sizes') || '28,256').split(',').map(Number);
const log = (s) => { document.getElementById('log').textContent += '\n' + s; };

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

async function fetchBytes(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

async function main() {
  const result = { model, runs, sizes: [], userAgent: navigator.userAgent };
  const bench = await createBench();
  const bytes = await fetchBytes(`models/${model}.safetensors`);
  const ptr = bench._malloc(bytes.length);
  bench.HEAPU8.set(bytes, ptr);
  if (bench._bench_load(ptr, bytes.length)) throw new Error(bench.UTF8ToString(bench._bench_error()));
  bench._free(ptr);
  result.isa = bench.UTF8ToString(bench._bench_isa());

  ort.env.wasm.wasmPaths = new URL('ort/', location.href).href;
  ort.env.wasm.numThreads = 1;
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(`models/${model}.onnx`, { executionProviders: ['wasm'] });
  result.ortSessionMs = performance.now() - t0;

  // The peak first, and again at the end: the figure used is the better of the two.
  const peak = () => { bench._bench_peak(2e6); return bench._bench_peak(2e7); };
  const peakBefore = peak();

  for (const side of sizes) {
    const flops = bench._bench_prepare(side, side);
    const input = new Float32Array(side * side);
    for (let i = 0; i < input.length; ++i) input[i] = (Math.sin(i * 12.9898) * 43758.5453) % 1 + 0.5;
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', input, [1, 1, side, side]) };
    const warm = side <= 64 ? 20 : 3;
    for (let i = 0; i < warm; ++i) { bench._bench_run(1); await session.run(feeds); }

    // Single calls alternate between the two backends, so a busy machine slows both alike.
    const engineSingle = [], ortSingle = [];
    for (let i = 0; i < runs; ++i) {
      engineSingle.push(bench._bench_run(1));
      const s = performance.now();
      await session.run(feeds);
      ortSingle.push(performance.now() - s);
    }
    // Back-to-back means over a block: not limited by the coarse timer of a non-isolated page.
    const block = side <= 64 ? 200 : 10;
    const engineMean = bench._bench_run(block) / block;
    let s = performance.now();
    for (let i = 0; i < block; ++i) await session.run(feeds);
    const ortMean = (performance.now() - s) / block;
    const row = {
      side, flops, engineMedianMs: median(engineSingle), ortMedianMs: median(ortSingle), engineMeanMs: engineMean,
      ortMeanMs: ortMean,
    };
    row.engineGflops = flops / row.engineMedianMs / 1e6;
    row.ortGflops = flops / row.ortMedianMs / 1e6;
    result.sizes.push(row);
    log(JSON.stringify(row));
  }
  result.peakGflops = Math.max(peakBefore, peak());
  log(`peak ${result.peakGflops.toFixed(1)} GFLOP/s`);
  window.benchResult = result;
}

main().catch((e) => { window.benchResult = { error: String(e && e.stack || e) }; log(String(e)); });
