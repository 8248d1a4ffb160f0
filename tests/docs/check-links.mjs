// Every relative link in the project's Markdown (the README, docs/, the folders' READMEs, SECURITY.md) must lead
// somewhere: the file exists and, with a #fragment, the target has a heading with that anchor (GitHub's rule).
// Usage: node tests/docs/check-links.mjs [repo root]. Exits 1 and lists the broken links.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..'));
const skip = new Set(['node_modules', 'build', '.git']);

// GitHub's heading anchors: lower case, punctuation dropped (hyphens, underscores and letters kept), spaces to
// hyphens; a repeated heading gets -1, -2, ...
function anchors(markdown) {
  const seen = new Map(), out = new Set();
  for (const line of withoutCode(markdown).split('\n')) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const text = m[1].replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const base = text.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n ? `${base}-${n}` : base);
  }
  return out;
}

// Fenced blocks and inline code spans hold examples, not links.
const withoutCode = (md) => md.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');

function links(markdown) {
  const out = [];
  for (const m of withoutCode(markdown).matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) out.push(m[1]);
  return out;
}

// The broken links of one file: [{file, link, why}].
export function check(file, read = (p) => readFileSync(p, 'utf8'), exists = existsSync) {
  const broken = [];
  for (const link of links(read(file))) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue;  // http:, https:, mailto:
    const [path, fragment] = link.split('#');
    const target = path ? resolve(dirname(file), decodeURIComponent(path)) : file;
    if (!exists(target)) {
      broken.push({ file, link, why: 'no such file' });
      continue;
    }
    if (fragment && target.endsWith('.md') && !anchors(read(target)).has(fragment))
      broken.push({ file, link, why: `no heading with the anchor #${fragment}` });
  }
  return broken;
}

function markdownFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    if (skip.has(name)) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...markdownFiles(p));
    else if (name.endsWith('.md')) out.push(p);
  }
  return out;
}

// The checker must catch what it is for: a missing file and a missing anchor in a small made-up pair of files.
const fake = { '/x/a.md': '# Top\n## Two words\n[ok](b.md#the-end) [gone](c.md) [bad](b.md#nowhere) [here](#two-words)\n`[code](z.md)`',
  '/x/b.md': '# The end' };
const selfTest = check('/x/a.md', (p) => fake[p], (p) => p in fake).map((b) => b.link);
if (JSON.stringify(selfTest) !== JSON.stringify(['c.md', 'b.md#nowhere'])) {
  console.log(`FAIL the link checker's own check found ${JSON.stringify(selfTest)}`);
  process.exit(1);
}

const files = markdownFiles(root);
const broken = files.flatMap((f) => check(f));
for (const b of broken) console.log(`FAIL ${relative(root, b.file)}: (${b.link}) ${b.why}`);
console.log(`${files.length} Markdown files, ${files.reduce((n, f) => n + links(readFileSync(f, 'utf8')).length, 0)} links, ${broken.length} broken`);
process.exit(broken.length ? 1 : 0);
