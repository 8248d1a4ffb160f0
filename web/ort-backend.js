// The second backend: ONNX Runtime Web, loaded from this site only when first chosen, running the model's ONNX file.
'use strict';

window.daeOrt = (() => {
  const scripts = { wasm: 'ort/ort.wasm.min.js', webgpu: 'ort/ort.webgpu.min.js' };
  const runtimes = {};   // provider -> promise of the `ort` namespace its script defined
  const sessions = {};   // provider + file -> promise of an InferenceSession
  let queue = Promise.resolve();

  function loadScript(src) {
    return new Promise((ok, fail) => {
      const el = document.createElement('script');
      el.src = src;
      el.onload = ok;
      el.onerror = () => fail(new Error(`could not load ${src}`));
      document.head.appendChild(el);
    });
  }

  // Each build defines the global `ort`; keep our own reference so loading the other one later cannot swap it.
  function runtime(provider) {
    runtimes[provider] ??= loadScript(scripts[provider]).then(() => {
      const ort = window.ort;
      ort.env.wasm.wasmPaths = new URL('ort/', document.baseURI).href;
      // As many threads as the engine has (boot.js), so the two backends' latencies compare like for like: one on a
      // page without cross-origin isolation.
      ort.env.wasm.numThreads = window.daeBuild ? window.daeBuild.threads : 1;
      ort.env.logLevel = 'error';
      return ort;
    });
    return runtimes[provider];
  }

  async function webgpuAvailable() {
    try {
      return !!(navigator.gpu && (await navigator.gpu.requestAdapter()));
    } catch {
      return false;
    }
  }

  function session(provider, file) {
    const key = provider + ' ' + file;
    sessions[key] ??= (async () => {
      const ort = await runtime(provider);
      const response = await fetch(file);
      if (!response.ok) throw new Error(`${file}: HTTP ${response.status}`);
      const bytes = new Uint8Array(await response.arrayBuffer());
      return ort.InferenceSession.create(bytes, { executionProviders: [provider], graphOptimizationLevel: 'all' });
    })();
    sessions[key].catch(() => delete sessions[key]);
    return sessions[key];
  }

  // Runs the model on the [n, c, h, w] input as given: the app prepared its channels and padded it to the model's
  // size multiple (dae::pad_for_model), and it crops and clamps what comes back (dae::finish_output).
  async function runOnce(provider, file, px, [n, c, h, w]) {
    const s = await session(provider, file);
    const ort = await runtime(provider);
    const feeds = { [s.inputNames[0]]: new ort.Tensor('float32', px, [n, c, h, w]) };
    const t0 = performance.now();
    const result = await s.run(feeds);
    const ms = performance.now() - t0;
    const out = result[s.outputNames[0]];
    const data = out.getData ? await out.getData() : out.data;
    const dims = Array.from(out.dims);
    if (dims.length !== 4 || dims.reduce((a, b) => a * b, 1) !== data.length)
      throw new Error(`the ONNX model returned ${data.length} values of shape [${dims.join(', ')}], not an image batch`);
    return { px: data, dims, ms };
  }

  // Runs are queued: ONNX Runtime sessions must not run concurrently.
  function run(provider, file, px, shape) {
    const job = queue.then(() => runOnce(provider, file, px, shape));
    queue = job.catch(() => {});
    return job;
  }

  return { run, webgpuAvailable, loaded: () => Object.keys(runtimes) };
})();
