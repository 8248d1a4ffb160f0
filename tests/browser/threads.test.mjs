// The two WebAssembly builds: the threaded one on a cross-origin isolated page and the single-threaded one elsewhere;
// the page drawing and answering input while a photo is denoised; a change mid-way cancelling the stale job; and
// both builds (and thread counts) giving the same result.
import { assert, openApp, state } from './lib.mjs';

// A smooth color picture with edges, made in the page: planar RGB in [0, 1].
function photoIn(page, w, h, phase = 0) {
  return page.evaluate(([w, h, phase]) => {
    const px = new Float32Array(3 * w * h);
    for (let k = 0; k < 3; k++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          const v = 0.5 + 0.3 * Math.sin(x / (9 + 4 * k) + phase) * Math.cos(y / 13) + ((x >> 5) + (y >> 5)) % 2 * 0.15;
          px[(k * h + y) * w + x] = Math.min(1, Math.max(0, v));
        }
    window.dae.setImage(px, w, h, { fullResolution: true, channels: 3, source: `test photo ${w}x${h}` });
  }, [w, h, phase]);
}

// Opens the app at `query` and loads the photo model with a small photo, so later timings hold no download.
async function openWithPhotoModel(t, query = '', { url = t.url, context } = {}) {
  const page = await openApp(t, { url: url + query, page: context ? await context.newPage() : undefined });
  await photoIn(page, 64, 48);
  await page.waitForFunction(() => { const s = window.dae.state(); return s.model === 'photo' && !s.busy; }, null,
    { timeout: 30000 });
  return page;
}

// Samples state() on every animation frame until the app is idle: frames drawn, progress, and when the result came.
function watchUntilIdle(page, { press } = {}) {
  return page.evaluate(async (press) => {
    const start = window.dae.state();
    const t0 = performance.now();
    const samples = [];
    let pressedAt = -1;
    for (;;) {
      await new Promise((f) => requestAnimationFrame(f));
      const s = window.dae.state();
      samples.push({ frames: s.frames, progress: s.progress, showHelp: s.showHelp, busy: s.busy });
      if (press && pressedAt < 0 && s.progress > 0) {
        // A key press in the middle of the work: the app must answer it before the result is in.
        window.dispatchEvent(new KeyboardEvent('keydown', { key: 'h', code: 'KeyH', keyCode: 72, bubbles: true }));
        window.dispatchEvent(new KeyboardEvent('keyup', { key: 'h', code: 'KeyH', keyCode: 72, bubbles: true }));
        pressedAt = samples.length;
      }
      if (!s.busy) break;
    }
    const end = window.dae.state();
    return { start, end, samples, pressedAt, seconds: (performance.now() - t0) / 1000 };
  }, press);
}

// Waits until a job submitted after `submitted` others has run a tile and has at least half of its tiles to go
// (two at least): room for the next request to arrive before the job ends, even on a busy machine.
function partDone(page, submitted) {
  return page.waitForFunction((n) => {
    const s = window.dae.state();
    const left = s.jobs.tiles - s.jobs.tilesDone;
    return s.busy && s.jobs.submitted > n && s.jobs.tilesDone >= 1 && left >= Math.max(2, s.jobs.tiles / 2);
  }, submitted, { timeout: 60000, polling: 'raf' });
}

