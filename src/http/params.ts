import { OAuthError } from './oauth-error.js';

/** Longest value any OAuth parameter may have; anything bigger is an attack or a bug. */
export const MAX_PARAM_LENGTH = 4096;

export type Params = Record<string, string | undefined>;

/**
 * Reads OAuth parameters from a parsed query or form body. RFC 6749 3.1/3.2: a parameter must not
 * appear twice, and an empty value counts as absent. Anything not a string is refused.
 */
export function readParams(source: unknown, problem: (message: string) => Error = (m) => new OAuthError('invalid_request', m)): Params {
  if (source === undefined || source === null) return {};
  if (typeof source !== 'object' || Array.isArray(source)) throw problem('the request parameters are malformed');
  const params: Params = {};
  for (const [name, value] of Object.entries(source as Record<string, unknown>)) {
    if (Array.isArray(value)) throw problem(`the parameter ${name.slice(0, 64)} is repeated`);
    if (typeof value !== 'string') throw problem(`the parameter ${name.slice(0, 64)} is malformed`);
    if (value.length > MAX_PARAM_LENGTH) throw problem(`the parameter ${name.slice(0, 64)} is too long`);
    if (value.includes('\u0000')) throw problem(`the parameter ${name.slice(0, 64)} is malformed`);
    if (value !== '') params[name] = value;
  }
  return params;
}
