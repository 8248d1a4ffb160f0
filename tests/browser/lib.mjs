// Helpers shared by the browser tests: opening the app, image metrics computed independently of the app, input.
import assert from 'node:assert/strict';

export { assert };

// Opens the app and waits until a model has denoised an image.
export async function openApp(t, { url = t.url, page, viewport } = {}) {
  page ??= await t.newPage(viewport ? { viewport } : {});
  await page.goto(url);
  await page.waitForFunction(() => window.dae && window.dae.ready, null, { timeout: 30000 });
  return page;
}

export function psnr(a, b) {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  const mse = s / a.length;
  return mse === 0 ? 100 : 10 * Math.log10(1 / mse);
}

export async function images(page) {
  const r = await page.evaluate(() => {
    const im = window.dae.getImages();
    const arr = (x) => (x ? Array.from(x) : null);
    return { width: im.width, height: im.height, channels: im.channels, clean: arr(im.clean), noisy: arr(im.noisy), denoised: arr(im.denoised),
      engine: arr(im.engine), ort: arr(im.ort) };
  });
  return r;
}

export const state = (page) => page.evaluate(() => window.dae.state());

// Waits until the app has nothing left to compute.
export const idle = (page) => page.evaluate(() => window.dae.whenIdle());

// Drags the mouse along points given as fractions of a pane (0 clean, 1 noisy, 2 result).
export async function drag(page, pane, points, { button = 'left', steps = 4 } = {}) {
  const s = await state(page);
  const [x, y, w, h] = s.panes[pane];
  const at = ([fx, fy]) => [x + fx * w, y + fy * h];
  await page.mouse.move(...at(points[0]));
  await page.mouse.down({ button });
  for (const p of points.slice(1)) await page.mouse.move(...at(p), { steps });
  await page.mouse.up({ button });
  await idle(page);
}

export const sum = (a) => a.reduce((x, y) => x + y, 0);

// Serves `dir` with python3 -m http.server, a plain static server that sets no special headers; resolves with
// {port, close}. The caller closes it.
export async function plainStaticServer(dir) {
  const { spawn } = await import('node:child_process');
  const server = spawn('python3', ['-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', dir],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await new Promise((ok, fail) => {
    let text = '';
    server.stdout.on('data', (d) => { text += d; const m = /port (\d+)/.exec(text); if (m) ok(Number(m[1])); });
    server.on('exit', (code) => fail(new Error(`http.server exited with ${code}`)));
    setTimeout(() => fail(new Error('http.server did not start')), 10000);
  });
  return { port, close: () => server.kill() };
}
