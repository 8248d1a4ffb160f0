// Test of .ci/apt-deb-src.mjs on sample apt configurations (deb822 and one-line, signed-by options, third-party
// and non-Debian entries, existing deb-src): the exact entries it writes, its refusals, and apt reading the result.
// Usage: node tests/ci/apt_deb_src_test.mjs   (needs apt-get, which reads the samples offline; writes only in a temp dir)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../.ci/apt-deb-src.mjs');
const HEADER = '# Written by make deps (.ci/apt-deb-src.mjs): source indexes for apt-get source.\n';
const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'apt-deb-src-'));

// apt itself, offline, on the sample root: the index URLs it would fetch and the names it stores them under.
function aptPrintUris(root) {
  for (const dir of ['var/lib/apt/lists/partial', 'var/cache/apt/archives/partial', 'etc/apt/apt.conf.d']) {
    fs.mkdirSync(path.join(root, dir), { recursive: true });
  }
  const run = spawnSync('apt-get', ['-o', `Dir=${root}`, '-o', 'Debug::NoLocking=1', '--print-uris', 'update'], { encoding: 'utf8' });
  assert.equal(run.status, 0, `apt-get failed: ${run.stderr}`);
  assert.doesNotMatch(run.stderr, /^E:/m, `apt-get rejected the sources: ${run.stderr}`);
  return new Map([...run.stdout.matchAll(/^'([^']+)' (\S+) /gm)].map((m) => [m[1], m[2]]));
}

// A clear-signed Release file as apt keeps it: the publisher and the indexes listed for each component.
function release(origin, components, withSources) {
  const files = components.flatMap((c) => [`${c}/binary-amd64/Packages.xz`, ...(withSources ? [`${c}/source/Sources.xz`, `${c}/source/Sources.gz`] : [])]);
  return '-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n' +
    `Origin: ${origin}\nLabel: ${origin}\nComponents: ${components.join(' ')}\nSHA256:\n` +
    files.map((f, i) => ` ${String(i).padStart(64, '0')} ${1000 + i} ${f}\n`).join('') +
    '-----BEGIN PGP SIGNATURE-----\n\niHUEARYKAB0WIQ\n-----END PGP SIGNATURE-----\n';
}

// Writes a sample root: apt configuration files, then the Release files apt would have fetched for each
// `uri suite`, under the names apt itself gives them.
function sampleRoot(name, files, releases = {}) {
  const root = path.join(work, name);
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  }
  const names = aptPrintUris(root);
  for (const [place, { origin, components, sources }] of Object.entries(releases)) {
    const [uri, suite] = place.split(' ');
    const url = `${uri.replace(/\/*$/, '/')}dists/${suite}/InRelease`;
    assert.ok(names.has(url), `apt does not fetch ${url}`);
    fs.writeFileSync(path.join(root, 'var/lib/apt/lists', names.get(url)), release(origin, components, sources));
  }
  return root;
}

