import type { FastifyError, FastifyInstance } from 'fastify';
import { OAuthError } from './oauth-error.js';
import { isDatabaseUnavailable } from '../db/unavailable.js';
import { PasswordWorkRefused } from '../users/password.js';
import { answerRefusedPasswordWork } from './password-work.js';

/** Client-side failures fastify raises itself (bad JSON, body too large, wrong content type, ...). */
function fromFrameworkError(error: FastifyError): OAuthError | undefined {
  if (error.validation) return new OAuthError('invalid_request', 'the request parameters are not valid');
  const status = error.statusCode ?? 500;
  if (status === 413) return new OAuthError('invalid_request', 'the request body is too large', 413);
  if (status === 415) return new OAuthError('invalid_request', 'unsupported content type', 415);
  if (status === 429) return new OAuthError('too_many_requests', 'too many requests; slow down', 429);
  if (status >= 400 && status < 500) return new OAuthError('invalid_request', 'the request is malformed', status);
  return undefined;
}

/** Every error leaves through here: RFC 6749 JSON, never a stack trace. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof PasswordWorkRefused) return answerRefusedPasswordWork(request, reply, error);
    const oauthError = error instanceof OAuthError ? error : fromFrameworkError(error);
    if (oauthError) {
      if (oauthError.status >= 500) request.log.error({ err: error }, oauthError.description);
      return reply.code(oauthError.status).headers(oauthError.headers).send(oauthError.toJSON());
    }
    if (isDatabaseUnavailable(error)) {
      request.log.warn({ err: { message: error.message, code: error.code } }, 'database unavailable');
      return reply
        .code(503)
        .header('retry-after', '5')
        .send({ error: 'temporarily_unavailable', error_description: 'the service is temporarily unavailable; retry shortly' });
    }
    if (/^22/.test(String(error.code ?? ''))) {
      // Postgres data exceptions (a NUL byte, an out-of-range value): the input was bad.
      return reply.code(400).send({ error: 'invalid_request', error_description: 'the request contains a value the server cannot store' });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send({ error: 'server_error', error_description: 'the server could not complete the request' });
  });

  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send({ error: 'not_found', error_description: 'no such endpoint' }),
  );
}
