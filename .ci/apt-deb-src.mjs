#!/usr/bin/env node
// Gives apt the source indexes of this machine's Debian archive (for `apt-get source imgui`) by copying its Debian
// `deb` entries as `deb-src`: same URIs, suites, components and options (Signed-By included), only the type changed.
// Usage: node .ci/apt-deb-src.mjs [--root DIR] [--write]
//   --root DIR  read (and write) the apt configuration under DIR instead of / (tests point it at sample files)
//   --write     write what is missing to etc/apt/sources.list.d/dae-imgui-src.{sources,list}; without it, only say
// Exit status 0: present or written (or would be written); 1: nothing to copy, unreadable configuration or no write.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The file this script owns; the old hard-coded set-up used the same name, so machines keep one project file.
const OWN_FILE = 'etc/apt/sources.list.d/dae-imgui-src';

// Fields that say where an entry points; every other field (Signed-By, Trusted, ...) is copied as written.
const PLACE_FIELDS = new Set(['types', 'uris', 'suites', 'components']);

export class AptConfigError extends Error {}

// One-line entries: `type [options] uri suite [component...]`, `#` starts a comment anywhere.
function parseOneLine(text, file) {
  const entries = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    const match = /^(\S+)\s+(?:(\[[^\]]*\])\s*)?(\S+)\s+(\S+)(?:\s+(.*))?$/.exec(line);
    if (!match) throw new AptConfigError(`${file}:${index + 1}: not a sources.list entry: ${line}`);
    const [, type, options, uri, suite, components] = match;
    entries.push({
      format: 'one-line', file, line: index + 1, types: [type], options: options || '',
      uris: [uri], suites: [suite], components: components ? components.split(/\s+/) : [],
    });
  });
  return entries;
}

// deb822 stanzas: `Name: value` fields, indented continuation lines, `#` lines are comments, blank lines separate.
function parseDeb822(text, file) {
  const entries = [];
  let fields = [];
  let start = 0;
  const finish = () => {
    if (fields.length) entries.push(deb822Entry(fields, file, start));
    fields = [];
  };
  text.split('\n').forEach((line, index) => {
    if (line.startsWith('#')) return;
    if (!line.trim()) return finish();
    if (/^\s/.test(line)) {
      if (!fields.length) throw new AptConfigError(`${file}:${index + 1}: continuation line outside a field`);
      fields[fields.length - 1].lines.push(line);
      return;
    }
    const field = /^([^\s:]+):/.exec(line);
    if (!field) throw new AptConfigError(`${file}:${index + 1}: not a "Name: value" field: ${line}`);
    if (!fields.length) start = index + 1;
    fields.push({ name: field[1], lines: [line] });
  });
  finish();
  return entries;
}

function deb822Entry(fields, file, line) {
  // Field names are case-insensitive; a multi-value field may continue over indented lines.
  const values = (name) => {
    const field = fields.find((f) => f.name.toLowerCase() === name);
    if (!field) return [];
    return [field.lines[0].slice(field.lines[0].indexOf(':') + 1), ...field.lines.slice(1)].join(' ').trim().split(/\s+/).filter(Boolean);
  };
  const enabled = values('enabled')[0];
  return {
    format: 'deb822', file, line, fields, enabled: enabled === undefined || enabled.toLowerCase() !== 'no',
    types: values('types'), uris: values('uris'), suites: values('suites'), components: values('components'),
  };
}

// Every entry apt reads: sources.list, then sources.list.d/*.list and *.sources in name order (other names apt skips).
export function readEntries(root) {
  const etc = path.join(root, 'etc/apt');
  const files = [];
  if (fs.existsSync(path.join(etc, 'sources.list'))) files.push(path.join(etc, 'sources.list'));
  const partsDir = path.join(etc, 'sources.list.d');
  if (fs.existsSync(partsDir)) {
    for (const name of fs.readdirSync(partsDir).sort()) {
      if (/^[A-Za-z0-9_.-]+\.(list|sources)$/.test(name)) files.push(path.join(partsDir, name));
    }
  }
  const entries = [];
  for (const file of files) {
    let text;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (error) {
      throw new AptConfigError(`cannot read ${file}: ${error.message}`);
    }
    entries.push(...(file.endsWith('.sources') ? parseDeb822(text, file) : parseOneLine(text, file)));
  }
  return entries.filter((entry) => entry.enabled !== false);
}