// A change of noise, then of model, while a 512x384 photo is denoised in the build that `query` picks.
async function changeMidWay(t, query) {
  const page = await openWithPhotoModel(t, query);
  const before = (await state(page)).jobs;
  await page.evaluate(() => window.dae.setNoise({ kind: 'gaussian', amount: 0.3, seed: 3 }));
  await photoIn(page, 512, 384, 2);
  // Part of the image done, then a new strength: the first job stops at a tile boundary.
  await partDone(page, before.submitted);
  await page.evaluate(() => window.dae.setSigma(0.1));
  await page.evaluate(() => window.dae.whenIdle());
  const a = await state(page);
  assert.equal(a.amount.toFixed(2), '0.10');
  assert.ok(a.jobs.cancelled > before.cancelled, 'the stale job was reported cancelled');
  const stale = a.jobs.lastCancelled;
  assert.ok(stale.tilesDone >= 1 && stale.tilesDone < stale.tiles,
    `it stopped part-way (${stale.tilesDone} of ${stale.tiles} tiles)`);
  const shown = await page.evaluate(() => Array.from(window.dae.getImages().engine));
  // The same settings again from scratch give the same image: what was shown belongs to them.
  await page.evaluate(() => window.dae.setNoise({ seed: 3 }));
  await page.evaluate(() => window.dae.whenIdle());
  const again = await page.evaluate(() => Array.from(window.dae.getImages().engine));
  assert.equal(maxAbsDiff(shown, again), 0, 'the shown result is the current settings\' result');

  // A model chosen mid-way: the photo model's job stops, and the chosen model's job starts.
  const submitted = (await state(page)).jobs.submitted;
  await page.evaluate(() => window.dae.setNoise({ seed: 4 }));
  await partDone(page, submitted);
  const { cancelled, submitted: photoJobs } = (await state(page)).jobs;
  const loaded = await page.evaluate(() => window.dae.loadModel('unet32'));
  assert.ok(loaded.ok, loaded.message);
  await page.waitForFunction(([c, n]) => {
    const { jobs } = window.dae.state();
    return jobs.cancelled > c && jobs.submitted > n;
  }, [cancelled, photoJobs], { timeout: 60000 });
  const b = await state(page);
  assert.equal(b.model, 'unet32');
  assert.ok(b.jobs.lastCancelled.tilesDone < b.jobs.lastCancelled.tiles, 'the photo model\'s job stopped part-way');
  t.log(`${b.build} build: jobs ${JSON.stringify(b.jobs)}`);
}

const maxAbsDiff = (a, b) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

