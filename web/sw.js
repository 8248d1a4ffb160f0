// Service worker: serves one version of the site whole from its own cache (so it works offline, and a deploy never
// mixes an old app with a new model list), and adds cross-origin isolation headers to every same-origin response
// for hosts that cannot set them. A new version waits until the page asks for it (coi.js offers the reload).
'use strict';

// build-site.mjs replaces the version with a hash of every file the site serves (web/site-version.mjs).
const CACHE = 'dae-site-v1';
// Written by build-site.mjs: every file of the app shell, relative to this worker.
const SHELL_LIST = 'precache.json';

// The browser's HTTP cache may still hold an older deploy's copy of a file; a version fills its cache from the
// server. A navigation request cannot be copied with another cache mode, and is precached anyway.
const fromServer = (request) => fetch(request.mode === 'navigate' ? request : new Request(request, { cache: 'no-cache' }));

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    const files = await (await fetch(SHELL_LIST, { cache: 'no-cache' })).json();
    await cache.addAll(files.map((f) => new Request(f, { cache: 'no-cache' })));
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
// yet (a model or build not precached) comes from the server and joins this version. The version's hash covers every
// file the site serves, so whatever changes on the server makes a new worker rather than a mixed cache.
self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const cached = await cache.match(request, { ignoreSearch: true });
    if (cached) return isolated(cached);
    const response = await fromServer(request);
    if (response.ok) event.waitUntil(cache.put(request, response.clone()));
    return isolated(response);
  })());
});
