import helmet from 'helmet';

/**
 * The Content-Security-Policy of the web app: only what it loads. Its scripts and stylesheet come
 * from this origin; its socket is this origin too (`connect-src 'self'` covers same-origin ws: and
 * wss: in every browser the web app supports). The sessionID sits in localStorage, so an injected
 * script would be an account takeover: no inline or foreign script can run.
 *
 * `style-src` allows inline styles: Angular adds each component's styles as a <style> element at
 * run time. A per-response nonce (ngCspNonce) would forbid them too, but needs index.html rendered
 * per request; inline CSS cannot read storage or run code.
 */
export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

/**
 * Security headers on every HTTP response (helmet): the CSP above, `X-Content-Type-Options:
 * nosniff`, no framing (`frame-ancestors 'none'`, `X-Frame-Options: DENY`), `Referrer-Policy:
 * no-referrer`, HSTS (ignored by browsers over plain HTTP), cross-origin isolation headers, and no
 * `X-Powered-By`. Not `upgrade-insecure-requests`: a deployment on plain HTTP (a LAN, localhost)
 * would have its own scripts upgraded to an HTTPS it does not serve.
 */
export function securityHeaders(): ReturnType<typeof helmet> {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: CONTENT_SECURITY_POLICY,
    },
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });
}
