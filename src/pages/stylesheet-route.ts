import type { FastifyInstance } from 'fastify';
import { STYLESHEET, STYLESHEET_PATH } from './layout.js';

/** Serves the one stylesheet every page links (pages load nothing from outside). */
export function registerStylesheetRoute(app: FastifyInstance): void {
  app.get(STYLESHEET_PATH, (_request, reply) =>
    reply.header('content-type', 'text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(STYLESHEET),
  );
}
