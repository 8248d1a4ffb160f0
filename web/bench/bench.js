// Runs the browser benchmark in the page: the engine and ONNX Runtime Web at the same thread count (?threads=N), on
// each case in turn with single calls alternating between the two; leaves the result in window.benchResult.
// ?cases=model:side:runs,... (default unet32:28:100,unet32:256:20,photo:1024:3): gray or color input as the model
// takes.
import * as ort from './ort/ort.wasm.min.mjs';

const params = new URLSearchParams(location.search);
const threads = Number(params.get('threads') || 1);
const cases = (params.get('cases') || 'unet32:28:100,unet32:256:20,photo:1024:3').split(',').map((c) => {
  const [model, side, runs] = c.split(':');
  return { model, side: Number(side), runs: Number(runs) };
});
const log = (s) => { document.getElementById('log').textContent += '\n' + s; };
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

async function fetchBytes(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

async function main() {
  if (threads > 1 && !self.crossOriginIsolated) throw new Error('more than one thread needs a cross-origin isolated page');
  // The threaded engine where the page is isolated (the build the app runs there), the single-threaded one elsewhere.
  const build = self.crossOriginIsolated ? 'threads' : 'plain';
  const { default: createBench } = await import(build === 'threads' ? './threads/dae_bench.js' : './dae_bench.js');
  const bench = await createBench();
  // Another thread may grow the heap; views made now see all of it.
  const heapF32 = () => new Float32Array(bench.wasmMemory ? bench.wasmMemory.buffer : bench.HEAPF32.buffer);
  bench._bench_set_threads(threads);
  const result = { threads, build, cores: navigator.hardwareConcurrency, userAgent: navigator.userAgent, cases: [] };
  result.isa = bench.UTF8ToString(bench._bench_isa());

  ort.env.wasm.wasmPaths = new URL('ort/', location.href).href;
  ort.env.wasm.numThreads = threads;
  ort.env.logLevel = 'error';
  result.ortVersion = ort.env.versions?.web ?? '';

  // The engine's multiply-add peak at this page's thread count, before and after: the better of the two is reported.
  const peak = () => bench._bench_peak(threads, 0.3);
  const peakBefore = peak();

  const sessions = {};
  let loaded = '';
  for (const { model, side, runs } of cases) {
    if (loaded !== model) {
      const bytes = await fetchBytes(`models/${model}.safetensors`);
      const ptr = bench._malloc(bytes.length);
      new Uint8Array(heapF32().buffer).set(bytes, ptr);
      const failed = bench._bench_load(ptr, bytes.length);
      bench._free(ptr);
      if (failed) throw new Error(bench.UTF8ToString(bench._bench_error()));
      loaded = model;
    }
    if (!sessions[model]) {
      const t0 = performance.now();
      sessions[model] = await ort.InferenceSession.create(`models/${model}.onnx`,
        { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
      result.ortSessionMs = Math.max(result.ortSessionMs ?? 0, performance.now() - t0);
    }
    const session = sessions[model];
    const flops = bench._bench_prepare(side, side);
    // The engine's input goes to ONNX Runtime too.
    const inputPtr = bench._bench_input() >> 2;
    const c = bench._bench_channels();
    const count = c * side * side;
    const input = heapF32().slice(inputPtr, inputPtr + count);
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', input, [1, c, side, side]) };

    // Warm-up, and a check that both computed the same thing.
    const warm = side <= 64 ? 10 : 1;
    let ortOut = null;
    for (let i = 0; i < warm; ++i) {
      if (bench._bench_run(1) < 0) throw new Error(bench.UTF8ToString(bench._bench_error()));
      ortOut = (await session.run(feeds))[session.outputNames[0]].data;
    }
    const outPtr = bench._bench_output() >> 2;
    const engineOut = heapF32().subarray(outPtr, outPtr + count);
    // The ONNX graph ends in a Clip to [0, 1]; the engine's forward pass does not (dae::denoise clamps after it), and
    // on these random inputs a model's raw output may leave [0, 1]: compare clamped values.
    let maxDiff = 0;
    for (let i = 0; i < count; ++i)
      maxDiff = Math.max(maxDiff, Math.abs(Math.min(1, Math.max(0, engineOut[i])) - ortOut[i]));

    // Single calls alternate between the two backends, so a busy machine slows both alike.
    const engineMs = [], ortMs = [];
    for (let i = 0; i < runs; ++i) {
      engineMs.push(bench._bench_run(1));
      const s = performance.now();
      await session.run(feeds);
      ortMs.push(performance.now() - s);
    }
    const row = { model, side, channels: c, runs, flops, maxDiff, engineMedianMs: median(engineMs),
      ortMedianMs: median(ortMs), engineMinMs: Math.min(...engineMs), ortMinMs: Math.min(...ortMs) };
    row.engineGflops = flops / row.engineMedianMs / 1e6;
    row.ortGflops = flops / row.ortMedianMs / 1e6;
    result.cases.push(row);
    log(JSON.stringify(row));
  }
  result.peakGflops = Math.max(peakBefore, peak());
  for (const row of result.cases) row.engineOfPeak = row.engineGflops / result.peakGflops;
  log(`${threads}-thread SIMD multiply-add peak ${result.peakGflops.toFixed(1)} GFLOP/s`);
  window.benchResult = result;
}

main().catch((e) => { window.benchResult = { error: String(e && e.stack || e) }; log(String(e)); });
