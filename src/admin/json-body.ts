import type { FastifyInstance } from 'fastify';

/**
 * Many HTTP clients send `Content-Type: application/json` with an empty body on DELETE (and on
 * body-less POSTs); fastify's JSON parser answers that with 400. In the admin context an empty
 * body is simply no body (the route's schema then decides); anything else goes to fastify's own
 * parser, so broken JSON is still a 400 and __proto__/constructor poisoning is still refused.
 * Call it on the admin plugin's own instance: the override stays inside that context.
 */
export function acceptEmptyJsonBodies(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body.toString();
    if (text === '') {
      done(null, undefined);
      return;
    }
    parseJson(request, text, done);
  });
}
