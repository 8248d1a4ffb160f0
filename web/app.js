// The page's glue around the WebAssembly app: fetches the model, manifest and samples, handles uploads, drag-and-drop,
// paste, touch and pen, saving and copying PNGs, the tab title and the ONNX Runtime backend, and defines the
// window.dae API documented below.
/*
 * window.dae: a small JavaScript API for tests, automation and the curious (open the browser console).
 *
 *   dae.ready               true once a model has denoised an image (poll it, or await dae.whenReady())
 *   dae.whenReady()         Promise resolved when ready
 *   dae.isolation           {isolated, why}: whether the page is cross-origin isolated, and if not why (coi.js); a
 *                           page that cannot be says so in the status line once ready
 *   dae.timings             ms after navigation start: runtime (WebAssembly instantiated, main() running),
 *                           firstFrame (second app frame drawn: interactive), modelFetched, modelLoaded (the first
 *                           model), ready (first denoised result on screen)
 *   dae.getImages()         {width, height, channels, clean, noisy, denoised, engine, ort}: copies as Float32Array in
 *                           [0, 1], PLANAR: `channels` planes (1 gray, 3 RGB) of height rows of width values, so
 *                           channel k of pixel (x, y) is at k*width*height + y*width + x; `denoised` is what the chosen
 *                           backend produced, `engine` the engine's result, `ort` ONNX Runtime's (null until it ran)
 *   dae.message(text, isError)   shows a line in the app's status bar
 *   dae.state()             what the app shows: {model, params, modelChannels, modelReason, modelLoading,
 *                           modelProgress, width, height, channels, kind ('small' | 'photo'), layout ('three' |
 *                           'large'), compare ('noisy-denoised' | 'clean-denoised' | 'single'), splitAt, source,
 *                           view ('clean' | 'noisy' | 'denoised' | 'difference'), tool ('pen' | 'eraser' |
 *                           'noise-brush'), uploadMode ('fashion-mnist' | 'full'), noise, amount, iso (camera
 *                           kinds: the ISO setting the amount reads as), jpegQuality, seed, psnrNoisy,
 *                           psnrDenoised, ssimNoisy, ssimDenoised, engineMs, ortMs, maxAbsDiff, backend, ortPending,
 *                           ortTiles, ortTilesDone (ONNX Runtime gets images over 1 MP in tiles),
 *                           denoiseCount, busy, progress, message, messageIsError, panes, ...}; every such name is
 *                           the app's (EnumNames in wasm/app_state.h)
 *   dae.setSigma(x)         noise strength (σ for gaussian/speckle/poisson, probability for salt-pepper)
 *   dae.setNoise({kind, amount, seed, jpegQuality})   kind: 'gaussian' | 'salt-pepper' | 'speckle' | 'poisson' |
 *                           'camera' | 'camera-jpeg' (amount 0.005 reads as ISO 100, 0.05 as ISO 10000;
 *                           jpegQuality 1..100 for camera-jpeg)
 *   dae.setNoiseEverywhere(on)   false: noise only where the noise brush painted
 *   dae.setPhotoMode(mode)  for full-resolution images: 'demo' (noise added, then removed; the default) or
 *                           'noisy-photo' (the photo is noisy already: denoised as it is, no noise added; state()
 *                           then has sigmaNoisy and sigmaDenoised, the estimated noise levels, instead of PSNR)
 *   dae.setStrength(x)      a noisy photo's result: (1 - x)·photo + x·model output, x in [0, 1], blended at once
 *   dae.save({jpegQuality})   saves the result at full size as the Save buttons do (<file name>-denoised.png, or
 *                           .jpg at jpegQuality 1..100); resolves {ok, message, name, blob}
 *   dae.resultRgba()        the shown result as {rgba, w, h}, 8-bit RGBA as saved
 *   dae.walk({open, sample, t})   "Walk the code" (seed, conv): the code of the image on screen and of sample
 *                           `sample`, mixed by t in [0, 1] and decoded; state().walk {sample, t, code, error, ready};
 *                           dae.walkImage() the decoded 28x28 image
 *   dae.cancel()            stops the photo being denoised before its next tile, as the Cancel button (Esc) does:
 *                           the tiles done stay shown; state().cancelled {tilesDone, tiles}; true if one was running
 *   dae.runAgain()          runs the cancelled job again (Enter)
 *   dae.showTraining(open)  "Watch it learn" (key T): while open, the image is denoised by the model as it was at
 *                           the chosen step of its training; state().training {available, file, bytes, loading,
 *                           loaded, inUse, error, snapshots: [{step, epoch, trainLoss, valPsnr, run}], index}
 *   dae.trainingStep(i)     shows snapshot i of the history (downloading it the first time; models.json lists its
 *                           file and size); resolves with state().training once the step's result is shown
 *   dae.showLayers(open)    "Inside the model" (key L): every node of the model run on the image on screen (a
 *                           photo's 64x64 region around the pointer); state().layers then has {rows: [{name, op, c, h,
 *                           w, min, max, code, joins}], region, inputNumbers, error, ms}
 *   dae.setMaxTextureSide(n)   textures of at most n texels a side, as a phone's GPU allows (0: this GPU's own):
 *                           larger images show scaled down, and zoomed in, the visible part at full resolution
 *                           (state().textureShrink, textureMaxSide, detail: [{image, x0, y0, x1, y1}] drawn)
 *   dae.setEnsemble(on)     the engine averages its result over the mirrors and turns of the image that the model
 *                           allows (state().modelSymmetries: 8 for the photo model, 1 for Fashion-MNIST ones, whose
 *                           data has one orientation); returns how many it uses
 *   dae.setImage(px, w, h, {fullResolution, channels})   a planar Float32Array in [0, 1] (channels 1 or 3, default
 *                           1) becomes the clean image; fullResolution: treated as an upload at full resolution (the
 *                           photo model and the large view)
 *   dae.loadSample(i)       one of the 100 bundled Fashion-MNIST test images (10 per class, in class order)
 *   dae.uploadFile(blob, {mode, scaleDown})   as the file button does; mode 'fashion-mnist' or 'full' (default:
 *                           the app's upload-mode setting; 'full' keeps the image's size up to state().maxPhotoPixels;
 *                           a larger one is scaled down to it if scaleDown is true, refused from its header if false,
 *                           and unset the person is asked); resolves {ok, message}; dae.lastUpload is the latest one
 *   dae.loadModel(name)     a model listed in models/models.json, as if picked from the list (it stays the choice for
 *                           the current kind of image); resolves {ok, message} once loaded
 *   dae.loadModelBytes(arrayBuffer, name)   a model file from memory; {ok, message}; a bad file keeps the old model
 *   dae.setBackend(name)    'engine' | 'ort-wasm' | 'ort-webgpu' | 'auto' (WebGPU timed on one tile against the
 *                           engine, the faster kept per model: state().auto says what was measured and why, and
 *                           backendInUse what runs); resolves when that backend has produced a result
 *   dae.backend             the chosen backend's name
 *   dae.latency             {engine, ort}: the last run's time in ms
 *   dae.whenDenoised()      Promise resolved after the next denoised result
 *   dae.whenIdle()          Promise resolved when no denoising is pending (full-resolution images run in tiles)
 *   dae.manifest            Promise of the parsed models/models.json, once the app has checked and accepted it
 *   dae.lastSavedPng        the Blob of the last "Save PNG"
 *   dae.lastCopy            Promise of the last "Copy" (button or Ctrl+C): {ok, message}; the clipboard gets a PNG
 *   dae.resultPng()         Promise of the denoised image as a PNG Blob
 *   dae.batch(files)        denoises several image Files one after another with the current settings, as dropping
 *                           or choosing several does; resolves with one {name, file, ok, message, width, height,
 *                           psnrNoisy, psnrDenoised, png} per file. window.daeBatch: {running, done, total, results,
 *                           zip (the Blob of the last "Download all"), zipResults() (makes it)}
 *   dae.wasmMemoryBytes     the WebAssembly heap's current size (it grows on demand and never shrinks)
 *   dae.build               {name: 'threads' | 'plain', threads, why}: the WebAssembly build boot.js chose (the
 *                           threaded one on a cross-origin isolated page) and the engine's thread count; state()
 *                           reports the same as build, threads, plus frames (frames drawn so far) and jobs (the
 *                           engine's jobs: submitted, finished, cancelled, lastCancelled {id, tilesDone, tiles})
 */
