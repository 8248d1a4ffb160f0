// Registers the service worker (offline use) and, on hosts that cannot send cross-origin isolation headers, reloads
// once so the worker can add them, and the page gets the threaded build; it runs without isolation too (the
// single-threaded build, coarser timers). window.daeIsolation says which, and why: app.js tells the person.
'use strict';

(() => {
  const settle = (isolated, why) => {
    window.daeIsolation = { isolated, why };
    window.dispatchEvent(new Event('dae-isolation'));
  };
  if (window.crossOriginIsolated) settle(true, 'the page is cross-origin isolated');
  else window.daeIsolation = { isolated: false, why: 'waiting for the service worker' };
  if (!window.isSecureContext) {
    if (!window.crossOriginIsolated)
      settle(false, 'this address is not HTTPS, so no service worker can make the page cross-origin isolated');
    return;
  }
  if (!('serviceWorker' in navigator)) {
    if (!window.crossOriginIsolated) settle(false, 'this browser has no service workers to make the page cross-origin isolated');
    return;
  }
  const reloadedKey = 'dae-coi-reloaded';
  navigator.serviceWorker.register('sw.js').then((registration) => {
    if (window.crossOriginIsolated) {
      sessionStorage.removeItem(reloadedKey);
      return;
    }
    // A browser that blocks workers may answer without a registration; a worker whose install fails never takes
    // over. Either way the page stays as it is, and says so.
    if (!registration) {
      settle(false, 'the browser blocks the service worker that makes the page cross-origin isolated');
      return;
    }
    const worker = registration.installing || registration.waiting;
    worker?.addEventListener('statechange', () => {
      if (worker.state === 'redundant' && !navigator.serviceWorker.controller)
        settle(false, 'the service worker that makes the page cross-origin isolated could not install');
    });
    // Reload at most once per tab session: if isolation still fails after that, keep running without it.
    const reloadOnce = () => {
      if (sessionStorage.getItem(reloadedKey)) {
        settle(false, 'the browser did not let the service worker make the page cross-origin isolated');
        return;
      }
      sessionStorage.setItem(reloadedKey, '1');
      window.location.reload();
    };
    if (navigator.serviceWorker.controller) reloadOnce();
    else navigator.serviceWorker.addEventListener('controllerchange', reloadOnce, { once: true });
  }).catch((e) => {
    console.warn(`Service worker not registered: ${e.message}`);
    settle(false, 'the service worker that makes the page cross-origin isolated could not start (details in the console)');
  });
})();