function runScript(root, ...args) {
  const run = spawnSync(process.execPath, [SCRIPT, '--root', root, ...args], { encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

const own = (root, ext) => path.join(root, 'etc/apt/sources.list.d', `dae-imgui-src.${ext}`);
const read = (file) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null);

// The source index URLs apt would fetch with the configuration as it now is.
const sourceIndexes = (root) => [...aptPrintUris(root).keys()].filter((u) => /\/source\/Sources\.\w+$/.test(u)).map((u) => u.replace(/\.\w+$/, '')).sort();

const cases = [];
const test = (name, fn) => cases.push({ name, fn });

test('deb822: copies each Debian stanza with only the type changed, ignores a third party and a disabled deb-src', () => {
  const debian = 'http://mirror.corp.example/debian';
  const security = 'http://mirror.corp.example/debian-security';
  const vendor = 'https://packages.vendor.example/apt';
  const embeddedKey = 'Signed-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n mDMEYCQjIxYJKwYBBAHaRw8BAQdAD\n =IE0r\n -----END PGP PUBLIC KEY BLOCK-----\n';
  const root = sampleRoot('deb822', {
    'etc/apt/sources.list.d/debian.sources':
      `Types: deb\n# the company mirror of Debian\nURIs: ${debian}\nSuites: trixie trixie-updates\nComponents: main contrib\nSigned-By: ${KEYRING}\n\n` +
      `Types: deb\nURIs: ${security}\nSuites: trixie-security\nComponents: main\n${embeddedKey}`,
    // Same suite and component names as Debian, but another publisher.
    'etc/apt/sources.list.d/vendor.sources': `Types: deb\nURIs: ${vendor}\nSuites: trixie\nComponents: main\nSigned-By: /etc/apt/keyrings/vendor.gpg\n`,
    'etc/apt/sources.list.d/old-src.sources': `Types: deb-src\nURIs: ${debian}\nSuites: trixie\nComponents: main\nSigned-By: ${KEYRING}\nEnabled: no\n`,
    'etc/apt/sources.list.d/notes.sources.disabled': `Types: deb-src\nURIs: ${debian}\nSuites: trixie\nComponents: main\n`,
  }, {
    [`${debian} trixie`]: { origin: 'Debian', components: ['main', 'contrib'], sources: true },
    [`${debian} trixie-updates`]: { origin: 'Debian', components: ['main', 'contrib'], sources: true },
    [`${security} trixie-security`]: { origin: 'Debian', components: ['main'], sources: true },
    [`${vendor} trixie`]: { origin: 'Vendor', components: ['main'], sources: true },
  });
  const expected = HEADER +
    `# deb-src twin of /etc/apt/sources.list.d/debian.sources:1\nTypes: deb-src\nURIs: ${debian}\nSuites: trixie trixie-updates\nComponents: main contrib\nSigned-By: ${KEYRING}\n\n` +
    `# deb-src twin of /etc/apt/sources.list.d/debian.sources:8\nTypes: deb-src\nURIs: ${security}\nSuites: trixie-security\nComponents: main\n${embeddedKey}`;

  const dry = runScript(root);
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stdout, new RegExp(`Would add to ${own(root, 'sources')}`));
  assert.match(dry.stdout, /Not copied \(not Debian's archive, or apt cannot tell yet\):\n.*packages\.vendor\.example\/apt trixie .*Origin: Vendor/);
  assert.equal(read(own(root, 'sources')), null, 'a dry run wrote a file');

  const wrote = runScript(root, '--write');
  assert.equal(wrote.status, 0, wrote.stderr);
  assert.match(wrote.stdout, new RegExp(`Added to ${own(root, 'sources')}`));
  assert.equal(read(own(root, 'sources')), expected);
  assert.equal(read(own(root, 'list')), null);
  assert.deepEqual(sourceIndexes(root), [
    `${debian}/dists/trixie-updates/contrib/source/Sources`, `${debian}/dists/trixie-updates/main/source/Sources`,
    `${debian}/dists/trixie/contrib/source/Sources`, `${debian}/dists/trixie/main/source/Sources`,
    `${security}/dists/trixie-security/main/source/Sources`,
  ].sort());

  const again = runScript(root, '--write');
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /Nothing to add\./);
  assert.equal(read(own(root, 'sources')), expected, 'a second run changed the file');
});

test('one-line: keeps [signed-by=...] options, adds only what no deb-src covers, skips archives without sources', () => {
  const proxy = 'http://proxy.corp.example:3142/debian';
  const security = 'http://proxy.corp.example:3142/debian-security';
  const debug = 'http://user:secret@debug_mirror.corp.example/debian-debug';
  const options = '[arch=amd64 signed-by=/etc/apt/keyrings/corp-debian.gpg]';
  const root = sampleRoot('one-line', {
    'etc/apt/sources.list':
      '# Debian through the company proxy\n' +
      `deb ${options} ${proxy} bookworm main non-free-firmware\n` +
      `deb-src ${options} ${proxy}/ bookworm main\n` +
      `deb [ signed-by=/etc/apt/keyrings/corp-debian.gpg ] ${security} bookworm-security main  # security updates\n` +
      `#deb-src ${security} bookworm-security main\n` +
      `deb ${debug} bookworm-debug main\n`,
    'etc/apt/sources.list.d/vendor.list': 'deb [signed-by=/etc/apt/keyrings/vendor.gpg] https://apt.vendor.example/repo bookworm main\n',
  }, {
    [`${proxy} bookworm`]: { origin: 'Debian', components: ['main', 'non-free-firmware'], sources: true },
    [`${security} bookworm-security`]: { origin: 'Debian', components: ['main'], sources: true },
    [`${debug} bookworm-debug`]: { origin: 'Debian', components: ['main'], sources: false },
    ['https://apt.vendor.example/repo bookworm']: { origin: 'Vendor Inc.', components: ['main'], sources: true },
  });
  const wrote = runScript(root, '--write');
  assert.equal(wrote.status, 0, wrote.stderr);
  assert.match(wrote.stdout, /already configured:\n {2}http:\/\/proxy\.corp\.example:3142\/debian bookworm main {2}\(.*sources\.list:3\)/);
  assert.match(wrote.stdout, /lists no source indexes\):\n.*debian-debug bookworm-debug main/);
  assert.match(wrote.stdout, /apt\.vendor\.example\/repo bookworm .*Origin: Vendor Inc\./);
  assert.equal(read(own(root, 'list')), HEADER +
    `# deb-src twin of /etc/apt/sources.list:2\ndeb-src ${options} ${proxy} bookworm non-free-firmware\n` +
    `# deb-src twin of /etc/apt/sources.list:4\ndeb-src [ signed-by=/etc/apt/keyrings/corp-debian.gpg ] ${security} bookworm-security main\n`);
  assert.equal(read(own(root, 'sources')), null);
  assert.deepEqual(sourceIndexes(root), [
    `${proxy}/dists/bookworm/main/source/Sources`, `${proxy}/dists/bookworm/non-free-firmware/source/Sources`,
    `${security}/dists/bookworm-security/main/source/Sources`,
  ].sort());
});

test('an existing deb-src (other format, trailing slash) for every Debian component: nothing written', () => {
  const debian = 'https://deb.mirror.example/debian';
  const root = sampleRoot('present', {
    'etc/apt/sources.list': `deb ${debian} bookworm main\n`,
    'etc/apt/sources.list.d/src.sources': `Types: deb-src\nURIs: ${debian}/\nSuites: bookworm\nComponents: main\n`,
    'etc/apt/sources.list.d/vendor.list': 'deb https://apt.vendor.example/repo bookworm main\n',
  }, {
    [`${debian} bookworm`]: { origin: 'Debian', components: ['main'], sources: true },
    ['https://apt.vendor.example/repo bookworm']: { origin: 'Vendor', components: ['main'], sources: true },
  });
  const before = fs.readdirSync(path.join(root, 'etc/apt/sources.list.d')).sort();
  const run = runScript(root, '--write');
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /already configured:\n {2}https:\/\/deb\.mirror\.example\/debian bookworm main .*src\.sources:1\)\nNothing to add\.\n$/);
  assert.deepEqual(fs.readdirSync(path.join(root, 'etc/apt/sources.list.d')).sort(), before);
});

