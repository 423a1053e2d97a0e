import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

/**
 * Whether a request may open a Socket.IO connection, judged by its `Origin` header:
 * - no `Origin`: yes. Browsers send one on every websocket upgrade and cross-origin request, so a
 *   request without one is not a web page's (a native client, a test, a bot: the handshake's own
 *   limits apply to it);
 * - an origin in `allowed` (CORS_ORIGIN): yes;
 * - the page's own origin, the host the request was sent to (`Host`): yes. Scheme-aware where the
 *   scheme is known (a TLS connection, or `X-Forwarded-Proto: https` from a trusted proxy: only
 *   `https:` then); behind a proxy that terminates TLS without saying so, `http:` and `https:`
 *   origins of that host are both the page's own;
 * - anything else (another site's page, `null` from a sandboxed frame or a file): no.
 */
export function isAllowedOrigin(
  req: Pick<IncomingMessage, 'headers' | 'socket'>,
  allowed: readonly string[],
  trustProxy: boolean,
): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (allowed.includes(origin)) return true;
  const host = req.headers.host;
  if (host === undefined) return false;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.origin !== origin || url.host !== host.toLowerCase()) return false;
  const scheme = requestScheme(req, trustProxy);
  if (scheme === 'https') return url.protocol === 'https:';
  return url.protocol === 'http:' || url.protocol === 'https:';
}

/** `https` when known to be (TLS here, or a trusted proxy says so); otherwise unknown. */
function requestScheme(
  req: Pick<IncomingMessage, 'headers' | 'socket'>,
  trustProxy: boolean,
): 'https' | undefined {
  if ((req.socket as Partial<TLSSocket>).encrypted) return 'https';
  if (!trustProxy) return undefined;
  const forwarded = req.headers['x-forwarded-proto'];
  const last = [forwarded ?? []]
    .flat()
    .flatMap((value) => value.split(','))
    .map((value) => value.trim().toLowerCase())
    .at(-1);
  return last === 'https' ? 'https' : undefined;
}
