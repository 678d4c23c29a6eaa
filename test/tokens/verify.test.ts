import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type JsonWebKey, type KeyObject } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeProtectedHeader, errors, generateKeyPair, importJWK, jwtVerify, SignJWT, type CryptoKey, type JWK } from 'jose';
import { SIGNING_ALGS } from '../../src/config.js';
import { KeyBox } from '../../src/keys/crypto-box.js';
import { generateSigningKey, type GeneratedKey } from '../../src/keys/generate.js';
import { JwsVerifier } from '../../src/keys/jws-verifier.js';
import type { SigningAlg } from '../../src/keys/lifecycle.js';
import { KeyRing } from '../../src/keys/ring.js';
import type { StoredKey } from '../../src/keys/store.js';
import { MAX_TOKEN_LENGTH } from '../../src/tokens/compact-jws.js';
import { tokenContext, type TokenContext } from '../../src/tokens/context.js';
import { InvalidTokenError, verifyToken, type VerifyOptions } from '../../src/tokens/verify.js';
import { testConfig, TEST_KEY_ENCRYPTION_KEY } from '../helpers/config.js';
import { ManualClock } from '../helpers/manual-clock.js';

const config = testConfig({ ISSUER: 'https://login.example.test', ACCESS_TOKEN_TTL: '600', ID_TOKEN_TTL: '300', CLOCK_TOLERANCE: '30' });
const AUDIENCE = 'https://api.example.test';
/** A fraction of a second, so "now" must be floored as jose floors it. */
const NOW = Date.parse('2032-01-01T00:00:00.750Z');
const NOW_S = Math.floor(NOW / 1000);
const ACCESS: VerifyOptions = { typ: 'at+jwt', audience: AUDIENCE };

const b64 = (value: object | string | Buffer) =>
  (Buffer.isBuffer(value) ? value : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value))).toString('base64url');
const parts = (token: string) => token.split('.') as [string, string, string];

type Outcome = { ok: true; kid: string; payload: unknown } | { ok: false; reason: string; claim?: string };

/** What verifyToken answered. */
async function ours(context: TokenContext, token: string, options: VerifyOptions): Promise<Outcome> {
  try {
    const { kid, payload } = await verifyToken(context, token, options);
    return { ok: true, kid, payload };
  } catch (error) {
    if (!(error instanceof InvalidTokenError)) throw error;
    return { ok: false, reason: error.reason, ...(error.claim === undefined ? {} : { claim: error.claim }) };
  }
}

/**
 * The verifyToken Latchkey had before node:crypto, kept verbatim as the reference: the ring's
 * kid and alg checks, then jose.jwtVerify with the same options and its errors mapped the same way.
 */
async function joseReference(context: TokenContext, token: string, options: VerifyOptions): Promise<Outcome> {
  const fail = (reason: string, claim?: string): Outcome => ({ ok: false, reason, ...(claim === undefined ? {} : { claim }) });
  let header;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    return fail('malformed');
  }
  if (typeof header.alg !== 'string' || header.alg.toLowerCase() === 'none' || /^HS/i.test(header.alg)) return fail('alg_not_allowed');
  if (typeof header.kid !== 'string') return fail('unknown_kid');
  const key = context.ring.publishedKey(header.kid);
  if (!key) return fail('unknown_kid');
  if (header.alg !== key.alg) return fail('alg_mismatch');
  try {
    const { payload } = await jwtVerify(token, (await importJWK(key.publicJwk, key.alg)) as CryptoKey, {
      algorithms: [key.alg],
      typ: options.typ,
      issuer: context.issuer,
      audience: options.audience as string | string[],
      clockTolerance: context.clockToleranceSeconds,
      currentDate: new Date(context.clock.now()),
      maxTokenAge: Math.max(context.accessTokenTtlSeconds, context.idTokenTtlSeconds),
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', ...(options.requiredClaims ?? [])],
    });
    return { ok: true, kid: key.kid, payload };
  } catch (error) {
    if (error instanceof errors.JWTExpired) return fail('expired', error.claim);
    if (error instanceof errors.JWTClaimValidationFailed) return fail('claim_invalid', error.claim);
    if (error instanceof errors.JWSSignatureVerificationFailed) return fail('bad_signature');
    if (error instanceof errors.JOSEAlgNotAllowed) return fail('alg_not_allowed');
    return fail('malformed');
  }
}

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