test('an earlier project file covering the main suite: appends the other suites to it', () => {
  const debian = 'http://mirror.corp.example/debian';
  const security = 'http://mirror.corp.example/debian-security';
  const earlier = `Types: deb-src\nURIs: ${debian}\nSuites: bookworm\nComponents: main\nSigned-By: ${KEYRING}\n`;
  const root = sampleRoot('earlier', {
    'etc/apt/sources.list.d/debian.sources':
      `Types: deb\nURIs: ${debian}\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: ${KEYRING}\n\n` +
      `Types: deb\nURIs: ${security}\nSuites: bookworm-security\nComponents: main\nSigned-By: ${KEYRING}\n`,
    'etc/apt/sources.list.d/dae-imgui-src.sources': earlier,
  }, {
    [`${debian} bookworm`]: { origin: 'Debian', components: ['main'], sources: true },
    [`${debian} bookworm-updates`]: { origin: 'Debian', components: ['main'], sources: true },
    [`${security} bookworm-security`]: { origin: 'Debian', components: ['main'], sources: true },
  });
  const run = runScript(root, '--write');
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /already configured:\n {2}http:\/\/mirror\.corp\.example\/debian bookworm main .*dae-imgui-src\.sources:1\)/);
  assert.equal(read(own(root, 'sources')), earlier + '\n' +
    `# deb-src twin of /etc/apt/sources.list.d/debian.sources:1\nTypes: deb-src\nURIs: ${debian}\nSuites: bookworm-updates\nComponents: main\nSigned-By: ${KEYRING}\n\n` +
    `# deb-src twin of /etc/apt/sources.list.d/debian.sources:7\nTypes: deb-src\nURIs: ${security}\nSuites: bookworm-security\nComponents: main\nSigned-By: ${KEYRING}\n`);
  assert.deepEqual(sourceIndexes(root), [
    `${debian}/dists/bookworm/main/source/Sources`, `${debian}/dists/bookworm-updates/main/source/Sources`,
    `${security}/dists/bookworm-security/main/source/Sources`,
  ].sort());
});

