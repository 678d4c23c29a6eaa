import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { LOGO_PATH, type Branding } from './branding.js';
import { FAVICON_PATH, FAVICON_SVG } from './favicon.js';
import { STYLESHEET_PATH, stylesheet } from './stylesheet.js';

/** An image document may run nothing and load nothing (an SVG opened directly is a document). */
const IMAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

function etagOf(body: string | Buffer): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
}

function serveAsset(app: FastifyInstance, path: string, contentType: string, body: string | Buffer, maxAgeSeconds: number): void {
  const etag = etagOf(body);
  app.get(path, (request, reply) => {
    reply.header('content-type', contentType).header('cache-control', `public, max-age=${maxAgeSeconds}`).header('etag', etag).header('x-content-type-options', 'nosniff');
    if (contentType.startsWith('image/')) reply.header('content-security-policy', IMAGE_CSP).header('cross-origin-resource-policy', 'same-origin');
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.send(body);
  });
}

/**
 * The pages' own assets (stylesheet, favicon, the operator's logo), all served by Latchkey so a
 * page loads nothing from outside, and the branding every page reads through pageUi(request).
 */
export function installPages(app: FastifyInstance, branding: Branding): void {
  app.decorate('pageBranding', branding);
  serveAsset(app, STYLESHEET_PATH, 'text/css; charset=utf-8', stylesheet(branding), 3600);
  serveAsset(app, FAVICON_PATH, 'image/svg+xml', FAVICON_SVG, 86400);
  // Browsers ask for /favicon.ico on their own (and on JSON endpoints): the same icon.
  serveAsset(app, '/favicon.ico', 'image/svg+xml', FAVICON_SVG, 86400);
  if (branding.logo) serveAsset(app, LOGO_PATH, branding.logo.contentType, branding.logo.bytes, 86400);
}