// The name apt gives a downloaded file in its lists folder: the URI without scheme and login, some characters
// %-quoted, every `/` turned into `_` (apt's URItoFileName).
export function listsFileName(uri) {
  let rest = uri.replace(/^[A-Za-z][A-Za-z0-9+.-]*:/, '');
  if (rest.startsWith('//')) {
    rest = rest.slice(2);
    const slash = rest.indexOf('/');
    const at = (slash < 0 ? rest : rest.slice(0, slash)).lastIndexOf('@');
    if (at >= 0) rest = rest.slice(at + 1);
  }
  const quoted = [...Buffer.from(rest, 'utf8')].map((byte) => {
    const c = String.fromCharCode(byte);
    return byte <= 0x20 || byte >= 0x7f || '\\|{}[]<>"^~_=!@#$%&*'.includes(c) ? '%' + byte.toString(16).padStart(2, '0') : c;
  });
  return quoted.join('').replaceAll('/', '_');
}

// What apt learnt from the suite's Release file at its last update: who publishes it and which indexes it has.
export function readRelease(root, uri, suite) {
  const base = path.join(root, 'var/lib/apt/lists', listsFileName(uri.replace(/\/*$/, '/') + `dists/${suite}/`));
  for (const name of ['InRelease', 'Release']) {
    let text;
    try {
      text = fs.readFileSync(base + name, 'utf8');
    } catch {
      continue;
    }
    // A clear-signed InRelease: the Release text sits between the armour header's blank line and the signature.
    if (text.startsWith('-----BEGIN PGP SIGNED MESSAGE-----')) text = text.slice(text.indexOf('\n\n') + 2);
    text = text.split('\n-----BEGIN PGP SIGNATURE-----')[0];
    const origin = /^Origin:[ \t]*(.*)$/m.exec(text);
    const indexes = new Set();
    for (const match of text.matchAll(/^[ \t]+\S+[ \t]+\d+[ \t]+(\S+)$/gm)) indexes.add(match[1].replace(/\.(xz|gz|bz2|lzma|zst|lz4)$/, ''));
    return { file: base + name, origin: origin ? origin[1].trim() : '', indexes };
  }
  return null;
}

const key = (uri, suite, component) => [uri.replace(/\/+$/, ''), suite, component].join(' ');

// What to add: the deb-src twin of every Debian (URI, suite, component) that has source indexes and no deb-src yet.
export function planDebSrc(root) {
  const entries = readEntries(root);
  const sourceEntries = new Map();
  for (const entry of entries.filter((e) => e.types.includes('deb-src'))) {
    for (const uri of entry.uris) for (const suite of entry.suites) for (const component of entry.components) {
      if (!sourceEntries.has(key(uri, suite, component))) sourceEntries.set(key(uri, suite, component), entry);
    }
  }
  const plan = { debian: [], ignored: [], present: [], missing: [], noSources: [] };
  const seen = new Set();
  for (const entry of entries.filter((e) => e.types.includes('deb'))) {
    for (const uri of entry.uris) for (const suite of entry.suites) {
      const place = `${uri} ${suite}`;
      if (suite.endsWith('/')) {
        plan.ignored.push({ entry, place, why: 'a flat repository, not a Debian archive' });
        continue;
      }
      const release = readRelease(root, uri, suite);
      if (!release) {
        plan.ignored.push({ entry, place, why: 'apt has no Release file for it yet: run apt-get update first' });
        continue;
      }
      if (release.origin !== 'Debian') {
        plan.ignored.push({ entry, place, why: `not Debian's archive (its Release file says Origin: ${release.origin || '(none)'})` });
        continue;
      }
      plan.debian.push({ entry, place });
      for (const component of entry.components) {
        const triple = key(uri, suite, component);
        if (seen.has(triple)) continue;
        seen.add(triple);
        if (!release.indexes.has(`${component}/source/Sources`)) plan.noSources.push({ entry, place: `${place} ${component}` });
        else if (sourceEntries.has(triple)) plan.present.push({ entry: sourceEntries.get(triple), place: `${place} ${component}` });
        else plan.missing.push({ entry, uri, suite, component });
      }
    }
  }
  return plan;
}

// The deb-src text for one deb entry's missing (URI, suite, component)s, in the entry's own format.
function renderEntry(entry, missing, machinePath) {
  const from = `# deb-src twin of ${machinePath(entry.file)}:${entry.line}\n`;
  if (entry.format === 'one-line') {
    const { uri, suite } = missing[0];
    return `${from}deb-src${entry.options ? ' ' + entry.options : ''} ${uri} ${suite} ${missing.map((m) => m.component).join(' ')}\n`;
  }
  // Group URIs, then suites, that miss the same components, so a full copy keeps the entry's own shape.
  const bySuite = new Map();
  for (const m of missing) {
    const id = `${m.uri}\n${m.suite}`;
    if (!bySuite.has(id)) bySuite.set(id, { uri: m.uri, suite: m.suite, components: [] });
    bySuite.get(id).components.push(m.component);
  }
  const byUri = new Map();
  for (const s of bySuite.values()) {
    const id = `${s.uri}\n${s.components.join(' ')}`;
    if (!byUri.has(id)) byUri.set(id, { uri: s.uri, suites: [], components: s.components });
    byUri.get(id).suites.push(s.suite);
  }
  const stanzas = new Map();
  for (const u of byUri.values()) {
    const id = `${u.suites.join(' ')}\n${u.components.join(' ')}`;
    if (!stanzas.has(id)) stanzas.set(id, { uris: [], suites: u.suites, components: u.components });
    stanzas.get(id).uris.push(u.uri);
  }
  return [...stanzas.values()].map((stanza) => {
    const place = { types: ['deb-src'], uris: stanza.uris, suites: stanza.suites, components: stanza.components };
    const lines = entry.fields.map((field) => {
      const name = field.name.toLowerCase();
      if (PLACE_FIELDS.has(name)) return `${field.name}: ${place[name].join(' ')}`;
      return field.lines.join('\n');
    });
    return from + lines.join('\n') + '\n';
  }).join('\n');
}

// The text to append to each of the script's own files (.sources for deb822 entries, .list for one-line ones).
export function renderAdditions(plan, root) {
  const machinePath = (file) => '/' + path.relative(root, file);
  const byEntry = new Map();
  for (const m of plan.missing) {
    const id = `${m.entry.file}:${m.entry.line}`;
    if (!byEntry.has(id)) byEntry.set(id, []);
    byEntry.get(id).push(m);
  }
  const additions = { sources: [], list: [] };
  for (const missing of byEntry.values()) {
    const entry = missing[0].entry;
    (entry.format === 'one-line' ? additions.list : additions.sources).push(renderEntry(entry, missing, machinePath));
  }
  return additions;
}

function appendTo(file, blocks, separator) {
  const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const head = old ? (old.endsWith('\n') ? '' : '\n') + separator : '# Written by make deps (.ci/apt-deb-src.mjs): source indexes for apt-get source.\n';
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.appendFileSync(file, head + blocks.join(separator));
}

export function main(argv) {
  let root = '/';
  let write = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--root' && i + 1 < argv.length) root = argv[++i];
    else if (argv[i] === '--write') write = true;
    else {
      console.error(`usage: apt-deb-src.mjs [--root DIR] [--write]   (unknown argument: ${argv[i]})`);
      return 1;
    }
  }
  root = path.resolve(root);
  let plan;
  try {
    plan = planDebSrc(root);
  } catch (error) {
    if (!(error instanceof AptConfigError)) throw error;
    console.error(`apt-deb-src: ${error.message}`);
    return 1;
  }
  const show = (items) => items.map((i) => `  ${i.place}  (${i.why ? i.why + '; ' : ''}${i.entry.file}:${i.entry.line})`).join('\n');
  if (!plan.debian.length) {
    const seen = plan.ignored.length ? `; none of its deb entries is Debian's archive:\n${show(plan.ignored)}` : ': it has no deb entry at all';
    console.error(`apt-deb-src: no Debian deb entry to copy as deb-src in ${path.join(root, 'etc/apt')}${seen}\n` +
      'Add the Debian archive this machine should use (deb entry with its Signed-By), run apt-get update, then retry.');
    return 1;
  }
  if (!plan.present.length && !plan.missing.length) {
    console.error(`apt-deb-src: the Release files of this machine's Debian entries list no source indexes:\n${show(plan.noSources)}\n` +
      'apt-get source needs a Debian archive (or mirror) that carries source/Sources; point a deb entry at one.');
    return 1;
  }
  if (plan.ignored.length) console.log(`Not copied (not Debian's archive, or apt cannot tell yet):\n${show(plan.ignored)}`);
  if (plan.noSources.length) console.log(`Not copied (its Release file lists no source indexes):\n${show(plan.noSources)}`);
  if (plan.present.length) console.log(`Debian source indexes already configured:\n${show(plan.present)}`);
  if (!plan.missing.length) {
    console.log('Nothing to add.');
    return 0;
  }
  const additions = renderAdditions(plan, root);
  const targets = [[`${OWN_FILE}.sources`, additions.sources, '\n'], [`${OWN_FILE}.list`, additions.list, '']];
  for (const [relative, blocks, separator] of targets) {
    if (!blocks.length) continue;
    const file = path.join(root, relative);
    const indented = blocks.join(separator).trimEnd().replace(/^(?=.)/gm, '  ');
    if (!write) {
      console.log(`Would add to ${file} (run with --write):\n${indented}`);
      continue;
    }
    try {
      appendTo(file, blocks, separator);
    } catch (error) {
      console.error(`apt-deb-src: cannot write ${file}: ${error.message}${error.code === 'EACCES' ? ' (run as root)' : ''}`);
      return 1;
    }
    console.log(`Added to ${file} (Debian's deb entries with the type changed to deb-src):\n${indented}`);
  }
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
