import { clientSecretBasic } from './client-secret-basic.js';
import { clientSecretPost } from './client-secret-post.js';
import type { ClientAuthMethod } from './method.js';
import { noClientAuthentication } from './none.js';
import { privateKeyJwt } from './private-key-jwt.js';

/**
 * Every client authentication method Latchkey accepts. Discovery (`*_endpoint_auth_methods_supported`),
 * client validation (`token_endpoint_auth_method`) and authentication read this list: a new
 * method is one strategy file and one line here.
 */
export const AUTH_METHODS = [clientSecretBasic, clientSecretPost, privateKeyJwt, noClientAuthentication] as const satisfies readonly ClientAuthMethod[];

export type AuthMethodName = (typeof AUTH_METHODS)[number]['name'];

export const AUTH_METHOD_NAMES = AUTH_METHODS.map((method) => method.name) as [AuthMethodName, ...AuthMethodName[]];

/** What a new client of this type registers when it names no method (RFC 7591 2 defaults to client_secret_basic). */
export const DEFAULT_AUTH_METHOD = { confidential: 'client_secret_basic', public: 'none' } as const satisfies Record<'confidential' | 'public', AuthMethodName>;

export function authMethodsFor(clientType: 'confidential' | 'public'): AuthMethodName[] {
  return AUTH_METHODS.filter((method) => method.clientType === clientType).map((method) => method.name);
}

export function authMethodNamed(name: AuthMethodName): ClientAuthMethod<AuthMethodName> {
  return AUTH_METHODS.find((method) => method.name === name)!;
}
