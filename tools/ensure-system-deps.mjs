#!/usr/bin/env node
// Makes sure the system tools the test suite drives are present: real Chromium for the browser e2e
// (Playwright never downloads browsers here), redis-server for the multi-node tests (which start
// their own Redis so they can restart it), openssl for the certificates of the TLS tests, and PostgreSQL's initdb and postgres for the PostgreSQL
// stores (whose tests start their own server unless DATABASE_URL is set). Installs them with apt-get when running as root on
// Debian/Ubuntu; otherwise says exactly what to install and fails, so no test is silently skipped.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Debian's PostgreSQL binaries, newest version first: /usr/lib/postgresql/<version>/bin/initdb. */
function debianInitdb() {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .sort((a, b) => Number(b) - Number(a))
    .map((version) => join(root, version, 'bin', 'initdb'));
}

const tools = [
  {
    name: 'Chromium',
    envVar: 'CHROMIUM_PATH',
    candidates: ['/usr/bin/chromium', '/usr/bin/chromium-browser'],
    aptPackage: 'chromium',
  },
  {
    name: 'redis-server',
    envVar: 'REDIS_SERVER_PATH',
    candidates: ['/usr/bin/redis-server', '/usr/local/bin/redis-server'],
    aptPackage: 'redis-server',
  },
  {
    // Certificates for the Redis servers the TLS tests start.
    name: 'openssl',
    envVar: 'OPENSSL_PATH',
    candidates: ['/usr/bin/openssl', '/usr/local/bin/openssl'],
    aptPackage: 'openssl',
  },
  {
    name: 'PostgreSQL (initdb)',
    envVar: 'POSTGRES_BIN_DIR',
    get candidates() {
      return [...debianInitdb(), '/usr/local/bin/initdb'];
    },
    // The folder of initdb and postgres, not a binary.
    fromEnv: (dir) => join(dir, 'initdb'),
    aptPackage: 'postgresql',
    // Its tests use it when set, and start no server of their own.
    skipIfSet: 'DATABASE_URL',
  },
];

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt =
  spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status ===
  0;
let aptUpdated = false;

function find(tool) {
  if (tool.skipIfSet && process.env[tool.skipIfSet]) return tool.skipIfSet;
  const fromEnv = process.env[tool.envVar];
  if (fromEnv) {
    const path = tool.fromEnv ? tool.fromEnv(fromEnv) : fromEnv;
    return existsSync(path) ? path : undefined;
  }
  return tool.candidates.find((path) => existsSync(path));
}

let missing = 0;
for (const tool of tools) {
  if (find(tool)) continue;
  if (isRoot && hasApt) {
    console.log(
      `${tool.name} is missing: installing Debian package '${tool.aptPackage}'…`,
    );
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    if (!aptUpdated)
      execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    aptUpdated = true;
    execFileSync('apt-get', ['install', '-y', '-qq', tool.aptPackage], {
      stdio: 'inherit',
      env,
    });
    if (find(tool)) continue;
  }
  missing++;
  console.error(
    `${tool.name} not found (looked at ${tool.envVar} and ${tool.candidates.join(', ')}).\n` +
      `  Install it, e.g. 'sudo apt-get install -y ${tool.aptPackage}' on Debian/Ubuntu,\n` +
      `  or point ${tool.envVar} at an existing binary.`,
  );
}
process.exit(missing ? 1 : 0);
