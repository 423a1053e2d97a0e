#!/usr/bin/env node
/**
 * Writes a brotli (`.br`, quality 11) and a gzip (`.gz`, level 9) copy beside each compressible
 * file of the built web app, once, at build: the api serves them to browsers that accept them
 * (apps/api/src/app/web-app.module.ts), at the strongest settings and no CPU per request.
 * A copy that would not be smaller is not written.
 *
 *   node tools/precompress-web.mjs [--dist=dist/apps/web/browser]
 */
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const { values } = parseArgs({
  options: { dist: { type: 'string', default: 'dist/apps/web/browser' } },
  strict: true,
});
const COMPRESSIBLE = new Set([
  '.js',
  '.mjs',
  '.css',
  '.html',
  '.json',
  '.svg',
  '.txt',
  '.ico',
  '.webmanifest',
]);

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else yield path;
  }
}

let count = 0;
let before = 0;
let after = 0;
for (const path of [...files(values.dist)]) {
  if (path.endsWith('.br') || path.endsWith('.gz')) {
    // Left by an earlier build into the same folder.
    rmSync(path);
    continue;
  }
  if (!COMPRESSIBLE.has(extname(path))) continue;
  const raw = readFileSync(path);
  const br = brotliCompressSync(raw, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
    },
  });
  const gz = gzipSync(raw, { level: 9 });
  if (br.length < raw.length) writeFileSync(`${path}.br`, br);
  if (gz.length < raw.length) writeFileSync(`${path}.gz`, gz);
  count++;
  before += raw.length;
  after += Math.min(br.length, raw.length);
  console.log(
    `  ${relative(values.dist, path).padEnd(40)} ${raw.length} → br ${br.length}, gzip ${gz.length} bytes`,
  );
}
console.log(
  `Precompressed ${count} file(s): ${before} bytes, ${after} with brotli.`,
);
