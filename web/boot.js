// Picks the app's WebAssembly build before anything else loads: the threaded one where the page is cross-origin
// isolated (SharedArrayBuffer exists), the single-threaded one otherwise, and the engine's thread count; then starts
// fetching that build's files. app.js loads the script it names. For benchmarks and tests, ?build=plain forces
// the single-threaded build and ?threads=N (1-4) the thread count.
'use strict';

(() => {
  const params = new URLSearchParams(window.location.search);
  // The engine caps its pool at 4 threads in WebAssembly (DAE_WASM_MAX_THREADS); ONNX Runtime Web caps at 4 too.
  const maxThreads = 4;
  const isolated = window.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function';
  const threaded = isolated && params.get('build') !== 'plain';
  const asked = Number(params.get('threads'));
  const cores = Math.min(maxThreads, Math.max(1, navigator.hardwareConcurrency || 1));
  const threads = !threaded ? 1 : Number.isInteger(asked) && asked >= 1 ? Math.min(asked, maxThreads) : cores;
  const name = threaded ? 'dae_app_threads' : 'dae_app';
  window.daeBuild = {
    name: threaded ? 'threads' : 'plain',
    threads,
    script: `${name}.js`,
    wasm: `${name}.wasm`,
    why: threaded ? 'the page is cross-origin isolated'
      : isolated ? 'asked for with ?build=plain' : 'the page is not cross-origin isolated (no SharedArrayBuffer)',
  };
  // Both fetched now, in parallel with the page's other scripts; app.js runs the script once it has set up Module.
  const preload = (href, as, extra) => {
    const link = Object.assign(document.createElement('link'), { rel: 'preload', href, as }, extra);
    document.head.appendChild(link);
  };
  preload(window.daeBuild.script, 'script');
  preload(window.daeBuild.wasm, 'fetch', { type: 'application/wasm', crossOrigin: 'anonymous' });
})();
