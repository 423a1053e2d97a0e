#!/usr/bin/env node
/**
 * The web app's budget on what users download first: the initial JavaScript, gzipped.
 *
 * Angular's own budgets (`budgets` in apps/web/project.json) measure raw file sizes only, so this
 * check runs after the production build (`nx build web`): it takes the initial scripts, those
 * index.html loads (`<script src>`, `<link rel="modulepreload">`) and every chunk they import
 * statically (dynamic `import()` chunks are lazy, not initial), gzips each one (level 9, roughly
 * what a server sends), prints the figures and exits 1 above the budget.
 *
 *   node tools/check-web-budget.mjs [--dist=dist/apps/web/browser] [--max-kb=80]
 *
 * KB here: 1000 bytes, as Angular's budgets count.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';

const { values } = parseArgs({
  options: {
    dist: { type: 'string', default: 'dist/apps/web/browser' },
    'max-kb': { type: 'string', default: '80' },
  },
  strict: true,
});
const dist = values.dist;
const maxKb = Number(values['max-kb']);
if (!Number.isFinite(maxKb) || maxKb <= 0) {
  console.error('check-web-budget: --max-kb must be a positive number');
  process.exit(2);
}
const indexPath = join(dist, 'index.html');
if (!existsSync(indexPath)) {
  console.error(
    `check-web-budget: ${indexPath} is missing: build the web app first`,
  );
  process.exit(2);
}

/** Local .js references of index.html that load at startup. */
function entryScripts(html) {
  const files = [];
  const tag = /<(script|link)\b[^>]*>/gi;
  for (const [element, name] of html.matchAll(tag)) {
    const attribute = (attr) =>
      new RegExp(`\\b${attr}\\s*=\\s*["']([^"']+)["']`, 'i').exec(element)?.[1];
    const url =
      name.toLowerCase() === 'script'
        ? attribute('src')
        : /modulepreload/i.test(attribute('rel') ?? '')
          ? attribute('href')
          : undefined;
    if (url && !/^[a-z]+:|^\/\//i.test(url) && url.endsWith('.js'))
      files.push(posix.normalize(url.replace(/^\//, '')));
  }
  return files;
}

/** Chunks a script imports statically: `import … from "./x.js"`, `import "./x.js"`, `export … from "./x.js"`. */
function staticImports(code, from) {
  const found = [];
  const pattern = /\b(?:from|import)\s*["'](\.{1,2}\/[^"']+\.js)["']/g;
  for (const [, specifier] of code.matchAll(pattern))
    found.push(posix.normalize(posix.join(posix.dirname(from), specifier)));
  return found;
}

const initial = [];
const queue = entryScripts(readFileSync(indexPath, 'utf8'));
const seen = new Set();
while (queue.length && seen.size < 10_000) {
  const file = queue.shift();
  if (seen.has(file)) continue;
  seen.add(file);
  const path = join(dist, file);
  if (!existsSync(path)) {
    console.error(
      `check-web-budget: ${file} (from index.html or an import) is missing in ${dist}`,
    );
    process.exit(2);
  }
  const code = readFileSync(path);
  initial.push({
    file,
    raw: code.length,
    gzip: gzipSync(code, { level: 9 }).length,
  });
  queue.push(...staticImports(code.toString('utf8'), file));
}
if (!initial.length) {
  console.error(`check-web-budget: no initial script found in ${indexPath}`);
  process.exit(2);
}

const kb = (bytes) => (bytes / 1000).toFixed(2);
const total = initial.reduce((sum, f) => sum + f.gzip, 0);
const raw = initial.reduce((sum, f) => sum + f.raw, 0);
for (const f of initial)
  console.log(
    `  ${f.file.padEnd(40)} ${kb(f.raw).padStart(9)} kB raw ${kb(f.gzip).padStart(8)} kB gzip`,
  );
const verdict = total <= maxKb * 1000;
console.log(
  `Initial JavaScript: ${kb(total)} kB gzipped (${kb(raw)} kB raw, ${initial.length} file(s)); ` +
    `budget ${maxKb} kB: ${verdict ? 'within' : 'EXCEEDED'}.`,
);
process.exit(verdict ? 0 : 1);
