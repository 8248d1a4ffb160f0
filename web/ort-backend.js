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

  // Edge-replicates every plane of the [n, c, h, w] input up to a multiple of `m` (as the engine does), runs it and
  // crops the result back. Grayscale and RGB models alike: the app prepared the channels (see model_input).
  async function runOnce(provider, file, px, [n, c, h, w], m) {
    const s = await session(provider, file);
    const ort = await runtime(provider);
    const pw = Math.ceil(w / m) * m, ph = Math.ceil(h / m) * m;
    const planes = n * c;
    let input = px;
    if (pw !== w || ph !== h) {
      input = new Float32Array(planes * pw * ph);
      for (let k = 0; k < planes; k++)
        for (let y = 0; y < ph; y++)
          for (let x = 0; x < pw; x++)
            input[(k * ph + y) * pw + x] = px[(k * h + Math.min(y, h - 1)) * w + Math.min(x, w - 1)];
    }
    const feeds = { [s.inputNames[0]]: new ort.Tensor('float32', input, [n, c, ph, pw]) };
    const t0 = performance.now();
    const result = await s.run(feeds);
    const ms = performance.now() - t0;
    const out = result[s.outputNames[0]];
    const data = out.getData ? await out.getData() : out.data;
    if (data.length !== planes * pw * ph)
      throw new Error(`the ONNX model returned ${data.length} values for ${planes} planes of ${pw}x${ph}`);
    let cropped = data;
    if (pw !== w || ph !== h) {
      cropped = new Float32Array(planes * w * h);
      for (let k = 0; k < planes; k++)
        for (let y = 0; y < h; y++) cropped.set(data.subarray((k * ph + y) * pw, (k * ph + y) * pw + w), (k * h + y) * w);
    }
    return { px: cropped, ms };
  }

  // Runs are queued: ONNX Runtime sessions must not run concurrently.
  function run(provider, file, px, shape, m) {
    const job = queue.then(() => runOnce(provider, file, px, shape, m));
    queue = job.catch(() => {});
    return job;
  }

  return { run, webgpuAvailable, loaded: () => Object.keys(runtimes) };
})();
