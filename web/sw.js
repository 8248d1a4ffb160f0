// Service worker: serves one version of the site whole from its own cache (so it works offline, and a deploy never
// mixes an old app with a new model list), and adds cross-origin isolation headers to every same-origin response
// for hosts that cannot set them. A new version waits until the page asks for it (coi.js offers the reload).
'use strict';

// build-site.mjs replaces the version with a hash of every file the site serves (web/site-version.mjs).
const CACHE = 'dae-site-v1';
// Written by build-site.mjs: every file of the app shell, relative to this worker.
const SHELL_LIST = 'precache.json';
// Written with the version (web/site-version.mjs): {version, files: {path: SHA-256 hex}} for every file the site
// serves. A file is stored in this version's cache only when its bytes have the hash this version lists for it.
const FILE_LIST = 'files.json';
const VERSION = CACHE.slice('dae-site-'.length);

async function sha256(bytes) {
  return [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))].map((b) => b.toString(16).padStart(2, '0')).join('');
}
// The path of a request relative to this worker's folder, as files.json names it ('' and folders: their index.html).
function sitePath(url) {
  const scope = new URL('./', self.location.href).pathname;
  let path = new URL(url).pathname;
  if (!path.startsWith(scope)) return null;
  path = decodeURIComponent(path.slice(scope.length));
  return path === '' || path.endsWith('/') ? `${path}index.html` : path;
}
// This version's file list: from its cache once installed, else from the server (then it must name this version).
let fileList = null;
async function files(cache) {
  if (fileList) return fileList;
  const stored = await cache.match(FILE_LIST);
  const list = stored ? await stored.json() : await (await fetch(FILE_LIST, { cache: 'no-cache' })).json();
  if (list.version !== VERSION) throw new Error(`${FILE_LIST} is version ${list.version}, this worker ${VERSION}`);
  fileList = list;
  return list;
}
// The server's response for `request` if its bytes are this version's (a copy to store and a copy to answer with),
// else null: a deploy happened since this version was made.
async function verified(request, list) {
  const path = sitePath(request.url);
  const want = path === null ? undefined : list.files[path];
  if (want === undefined && path !== 'sw.js') return null;
  const response = await fromServer(request);
  if (!response.ok) return { response, store: null };
  const bytes = await response.clone().arrayBuffer();
  // The worker's own file carries the version instead of being listed: it must name this one.
  const ours = path === 'sw.js' ? new TextDecoder().decode(bytes).includes(`'${CACHE}'`) : await sha256(bytes) === want;
  return ours ? { response, store: response.clone() } : null;
}

// The browser's HTTP cache may still hold an older deploy's copy of a file; a version fills its cache from the
// server. A navigation request cannot be copied with another cache mode, and is precached anyway.
const fromServer = (request) => fetch(request.mode === 'navigate' ? request : new Request(request, { cache: 'no-cache' }));

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    const list = await files(cache);
    await cache.put(FILE_LIST, new Response(JSON.stringify(list), { headers: { 'Content-Type': 'application/json' } }));
    const shell = await (await fetch(SHELL_LIST, { cache: 'no-cache' })).json();
    // Every shell file must be this version's: one that is not (a deploy landed meanwhile) fails the install, and the
    // browser tries again later with whatever worker the server then has.
    for (const f of shell) {
      const request = new Request(f, { cache: 'no-cache' });
      const got = await verified(request, list);
      if (!got || !got.store) throw new Error(`${f} is not version ${VERSION}'s: not installing a mixed version`);
      await cache.put(request, got.store);
    }
    // The first install takes over at once (coi.js reloads the page into isolation then). A later version waits: the
    // pages open now run the old one, and swapping the files under them would mix versions.
    if (!self.registration.active) await self.skipWaiting();
  })());
});

// The page asks this worker, while it waits, to take over: when the person chooses to reload into the new version,
// or (onlyIfAlone) when a page has just opened and finds it waiting. Then another open page may still be running
// the old version with work in it, so the worker waits on and says so; that page offers the reload.
self.addEventListener('message', (event) => {
  if (event.data?.type !== 'skip-waiting') return;
  event.waitUntil((async () => {
    if (event.data.onlyIfAlone) {
      const pages = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      if (pages.length > 1) {
        event.source?.postMessage({ type: 'update-waits' });
        return;
      }
    }
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    // Only this site's older caches: other apps on the same origin keep theirs.
    for (const key of await caches.keys()) if (key.startsWith('dae-site-') && key !== CACHE) await caches.delete(key);
    await self.clients.claim();
  })());
});

function isolated(response) {
  if (!response || response.type === 'opaque' || response.status === 0) return response;
  const headers = new Headers(response.headers);
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
  headers.set('Cross-Origin-Resource-Policy', 'same-origin');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

// Everything comes from this version's cache first: the page, the app, models.json and the models. What is not there
// yet (a model or build not precached) comes from the server and joins this version only if its bytes are the ones
// this version lists; a file the server has changed since (a deploy during the visit) is refused with 409, never
// stored or mixed in, and the page's next navigation finds the new version's worker.
self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const cached = await cache.match(request, { ignoreSearch: true });
    if (cached) return isolated(cached);
    let list;
    try {
      list = await files(cache);
    } catch {
      return isolated(await fromServer(request));  // no usable list: serve, but store nothing
    }
    const path = sitePath(request.url);
    if (path === null || list.files[path] === undefined) return isolated(await fromServer(request));
    const got = await verified(request, list);
    if (!got) {
      return new Response(`${path} has changed on the server since this page's version (${VERSION}) was made: reload ` +
        'the page for the new version', { status: 409, statusText: 'Version changed', headers: { 'Content-Type': 'text/plain' } });
    }
    if (got.store) event.waitUntil(cache.put(request, got.store));
    return isolated(got.response);
  })());
});