describe('verifyToken (node:crypto) against hostile tokens, and against jose.jwtVerify', () => {
  const clock = new ManualClock(NOW);
  const generated = new Map<SigningAlg, GeneratedKey>();
  const privateKeys = new Map<SigningAlg, KeyObject>();
  let context: TokenContext;

  /** A compact JWS with exactly this header and these payload bytes, signed by the ring's key of `alg`. */
  const signRaw = (header: object, payload: string | Buffer, alg: SigningAlg = 'ES256') => {
    const input = `${b64(header)}.${b64(payload)}`;
    return `${input}.${b64(signatureOf(alg, input))}`;
  };
  const signatureOf = (alg: SigningAlg, input: string): Buffer => {
    const key = privateKeys.get(alg)!;
    const data = Buffer.from(input, 'latin1');
    if (alg === 'ES256') return sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' });
    if (alg === 'EdDSA') return sign(null, data, key);
    return sign('sha256', data, alg === 'PS256' ? { key, padding: 6, saltLength: 32 } : key);
  };
  const kidOf = (alg: SigningAlg) => generated.get(alg)!.kid;
  const headerOf = (alg: SigningAlg = 'ES256', extra: Record<string, unknown> = {}) => ({ alg, kid: kidOf(alg), typ: 'at+jwt', ...extra });
  /** A genuine access token of the ES256 key with these claim overrides. */
  const token = (overrides: Record<string, unknown> = {}, header: Record<string, unknown> = {}) => signRaw(headerOf('ES256', header), JSON.stringify(claims(overrides)));

  beforeAll(async () => {
    const box = new KeyBox(TEST_KEY_ENCRYPTION_KEY);
    const rows: StoredKey[] = [];
    for (const [index, alg] of SIGNING_ALGS.entries()) {
      const key = await generateSigningKey(alg);
      generated.set(alg, key);
      privateKeys.set(alg, createPrivateKey({ key: key.privateJwk as JsonWebKey, format: 'jwk' }));
      // ES256 (index 0) activated last, so it is the signing key; the others are published too.
      rows.push({
        kid: key.kid,
        alg,
        publicJwk: key.publicJwk,
        privateKeyEncrypted: box.seal(JSON.stringify(key.privateJwk), key.kid),
        activatesAt: NOW - 3_600_000 * (index + 1),
        retiresAt: null,
        removesAt: null,
        createdAt: NOW - 3_600_000 * (index + 2),
      });
    }
    const ring = new KeyRing(() => Promise.resolve(rows), box, clock);
    await ring.reload();
    context = tokenContext(ring, config, clock);
  });

  it.each(SIGNING_ALGS)('accepts a genuine %s token, as jose does, with the same payload', async (alg) => {
    const genuine = signRaw(headerOf(alg), JSON.stringify(claims()), alg);
    const outcome = await ours(context, genuine, ACCESS);
    expect(outcome).toEqual({ ok: true, kid: kidOf(alg), payload: claims() });
    expect(await joseReference(context, genuine, ACCESS)).toEqual(outcome);
    // And the ring's own signer's tokens, checked by jose against the published JWKS member.
    const signed = context.ring.publishedKey(kidOf(alg))!.signer.sign(claims(), 'at+jwt');
    expect(await ours(context, signed, ACCESS)).toEqual(outcome);
    expect(await ours({ ...context, poolHasRoom: () => false }, signed, ACCESS)).toEqual(outcome);
    await expect(jwtVerify(signed, await importJWK(generated.get(alg)!.publicJwk, alg), { currentDate: new Date(NOW) })).resolves.toBeDefined();
    // Signed on libuv's pool (signOffLoop): the same header and payload, a signature both accept.
    const offLoop = await context.ring.publishedKey(kidOf(alg))!.signer.signOffLoop(claims(), 'at+jwt');
    expect(parts(offLoop).slice(0, 2)).toEqual(parts(signed).slice(0, 2));
    expect(await ours(context, offLoop, ACCESS)).toEqual(outcome);
    await expect(jwtVerify(offLoop, await importJWK(generated.get(alg)!.publicJwk, alg), { currentDate: new Date(NOW) })).resolves.toBeDefined();
  });

  /**
   * Each hostile token, the reason verifyToken must give, and what jose said: 'same', or 'accepts'
   * where verifyToken is deliberately stricter than jose (padding, whitespace, b64, size, Infinity).
   */
  const hostile: { name: string; make: () => string | Promise<string>; reason: string; claim?: string; options?: VerifyOptions; jose?: 'same' | 'accepts' }[] = [
    // Signature and key
    { name: 'tampered payload (sub changed, signature kept)', make: () => `${parts(token())[0]}.${b64(claims({ sub: 'admin' }))}.${parts(token())[2]}`, reason: 'bad_signature' },
    { name: 'tampered header (typ changed, signature kept)', make: () => `${b64({ ...headerOf(), typ: 'AT+JWT' })}.${parts(token())[1]}.${parts(token())[2]}`, reason: 'bad_signature' },
    { name: 'signature stripped', make: () => `${parts(token())[0]}.${parts(token())[1]}.`, reason: 'bad_signature' },
    { name: 'signature of the right length but another key', make: async () => {
      const { privateKey } = await generateKeyPair('ES256');
      return new SignJWT(claims()).setProtectedHeader(headerOf()).sign(privateKey);
    }, reason: 'bad_signature' },
    { name: 'ECDSA signature in DER instead of P-1363', make: () => {
      const input = `${b64(headerOf())}.${b64(claims())}`;
      return `${input}.${b64(sign('sha256', Buffer.from(input), privateKeys.get('ES256')!))}`;
    }, reason: 'bad_signature' },
    { name: 'signature truncated by one byte', make: () => { const [h, p, s] = parts(token()); return `${h}.${p}.${b64(Buffer.from(s, 'base64url').subarray(1))}`; }, reason: 'bad_signature' },
    { name: 'unknown kid (a foreign key)', make: async () => {
      const { privateKey } = await generateKeyPair('ES256');
      return new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', kid: 'not-a-ring-key', typ: 'at+jwt' }).sign(privateKey);
    }, reason: 'unknown_kid' },
    { name: 'no kid', make: () => signRaw({ alg: 'ES256', typ: 'at+jwt' }, JSON.stringify(claims())), reason: 'unknown_kid' },
    { name: 'kid not a string', make: () => signRaw({ alg: 'ES256', kid: 7, typ: 'at+jwt' }, JSON.stringify(claims())), reason: 'unknown_kid' },
    { name: 'kid of the RS256 key on an ES256 token (kid swap)', make: () => signRaw({ alg: 'ES256', kid: kidOf('RS256'), typ: 'at+jwt' }, JSON.stringify(claims())), reason: 'alg_mismatch' },
    { name: 'alg swapped to ES384 on the ES256 key', make: () => signRaw({ ...headerOf(), alg: 'ES384' }, JSON.stringify(claims())), reason: 'alg_mismatch' },
    { name: 'alg swapped to RS256 on the ES256 key', make: () => signRaw({ ...headerOf(), alg: 'RS256' }, JSON.stringify(claims())), reason: 'alg_mismatch' },
    { name: 'PS256 header and signature on the RS256 key\'s kid', make: () => signRaw({ alg: 'PS256', kid: kidOf('RS256'), typ: 'at+jwt' }, JSON.stringify(claims()), 'PS256'), reason: 'alg_mismatch' },
    { name: 'EdDSA header on the PS256 key', make: () => signRaw({ alg: 'EdDSA', kid: kidOf('PS256'), typ: 'at+jwt' }, JSON.stringify(claims()), 'EdDSA'), reason: 'alg_mismatch' },
    { name: 'alg "none", no signature', make: () => `${b64({ alg: 'none', kid: kidOf('ES256'), typ: 'at+jwt' })}.${b64(claims())}.`, reason: 'alg_not_allowed' },
    { name: 'alg "NoNe"', make: () => `${b64({ alg: 'NoNe', kid: kidOf('ES256'), typ: 'at+jwt' })}.${b64(claims())}.`, reason: 'alg_not_allowed' },
    { name: 'no alg', make: () => signRaw({ kid: kidOf('ES256'), typ: 'at+jwt' }, JSON.stringify(claims())), reason: 'alg_not_allowed' },
    { name: 'alg not a string', make: () => signRaw({ alg: ['ES256'], kid: kidOf('ES256'), typ: 'at+jwt' }, JSON.stringify(claims())), reason: 'alg_not_allowed' },
    ...(['HS256', 'hs384', 'HS512'] as const).flatMap((alg) =>
      (['pem', 'jwk'] as const).map((form) => ({
        name: `${alg} keyed with the RS256 public key as ${form} (RS/HS confusion)`,
        make: () => {
          const publicJwk = generated.get('RS256')!.publicJwk;
          const secret = form === 'pem' ? String(createPublicKey({ key: publicJwk as JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' })) : JSON.stringify(publicJwk);
          const input = `${b64({ alg, kid: kidOf('RS256'), typ: 'at+jwt' })}.${b64(claims())}`;
          return `${input}.${createHmac(`sha${alg.slice(2)}`, secret).update(input).digest('base64url')}`;
        },
        reason: 'alg_not_allowed',
      })),
    ),
    // Header extensions
    { name: 'crit naming an extension we do not know', make: () => signRaw(headerOf('ES256', { crit: ['exp'], exp: 1 }), JSON.stringify(claims())), reason: 'malformed' },
    { name: 'crit empty', make: () => signRaw(headerOf('ES256', { crit: [] }), JSON.stringify(claims())), reason: 'malformed' },
    { name: 'crit ["b64"] with b64 true', make: () => signRaw(headerOf('ES256', { crit: ['b64'], b64: true }), JSON.stringify(claims())), reason: 'malformed', jose: 'accepts' },
    { name: 'crit ["b64"] with b64 false', make: () => signRaw(headerOf('ES256', { crit: ['b64'], b64: false }), JSON.stringify(claims())), reason: 'malformed' },
    { name: 'b64 false without crit', make: () => signRaw(headerOf('ES256', { b64: false }), JSON.stringify(claims())), reason: 'malformed', jose: 'accepts' },
    // Encoding and shape
    { name: 'empty string', make: () => '', reason: 'malformed' },
    { name: 'two dots only', make: () => '..', reason: 'malformed' },
    { name: '2 parts', make: () => parts(token()).slice(0, 2).join('.'), reason: 'malformed' },
    { name: '4 parts', make: () => `${token()}.${parts(token())[2]}`, reason: 'malformed' },
    { name: '5 parts (JWE shape)', make: () => `${parts(token())[0]}.a.b.c.d`, reason: 'malformed' },
    { name: 'not base64url ("+" in the signature)', make: () => { const [h, p, s] = parts(token()); return `${h}.${p}.${s.slice(0, 10)}+${s.slice(11)}`; }, reason: 'malformed' },
    { name: 'not base64url ("/" in the header)', make: () => `ab/c${token()}`, reason: 'malformed' },
    { name: 'base64 padding on the signature', make: () => `${token()}==`, reason: 'malformed', jose: 'accepts' },
    { name: 'whitespace inside the signature', make: () => { const t = token(); return `${t.slice(0, -10)} ${t.slice(-10)}`; }, reason: 'malformed', jose: 'accepts' },
    { name: 'signature of 4n+1 characters', make: () => {
      let signed = token();
      while (parts(signed)[2].length % 4 !== 1) signed += 'A';
      return signed;
    }, reason: 'malformed' },
    { name: 'header not JSON', make: () => `${b64('{alg:ES256')}.${parts(token())[1]}.${parts(token())[2]}`, reason: 'malformed' },
    { name: 'header a JSON array', make: () => signRaw([headerOf()], JSON.stringify(claims())), reason: 'malformed' },
    { name: 'header a JSON string', make: () => `${b64(JSON.stringify('ES256'))}.${parts(token())[1]}.${parts(token())[2]}`, reason: 'malformed' },
    { name: 'header not UTF-8', make: () => `${b64(Buffer.from([0x7b, 0xff, 0x7d]))}.${parts(token())[1]}.${parts(token())[2]}`, reason: 'malformed' },
    {
      name: `a correctly signed token longer than ${MAX_TOKEN_LENGTH} characters`,
      make: () => token({ padding: 'x'.repeat(MAX_TOKEN_LENGTH) }),
      reason: 'malformed',
      jose: 'accepts',
    },
    // Payload (correctly signed)
    { name: 'payload a JSON array', make: () => signRaw(headerOf(), JSON.stringify([claims()])), reason: 'malformed' },
    { name: 'payload a JSON string', make: () => signRaw(headerOf(), JSON.stringify('claims')), reason: 'malformed' },
    { name: 'payload null', make: () => signRaw(headerOf(), 'null'), reason: 'malformed' },
    { name: 'payload not JSON', make: () => signRaw(headerOf(), 'iss=me'), reason: 'malformed' },
    { name: 'payload not UTF-8', make: () => signRaw(headerOf(), Buffer.from([0x7b, 0xc3, 0x28, 0x7d])), reason: 'malformed' },
    { name: 'payload segment of 4n+1 characters', make: () => {
      let payload = b64(JSON.stringify(claims()));
      while (payload.length % 4 !== 1) payload += 'A';
      const input = `${b64(headerOf())}.${payload}`;
      return `${input}.${b64(signatureOf('ES256', input))}`;
    }, reason: 'malformed' },
    // Claims
    { name: 'exp at now - tolerance', make: () => token({ iat: NOW_S - 600, exp: NOW_S - 30 }), reason: 'expired', claim: 'exp' },
    { name: 'exp missing', make: () => token({ exp: undefined }), reason: 'claim_invalid', claim: 'exp' },
    { name: 'exp a string', make: () => token({ exp: String(NOW_S + 600) }), reason: 'claim_invalid', claim: 'exp' },
    { name: 'exp 1e999 (Infinity once parsed)', make: () => signRaw(headerOf(), JSON.stringify(claims()).replace(/"exp":\d+/, '"exp":1e999')), reason: 'claim_invalid', claim: 'exp', jose: 'accepts' },
    { name: 'nbf beyond the tolerance', make: () => token({ nbf: NOW_S + 31 }), reason: 'claim_invalid', claim: 'nbf' },
    { name: 'nbf null', make: () => token({ nbf: null }), reason: 'claim_invalid', claim: 'nbf' },
    { name: 'iat in the future beyond the tolerance', make: () => token({ iat: NOW_S + 31, exp: NOW_S + 900 }), reason: 'claim_invalid', claim: 'iat' },
    { name: 'iat older than any token lives', make: () => token({ iat: NOW_S - 631, exp: NOW_S + 60 }), reason: 'expired', claim: 'iat' },
    { name: 'iat a string', make: () => token({ iat: String(NOW_S) }), reason: 'claim_invalid', claim: 'iat' },
    { name: 'iat missing', make: () => token({ iat: undefined }), reason: 'claim_invalid', claim: 'iat' },
    { name: 'aud another resource', make: () => token({ aud: 'https://other.example.test' }), reason: 'claim_invalid', claim: 'aud' },
    { name: 'aud an array without ours', make: () => token({ aud: ['https://other.example.test', 'x'] }), reason: 'claim_invalid', claim: 'aud' },
    { name: 'aud an empty array', make: () => token({ aud: [] }), reason: 'claim_invalid', claim: 'aud' },
    { name: 'aud a number', make: () => token({ aud: 5 }), reason: 'claim_invalid', claim: 'aud' },
    { name: 'aud missing', make: () => token({ aud: undefined }), reason: 'claim_invalid', claim: 'aud' },
    { name: 'iss another issuer', make: () => token({ iss: 'https://evil.example.test' }), reason: 'claim_invalid', claim: 'iss' },
    { name: 'iss with a trailing slash', make: () => token({ iss: `${config.ISSUER}/` }), reason: 'claim_invalid', claim: 'iss' },
    { name: 'sub missing', make: () => token({ sub: undefined }), reason: 'claim_invalid', claim: 'sub' },
    { name: 'jti missing where required', make: () => token({ jti: undefined }), reason: 'claim_invalid', claim: 'jti', options: { ...ACCESS, requiredClaims: ['jti', 'client_id'] } },
    { name: 'several claims missing (the first in jose\'s order is named)', make: () => token({ jti: undefined, exp: undefined, client_id: undefined, sub: undefined }), reason: 'claim_invalid', claim: 'client_id', options: { ...ACCESS, requiredClaims: ['jti', 'client_id'] } },
    { name: 'typ of an ID token', make: () => token({}, { typ: 'JWT' }), reason: 'claim_invalid', claim: 'typ' },
    { name: 'typ missing', make: () => signRaw({ alg: 'ES256', kid: kidOf('ES256') }, JSON.stringify(claims())), reason: 'claim_invalid', claim: 'typ' },
    { name: 'typ not a string', make: () => token({}, { typ: ['at+jwt'] }), reason: 'claim_invalid', claim: 'typ' },
    { name: 'typ application/jwt', make: () => token({}, { typ: 'application/jwt' }), reason: 'claim_invalid', claim: 'typ' },
    { name: 'an access token where an ID token is expected', make: () => token(), reason: 'claim_invalid', claim: 'typ', options: { typ: 'JWT', audience: AUDIENCE } },
  ];

  it.each(hostile)('rejects $name ($reason)', async ({ make, reason, claim, options = ACCESS, jose = 'same' }) => {
    const hostileToken = await make();
    const outcome = await ours(context, hostileToken, options);
    expect(outcome).toEqual({ ok: false, reason, ...(claim === undefined ? {} : { claim }) });
    // The signature checked on libuv's pool (the pool has room here) and on the event loop alike.
    expect(context.poolHasRoom?.()).toBe(true);
    expect(await ours({ ...context, poolHasRoom: () => false }, hostileToken, options)).toEqual(outcome);
    const reference = await joseReference(context, hostileToken, options);
    if (jose === 'same') expect(reference).toEqual(outcome);
    else expect(reference).toMatchObject({ ok: true });
  });

  it.each([
    ['exp just inside the tolerance', { iat: NOW_S - 600, exp: NOW_S - 29 }, {}],
    ['nbf at now + tolerance', { nbf: NOW_S + 30 }, {}],
    ['iat at now + tolerance', { iat: NOW_S + 30, exp: NOW_S + 900 }, {}],
    ['iat as old as a token may be', { iat: NOW_S - 630, exp: NOW_S + 60 }, {}],
    ['aud an array naming us', { aud: ['x', AUDIENCE] }, {}],
    ['typ in upper case', {}, { typ: 'AT+JWT' }],
    ['typ as a media type', {}, { typ: 'application/at+jwt' }],
    ['an unknown extra header member', {}, { cty: 'JWT', x5u: 'https://evil.example.test/keys' }],
  ])('accepts %s, as jose does', async (_name, overrides, header) => {
    const edge = token(overrides, header);
    const outcome = await ours(context, edge, ACCESS);
    expect(outcome).toMatchObject({ ok: true });
    expect(await joseReference(context, edge, ACCESS)).toEqual(outcome);
  });

  it('agrees with jose on every combination of exp, nbf, iat, aud and typ around the edges', async () => {
    const offsets = { exp: [-31, -30, -29, 0, 1, 600], nbf: [undefined, -1, 29, 30, 31], iat: [-631, -630, -629, 0, 29, 30, 31] };
    const audiences: unknown[] = [AUDIENCE, ['x', AUDIENCE], ['x'], 'x', [], 5, [AUDIENCE, 5]];
    const types: unknown[] = ['at+jwt', 'AT+JWT', 'application/at+jwt', 'JWT', 'at+jwt+x'];
    let checked = 0;
    for (const exp of offsets.exp) {
      for (const nbf of offsets.nbf) {
        for (const iat of offsets.iat) {
          for (const [index, aud] of audiences.entries()) {
            const typ = types[(checked + index) % types.length];
            const candidate = token({ exp: NOW_S + exp, nbf: nbf === undefined ? undefined : NOW_S + nbf, iat: NOW_S + iat, aud }, { typ });
            const options = checked % 3 === 0 ? { ...ACCESS, audience: ['y', AUDIENCE] } : ACCESS;
            expect({ candidate: { exp, nbf, iat, aud, typ }, outcome: await ours(context, candidate, options) }).toEqual({
              candidate: { exp, nbf, iat, aud, typ },
              outcome: await joseReference(context, candidate, options),
            });
            checked++;
          }
        }
      }
    }
    expect(checked).toBe(6 * 5 * 7 * 7);
  });

  it.each(SIGNING_ALGS)('agrees with jose on every one-character alteration of a %s token', async (alg) => {
    const genuine = signRaw(headerOf(alg), JSON.stringify(claims()), alg);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const outcomes = new Map<string, number>();
    for (let i = 0; i < genuine.length; i++) {
      if (genuine[i] === '.') continue;
      const replacement = alphabet[(alphabet.indexOf(genuine[i]!) + 1 + (i % 63)) % 64]!;
      const altered = genuine.slice(0, i) + replacement + genuine.slice(i + 1);
      const outcome = await ours(context, altered, ACCESS);
      expect({ i, outcome }).toEqual({ i, outcome: await joseReference(context, altered, ACCESS) });
      const label = outcome.ok ? 'ok' : outcome.reason;
      outcomes.set(label, (outcomes.get(label) ?? 0) + 1);
    }
    // The alterations reach every layer: the header parse, the signature, and (in the
    // signature's last character, whose low bits base64url ignores) an unchanged signature.
    expect(outcomes.get('bad_signature')).toBeGreaterThan(100);
    expect(outcomes.get('malformed')).toBeGreaterThan(0);
  });

  it('caches one public key object per kid: a reload keeps it, a new kid gets its own', async () => {
    const before = context.ring.publishedKey(kidOf('ES256'))!.verifier;
    await context.ring.reload();
    expect(context.ring.publishedKey(kidOf('ES256'))!.verifier).toBe(before);
    expect(context.ring.publishedKey(kidOf('EdDSA'))!.verifier).not.toBe(before);
  });
});

describe('JwsVerifier', () => {
  it('never verifies with a JWK that does not fit its algorithm (jose refuses such a key too)', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const verifier = new JwsVerifier('ES256', publicKey.export({ format: 'jwk' }) as JWK);
    const input = Buffer.from('a.b');
    expect(verifier.verify(input, sign('sha256', input, { key: privateKey, dsaEncoding: 'ieee-p1363' }))).toBe(false);
  });

  it('answers the same on libuv\'s pool: true for a good signature, false for a wrong, truncated or empty one', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const verifier = new JwsVerifier('ES256', publicKey.export({ format: 'jwk' }) as JWK);
    const input = Buffer.from('a.b');
    const good = sign('sha256', input, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    const wrong = Buffer.from(good);
    wrong[5] = wrong[5]! ^ 1;
    for (const [signature, expected] of [[good, true], [wrong, false], [good.subarray(0, 10), false], [Buffer.alloc(0), false]] as const) {
      expect(await verifier.verifyOffLoop(input, signature)).toBe(expected);
      expect(verifier.verify(input, signature)).toBe(expected);
    }
  });
});