export const tests = [
  {
    name: 'the threaded build runs on a cross-origin isolated page, the single-threaded one on a page that is not',
    async run(t) {
      const loaded = (page) => {
        const paths = [];
        page.on('request', (r) => paths.push(new URL(r.url()).pathname.split('/').pop()));
        return paths;
      };
      const isolatedPage = await t.newPage();
      const isolatedFiles = loaded(isolatedPage);
      await openApp(t, { page: isolatedPage });
      assert.equal(await isolatedPage.evaluate(() => window.crossOriginIsolated), true);
      const cores = await isolatedPage.evaluate(() => navigator.hardwareConcurrency);
      const s = await state(isolatedPage);
      assert.equal(s.build, 'threads');
      assert.equal(s.threads, Math.min(4, cores), 'one engine thread per core, at most 4');
      assert.deepEqual(await isolatedPage.evaluate(() => [window.dae.build.name, window.dae.build.threads]),
        ['threads', s.threads]);
      assert.ok(isolatedFiles.includes('dae_app_threads.wasm') && isolatedFiles.includes('dae_app_threads.worker.js'));
      assert.ok(!isolatedFiles.includes('dae_app.wasm'), 'the single-threaded build is not downloaded');
      assert.ok(s.psnrDenoised > s.psnrNoisy);

      // A static host without the isolation headers, before any service worker has added them.
      const base = await t.serve('/no-headers/', { isolate: false });
      const plainContext = await t.newContext({ serviceWorkers: 'block' });
      const plainPage = await plainContext.newPage();
      const plainFiles = loaded(plainPage);
      await openApp(t, { page: plainPage, url: base });
      assert.equal(await plainPage.evaluate(() => window.crossOriginIsolated), false);
      const p = await state(plainPage);
      assert.equal(p.build, 'plain');
      assert.equal(p.threads, 1);
      assert.match(await plainPage.evaluate(() => window.dae.build.why), /not cross-origin isolated/);
      assert.ok(plainFiles.includes('dae_app.wasm') && !plainFiles.some((f) => f.startsWith('dae_app_threads')));
      assert.ok(p.psnrDenoised > p.psnrNoisy);
      t.log(`isolated: ${s.build} build, ${s.threads} threads (${cores} cores reported); not isolated: ${p.build}, ` +
        `${p.threads} thread`);
      await t.screenshot(isolatedPage, 'threads');
      await t.screenshot(plainPage, 'plain');
    },
  },
  {
    name: 'while a 640x480 photo is denoised the page keeps drawing frames, shows progress and answers a key press',
    async run(t) {
      for (const query of ['', '?build=plain']) {
        const page = await openWithPhotoModel(t, query);
        await photoIn(page, 640, 480, 1);
        const r = await watchUntilIdle(page, { press: true });
        const frames = r.end.frames - r.start.frames;
        const during = r.samples.filter((x) => x.busy);
        const progress = [...new Set(during.map((x) => x.progress))];
        t.log(`${r.end.build} build, ${r.end.threads} thread(s): ${frames} frames in ${r.seconds.toFixed(1)} s while ` +
          `denoising (${(frames / r.seconds).toFixed(1)} frames/s), engine ${r.end.engineMs.toFixed(0)} ms, ` +
          `${r.end.jobs.tiles} tiles, progress seen ${progress.map((p) => p.toFixed(2)).join(' ')}`);
        assert.equal(r.end.build, query ? 'plain' : 'threads');
        assert.ok(during.length >= 5, `frames kept coming while the photo was denoised (${during.length} sampled)`);
        assert.ok(new Set(during.map((x) => x.frames)).size >= 5, 'the frame counter advanced during the work');
        assert.ok(progress.some((p) => p > 0 && p < 1), 'progress between 0 and 1 was shown');
        const answered = r.samples.findIndex((x, i) => i >= r.pressedAt && x.showHelp);
        assert.ok(r.pressedAt >= 0 && answered >= 0 && r.samples[answered].busy,
          'the help opened (H) before the result was in');
        assert.equal(r.end.width, 640);
        assert.ok(r.end.psnrDenoised > r.end.psnrNoisy + 1);
        await t.screenshot(page, r.end.build);
      }
    },
  },
  {
    name: 'threaded build: a change of noise or model mid-way cancels the stale job; the result shown is the new one',
    run: (t) => changeMidWay(t, ''),
  },
  {
    name: 'single-threaded build: a change of noise or model mid-way cancels the stale job too',
    run: (t) => changeMidWay(t, '?build=plain'),
  },
  {
    name: 'the threaded build at 1 and at every thread and the single-threaded build give the same results',
    async run(t) {
      const results = {};
      for (const query of ['', '?threads=1', '?build=plain']) {
        const page = await openWithPhotoModel(t, query);
        // 300x200: tiles in both builds (256 px in the threaded one, 128 px in the other), whole in neither.
        await photoIn(page, 300, 200, 3);
        await page.evaluate(() => window.dae.whenIdle());
        const photo = await page.evaluate(() => Array.from(window.dae.getImages().engine));
        await page.evaluate(() => window.dae.loadSample(4));
        await page.evaluate(() => window.dae.whenIdle());
        const s = await state(page);
        assert.equal(s.model, 'unet32');
        const sample = await page.evaluate(() => Array.from(window.dae.getImages().engine));
        results[`${s.build} build, ${s.threads} thread(s)`] = { photo, sample };
      }
      const keys = Object.keys(results);
      if ((await (await t.newPage()).evaluate(() => navigator.hardwareConcurrency)) > 1)
        assert.equal(keys.length, 3, `three different set-ups (${keys.join('; ')})`);
      const [ref, ...others] = keys;
      for (const k of others) {
        const dPhoto = maxAbsDiff(results[k].photo, results[ref].photo);
        const dSample = maxAbsDiff(results[k].sample, results[ref].sample);
        t.log(`${k} vs ${ref}: max |diff| photo ${dPhoto.toExponential(1)}, sample ${dSample.toExponential(1)}`);
        assert.equal(results[k].photo.length, 3 * 300 * 200);
        assert.ok(dPhoto <= 1e-6 && dSample <= 1e-6, `${k} and ${ref} agree`);
      }
    },
  },
];
