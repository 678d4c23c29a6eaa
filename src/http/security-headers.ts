import type { FastifyInstance } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

/** Latchkey's helmet settings: no default CSP directives, HSTS only behind an https issuer. */
export function securityHeaderOptions(issuer: string): HelmetOptions {
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'self'"] },
    },
    hsts: issuer.startsWith('https:') ? { maxAge: 31536000, includeSubDomains: true } : false,
    crossOriginResourcePolicy: { policy: 'same-site' },
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'deny' },
  };
}

/**
 * The headers helmet sets for these options. They depend on nothing in the request, so they are
 * computed once here instead of per request (@fastify/helmet builds a new helmet middleware,
 * re-parsing the CSP directives, on every request: a tenth of the CPU of a JWKS request).
 */
export function staticSecurityHeaders(options: Readonly<HelmetOptions>): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: string | number) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: () => undefined,
  };
  helmet(options)({} as never, response as never, (error?: unknown) => {
    if (error) throw error;
  });
  return Object.freeze(headers);
}

/**
 * Helmet headers that govern only a document a browser renders (window opener, agent cluster,
 * DNS prefetching of its links, IE8's download prompt, Flash/PDF policy files, the retired XSS
 * auditor): they do nothing on a JSON body, a redirect or an empty response, so only HTML pages
 * carry them. Each header costs every response its validation, its bytes and their copy into
 * the socket; these six are a third of helmet's bytes.
 */
const DOCUMENT_ONLY = new Set([
  'cross-origin-opener-policy',
  'origin-agent-cluster',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-permitted-cross-domain-policies',
  'x-xss-protection',
]);

/** Helmet's headers split into those every response carries and those only HTML pages add. */
export function splitSecurityHeaders(options: Readonly<HelmetOptions>): { everyResponse: Readonly<Record<string, string>>; documentsOnly: Readonly<Record<string, string>> } {
  const everyResponse: Record<string, string> = {};
  const documentsOnly: Record<string, string> = {};
  for (const [name, value] of Object.entries(staticSecurityHeaders(options))) (DOCUMENT_ONLY.has(name) ? documentsOnly : everyResponse)[name] = value;
  return { everyResponse: Object.freeze(everyResponse), documentsOnly: Object.freeze(documentsOnly) };
}

/**
 * Sets the security headers on every reply, first thing, so routes may still override one (in
 * one call, from an object computed once); an HTML page gets the document-only ones as it is sent.
 */
export function installSecurityHeaders(app: FastifyInstance, options: Readonly<HelmetOptions>): void {
  const { everyResponse, documentsOnly } = splitSecurityHeaders(options);
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(everyResponse);
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    const type = reply.getHeader('content-type');
    if (typeof type === 'string' && type.startsWith('text/html')) reply.headers(documentsOnly);
    done(null, payload);
  });
}