'use strict';

(() => {
  const canvas = document.getElementById('canvas');
  const loading = document.getElementById('loading');
  const fileInput = document.getElementById('file');
  const dropHint = document.getElementById('drop-hint');

  let runtimeUp = false;
  // The app opens on a sample once the samples arrive (dae_set_samples): ready waits for that, so the first result
  // announced is the sample's.
  let startImageSettled = false;
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

  const build = window.daeBuild;  // set by boot.js: which WebAssembly build runs, and with how many threads
  window.Module = {
    canvas,
    daeThreads: build.threads,  // read by the app, and the size of the threaded build's worker pool
    print: (text) => console.log(text),
    printErr: (text) => console.warn(text),
    onAbort: (what) => showFatal(`The app stopped: ${what}`),
  };

  // ---- talking to the WebAssembly app ----
  // The heap as it is now. In the threaded build another thread may have grown the memory, which leaves Module.HEAPU8
  // and friends viewing the old, shorter buffer until the runtime itself next touches the heap.
  const heapBuffer = () => (Module.wasmMemory ? Module.wasmMemory.buffer : Module.HEAPU8.buffer);
  const heapU8 = () => new Uint8Array(heapBuffer());
  const heapF32 = () => new Float32Array(heapBuffer());
  // malloc returns 0 when the heap cannot grow (memory growth on): writing there would corrupt address 0 onwards.
  function heapAlloc(size) {
    const ptr = Module._malloc(size);
    if (!ptr) throw new Error(`the page is out of memory (${(size / 2 ** 20).toFixed(1)} MB more were refused)`);
    return ptr;
  }
  function withBytes(bytes, fn) {
    const ptr = heapAlloc(Math.max(1, bytes.byteLength));
    heapU8().set(bytes, ptr);
    try {
      return fn(ptr);
    } finally {
      Module._free(ptr);
    }
  }
  function withString(text, fn) {
    const size = Module.lengthBytesUTF8(text) + 1;
    const ptr = heapAlloc(size);
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
    try {
      if (runtimeUp) withString(text, (p) => Module._dae_set_message(p, isError ? 1 : 0));
    } catch (e) {
      console.warn(`could not show a message: ${e.message}`);  // out of memory: the text still goes to the console
    }
    if (isError) console.warn(text);
  }
  // which: 'clean', 'noisy', 'denoised', 'engine' or 'ort' (wasm/bindings.cpp); null while that image is empty.
  function image(which) {
    return withString(which, (w) => {
      const ptr = Module._dae_image_data(w);
      if (!ptr) return null;
      const n = Module._dae_image_width(w) * Module._dae_image_height(w) * Module._dae_image_channels(w);
      return heapF32().slice(ptr >> 2, (ptr >> 2) + n);
    });
  }

  // rgba: w×h pixels of 8-bit RGBA; resolves with a Blob the browser's own encoder made: a PNG, or a JPEG at
  // jpegQuality 1..100.
  function imageBlob(rgba, w, h, jpegQuality = 0) {
    const type = jpegQuality > 0 ? 'image/jpeg' : 'image/png';
    const pixels = new ImageData(new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, w * h * 4), w, h);
    if (typeof OffscreenCanvas === 'function') {
      const out = new OffscreenCanvas(w, h);
      out.getContext('2d').putImageData(pixels, 0, 0);
      return out.convertToBlob(jpegQuality > 0 ? { type, quality: jpegQuality / 100 } : { type });
    }
    const out = Object.assign(document.createElement('canvas'), { width: w, height: h });
    out.getContext('2d').putImageData(pixels, 0, 0);
    return new Promise((ok, fail) => out.toBlob((b) => (b ? ok(b) : fail(new Error(`${type} encoding failed`))), type,
      jpegQuality / 100));
  }
  // The shown result as 8-bit RGBA made by the app (a quarter of its float bytes), or null before there is one.
  function resultRgba() {
    const ptr = Module._dae_result_rgba();
    if (!ptr) return null;
    try {
      const [w, h] = withString('denoised', (p) => [Module._dae_image_width(p), Module._dae_image_height(p)]);
      return { rgba: heapU8().slice(ptr, ptr + w * h * 4), w, h };
    } finally {
      Module._dae_release_rgba();
    }
  }

  // ---- site files ----
  const manifestUrl = new URL('models/models.json', document.baseURI);
  const modelUrl = (file) => new URL(file.replace(/^models\//, ''), manifestUrl).href;
  async function fetchBytes(url, onProgress) {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    const total = Number(response.headers.get('Content-Length')) || 0;
    if (!onProgress || !total || !response.body) return new Uint8Array(await response.arrayBuffer());
    const parts = [];
    let got = 0;
    for (const reader = response.body.getReader(); ;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      got += value.byteLength;
      onProgress(Math.min(1, got / total));
    }
    const bytes = new Uint8Array(got);
    let at = 0;
    for (const p of parts) { bytes.set(p, at); at += p.byteLength; }
    return bytes;
  }
  // Only fetched here: the app checks it (wasm/manifest.cpp) and asks for the models it wants. The default model
  // is preloaded by index.html (see build-site.mjs), so its download still overlaps the WebAssembly's compilation.
  const manifestText = fetch(manifestUrl).then((r) => {
    if (!r.ok) throw new Error(`models/models.json: HTTP ${r.status}`);
    return r.text();
  });
  let acceptManifest, refuseManifest;
  const manifest = new Promise((ok, fail) => { acceptManifest = ok; refuseManifest = fail; });
  const samples = fetchBytes(new URL('samples/fashion-mnist-test-100.bin', document.baseURI));
  // A failure of these is shown once the app is up (daeHost.started); until then it is expected, not unhandled.
  for (const p of [manifestText, manifest, samples]) p.catch(() => {});

  function loadModelBytes(bytes, name, request = 0) {
    if (!runtimeUp) return { ok: false, message: 'the app is still starting' };
    let r;
    try {
      r = withString(name, (n) => withBytes(bytes, (p) => Module._dae_load_model(p, bytes.byteLength, n, request)));
    } catch (e) {
      const text = `Could not load model '${name}': ${e.message}`;
      message(text, true);
      return { ok: false, message: text };
    }
    if (r === 2) return { ok: false, message: `model '${name}' was replaced by a later choice` };
    return { ok: r === 1, message: state().message };
  }

  // Downloads the app asks for (daeHost.requestModel), by request id. The latest one is the model the app is loading
  // (state().modelLoading) while that is not empty: what loadModel and uploads wait on.
  // Each model file is fetched once per visit: switching back and forth (a camera's noise has its own photo model)
  // reuses the bytes (a model is half a megabyte).
  let lastRequest = null;
  const fetchedModels = new Map();
  function download(name, file, request) {
    const promise = (async () => {
      try {
        const url = modelUrl(file);
        if (!fetchedModels.has(url)) {
          const pending = fetchBytes(url, (f) => Module._dae_model_progress(request, f));
          fetchedModels.set(url, pending);
          pending.catch(() => fetchedModels.delete(url));
        }
        const bytes = await fetchedModels.get(url);
        if (dae.timings.modelFetched === null) dae.timings.modelFetched = performance.now();
        const r = loadModelBytes(bytes, name, request);
        if (dae.timings.modelLoaded === null && r.ok) dae.timings.modelLoaded = performance.now();
        return r;
      } catch (e) {
        const text = `Could not download model '${name}': ${e.message}`;
        withString(text, (p) => Module._dae_model_failed(request, p));
        console.warn(text);
        return { ok: false, message: text };
      }
    })();
    lastRequest = { request, promise };
    return promise;
  }

  async function loadModel(name) {
    await manifest;
    const r = withString(name, (p) => Module._dae_choose_model(p));
    if (r === 0) return { ok: false, message: state().message };
    return r === 2 ? { ok: true, message: state().message } : lastRequest.promise;
  }

  function setImage(px, w, h, { fullResolution = false, channels = 1, source = 'script' } = {}) {
    if (!(px instanceof Float32Array) || px.length !== w * h * channels)
      throw new Error('setImage: need a Float32Array of w*h*channels values');
    const ok = floatsToHeap(px, (p) => withString(source, (s) =>
      Module._dae_set_image(p, w, h, channels, fullResolution ? 1 : 0, s)));
    if (!ok) throw new Error(state().message);
  }

  let lastUpload = Promise.resolve();
  // scaleDown: what to do with a photo over the full-size limit: true scales it down to the limit, false refuses it;
  // unset, the person is asked.
  const askToScale = (name, w, h, limit) => window.confirm(`${name} is ${w}x${h}, ${(w * h / 1e6).toFixed(0)} ` +
    `megapixels: more than the ${limit / 1e6} megapixels this page denoises at full size. Scale it down to ` +
    `${limit / 1e6} megapixels?`);
  async function uploadFile(blob, { mode, scaleDown } = {}) {
    try {
      // Inside the try: even handing the mode's name over needs heap memory, and a refusal is answered as any other.
      if (mode && withString(String(mode), (m) => Module._dae_set_upload_mode(m)) !== 1)
        throw new Error(`uploadFile: mode must be 'fashion-mnist' or 'full', not '${mode}'`);
      const full = state().uploadMode === 'full';
      message(`Decoding ${blob.name || 'image'}...`, false);
      const r = await window.daeImageInput.decode(blob, full, state().maxPhotoPixels,
        async (...size) => (scaleDown === undefined ? askToScale(...size) : Boolean(scaleDown)));
      const what = `${r.name} (${full ? 'full resolution' : 'as Fashion-MNIST'}${r.c === 3 ? ', color' : ''})`;
      if (r.rgba) {
        const stem = r.name.replace(/\.[^./\\]*$/, '') || 'image';
        const ok = withBytes(r.rgba, (p) => withString(what, (s) => withString(stem, (n) =>
          Module._dae_set_image_rgba(p, r.w, r.h, r.c, 1, s, n))));
        if (!ok) throw new Error(state().message);
      } else {
        setImage(r.px, r.w, r.h, { fullResolution: full, channels: r.c, source: what });
      }
      // The app may want another model for this kind of image: say which one denoises it once it is in.
      if (state().modelLoading) {
        message(`Loading model '${state().modelLoading}' for ${r.name}...`, false);
        const loaded = await lastRequest.promise;
        if (!loaded.ok) return { ok: true, message: loaded.message };
      }
      const s = state();
      let text = `Loaded ${r.name} as ${r.w}x${r.h}${r.c === 3 ? ' color' : full ? ' grayscale' : ''}` +
        (r.notes.length ? `: ${r.notes.join('; ')}` : '');
      if (s.model) text += `; model '${s.model}' (${s.modelReason || 'in use'})`;
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
      manifestText.then((t) => {
        // The app checks the list, says what is wrong with it, and asks for the model it wants.
        if (withString(t, (p) => Module._dae_set_manifest(p)) !== 1) throw new Error(state().message);
        acceptManifest(JSON.parse(t));
      }).catch((e) => {
        refuseManifest(e);
        if (!state().messageIsError) message(`Could not read the model list: ${e.message}`, true);
      });
      samples.then((b) => withBytes(b, (p) => Module._dae_set_samples(p, b.byteLength)))
        .catch((e) => message(`Could not load the samples: ${e.message}`, true))
        .finally(() => {
          startImageSettled = true;
          // Without samples the start image stays the blank pad, which may be denoised already.
          const s = state();
          if (s.denoiseCount > 0 && !s.busy) becomeReady();
        });
    },
    firstFrame() {
      dae.timings.firstFrame = performance.now();
      loading.hidden = true;
      canvas.focus();
      window.daeOrt.webgpuAvailable().then((gpu) => withString('not loaded yet (loads when chosen)',
        (p) => Module._dae_ort_status(1, gpu ? 1 : 0, p)));
    },
    requestModel(name, file, request) {
      download(name, file, request);
    },
    // The training history the app asks for the first time its slider is used (models.json: "snapshots").
    requestSnapshots(file, request) {
      fetchBytes(modelUrl(file)).then(
        (bytes) => withBytes(bytes, (p) => Module._dae_load_snapshots(p, bytes.byteLength, request)),
        (e) => withString(`Could not download the training history: ${e.message}`,
          (p) => Module._dae_snapshots_failed(request, p)));
    },
    // shape: [n, c, h, w] of the model input the app prepared and padded for the whole image or one tile of it (the
    // same tensor the engine gets); the output goes back as ONNX Runtime shaped it, and the app checks, crops and
    // clamps it as it does the engine's.
    runOrt(px, shape, generation, webgpu, onnx) {
      const provider = webgpu ? 'webgpu' : 'wasm';
      const s = state();
      window.daeOrt.run(provider, modelUrl(onnx), px, shape).then(({ px: out, dims, ms }) => {
        floatsToHeap(out, (p) => Module._dae_ort_result(p, ...dims, ms, generation));
        // A large image goes tile by tile (the app sends the next one), or starts again if it changed meanwhile.
        const now = state();
        if (now.ortPending) return;
        const tiles = now.ortTiles > 1 ? ` in ${now.ortTiles} tiles` : '';
        withString(`${provider}, last run ${now.ortMs.toFixed(2)} ms${tiles}`,
          (p) => Module._dae_ort_status(1, s.webgpu ? 1 : 0, p));
        ortWaiters.forEach((f) => f({ ok: true, ms: now.ortMs }));
        ortWaiters = [];
      }).catch((e) => {
        withString(String(e.message || e), (p) => Module._dae_ort_failed(p));
        ortWaiters.forEach((f) => f({ ok: false, message: String(e.message || e) }));
        ortWaiters = [];
      });
    },
    // Auto's measurement: one warm-up run on WebGPU, then the timed one (wasm/bindings.cpp, update_auto_backend).
    timeWebGpu(px, shape, token, onnx) {
      const file = modelUrl(onnx);
      window.daeOrt.run('webgpu', file, px, shape)
        .then(() => window.daeOrt.run('webgpu', file, px, shape))
        .then(({ ms }) => {
          withString(`webgpu, timed for Auto: ${ms.toFixed(2)} ms`, (p) => Module._dae_ort_status(1, 1, p));
          Module._dae_auto_measured(token, ms, 0);
        })
        .catch((e) => withString(String(e.message || e), (p) => Module._dae_auto_measured(token, -1, p)));
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
    saveImage(rgba, w, h, name, jpegQuality) {
      message(`Encoding ${name} (${w}x${h})...`, false);
      dae.lastSave = imageBlob(rgba, w, h, jpegQuality).then((blob) => {
        dae.lastSaved = blob;
        if (!jpegQuality) dae.lastSavedPng = blob;
        const a = document.createElement('a');
        a.href = URL.createObjectURL(blob);
        a.download = name;
        a.click();
        setTimeout(() => URL.revokeObjectURL(a.href), 10000);
        const text = `Saved ${name} (${w}x${h}, ${(blob.size / 1048576).toFixed(1)} MB)`;
        message(text, false);
        return { ok: true, message: text, name, blob };
      }).catch((e) => {
        const text = `Could not save ${name}: ${e.message}`;
        message(text, true);
        return { ok: false, message: text, name };
      });
    },
    // The copy must start while the key press or click still counts as the person's action: the clipboard write
    // is asked for at once, with the PNG as a promise that it waits on.
    copyPng(rgba, w, h) {
      dae.lastCopy = (async () => {
        try {
          if (!navigator.clipboard?.write || typeof ClipboardItem !== 'function')
            throw new Error('this browser cannot put images on the clipboard');
          await navigator.clipboard.write([new ClipboardItem({ 'image/png': imageBlob(rgba, w, h) })]);
          const text = `Copied the denoised image (${w}x${h}) to the clipboard`;
          message(text, false);
          return { ok: true, message: text };
        } catch (e) {
          const text = `Could not copy the image: ${e.message}`;
          message(text, true);
          return { ok: false, message: text };
        }
      })();
    },
    denoised(count) {
      if (startImageSettled) becomeReady();
      denoiseWaiters.forEach((f) => f(count));
      denoiseWaiters = [];
    },
  };

  function becomeReady() {
    if (dae.ready) return;
    dae.ready = true;
    startMessage();
    dae.timings.ready = performance.now();
    readyWaiters.forEach((f) => f());
  }

  // Once the first result is on screen, the status line gives the app's own hint (an empty message) in place of the
  // model choice, or says why this page runs on one thread where the host and browser allow no isolation.
  function startMessage() {
    const s = state();
    if (s.messageIsError) return;
    const iso = window.daeIsolation;
    if (build.name === 'plain' && iso && !iso.isolated)
      message(`Running on one thread: ${iso.why}. Draw, drop a photo or pick a sample; H for help`, false);
    else message('', false);
  }

  // coi.js may learn only after the start that isolation cannot be had.
  window.addEventListener('dae-isolation', () => {
    if (dae.ready && state().message === '') startMessage();
  });

  // ---- the tab title says when work is running (a model download, a denoising, a batch) ----
  const pageTitle = document.title;
  function work() {
    const s = state();
    if (window.daeBatch?.running) return `Batch ${window.daeBatch.done}/${window.daeBatch.total}`;
    if (!s) return 'Loading';
    if (s.modelLoading) return `Downloading model ${Math.round(s.modelProgress * 100)}%`;
    if (s.busy) return s.progress < 1 ? `Denoising ${Math.round(s.progress * 100)}%` : 'Denoising';
    return '';
  }
  setInterval(() => {
    const w = work();
    const title = w ? `${w} · ${pageTitle}` : pageTitle;
    if (document.title !== title) document.title = title;
  }, 200);

  // ---- uploads: file button, drag-and-drop, paste; several files at once are a batch (batch.js) ----
  function uploadMany(files) {
    if (files.length === 1) upload(files[0]);
    else if (files.length > 1) dae.batch(files);
  }
  fileInput.addEventListener('change', () => uploadMany([...fileInput.files]));
  let dragDepth = 0;
  window.addEventListener('dragenter', (e) => { e.preventDefault(); dragDepth++; dropHint.hidden = false; });
  window.addEventListener('dragleave', () => { if (--dragDepth <= 0) { dragDepth = 0; dropHint.hidden = true; } });
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => {
    e.preventDefault();
    dragDepth = 0;
    dropHint.hidden = true;
    const files = [...(e.dataTransfer?.files ?? [])];
    if (files.length) uploadMany(files);
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
    lastSaved: null,
    lastSave: null,
    lastCopy: null,
    get manifest() { return manifest; },
    whenReady: () => (dae.ready ? Promise.resolve() : new Promise((f) => readyWaiters.push(f))),
    whenDenoised: () => new Promise((f) => denoiseWaiters.push(f)),
    async whenIdle() {
      while (state()?.busy) await new Promise((f) => setTimeout(f, 20));
    },
    state,
    // Shows a line in the app's status bar (an error in red when isError), as the page's own messages are.
    message: (text, isError = false) => message(String(text), isError),
    getImages() {
      if (!runtimeUp) return null;
      return {
        ...withString('clean', (w) => ({
          width: Module._dae_image_width(w), height: Module._dae_image_height(w), channels: Module._dae_image_channels(w),
        })),
        clean: image('clean'), noisy: image('noisy'), denoised: image('denoised'), engine: image('engine'), ort: image('ort'),
      };
    },
    setSigma: (x) => withString('', (k) => Module._dae_set_noise(k, x, 0)),
    setNoise({ kind = '', amount = -1, seed = 0, jpegQuality } = {}) {
      // The names are the engine's (dae::parse_noise_kind); an unknown one changes nothing.
      if (jpegQuality !== undefined && Module._dae_set_jpeg_quality(jpegQuality) !== 1)
        throw new Error(`JPEG quality ${jpegQuality} is not in 1..100`);
      if (withString(String(kind), (k) => Module._dae_set_noise(k, amount, seed)) !== 1)
        throw new Error(`unknown noise kind '${kind}'`);
    },
    setNoiseEverywhere: (on) => Module._dae_set_noise_everywhere(on ? 1 : 0),
    setEnsemble: (on) => Module._dae_set_ensemble(on ? 1 : 0),
    setMaxTextureSide: (side) => Module._dae_set_max_texture_side(side),
    setImage,
    loadSample: (i) => Module._dae_load_sample(i),
    uploadFile: (blob, options) => uploadFile(blob, options),
    get lastUpload() { return lastUpload; },
    loadModel,
    loadModelBytes: (buffer, name = 'custom') => loadModelBytes(new Uint8Array(buffer), name, 0),
    get backend() { return state()?.backend ?? 'engine'; },
    // The app knows the names (EnumNames<Backend> in wasm/app_state.h) and refuses others.
    setBackend(name) {
      if (withString(String(name), (p) => Module._dae_set_backend(p)) !== 1)
        return Promise.reject(new Error(`unknown backend '${name}'`));
      if (name === 'auto') {
        // Resolves once the choice for this model is made and the chosen backend's result is shown.
        return (async () => {
          for (const until = performance.now() + 120000; performance.now() < until;) {
            const s = state();
            if (s.auto.key.startsWith(`${s.model} `) && !s.auto.measuring && !s.busy && !s.ortPending) return { ok: true };
            await new Promise((f) => setTimeout(f, 20));
          }
          return { ok: false, message: 'Auto made no choice within two minutes' };
        })();
      }
      return state().backend === 'engine' ? dae.whenDenoised().then(() => ({ ok: true }))
        : new Promise((f) => ortWaiters.push(f));
    },
    get latency() {
      const s = state();
      return s ? { engine: s.engineMs, ort: s.ortMs } : null;
    },
    // The shown result as {rgba, w, h}: 8-bit RGBA, the bytes a saved PNG holds; null before there is one.
    resultRgba: () => (runtimeUp ? resultRgba() : null),
    resultPng() {
      const r = runtimeUp ? resultRgba() : null;
      if (!r) return Promise.reject(new Error('no denoised image yet'));
      return imageBlob(r.rgba, r.w, r.h);
    },
    // Saves the shown result at full size as the Save buttons do: PNG, or JPEG at jpegQuality 1..100. Resolves
    // {ok, message, name, blob}.
    save({ jpegQuality = 0 } = {}) {
      if (!(Number.isInteger(jpegQuality) && jpegQuality >= 0 && jpegQuality <= 100))
        return Promise.reject(new Error(`JPEG quality ${jpegQuality} is not in 1..100 (0: PNG)`));
      dae.lastSave = null;
      Module._dae_save(jpegQuality);
      return dae.lastSave ?? Promise.resolve({ ok: false, message: state().message });
    },
    // Opens or closes "Inside the model"; while open, state().layers has a row per node of the graph.
    showLayers: (open = true) => Module._dae_show_layers(open ? 1 : 0),
    showTraining: (open = true) => Module._dae_show_training(open ? 1 : 0),
    cancel: () => Module._dae_cancel() === 1,
    runAgain: () => Module._dae_run_again(),
    async trainingStep(index) {
      Module._dae_training_index(index);
      for (;;) {
        const t = state().training;
        if (t.error) throw new Error(t.error);
        // Setting the step asks for a new result at once, so "not busy" means that result is in.
        if (t.loaded && t.index === Math.max(0, Math.min(index, t.snapshots.length - 1)) && !state().busy) return t;
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    // "Walk the code" for a plain autoencoder: the code of the image on screen mixed with sample `sample`'s by t and
    // decoded; state().walk says when it is ready, getImages().walk... see walkImage().
    walk({ open = true, sample = 1, t = 0.5 } = {}) {
      if (Module._dae_walk(open ? 1 : 0, sample, t) !== 1) throw new Error(`walk: no sample ${sample}, or t ${t} not in [0, 1]`);
    },
    // The decoder's output for the walk's mixed code (28x28, one plane), or null.
    walkImage: () => image('walk'),
    // Opens or closes "What am I looking at?", the explanations.
    showExplain: (open = true) => Module._dae_show_explain(open ? 1 : 0),
    // 'demo' (noise added to a full-resolution image, then removed) or 'noisy-photo' (denoised as it is).
    setPhotoMode(mode) {
      if (withString(String(mode), (m) => Module._dae_set_photo_mode(m)) !== 1)
        throw new Error(`setPhotoMode: mode must be 'demo' or 'noisy-photo', not '${mode}'`);
    },
    // A noisy photo's strength in [0, 1]: the result is (1 - x)·photo + x·model output, blended at once.
    setStrength(x) {
      if (Module._dae_set_strength(x) !== 1) throw new Error(`setStrength: ${x} is not in [0, 1]`);
    },
    batch: (files) => window.daeBatch.run([...files]),
    get wasmMemoryBytes() { return runtimeUp ? heapBuffer().byteLength : 0; },
    build,
    get isolation() { return window.daeIsolation ?? null; },
  };
  window.dae = dae;

  // The app itself, once Module is set up for it (boot.js has been fetching it meanwhile).
  const app = document.createElement('script');
  app.src = build.script;
  app.onerror = () => showFatal(`Could not load ${build.script}`);
  document.body.appendChild(app);
})();
