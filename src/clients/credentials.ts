import { ADMIN_SCOPE } from './schema.js';

/**
 * When a client's credentials change (secret rotated without overlap, admin flag or
 * client_credentials grant changed), its client_credentials tokens must die at once. A JWT's
 * `iat` has whole seconds, so a token minted in the same second as the change cannot be told
 * apart from one minted just before it: the cut-off is the next whole second, and tokens minted
 * in the second of the change die too (the client asks again a moment later).
 */
export function credentialsCutOff(changedAt: Date): Date {
  return new Date((Math.floor(changedAt.getTime() / 1000) + 1) * 1000);
}

/** Whether a token issued at `iat` (seconds) predates the client's current credentials. */
export function predatesCredentials(iat: number, client: { credentialsChangedAt: Date }): boolean {
  return iat * 1000 < client.credentialsChangedAt.getTime();
}

/**
 * Whether a verified access-token payload was minted by client_credentials (RFC 6749 4.4): the
 * client is its own subject and no user authenticated (no auth_time, no sid).
 */
export function isClientCredentialsToken(payload: { sub?: unknown; client_id?: unknown; auth_time?: unknown; sid?: unknown }): boolean {
  return typeof payload.sub === 'string' && payload.sub === payload.client_id && payload.auth_time === undefined && payload.sid === undefined;
}

/**
 * The scopes a user's token (authorization code, device code, refresh) may carry for the client:
 * its registered scopes without the reserved `admin`, which only admin clients' own
 * client_credentials tokens hold (a row registered before the name was reserved may carry it).
 */
export function userGrantableScopes(client: { scopes: string[] }): string[] {
  return client.scopes.filter((scope) => scope !== ADMIN_SCOPE);
}

/**
 * The scopes client_credentials may grant the client: its registered scopes, but never the
 * reserved `admin` unless it is an admin client (a row registered before the scope was reserved
 * may still carry it).
 */
export function clientCredentialsScopes(client: { scopes: string[]; admin: boolean }): string[] {
  return client.admin ? client.scopes : client.scopes.filter((scope) => scope !== ADMIN_SCOPE);
}
