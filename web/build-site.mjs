#!/usr/bin/env node
// Assembles the static site: the page, the built app, the shipped models, the samples and ONNX Runtime Web's files,
// so the site needs nothing from any other host and works from any sub-path (every URL in it is relative).
// Both builds of the app go in: the single-threaded one and the threaded one (web/boot.js picks between them).
// Usage: node web/build-site.mjs --app build/wasm/wasm --app-threads build/wasm-threads/wasm --out build/site
//          [--models web/models]
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONTENT_SECURITY_POLICY } from './serve.mjs';
import { iconFiles } from './icons.mjs';
import { stampSiteVersion } from './site-version.mjs';

const web = dirname(fileURLToPath(import.meta.url));
const args = { app: 'build/wasm/wasm', 'app-threads': 'build/wasm-threads/wasm', out: 'build/site',
  models: join(web, 'models') };
for (let i = 2; i < process.argv.length; i += 2) {
  const key = process.argv[i].replace(/^--/, '');
  if (!(key in args) || i + 1 >= process.argv.length) {
    console.error('usage: node web/build-site.mjs --app build/wasm/wasm --app-threads build/wasm-threads/wasm ' +
      '--out build/site [--models DIR]');
    process.exit(2);
  }
  args[key] = process.argv[i + 1];
}

const PAGE_FILES = ['index.html', 'style.css', 'boot.js', 'coi.js', 'image-input.js', 'ort-backend.js', 'zip.js', 'batch.js',
  'app.js', 'sw.js', 'manifest.webmanifest'];
const APP_FILES = ['dae_app.js', 'dae_app.wasm'];
const THREADED_APP_FILES = ['dae_app_threads.js', 'dae_app_threads.wasm', 'dae_app_threads.worker.js'];
const ORT_DIST = join(web, 'node_modules', 'onnxruntime-web', 'dist');
// The WASM build and the WebGPU build of ONNX Runtime Web with the WebAssembly each one loads.
const ORT_FILES = ['ort.wasm.min.js', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm',
  'ort.webgpu.min.js', 'ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'];

function need(path, hint) {
  if (!existsSync(path)) {
    console.error(`missing ${path}: ${hint}`);
    process.exit(1);
  }
}
function copy(from, to) {
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
}
function copyTree(from, to) {
  for (const name of readdirSync(from)) {
    const src = join(from, name);
    if (statSync(src).isDirectory()) copyTree(src, join(to, name));
    else copy(src, join(to, name));
  }
}

for (const f of APP_FILES) need(join(args.app, f), 'build the app first (make wasm)');
for (const f of THREADED_APP_FILES) need(join(args['app-threads'], f), 'build the threaded app first (make wasm-threads)');
for (const f of ORT_FILES) need(join(ORT_DIST, f), 'install the npm packages first (cd web && npm ci)');
need(join(args.models, 'models.json'), 'the trainer has not shipped a model yet (web/models/models.json)');

rmSync(args.out, { recursive: true, force: true });
for (const f of PAGE_FILES) copy(join(web, f), join(args.out, f));
for (const f of APP_FILES) copy(join(args.app, f), join(args.out, f));
for (const f of THREADED_APP_FILES) copy(join(args['app-threads'], f), join(args.out, f));
for (const f of ORT_FILES) copy(join(ORT_DIST, f), join(args.out, 'ort', f));
copyTree(args.models, join(args.out, 'models'));
copyTree(join(web, 'samples'), join(args.out, 'samples'));
if (existsSync(join(web, 'bench'))) copyTree(join(web, 'bench'), join(args.out, 'bench'));
// The icons the manifest lists (drawn by icons.mjs), so the page installs as an app.
const icons = iconFiles();
for (const [name, bytes] of Object.entries(icons)) {
  mkdirSync(dirname(join(args.out, name)), { recursive: true });
  writeFileSync(join(args.out, name), bytes);
}

// The service worker caches the app shell and the default model at install, so the site works offline. Of the two
// builds it takes the threaded one: the page it controls is cross-origin isolated (it adds the headers), so that is
// the build it runs; the single-threaded one is cached when a page uses it.
const manifest = JSON.parse(readFileSync(join(args.models, 'models.json'), 'utf8'));
const entry = manifest.models.find((m) => m.name === manifest.default) ?? manifest.models[0];
const defaultModel = 'models/' + entry.file.replace(/^models\//, '');
const precache = ['./', ...PAGE_FILES, ...THREADED_APP_FILES, ...Object.keys(icons), 'models/models.json', defaultModel,
  'samples/fashion-mnist-test-100.bin'];
for (const f of precache.slice(1)) need(join(args.out, f), 'listed for the offline cache but not in the site');
// The page asks the app which model to load, and the app only runs once its WebAssembly is compiled: preloading the
// default model from the HTML keeps its download overlapping that compilation (boot.js preloads the build's files).
const bootLine = '<script src="boot.js"></script>';
// The page carries its Content-Security-Policy itself, so a static host that sets no headers serves it too (the dev
// server's header is the same policy; frame-ancestors works only as a header, so the meta tag leaves it out).
const charsetLine = '<meta charset="utf-8">';
const metaPolicy = CONTENT_SECURITY_POLICY.split('; ').filter((d) => !d.startsWith('frame-ancestors')).join('; ');
const html = readFileSync(join(args.out, 'index.html'), 'utf8');
if (!html.includes(bootLine)) throw new Error('index.html: the boot.js line was not found');
if (!html.includes(charsetLine)) throw new Error('index.html: the charset line was not found');
writeFileSync(join(args.out, 'index.html'), html
  .replace(charsetLine, `${charsetLine}\n  <meta http-equiv="Content-Security-Policy" content="${metaPolicy}">`)
  .replace(bootLine, `<link rel="preload" href="${defaultModel}" as="fetch" crossorigin>
  ${bootLine}`));
writeFileSync(join(args.out, 'precache.json'), JSON.stringify(precache, null, 1) + '\n');
// Naming the cache after everything the site serves (both builds, every model, models.json) changes sw.js whenever
// the site changes, so browsers install the new worker, which serves the new version whole and drops the old cache.
stampSiteVersion(args.out);

let bytes = 0, files = 0;
const walk = (d) => readdirSync(d).forEach((n) => {
  const p = join(d, n);
  if (statSync(p).isDirectory()) walk(p);
  else { bytes += statSync(p).size; files++; }
});
walk(args.out);
console.log(`site: ${relative(process.cwd(), args.out) || args.out} (${files} files, ${(bytes / 1048576).toFixed(1)} MB)`);
