import { createHmac, createPublicKey, type JsonWebKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { KeyRing } from '../../src/keys/ring.js';
import { rotateNow } from '../../src/keys/rotation.js';
import { listKeys } from '../../src/keys/store.js';
import { ACCESS_TOKEN_TYP, mintAccessToken } from '../../src/tokens/access-token.js';
import { tokenContext, type TokenContext } from '../../src/tokens/context.js';
import { ID_TOKEN_TYP, mintIdToken } from '../../src/tokens/id-token.js';
import { InvalidTokenError, verifyToken, type InvalidTokenReason } from '../../src/tokens/verify.js';
import { JwsSigner } from '../../src/keys/jws-signer.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { ManualClock, rotationFor, SECOND } from '../keys/support.js';

const config = testConfig({ ISSUER: 'https://login.example.test', ACCESS_TOKEN_TTL: '600', ID_TOKEN_TTL: '300', CLOCK_TOLERANCE: '30' });
const AUDIENCE = 'https://api.example.test';
const NOW = Date.parse('2032-01-01T00:00:00Z');
const NOW_S = NOW / 1000;

const b64 = (value: object | string) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const parts = (token: string) => token.split('.') as [string, string, string];
const withHeader = (token: string, header: object) => {
  const [, payload, signature] = parts(token);
  return `${b64(header)}.${payload}.${signature}`;
};

describe('verifyToken rejects forged and invalid tokens', () => {
  let database: TestDatabase;
  let tokens: TokenContext;
  let ring: KeyRing;
  const clock = new ManualClock(NOW - SECOND);
  let esKid: string;
  let rsKid: string;

  const claims = (overrides: Record<string, unknown> = {}) => ({
    iss: config.ISSUER,
    sub: 'user-1',
    aud: AUDIENCE,
    iat: NOW_S,
    exp: NOW_S + 600,
    jti: 'jti-1',
    client_id: 'client-1',
    scope: 'openid',
    ...overrides,
  });
  /** Signed by the ring's active key, with whatever claims and typ the test wants. */
  const signed = (overrides: Record<string, unknown> = {}, typ = ACCESS_TOKEN_TYP) => ring.signer().sign(claims(overrides), typ);
  const verifyAccess = (token: string) => verifyToken(tokens, token, { typ: ACCESS_TOKEN_TYP, audience: AUDIENCE });
  const expectRejected = async (token: string, reason: InvalidTokenReason, claim?: string) => {
    const error = await verifyAccess(token).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidTokenError);
    expect(error).toMatchObject({ reason, claim });
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    // An RS256 key, retired but still published, and an active ES256 key.
    const rs = await rotateNow(rotationFor(database.handle, config, clock, 'RS256'));
    clock.set(NOW);
    const es = await rotateNow(rotationFor(database.handle, config, clock, 'ES256'));
    rsKid = rs.key.kid;
    esKid = es.key.kid;
    const deps = rotationFor(database.handle, config, clock);
    ring = new KeyRing(() => listKeys(database.handle.db), deps.box, clock);
    await ring.reload();
    tokens = tokenContext(ring, config, clock);
  });
  afterAll(async () => database?.destroy());

  it('accepts a genuine token (the baseline every attack below alters)', async () => {
    const { token } = mintAccessToken(tokens, { subject: 'user-1', audience: AUDIENCE, clientId: 'client-1', scope: ['openid'] });
    await expect(verifyAccess(token)).resolves.toMatchObject({ kid: esKid, payload: { sub: 'user-1' } });
    await expect(verifyAccess(ring.publishedKey(rsKid)!.signer.sign(claims(), ACCESS_TOKEN_TYP))).resolves.toMatchObject({ kid: rsKid });
  });

  it('rejects alg "none" (unsigned) tokens', async () => {
    for (const alg of ['none', 'None', 'NONE']) {
      await expectRejected(`${b64({ alg, kid: esKid, typ: 'at+jwt' })}.${b64(claims())}.`, 'alg_not_allowed');
    }
  });

  it('rejects HS256 tokens keyed with the public key (the RS256/HS256 confusion attack)', async () => {
    const publicJwk = ring.publishedKey(rsKid)!.publicJwk;
    const pem = createPublicKey({ key: publicJwk as JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    for (const secret of [String(pem), JSON.stringify(publicJwk)]) {
      for (const alg of ['HS256', 'HS512']) {
        const input = `${b64({ alg, kid: rsKid, typ: 'at+jwt' })}.${b64(claims())}`;
        const mac = createHmac(alg === 'HS256' ? 'sha256' : 'sha512', secret).update(input).digest('base64url');
        await expectRejected(`${input}.${mac}`, 'alg_not_allowed');
      }
    }
  });

  it('rejects a header alg that differs from the key\'s alg', async () => {
    await expectRejected(withHeader(signed(), { alg: 'ES384', kid: esKid, typ: 'at+jwt' }), 'alg_mismatch');
    await expectRejected(withHeader(signed(), { alg: 'RS256', kid: esKid, typ: 'at+jwt' }), 'alg_mismatch');
    // A real PS256 signature made with the RS256 key's private key: valid crypto, wrong algorithm for the key.
    const rsKey = ring.publishedKey(rsKid)!;
    const pssWithRsKey = new JwsSigner(rsKid, 'PS256', JSON.parse(await decryptedJwk(rsKid)) as Record<string, string>);
    expect(rsKey.alg).toBe('RS256');
    await expectRejected(pssWithRsKey.sign(claims(), ACCESS_TOKEN_TYP), 'alg_mismatch');
  });

  it('rejects an unknown kid, and a token with no kid', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const foreign = await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', kid: 'not-a-ring-key', typ: 'at+jwt' }).sign(privateKey);
    await expectRejected(foreign, 'unknown_kid');
    await expectRejected(withHeader(signed(), { alg: 'ES256', typ: 'at+jwt' }), 'unknown_kid');
  });

  it('rejects a stripped, altered or foreign signature under a ring kid', async () => {
    const [header, payload, signature] = parts(signed());
    await expectRejected(`${header}.${payload}.`, 'bad_signature');
    await expectRejected(`${header}.${payload}`, 'malformed');
    await expectRejected(`${header}.${b64(claims({ sub: 'admin' }))}.${signature}`, 'bad_signature');
    const { privateKey } = await generateKeyPair('ES256');
    const impostor = await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', kid: esKid, typ: 'at+jwt' }).sign(privateKey);
    await expectRejected(impostor, 'bad_signature');
    await expectRejected('not.a.jwt', 'malformed');
    await expectRejected('', 'malformed');
  });

  it('rejects the wrong issuer or audience, and missing required claims', async () => {
    await expectRejected(signed({ iss: 'https://evil.example.test' }), 'claim_invalid', 'iss');
    await expectRejected(signed({ aud: 'https://other-api.example.test' }), 'claim_invalid', 'aud');
    await expectRejected(signed({ sub: undefined }), 'claim_invalid', 'sub');
    await expectRejected(signed({ exp: undefined }), 'claim_invalid', 'exp');
  });

  it('rejects a token expired beyond the clock tolerance, and accepts one within it', async () => {
    await expectRejected(signed({ iat: NOW_S - 600, exp: NOW_S - 30 }), 'expired', 'exp');
    await expect(verifyAccess(signed({ iat: NOW_S - 600, exp: NOW_S - 29 }))).resolves.toBeDefined();
  });

  it('rejects nbf or iat in the future beyond the tolerance, and an iat older than any token lives', async () => {
    await expectRejected(signed({ nbf: NOW_S + 31 }), 'claim_invalid', 'nbf');
    await expect(verifyAccess(signed({ nbf: NOW_S + 30 }))).resolves.toBeDefined();
    await expectRejected(signed({ iat: NOW_S + 31, exp: NOW_S + 900 }), 'claim_invalid', 'iat');
    await expectRejected(signed({ iat: NOW_S - 700, exp: NOW_S + 60 }), 'expired', 'iat');
  });

  it('rejects a token of the wrong type (an ID token presented as an access token, and back)', async () => {
    const idToken = mintIdToken(tokens, { subject: 'user-1', clientId: AUDIENCE, authTime: NOW_S, amr: ['pwd'] }).token;
    await expectRejected(idToken, 'claim_invalid', 'typ');
    const accessToken = mintAccessToken(tokens, { subject: 'user-1', audience: AUDIENCE, clientId: 'c', scope: [] }).token;
    await expect(verifyToken(tokens, accessToken, { typ: ID_TOKEN_TYP, audience: AUDIENCE })).rejects.toMatchObject({ reason: 'claim_invalid', claim: 'typ' });
    const esPrivateKey = await importJWK(JSON.parse(await decryptedJwk(esKid)) as JWK, 'ES256');
    const untyped = await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', kid: esKid }).sign(esPrivateKey);
    await expectRejected(untyped, 'claim_invalid', 'typ');
  });

  it('rejects tokens of a key once it has been removed from the JWKS', async () => {
    const token = ring.publishedKey(rsKid)!.signer.sign(claims(), ACCESS_TOKEN_TYP);
    const rsRow = (await listKeys(database.handle.db)).find((key) => key.kid === rsKid)!;
    clock.set(rsRow.removesAt!);
    try {
      await expectRejected(token, 'unknown_kid');
    } finally {
      clock.set(NOW);
    }
  });

  async function decryptedJwk(kid: string): Promise<string> {
    const row = (await listKeys(database.handle.db)).find((key) => key.kid === kid)!;
    return rotationFor(database.handle, config, clock).box.open(row.privateKeyEncrypted, kid);
  }
});
