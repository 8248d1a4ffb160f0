// Names a built site's version: a hash of every file it serves, written into its service worker's cache name.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const CACHE_LINE = /const CACHE = 'dae-site-[^']*';/;
// The version's file list, beside sw.js: {version, files: {path: sha256 hex}}.
const FILE_LIST = 'files.json';

// Every file under `dir` as a path relative to it with '/' separators, sorted so the hash does not depend on the
// order the file system lists them in.
function siteFiles(dir, prefix = '') {
  const files = [];
  for (const name of readdirSync(join(dir, prefix)).sort()) {
    const rel = prefix ? `${prefix}/${name}` : name;
    if (statSync(join(dir, rel)).isDirectory()) files.push(...siteFiles(dir, rel));
    else files.push(rel);
  }
  return files;
}

// Hashes every file of the site in `dir` but sw.js (which carries the result) and files.json (which lists them), writes
// each file's SHA-256 into files.json with the version, and rewrites sw.js's cache name with it; returns the version.
// Any change a deploy brings (a page script, the app, a retrained model, models.json) makes a new worker, which serves
// that version whole and drops the older cache once it takes over; files.json lets the worker check every file it
// stores against the version it belongs to, so a deploy in the middle of a visit cannot mix versions in its cache.
export function stampSiteVersion(dir) {
  const hash = createHash('sha256');
  const files = {};
  for (const f of siteFiles(dir)) {
    if (f === 'sw.js' || f === FILE_LIST) continue;
    const bytes = readFileSync(join(dir, f));
    files[f] = createHash('sha256').update(bytes).digest('hex');
    hash.update(`${f}\0`);
    hash.update(bytes);
  }
  const version = hash.digest('hex').slice(0, 12);
  writeFileSync(join(dir, FILE_LIST), JSON.stringify({ version, files }, null, 1) + '\n');
  const swPath = join(dir, 'sw.js');
  const sw = readFileSync(swPath, 'utf8');
  if (!CACHE_LINE.test(sw)) throw new Error(`${swPath}: cache name line not found`);
  writeFileSync(swPath, sw.replace(CACHE_LINE, `const CACHE = 'dae-site-${version}';`));
  return version;
}
