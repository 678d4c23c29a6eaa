import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { systemClock } from '../../src/clock.js';
import { rotateNow } from '../../src/keys/rotation.js';
import type { RunningServer } from '../../src/main.js';
import { mintAccessToken } from '../../src/tokens/access-token.js';
import { tokenContext, type TokenContext } from '../../src/tokens/context.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { waitUntil } from '../helpers/wait-until.js';
import { rotationFor, startKeyedServer } from './support.js';

// README "Signing keys": what a resource server meets after `keys rotate --now` (which calls
// rotateNow). jose's createRemoteJWKSet, which express-oauth2-jwt-bearer uses, refetches the JWKS on
// an unknown kid only when its cool-down (cooldownDuration, 30 s by default) since the last fetch
// is over. Real time on both sides: jose reads Date.now() and cannot be given a clock.
const COOLDOWN_MS = 30_000;
const SETTINGS = { ISSUER: 'https://issuer.test' };
const config = testConfig(SETTINGS);

describe('a jose resource server after `keys rotate --now`', () => {
  let database: TestDatabase;
  let server: RunningServer;
  let tokens: TokenContext;

  const mint = () => mintAccessToken(tokens, { subject: 'user-1', audience: 'https://api.test', clientId: 'client-1', scope: ['openid'] }).token;
  const jwksUrl = () => new URL(`${server.url}/.well-known/jwks.json`);
  const verifyWith = (keySet: JWTVerifyGetKey, token: string) => jwtVerify(token, keySet, { issuer: config.ISSUER, audience: 'https://api.test', typ: 'at+jwt' });

  beforeAll(async () => {
    database = await createTestDatabase();
    server = await startKeyedServer(database.handle, systemClock, SETTINGS);
    tokens = tokenContext(server.keys, config, systemClock);
  });
  afterAll(async () => {
    await server?.close();
    await database?.destroy();
  });

  it('rejects the new kid until 30 s after its last JWKS fetch, then accepts it; a resource server that had not fetched accepts at once', async () => {
    const longLived = createRemoteJWKSet(jwksUrl()); // jose's defaults, as a resource server keeps one for its lifetime
    const fetchStartedAt = Date.now();
    await expect(verifyWith(longLived, mint())).resolves.toBeDefined(); // its one fetch

    const { key } = await rotateNow(rotationFor(database.handle, config, systemClock));
    await waitUntil(() => decodeProtectedHeader(mint()).kid === key.kid, { timeoutMs: 5000, what: 'the server signs with the new key' });
    const signedWithNewKey = mint();

    await expect(verifyWith(longLived, signedWithNewKey)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
    expect(Date.now() - fetchStartedAt).toBeLessThan(COOLDOWN_MS); // the rejection above was inside the cool-down
    await expect(verifyWith(createRemoteJWKSet(jwksUrl()), signedWithNewKey)).resolves.toMatchObject({ protectedHeader: { kid: key.kid } });

    let acceptedAt = 0;
    await waitUntil(
      async () => {
        try {
          await verifyWith(longLived, signedWithNewKey);
          acceptedAt = Date.now();
          return true;
        } catch (error) {
          if ((error as { code?: string }).code !== 'ERR_JWKS_NO_MATCHING_KEY') throw error;
          return false;
        }
      },
      { timeoutMs: COOLDOWN_MS + 10_000, intervalMs: 500, what: 'the long-lived key set accepts the new kid' },
    );
    expect(acceptedAt - fetchStartedAt).toBeGreaterThanOrEqual(COOLDOWN_MS);
  }, 60_000);
});
