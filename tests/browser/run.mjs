#!/usr/bin/env node
// Runs every tests/browser/*.test.mjs in Debian's headless Chromium against the built site, served on 127.0.0.1.
// Any console error or request leaving 127.0.0.1 fails the test it happened in. Last line: "N passed, N failed".
// Usage: node tests/browser/run.mjs --site build/site --out build/browser [--only substring]
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const require = createRequire(join(repo, 'web', 'package.json'));
const { chromium } = require('playwright-core');
const { startServer } = await import(pathToFileURL(join(repo, 'web', 'serve.mjs')).href);

// --only: run the tests whose name contains this text (several: separated by |). --docs DIR: also save the
// screenshots a test names for the documentation there (make screenshots).
const args = { site: 'build/site', out: 'build/browser', only: '', docs: '' };
for (let i = 2; i < process.argv.length; i += 2) {
  const key = process.argv[i].replace(/^--/, '');
  if (!(key in args) || i + 1 >= process.argv.length) {
    console.error('usage: node tests/browser/run.mjs --site build/site --out build/browser [--only NAME[|NAME...]] [--docs DIR]');
    process.exit(2);
  }
  args[key] = process.argv[i + 1];
}
rmSync(args.out, { recursive: true, force: true });
mkdirSync(args.out, { recursive: true });

// Flags that make Chromium headless-safe here: software WebGL2, and no traffic to Google's services.
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-quic', '--enable-unsafe-swiftshader',
  '--disable-features=MediaRouter,OptimizationHints', '--metrics-recording-only'];

const servers = [];
async function serve(base, { isolate = true } = {}) {
  const server = await startServer({ root: args.site, port: 0, base, isolate });
  servers.push(server);
  return `http://127.0.0.1:${server.address().port}${base}`;
}
const rootUrl = await serve('/');
// Playwright gives every launch its own fresh, temporary user-data-dir.
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });

// One browser context per test: fresh storage and service workers, guarded against errors and foreign requests.
async function makeContext(problems, options = {}, on = browser) {
  const context = await on.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true, ...options });
  return guard(context, problems);
}
async function guard(context, problems) {
  const check = (url) => {
    const u = new URL(url);
    if (['data:', 'blob:'].includes(u.protocol)) return true;
    return u.hostname === '127.0.0.1';
  };
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (check(url)) return route.continue();
    problems.push(`request leaving 127.0.0.1: ${url}`);
    return route.abort();
  });
  context.on('request', (r) => { if (!check(r.url())) problems.push(`request leaving 127.0.0.1: ${r.url()}`); });
  const watch = (page) => {
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  };
  context.on('page', watch);
  context.pages().forEach(watch);  // a persistent context opens with a page
  return context;
}

const files = readdirSync(here).filter((f) => f.endsWith('.test.mjs')).sort();
let passed = 0, failed = 0;
for (const file of files) {
  const { tests } = await import(pathToFileURL(join(here, file)).href);
  for (const test of tests) {
    const name = `${file.replace('.test.mjs', '')}: ${test.name}`;
    if (args.only && !args.only.split('|').some((part) => name.includes(part))) continue;
    const problems = [];
    const contexts = [];
    const browsers = [];
    const profiles = [];
    const t = {
      url: rootUrl,
      out: args.out,
      site: args.site,
      serve,
      async newContext(options) {
        const c = await makeContext(problems, options);
        contexts.push(c);
        return c;
      },
      async newPage(options) {
        const c = await t.newContext(options);
        return c.newPage();
      },
      // A browser context with a profile on disk, as a person's browser has (others are incognito, where Chromium
      // offers no install); closed and deleted after the test.
      async persistentContext() {
        const dir = mkdtempSync(join(tmpdir(), 'dae-profile-'));
        const c = await chromium.launchPersistentContext(dir, { executablePath: '/usr/bin/chromium', headless: true,
          args: CHROMIUM_ARGS, viewport: { width: 1280, height: 800 } });
        await guard(c, problems);
        contexts.push(c);
        profiles.push(dir);
        return c;
      },
      // A Chromium of its own started with extra flags (e.g. a software WebGPU adapter), closed after the test;
      // its pages are guarded like the others.
      async launch(flags) {
        const b = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: [...CHROMIUM_ARGS, ...flags] });
        browsers.push(b);
        return {
          async newPage(options) {
            const c = await makeContext(problems, options, b);
            contexts.push(c);
            return c.newPage();
          },
        };
      },
      // doc: the file name this picture has in the documentation, saved there too when the run has --docs.
      async screenshot(page, label, { doc } = {}) {
        const path = join(args.out, `${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}${label ? '-' + label : ''}.png`);
        await page.screenshot({ path });
        if (args.docs && doc) {
          mkdirSync(args.docs, { recursive: true });
          copyFileSync(path, join(args.docs, doc));
        }
        return path;
      },
      log: (...m) => console.log('   ', ...m),
      problems,
    };
    const started = Date.now();
    let error = null;
    try {
      // A hang guard, not a timing check: 90 s, or what a test that waits on the browser's own timers declares.
      const limit = test.timeoutSeconds ?? 90;
      await Promise.race([test.run(t), new Promise((_, fail) => setTimeout(() => fail(new Error(`timed out after ${limit} s`)), limit * 1000))]);
    } catch (e) {
      error = e;
    }
    for (const c of contexts) await c.close().catch(() => {});
    for (const b of browsers) await b.close().catch(() => {});
    for (const d of profiles) rmSync(d, { recursive: true, force: true });
    if (!error && problems.length) error = new Error(problems.join('\n      '));
    const ms = Date.now() - started;
    if (error) {
      failed++;
      console.log(`FAIL ${name} (${ms} ms)\n      ${String(error.stack || error).split('\n').slice(0, 6).join('\n      ')}`);
    } else {
      passed++;
      console.log(`ok   ${name} (${ms} ms)`);
    }
  }
}
await browser.close();
for (const s of servers) s.close();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed || passed === 0 ? 1 : 0);
