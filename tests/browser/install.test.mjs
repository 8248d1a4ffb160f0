// Installing the page as an app: the manifest and its icons as the browser reads them, no installability errors,
// and the icons and manifest served from the offline cache like the rest of the site.
import { assert, openApp } from './lib.mjs';

export const tests = [
  {
    name: 'the web app manifest and icons make the page installable; they are cached for offline use',
    async run(t) {
      // A profile on disk: Chromium offers no install in incognito, which every other test context is.
      const context = await t.persistentContext();
      const page = await openApp(t, { page: context.pages()[0] ?? await context.newPage() });
      const cdp = await context.newCDPSession(page);
      const { url, errors, data } = await cdp.send('Page.getAppManifest');
      assert.deepEqual(errors, [], `manifest parse errors: ${JSON.stringify(errors)}`);
      assert.equal(new URL(url).pathname, '/manifest.webmanifest');
      const manifest = JSON.parse(data);
      assert.equal(manifest.display, 'standalone');
      assert.equal(new URL(manifest.start_url, url).href, t.url, 'it starts at the page, relative to the manifest');
      assert.ok(manifest.icons.some((i) => i.purpose === 'maskable'), 'a maskable icon for launchers that crop');
      // Each icon decodes at the size the manifest says.
      const decoded = await page.evaluate(async (icons) => Promise.all(icons.map(async (i) => {
        const r = await fetch(i.src);
        const b = await createImageBitmap(await r.blob());
        return { src: i.src, sizes: i.sizes, type: r.headers.get('content-type'), got: `${b.width}x${b.height}` };
      })), manifest.icons);
      for (const d of decoded) {
        assert.equal(d.got, d.sizes, `${d.src} is ${d.got}`);
        assert.equal(d.type, 'image/png');
      }
      // Chromium's own verdict, the one behind its install button (the worker must control the page first).
      await page.evaluate(async () => {
        await navigator.serviceWorker.ready;
        while (!navigator.serviceWorker.controller) await new Promise((f) => setTimeout(f, 50));
      });
      const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
      assert.deepEqual(installabilityErrors, [], `installability errors: ${JSON.stringify(installabilityErrors)}`);
      // Offline, the installed app's start page, manifest and icons come from the worker's cache.
      await context.setOffline(true);
      await page.reload();
      await page.waitForFunction(() => window.dae && window.dae.ready, null, { timeout: 30000 });
      const offline = await page.evaluate(async (srcs) => Promise.all(['manifest.webmanifest', ...srcs].map(async (s) =>
        (await fetch(s)).status)), manifest.icons.map((i) => i.src));
      assert.ok(offline.every((s) => s === 200), `offline fetches: ${offline}`);
      t.log(`icons ${decoded.map((d) => d.got).join(', ')}; installable with no errors; offline ${offline.length} files`);
      await context.setOffline(false);
    },
  },
];