test('a deb822 stanza with both types is its own deb-src', () => {
  const debian = 'http://10.0.0.5/debian';
  const root = sampleRoot('both-types', {
    'etc/apt/sources.list.d/debian.sources': `Types: deb deb-src\nURIs: ${debian}\nSuites: bookworm\nComponents: main\nSigned-By: ${KEYRING}\n`,
  }, { [`${debian} bookworm`]: { origin: 'Debian', components: ['main'], sources: true } });
  const run = runScript(root, '--write');
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /Nothing to add\./);
  assert.equal(read(own(root, 'sources')), null);
});

test('no Debian entry: refuses, names what it found and why, writes nothing', () => {
  const root = sampleRoot('no-debian', {
    'etc/apt/sources.list.d/vendor.sources': 'Types: deb\nURIs: https://apt.vendor.example/repo\nSuites: bookworm\nComponents: main\n',
    'etc/apt/sources.list.d/new.list': 'deb http://mirror.never-updated.example/debian bookworm main\n',
    'etc/apt/sources.list.d/flat.list': 'deb https://flat.example/repo ./\n',
  }, { ['https://apt.vendor.example/repo bookworm']: { origin: 'Vendor', components: ['main'], sources: true } });
  const run = runScript(root, '--write');
  assert.equal(run.status, 1);
  assert.match(run.stderr, /no Debian deb entry to copy as deb-src/);
  assert.match(run.stderr, /apt\.vendor\.example\/repo bookworm .*Origin: Vendor/);
  assert.match(run.stderr, /never-updated\.example\/debian bookworm .*run apt-get update first/);
  assert.match(run.stderr, /flat\.example\/repo \.\/ .*flat repository/);
  assert.equal(read(own(root, 'sources')), null);
  assert.equal(read(own(root, 'list')), null);
});

test('no apt configuration at all: refuses', () => {
  const root = sampleRoot('empty', { 'etc/apt/sources.list': '# nothing here\n' });
  const run = runScript(root, '--write');
  assert.equal(run.status, 1);
  assert.match(run.stderr, /no Debian deb entry .*: it has no deb entry at all/);
});

test('Debian entries whose archive has no source indexes: refuses', () => {
  const debug = 'http://debug.mirror.example/debian-debug';
  const root = sampleRoot('no-sources', { 'etc/apt/sources.list': `deb ${debug} bookworm-debug main\n` },
    { [`${debug} bookworm-debug`]: { origin: 'Debian', components: ['main'], sources: false } });
  const run = runScript(root, '--write');
  assert.equal(run.status, 1);
  assert.match(run.stderr, /list no source indexes:\n.*debian-debug bookworm-debug main/);
  assert.equal(read(own(root, 'list')), null);
});

test('a broken sources file: refuses with its name and line', () => {
  const root = path.join(work, 'broken');
  fs.mkdirSync(path.join(root, 'etc/apt/sources.list.d'), { recursive: true });
  fs.writeFileSync(path.join(root, 'etc/apt/sources.list.d/debian.sources'), 'Types: deb\nURIs http://x.example/debian\n');
  const run = runScript(root, '--write');
  assert.equal(run.status, 1);
  assert.match(run.stderr, /debian\.sources:2: not a "Name: value" field/);
});

let failed = 0;
for (const { name, fn } of cases) {
  try {
    fn();
    console.log(`ok: ${name}`);
  } catch (error) {
    failed += 1;
    console.log(`FAILED: ${name}\n${error.stack}`);
  }
}
fs.rmSync(work, { recursive: true, force: true });
console.log(`${cases.length - failed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
