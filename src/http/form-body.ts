import type { FastifyRequest } from 'fastify';
import { OAuthError } from './oauth-error.js';
import { readParams, type Params } from './params.js';

/** RFC 6749 3.2, RFC 7009 2.1, RFC 7662 2.1: these endpoints take application/x-www-form-urlencoded only. */
export function requireFormBody(request: FastifyRequest): Params {
  const type = String(request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new OAuthError('invalid_request', 'the body must be application/x-www-form-urlencoded');
  }
  return readParams(request.body);
}
