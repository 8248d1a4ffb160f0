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
      // One thread: no worker start-up, and the page works without cross-origin isolation.
      ort.env.wasm.numThreads = 1;
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

  // Edge-replicates the image up to a multiple of `m` (as the engine does), runs it and crops the result back.
  async function runOnce(provider, file, px, w, h, m) {
    const s = await session(provider, file);
    const ort = await runtime(provider);
    const pw = Math.ceil(w / m) * m, ph = Math.ceil(h / m) * m;
    let input = px;
    if (pw !== w || ph !== h) {
      input = new Float32Array(pw * ph);
      for (let y = 0; y < ph; y++)
        for (let x = 0; x < pw; x++) input[y * pw + x] = px[Math.min(y, h - 1) * w + Math.min(x, w - 1)];
    }
    const feeds = { [s.inputNames[0]]: new ort.Tensor('float32', input, [1, 1, ph, pw]) };
    const t0 = performance.now();
    const result = await s.run(feeds);
    const ms = performance.now() - t0;
    const out = result[s.outputNames[0]];
    const data = out.getData ? await out.getData() : out.data;
    if (data.length !== pw * ph) throw new Error(`the ONNX model returned ${data.length} values for a ${pw}x${ph} image`);
    let cropped = data;
    if (pw !== w || ph !== h) {
      cropped = new Float32Array(w * h);
      for (let y = 0; y < h; y++) cropped.set(data.subarray(y * pw, y * pw + w), y * w);
    }
    return { px: cropped, ms };
  }

  // Runs are queued: ONNX Runtime sessions must not run concurrently.
  function run(provider, file, px, w, h, m) {
    const job = queue.then(() => runOnce(provider, file, px, w, h, m));
    queue = job.catch(() => {});
    return job;
  }

  return { run, webgpuAvailable, loaded: () => Object.keys(runtimes) };
})();
