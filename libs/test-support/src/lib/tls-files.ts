import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The files of a TLS server the tests start: its certificate, key, and the CA that signed it. */
export interface TlsFiles {
  /** The CA's certificate (PEM): NODE_EXTRA_CA_CERTS for an api process that must trust it. */
  ca: string;
  cert: string;
  key: string;
}

/**
 * Makes, in `dir`, a certificate authority and a certificate for 127.0.0.1 signed by it (P-256,
 * valid for a day), with the `openssl` command (OPENSSL_PATH or `openssl` on the PATH).
 */
export function makeTlsFiles(dir: string): TlsFiles {
  const binary = process.env['OPENSSL_PATH'] || 'openssl';
  const file = (name: string) => join(dir, name);
  const run = (args: string[]) => {
    try {
      execFileSync(binary, args, { stdio: 'pipe' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        throw new Error(
          `openssl not found (tried "${binary}"): install it (Debian: apt-get install openssl) or set OPENSSL_PATH`,
        );
      const output = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
      throw new Error(`openssl ${args[0]} failed: ${output}`);
    }
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];
  run([
    'req',
    '-x509',
    ...ec,
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=chat test CA',
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.crt'),
  ]);
  run([
    'req',
    ...ec,
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    file('server.key'),
    '-out',
    file('server.csr'),
  ]);
  writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  run([
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-days',
    '1',
    '-CA',
    file('ca.crt'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-extfile',
    file('server.ext'),
    '-out',
    file('server.crt'),
  ]);
  return {
    ca: file('ca.crt'),
    cert: file('server.crt'),
    key: file('server.key'),
  };
}

/**
 * redis-server arguments for TLS on `tlsPort` beside its plain port (which the tests' own
 * readiness checks use); `cluster`: the cluster bus over TLS too, and TLS clients told TLS ports.
 */
export const redisTlsArgs = (
  files: TlsFiles,
  tlsPort: number,
  cluster = false,
): string[] => [
  '--tls-port',
  String(tlsPort),
  '--tls-cert-file',
  files.cert,
  '--tls-key-file',
  files.key,
  '--tls-ca-cert-file',
  files.ca,
  '--tls-auth-clients',
  'no',
  ...(cluster ? ['--tls-cluster', 'yes'] : []),
];
