import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Creates the folder `dir` and any missing parents, one level at a time, so that each failure is
 * the system's own (ENOENT, ENOTDIR, EACCES...) for the level that failed. Not
 * `mkdirSync(dir, { recursive: true })`: Node's recursive mkdir never returns for a path under
 * /proc (Node 20: it loops at full CPU).
 */
export function ensureDirectory(dir: string): void {
  const missing: string[] = [];
  for (let at = dir; ; at = dirname(at)) {
    const stat = statSync(at, { throwIfNoEntry: false });
    if (stat) {
      if (!stat.isDirectory())
        throw Object.assign(new Error(`ENOTDIR: not a directory, ${at}`), {
          code: 'ENOTDIR',
        });
      break;
    }
    missing.push(at);
    if (dirname(at) === at) break;
  }
  for (const level of missing.reverse()) mkdirSync(level);
}
