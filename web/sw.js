// Service worker: keeps the site usable offline (cache first for the app, network first for the model list) and
// adds cross-origin isolation headers to every same-origin response for hosts that cannot set them.
'use strict';

// build-site.mjs replaces the version with a hash of the app shell.
const CACHE = 'dae-site-v1';
// Written by build-site.mjs: every file of the app shell, relative to this worker.
const SHELL_LIST = 'precache.json';

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    const files = await (await fetch(SHELL_LIST, { cache: 'no-cache' })).json();
    await cache.addAll(files.map((f) => new Request(f, { cache: 'no-cache' })));
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

// The page's files never change under one cache version except the model list and models, which the trainer
// updates: those are fetched fresh when online and fall back to the cache offline.
function networkFirst(url) {
  return /\/models\//.test(url.pathname) || url.pathname.endsWith('/') || url.pathname.endsWith('.html');
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    if (networkFirst(url)) {
      try {
        const response = await fetch(request);
        if (response.ok) cache.put(request, response.clone());
        return isolated(response);
      } catch (e) {
        const cached = await cache.match(request, { ignoreSearch: true });
        if (cached) return isolated(cached);
        throw e;
      }
    }
    const cached = await cache.match(request, { ignoreSearch: true });
    if (cached) return isolated(cached);
    const response = await fetch(request);
    if (response.ok) cache.put(request, response.clone());
    return isolated(response);
  })());
});
