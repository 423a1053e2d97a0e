import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { workspaceRoot } from '@nx/devkit';

const readJson = (...path: string[]) =>
  JSON.parse(readFileSync(join(workspaceRoot, ...path), 'utf8')) as {
    version: string;
    dependencies: Record<string, string>;
  };

/**
 * For the specs of the files that use another package's internals: the version the root
 * package.json asks for (it must be pinned exactly), and the version installed.
 */
export const upstream = (name: string) => ({
  pinned: readJson('package.json').dependencies[name],
  installed: readJson('node_modules', name, 'package.json').version,
});
