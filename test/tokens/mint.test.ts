import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { SIGNING_ALGS } from '../../src/config.js';
import { KeyRing } from '../../src/keys/ring.js';
import { rotateNow } from '../../src/keys/rotation.js';
import { listKeys } from '../../src/keys/store.js';
import { JwsSigner } from '../../src/keys/jws-signer.js';
import { ACCESS_TOKEN_TYP, mintAccessToken, mintAccessTokenOffLoop } from '../../src/tokens/access-token.js';
import { tokenContext, type TokenContext } from '../../src/tokens/context.js';
import { ID_TOKEN_TYP, mintIdToken } from '../../src/tokens/id-token.js';
import { verifyToken } from '../../src/tokens/verify.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { ManualClock, rotationFor } from '../keys/support.js';

const config = testConfig({ ISSUER: 'https://login.example.test', ACCESS_TOKEN_TTL: '600', ID_TOKEN_TTL: '300' });
const NOW = Date.parse('2032-05-05T05:05:05.750Z');
const NOW_SECONDS = Math.floor(NOW / 1000);

/** OIDC Core 3.1.3.6, written out independently of the implementation. */
function expectedAtHash(accessToken: string, alg: string): string {
  const digest = createHash(alg === 'EdDSA' ? 'sha512' : 'sha256').update(accessToken).digest();
  return digest.subarray(0, alg === 'EdDSA' ? 32 : 16).toString('base64url');
}

describe.each(SIGNING_ALGS)('tokens signed with %s', (alg) => {
  let database: TestDatabase;
  let tokens: TokenContext;
  let jwks: ReturnType<typeof createLocalJWKSet>;
  const clock = new ManualClock(NOW);

  beforeAll(async () => {
    database = await createTestDatabase();
    const deps = rotationFor(database.handle, config, clock, alg);
    await rotateNow(deps);
    const ring = new KeyRing(() => listKeys(database.handle.db), deps.box, clock);
    await ring.reload();
    tokens = tokenContext(ring, config, clock);
    jwks = createLocalJWKSet(JSON.parse(ring.jwks().body) as JSONWebKeySet);
  });
  afterAll(async () => database?.destroy());

  it('mints an RFC 9068 access token that jose verifies', async () => {
    const minted = mintAccessToken(tokens, {
      subject: 'user-42',
      audience: 'https://api.example.test',
      clientId: 'web-app',
      scope: ['openid', 'profile'],
      authTime: NOW_SECONDS - 60,
      sid: 'session-7',
    });
    const { payload, protectedHeader } = await jwtVerify(minted.token, jwks, {
      algorithms: [alg],
      typ: 'at+jwt',
      issuer: config.ISSUER,
      audience: 'https://api.example.test',
      currentDate: new Date(NOW),
    });
    expect(protectedHeader).toEqual({ alg, kid: minted.kid, typ: ACCESS_TOKEN_TYP });
    expect(payload).toEqual({
      iss: 'https://login.example.test',
      sub: 'user-42',
      aud: 'https://api.example.test',
      exp: NOW_SECONDS + 600,
      iat: NOW_SECONDS,
      jti: minted.jti,
      client_id: 'web-app',
      scope: 'openid profile',
      auth_time: NOW_SECONDS - 60,
      sid: 'session-7',
    });
    expect(minted.jti).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(minted.expiresAt).toBe(NOW_SECONDS + 600);
    await expect(verifyToken(tokens, minted.token, { typ: ACCESS_TOKEN_TYP, audience: 'https://api.example.test' })).resolves.toMatchObject({
      kid: minted.kid,
      payload: { sub: 'user-42' },
    });
  });

  it('signs off the event loop only while the pool has room (no password being hashed), and the token is the same either way', async () => {
    const request = { subject: 'svc', audience: 'https://api.example.test', clientId: 'svc', scope: ['read'], jti: 'fixed-jti' };
    const offLoop = vi.spyOn(JwsSigner.prototype, 'signOffLoop');
    try {
      const onPool = await mintAccessTokenOffLoop({ ...tokens, poolHasRoom: () => true }, request);
      expect(offLoop).toHaveBeenCalledTimes(1);
      // Every slot hashing (a login flood): signed at once on the event loop, not queued behind argon2.
      const busy = await mintAccessTokenOffLoop({ ...tokens, poolHasRoom: () => false }, request);
      expect(offLoop).toHaveBeenCalledTimes(1);
      const inline = mintAccessToken(tokens, request);
      for (const minted of [onPool, busy]) {
        expect(minted).toMatchObject({ jti: 'fixed-jti', kid: inline.kid, issuedAt: inline.issuedAt, expiresAt: inline.expiresAt });
        expect(minted.token.split('.').slice(0, 2)).toEqual(inline.token.split('.').slice(0, 2));
        await expect(jwtVerify(minted.token, jwks, { currentDate: new Date(NOW), typ: ACCESS_TOKEN_TYP })).resolves.toBeDefined();
      }
    } finally {
      offLoop.mockRestore();
    }
  });

  it('leaves auth_time and sid out of a token with no user session behind it', async () => {
    const minted = mintAccessToken(tokens, { subject: 'machine', audience: ['a', 'b'], clientId: 'machine', scope: [] });
    const { payload } = await jwtVerify(minted.token, jwks, { currentDate: new Date(NOW), audience: 'b' });
    expect(payload).not.toHaveProperty('auth_time');
    expect(payload).not.toHaveProperty('sid');
    expect(payload.aud).toEqual(['a', 'b']);
    expect(payload.scope).toBe('');
  });

  it('mints an OIDC ID token with nonce, at_hash and sid that jose verifies', async () => {
    const access = mintAccessToken(tokens, { subject: 'user-42', audience: 'web-app', clientId: 'web-app', scope: ['openid'] });
    const minted = mintIdToken(tokens, {
      subject: 'user-42',
      clientId: 'web-app',
      authTime: NOW_SECONDS - 5,
      amr: ['pwd'],
      nonce: 'n-0S6_WzA2Mj',
      accessToken: access.token,
      sid: 'session-7',
      userClaims: { email: 'a@example.test', iss: 'https://evil.test', sub: 'someone-else' },
    });
    const { payload, protectedHeader } = await jwtVerify(minted.token, jwks, {
      algorithms: [alg],
      typ: 'JWT',
      issuer: config.ISSUER,
      audience: 'web-app',
      currentDate: new Date(NOW),
    });
    expect(protectedHeader).toEqual({ alg, kid: minted.kid, typ: ID_TOKEN_TYP });
    expect(payload).toEqual({
      email: 'a@example.test',
      iss: 'https://login.example.test',
      sub: 'user-42',
      aud: 'web-app',
      exp: NOW_SECONDS + 300,
      iat: NOW_SECONDS,
      auth_time: NOW_SECONDS - 5,
      amr: ['pwd'],
      acr: 'urn:latchkey:loa:1',
      jti: minted.jti,
      nonce: 'n-0S6_WzA2Mj',
      at_hash: expectedAtHash(access.token, alg),
      sid: 'session-7',
    });
    await expect(verifyToken(tokens, minted.token, { typ: ID_TOKEN_TYP, audience: 'web-app' })).resolves.toBeDefined();
  });

  it('signs with the active key and names it in the header', async () => {
    const { token } = mintAccessToken(tokens, { subject: 's', audience: 'a', clientId: 'c', scope: [] });
    const [active] = await listKeys(database.handle.db);
    expect(decodeProtectedHeader(token)).toMatchObject({ alg, kid: active!.kid });
  });
});
