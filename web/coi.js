// Registers the service worker (offline use) and, on hosts that cannot send cross-origin isolation headers, reloads
// once so the worker can add them, and the page gets the threaded build; it runs without isolation too (the
// single-threaded build, coarser timers).
'use strict';

(() => {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return;
  const reloadedKey = 'dae-coi-reloaded';
  navigator.serviceWorker.register('sw.js').then((registration) => {
    if (window.crossOriginIsolated) {
      sessionStorage.removeItem(reloadedKey);
      return;
    }
    // Reload at most once per tab session: if isolation still fails after that, keep running without it.
    const reloadOnce = () => {
      if (sessionStorage.getItem(reloadedKey)) return;
      sessionStorage.setItem(reloadedKey, '1');
      window.location.reload();
    };
    if (navigator.serviceWorker.controller) reloadOnce();
    else navigator.serviceWorker.addEventListener('controllerchange', reloadOnce, { once: true });
    void registration;
  }).catch((e) => console.warn(`Service worker not registered: ${e.message}`));
})();
