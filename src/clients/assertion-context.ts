import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import type { Database } from '../db/types.js';
import type { ClientAssertionChecks } from './auth-methods/assertion-checks.js';
import { consumeAssertionJti } from './assertion-jti-store.js';
import { ClientKeySets } from './client-keys.js';

/** What private_key_jwt verification runs with, built once per app (app.ts): one key cache per process. */
export function clientAssertionChecks(config: Config, db: Kysely<Database>): ClientAssertionChecks {
  return {
    issuer: config.ISSUER,
    tokenEndpoint: `${config.ISSUER}/token`,
    clockToleranceSeconds: config.CLOCK_TOLERANCE,
    keys: new ClientKeySets({ timeoutMs: config.CLIENT_JWKS_TIMEOUT * 1000, allowHttp: config.NODE_ENV !== 'production' }),
    consumeJti: (clientId, jti, expiresAt) => consumeAssertionJti(db, clientId, jti, expiresAt),
  };
}
