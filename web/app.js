// The page's glue around the WebAssembly app: fetches the model, manifest and samples, handles uploads, drag-and-drop,
// paste, touch and pen, saving PNGs and the ONNX Runtime backend, and defines the window.dae API documented below.
/*
 * window.dae: a small JavaScript API for tests, automation and the curious (open the browser console).
 *
 *   dae.ready               true once a model has denoised an image (poll it, or await dae.whenReady())
 *   dae.whenReady()         Promise resolved when ready
 *   dae.timings             ms after navigation start: runtime (WebAssembly instantiated, main() running),
 *                           firstFrame (second app frame drawn: interactive), modelFetched, modelLoaded, ready
 *                           (first denoised result on screen)
 *   dae.getImages()         {width, height, clean, noisy, denoised, engine, ort}: copies as Float32Array in [0, 1],
 *                           row-major; `denoised` is what the chosen backend produced, `engine` the engine's result,
 *                           `ort` ONNX Runtime's (null until it ran)
 *   dae.state()             what the app shows: {model, params, width, height, source, noise, amount, seed,
 *                           psnrNoisy, psnrDenoised, ssimNoisy, ssimDenoised, engineMs, ortMs, maxAbsDiff,
 *                           backend, denoiseCount, busy, progress, message, messageIsError, ...}
 *   dae.setSigma(x)         noise strength (σ for gaussian/speckle/poisson, probability for salt-pepper)
 *   dae.setNoise({kind, amount, seed})   kind: 'gaussian' | 'salt-pepper' | 'speckle' | 'poisson'
 *   dae.setNoiseEverywhere(on)   false: noise only where the noise brush painted
 *   dae.setImage(px, w, h, {fullResolution})   a grayscale Float32Array in [0, 1] becomes the clean image
 *   dae.loadSample(i)       one of the 100 bundled Fashion-MNIST test images (10 per class, in class order)
 *   dae.uploadFile(blob, {mode})   as the file button does; mode 'fashion-mnist' or 'full' (default: the
 *                           app's upload-mode setting); resolves {ok, message}; dae.lastUpload is the latest one
 *   dae.loadModel(name)     a model listed in models/models.json; resolves {ok, message}
 *   dae.loadModelBytes(arrayBuffer, name)   a model file from memory; {ok, message}; a bad file keeps the old model
 *   dae.setBackend(name)    'engine' | 'ort-wasm' | 'ort-webgpu'; resolves when that backend has produced a result
 *   dae.backend             the chosen backend's name
 *   dae.latency             {engine, ort}: the last run's time in ms
 *   dae.whenDenoised()      Promise resolved after the next denoised result
 *   dae.whenIdle()          Promise resolved when no denoising is pending (full-resolution images run in tiles)
 *   dae.manifest            Promise of the parsed models/models.json
 *   dae.lastSavedPng        the Blob of the last "Save PNG"
 *   dae.wasmMemoryBytes     the WebAssembly heap's current size (it grows on demand and never shrinks)
 */
'use strict';

