// Registers the service worker (offline use) and, on hosts that cannot send cross-origin isolation headers, reloads
// once so the worker can add them, and the page gets the threaded build; it runs without isolation too (the
// single-threaded build, coarser timers). window.daeIsolation says which, and why: app.js tells the person.
// After a deploy the new version waits (sw.js) and a small bar offers to reload into it; window.daeUpdate says so.
'use strict';

(() => {
  // What a page running an older version than the server's shows: a line and a Reload button, out of the way.
  window.daeUpdate = { waiting: false, stale: false };
  const offerUpdate = (text, reload, state) => {
    let bar = document.getElementById('update');
    if (!bar) {
      bar = Object.assign(document.createElement('div'), { id: 'update' });
      bar.setAttribute('role', 'status');
      bar.append(document.createElement('span'), Object.assign(document.createElement('button'), { type: 'button', textContent: 'Reload' }));
      document.body.append(bar);
    }
    bar.querySelector('span').textContent = text;
    bar.querySelector('button').onclick = reload;
    window.daeUpdate = state;
    window.dispatchEvent(new Event('dae-update'));
  };
  // A worker that installs while this page has a controller is a new version; the first install has none, and takes
  // over by itself. The page keeps its version until the person reloads; the new worker takes over only then.
  const updateKey = 'dae-update-reloaded';
  const watchUpdates = (registration) => {
    let controlled = Boolean(navigator.serviceWorker.controller);
    let reloading = false;
    const activate = (worker, message) => {
      reloading = true;
      worker.postMessage(message);
    };
    const offerWaiting = () => offerUpdate('A new version of the denoiser is ready.', () => {
      if (registration.waiting) activate(registration.waiting, { type: 'skip-waiting' });
      else window.location.reload();
    }, { waiting: true, stale: false });
    const track = (worker) => worker?.addEventListener('statechange', () => {
      if (worker.state === 'installed' && navigator.serviceWorker.controller) offerWaiting();
    });
    track(registration.installing);
    registration.addEventListener('updatefound', () => track(registration.installing));
    navigator.serviceWorker.addEventListener('controllerchange', () => {
      if (!controlled) {
        controlled = true;  // the first install's worker claimed the page
        return;
      }
      if (reloading) {
        reloading = false;
        window.location.reload();
        return;
      }
      // Another tab took the new version; this page still runs the old one, whose files are gone from the cache.
      offerUpdate('A new version of the denoiser took over in another tab.', () => window.location.reload(),
        { waiting: false, stale: true });
    });
    navigator.serviceWorker.addEventListener('message', (event) => {
      if (event.data?.type === 'update-waits' && registration.waiting) {
        reloading = false;
        offerWaiting();
      }
    });
    navigator.serviceWorker.startMessages();
    if (!registration.waiting || !navigator.serviceWorker.controller) {
      sessionStorage.removeItem(updateKey);
      return;
    }
    // Opened with a new version waiting, before the person did anything here: take it now, unless another page is
    // open (the worker then waits on), and at most once per tab session, so a worker that never takes over cannot
    // reload the page forever.
    if (sessionStorage.getItem(updateKey)) offerWaiting();
    else {
      sessionStorage.setItem(updateKey, '1');
      activate(registration.waiting, { type: 'skip-waiting', onlyIfAlone: true });
    }
  };
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
    if (registration) watchUpdates(registration);
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