(() => {
  const canvas = document.getElementById('canvas');
  const loading = document.getElementById('loading');
  const fileInput = document.getElementById('file');
  const dropHint = document.getElementById('drop-hint');
  const backendNames = ['engine', 'ort-wasm', 'ort-webgpu'];
  const noiseKinds = ['gaussian', 'salt-pepper', 'speckle', 'poisson'];

  let runtimeUp = false;
  let denoiseWaiters = [];
  let ortWaiters = [];
  const readyWaiters = [];

  function showFatal(text) {
    loading.hidden = false;
    loading.classList.add('error');
    loading.textContent = text;
  }

  // Canvas pixels follow CSS pixels × devicePixelRatio so text and images stay sharp on high-DPI screens.
  function fitCanvas() {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(canvas.clientWidth * dpr)), h = Math.max(1, Math.round(canvas.clientHeight * dpr));
    if (canvas.width !== w || canvas.height !== h) {
      canvas.width = w;
      canvas.height = h;
    }
  }
  new ResizeObserver(fitCanvas).observe(canvas);
  window.addEventListener('resize', fitCanvas);
  fitCanvas();

  window.Module = {
    canvas,
    print: (text) => console.log(text),
    printErr: (text) => console.warn(text),
    onAbort: (what) => showFatal(`The app stopped: ${what}`),
  };

  // ---- talking to the WebAssembly app ----
  function withBytes(bytes, fn) {
    const ptr = Module._malloc(Math.max(1, bytes.byteLength));
    Module.HEAPU8.set(bytes, ptr);
    try {
      return fn(ptr);
    } finally {
      Module._free(ptr);
    }
  }
  function withString(text, fn) {
    const size = Module.lengthBytesUTF8(text) + 1;
    const ptr = Module._malloc(size);
    Module.stringToUTF8(text, ptr, size);
    try {
      return fn(ptr);
    } finally {
      Module._free(ptr);
    }
  }
  function floatsToHeap(px, fn) {
    return withBytes(new Uint8Array(px.buffer, px.byteOffset, px.byteLength), fn);
  }
  function state() {
    return runtimeUp ? JSON.parse(Module.UTF8ToString(Module._dae_state_json())) : null;
  }
  function message(text, isError) {
    if (runtimeUp) withString(text, (p) => Module._dae_set_message(p, isError ? 1 : 0));
    if (isError) console.warn(text);
  }
  function image(which) {
    const ptr = Module._dae_image_data(which);
    if (!ptr) return null;
    const n = Module._dae_image_width(which) * Module._dae_image_height(which);
    return Module.HEAPF32.slice(ptr >> 2, (ptr >> 2) + n);
  }

  // ---- site files ----
  const manifestUrl = new URL('models/models.json', document.baseURI);
  const modelUrl = (file) => new URL(file.replace(/^models\//, ''), manifestUrl).href;
  async function fetchBytes(url) {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  }
  const manifestText = fetch(manifestUrl).then((r) => {
    if (!r.ok) throw new Error(`models/models.json: HTTP ${r.status}`);
    return r.text();
  });
  const manifest = manifestText.then((t) => {
    let m;
    try {
      m = JSON.parse(t);
    } catch (e) {
      throw new Error(`models/models.json is not valid JSON (${e.message})`);
    }
    const named = (e) => e && typeof e.name === 'string' && typeof e.file === 'string';
    if (!m || !Array.isArray(m.models) || !m.models.length || !m.models.every(named))
      throw new Error('models/models.json needs a non-empty "models" list of {name, file} entries');
    return m;
  });
  // The default model downloads while the WebAssembly compiles.
  const firstModel = manifest.then(async (m) => {
    const entry = m.models.find((e) => e.name === m.default) ?? m.models[0];
    return { name: entry.name, bytes: await fetchBytes(modelUrl(entry.file)) };
  });
  const samples = fetchBytes(new URL('samples/fashion-mnist-test-100.bin', document.baseURI));
  // A failure of these is shown once the app is up (daeHost.started); until then it is expected, not unhandled.
  for (const p of [manifestText, manifest, firstModel, samples]) p.catch(() => {});

  function loadModelBytes(bytes, name) {
    if (!runtimeUp) return { ok: false, message: 'the app is still starting' };
    const ok = withString(name, (n) => withBytes(bytes, (p) => Module._dae_load_model(p, bytes.byteLength, n))) === 1;
    return { ok, message: state().message };
  }

  async function loadModel(name) {
    const m = await manifest;
    const entry = m.models.find((e) => e.name === name);
    if (!entry) return { ok: false, message: `no model named '${name}' in models.json` };
    withString(name, (p) => Module._dae_model_loading(p));
    try {
      return loadModelBytes(await fetchBytes(modelUrl(entry.file)), name);
    } catch (e) {
      message(`Could not download model '${name}': ${e.message}`, true);
      return { ok: false, message: e.message };
    } finally {
      withString('', (p) => Module._dae_model_loading(p));
    }
  }

  function setImage(px, w, h, { fullResolution = false, source = 'script' } = {}) {
    if (!(px instanceof Float32Array) || px.length !== w * h) throw new Error('setImage: need a Float32Array of w*h values');
    floatsToHeap(px, (p) => withString(source, (s) => Module._dae_set_image(p, w, h, fullResolution ? 1 : 0, s)));
  }

  let lastUpload = Promise.resolve();
  async function uploadFile(blob, { mode } = {}) {
    const full = mode ? mode === 'full' : Module._dae_upload_mode() === 1;
    Module._dae_set_upload_mode(full ? 1 : 0);
    message(`Decoding ${blob.name || 'image'}…`, false);
    try {
      const r = await window.daeImageInput.decode(blob, full);
      setImage(r.px, r.w, r.h, { fullResolution: full, source: `${r.name} (${full ? 'full resolution' : 'as Fashion-MNIST'})` });
      const text = `Loaded ${r.name} as ${r.w}x${r.h}` + (r.notes.length ? `: ${r.notes.join('; ')}` : '');
      message(text, false);
      return { ok: true, message: text };
    } catch (e) {
      message(`Could not use the image: ${e.message}`, true);
      return { ok: false, message: e.message };
    }
  }
  function upload(blob) {
    lastUpload = uploadFile(blob);
    return lastUpload;
  }

  // ---- requests from the app (see wasm/bindings.cpp) ----
  window.daeHost = {
    started() {
      runtimeUp = true;
      dae.timings.runtime = performance.now();
      fitCanvas();  // glfwCreateWindow just set its own canvas size
      manifest.then(() => manifestText).then((t) => withString(t, (p) => Module._dae_set_manifest(p)))
        .catch((e) => message(`Could not read the model list: ${e.message}`, true));
      firstModel.then(({ name, bytes }) => {
        dae.timings.modelFetched = performance.now();
        loadModelBytes(bytes, name);
        dae.timings.modelLoaded = performance.now();
      })
        .catch((e) => message(`Could not download the model: ${e.message}`, true));
      samples.then((b) => withBytes(b, (p) => Module._dae_set_samples(p, b.byteLength, b.byteLength / 785)))
        .catch((e) => message(`Could not load the samples: ${e.message}`, true));
    },
    firstFrame() {
      dae.timings.firstFrame = performance.now();
      loading.hidden = true;
      canvas.focus();
      window.daeOrt.webgpuAvailable().then((gpu) => withString('not loaded yet (loads when chosen)',
        (p) => Module._dae_ort_status(1, gpu ? 1 : 0, p)));
    },
    requestModel(name) {
      loadModel(name);
    },
    runOrt(px, w, h, generation, webgpu, onnx) {
      const provider = webgpu ? 'webgpu' : 'wasm';
      const s = state();
      window.daeOrt.run(provider, modelUrl(onnx), px, w, h, s.sizeMultiple || 1).then(({ px: out, ms }) => {
        floatsToHeap(out, (p) => Module._dae_ort_result(p, w, h, ms, generation));
        withString(`${provider}, last run ${ms.toFixed(2)} ms`, (p) => Module._dae_ort_status(1, s.webgpu ? 1 : 0, p));
        ortWaiters.forEach((f) => f({ ok: true, ms }));
        ortWaiters = [];
      }).catch((e) => {
        withString(String(e.message || e), (p) => Module._dae_ort_failed(p));
        ortWaiters.forEach((f) => f({ ok: false, message: String(e.message || e) }));
        ortWaiters = [];
      });
    },
    takeWheelSteps() {
      const steps = wheelSteps;
      wheelSteps = 0;
      return steps;
    },
    openFile() {
      fileInput.value = '';
      fileInput.click();
    },
    savePng(px, w, h, name) {
      const rgba = new Uint8ClampedArray(w * h * 4);
      for (let i = 0; i < w * h; i++) {
        rgba[i * 4] = rgba[i * 4 + 1] = rgba[i * 4 + 2] = Math.round(px[i] * 255);
        rgba[i * 4 + 3] = 255;
      }
      const c = document.createElement('canvas');
      c.width = w;
      c.height = h;
      c.getContext('2d').putImageData(new ImageData(rgba, w, h), 0, 0);
      c.toBlob((blob) => {
        dae.lastSavedPng = blob;
        const a = document.createElement('a');
        a.href = URL.createObjectURL(blob);
        a.download = name;
        a.click();
        setTimeout(() => URL.revokeObjectURL(a.href), 10000);
        message(`Saved ${name} (${w}x${h})`, false);
      }, 'image/png');
    },
    denoised(count) {
      if (!dae.ready) {
        dae.ready = true;
        dae.timings.ready = performance.now();
        readyWaiters.forEach((f) => f());
      }
      denoiseWaiters.forEach((f) => f(count));
      denoiseWaiters = [];
    },
  };

  // ---- uploads: file button, drag-and-drop, paste ----
  fileInput.addEventListener('change', () => fileInput.files[0] && upload(fileInput.files[0]));
  let dragDepth = 0;
  window.addEventListener('dragenter', (e) => { e.preventDefault(); dragDepth++; dropHint.hidden = false; });
  window.addEventListener('dragleave', () => { if (--dragDepth <= 0) { dragDepth = 0; dropHint.hidden = true; } });
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => {
    e.preventDefault();
    dragDepth = 0;
    dropHint.hidden = true;
    const file = e.dataTransfer && e.dataTransfer.files[0];
    if (file) upload(file);
    else message('Nothing to use in what was dropped: drop an image file', true);
  });
  window.addEventListener('paste', (e) => {
    const item = [...(e.clipboardData?.items ?? [])].find((i) => i.kind === 'file' && i.type.startsWith('image/'));
    if (item) {
      e.preventDefault();
      upload(item.getAsFile());
    }
  });

  // ---- mouse wheel, normalised for the app (one notch = 1, positive = away from the user) ----
  let wheelSteps = 0;
  canvas.addEventListener('wheel', (e) => {
    const perStep = e.deltaMode === 1 ? 3 : e.deltaMode === 2 ? 0.1 : 100;
    wheelSteps -= Math.max(-3, Math.min(3, e.deltaY / perStep));
  }, { capture: true, passive: true });

  // ---- touch and pen (emscripten's GLFW only handles the mouse) ----
  function pointer(e, down) {
    if (e.pointerType === 'mouse' || !runtimeUp) return;
    e.preventDefault();
    const rect = canvas.getBoundingClientRect();
    const x = (e.clientX - rect.left) * (canvas.width / rect.width), y = (e.clientY - rect.top) * (canvas.height / rect.height);
    const pressure = e.pointerType === 'pen' && e.pressure > 0 ? e.pressure : 1;
    Module._dae_pointer(x, y, down ? 1 : 0, pressure);
  }
  canvas.addEventListener('pointerdown', (e) => {
    pointer(e, true);
    try {
      canvas.setPointerCapture(e.pointerId);  // keep the stroke when the finger leaves the canvas
    } catch {
      // Synthetic pointers cannot be captured; the stroke still works inside the canvas.
    }
  });
  canvas.addEventListener('pointermove', (e) => pointer(e, e.buttons !== 0));
  // After a touch or pen lifts, hand the pointer back to the mouse once the release has been seen.
  const lift = (e) => {
    pointer(e, false);
    if (e.pointerType !== 'mouse' && runtimeUp) setTimeout(() => Module._dae_pointer_end(), 100);
  };
  canvas.addEventListener('pointerup', lift);
  canvas.addEventListener('pointercancel', lift);

  // ---- the public API ----
  const dae = {
    ready: false,
    timings: { runtime: null, firstFrame: null, modelFetched: null, modelLoaded: null, ready: null },
    lastSavedPng: null,
    get manifest() { return manifest; },
    whenReady: () => (dae.ready ? Promise.resolve() : new Promise((f) => readyWaiters.push(f))),
    whenDenoised: () => new Promise((f) => denoiseWaiters.push(f)),
    async whenIdle() {
      while (state()?.busy) await new Promise((f) => setTimeout(f, 20));
    },
    state,
    getImages() {
      if (!runtimeUp) return null;
      return {
        width: Module._dae_image_width(0), height: Module._dae_image_height(0),
        clean: image(0), noisy: image(1), denoised: image(2), engine: image(3), ort: image(4),
      };
    },
    setSigma: (x) => Module._dae_set_noise(-1, x, 0),
    setNoise({ kind, amount = -1, seed = 0 } = {}) {
      const k = kind === undefined ? -1 : noiseKinds.indexOf(kind);
      if (kind !== undefined && k < 0) throw new Error(`unknown noise kind '${kind}'`);
      Module._dae_set_noise(k, amount, seed);
    },
    setNoiseEverywhere: (on) => Module._dae_set_noise_everywhere(on ? 1 : 0),
    setImage,
    loadSample: (i) => Module._dae_load_sample(i),
    uploadFile: (blob, options) => uploadFile(blob, options),
    get lastUpload() { return lastUpload; },
    loadModel,
    loadModelBytes: (buffer, name = 'custom') => loadModelBytes(new Uint8Array(buffer), name),
    get backend() { return backendNames[state()?.backend ?? 0]; },
    setBackend(name) {
      const b = backendNames.indexOf(name);
      if (b < 0) return Promise.reject(new Error(`unknown backend '${name}'`));
      const done = b === 0 ? dae.whenDenoised().then(() => ({ ok: true })) : new Promise((f) => ortWaiters.push(f));
      Module._dae_set_backend(b);
      return done;
    },
    get latency() {
      const s = state();
      return s ? { engine: s.engineMs, ort: s.ortMs } : null;
    },
    get wasmMemoryBytes() { return runtimeUp ? Module.HEAPU8.buffer.byteLength : 0; },
  };
  window.dae = dae;
})();
