import { createHmac, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { base64url, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkDpopProof, MAX_PROOF_LENGTH, PROOF_MAX_AGE_SECONDS, type ProofRequest } from '../../src/dpop/proof.js';
import { DpopNonces, NONCE_WINDOW_SECONDS } from '../../src/dpop/nonce.js';
import { makeProof, proofKey, unsignedProof, type ProofKey } from './support.js';

const NOW = 1_800_000_000;
const URL_ = 'https://id.example.com/token';
const request = (headers: string[], extra: Partial<ProofRequest> = {}): ProofRequest => ({ headers, method: 'POST', url: URL_, now: NOW, toleranceSeconds: 30, ...extra });

describe('DPoP proof checks (RFC 9449 4.3)', () => {
  let es256: ProofKey;
  let other: ProofKey;
  beforeAll(async () => {
    es256 = await proofKey('ES256');
    other = await proofKey('ES256');
  });
  const proof = (options: Parameters<typeof makeProof>[1] = {}) => makeProof(es256, { htu: URL_, iat: NOW, ...options });

  it.each(['ES256', 'ES384', 'EdDSA', 'Ed25519', 'RS256', 'PS256'])('accepts a proof signed with %s and returns the key thumbprint', async (alg) => {
    const key = await proofKey(alg);
    const result = await checkDpopProof(request([await makeProof(key, { htu: URL_, iat: NOW })]));
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.proof.jkt).toBe(await calculateJwkThumbprint(key.publicJwk, 'sha256'));
  });

  it('gives each key its own thumbprint and the same key the same one, proof after proof', async () => {
    const jkt = async (key: ProofKey) => {
      const result = await checkDpopProof(request([await makeProof(key, { htu: URL_, iat: NOW })]));
      if (!result.ok) throw new Error(result.detail);
      return result.proof.jkt;
    };
    const [first, again, another] = [await jkt(es256), await jkt(es256), await jkt(other)];
    expect(again).toBe(first);
    expect(another).not.toBe(first);
    expect(another).toBe(await calculateJwkThumbprint(other.publicJwk, 'sha256'));
  });

  it('ignores the query and fragment of htu and normalises case and default ports', async () => {
    for (const htu of ['https://id.example.com/token?x=1#frag', 'HTTPS://ID.EXAMPLE.COM:443/token']) {
      expect((await checkDpopProof(request([await proof({ htu })]))).ok).toBe(true);
    }
  });

  it('accepts iat within the tolerance in the future and within the proof age in the past', async () => {
    expect((await checkDpopProof(request([await proof({ iat: NOW + 30 })]))).ok).toBe(true);
    expect((await checkDpopProof(request([await proof({ iat: NOW - PROOF_MAX_AGE_SECONDS - 30 })]))).ok).toBe(true);
  });

  it('checks ath against the access token when one is presented', async () => {
    const ok = await checkDpopProof(request([await proof({ accessToken: 'at-1' })], { accessToken: 'at-1' }));
    expect(ok.ok).toBe(true);
  });

  const hostile: [string, () => Promise<string[]>, Partial<ProofRequest>, string][] = [
    ['no header', async () => [], {}, 'missing'],
    ['two DPoP headers', async () => [await proof(), await proof()], {}, 'multiple'],
    ['two proofs joined into one header', async () => [`${await proof()}, ${await proof()}`], {}, 'multiple'],
    ['an oversized proof', async () => [await proof({ claims: { pad: 'x'.repeat(MAX_PROOF_LENGTH) } })], {}, 'oversized'],
    ['something that is not a JWS', async () => ['not-a-jwt'], {}, 'malformed'],
    ['typ JWT', async () => [await proof({ header: { typ: 'JWT' } })], {}, 'bad_header'],
    ['alg none', async () => [unsignedProof({ jwk: es256.publicJwk }, { htm: 'POST', htu: URL_, iat: NOW, jti: randomUUID() })], {}, 'malformed'],
    ['HS256 with a symmetric jwk', async () => [hs256Proof()], {}, 'bad_header'],
    ['a private key in the jwk header', async () => [await makeProof(es256, { htu: URL_, iat: NOW, header: { jwk: await privateJwk() } })], {}, 'bad_header'],
    ['no jwk header', async () => [await proof({ header: { jwk: undefined } })], {}, 'bad_header'],
    ['a signature by another key than the jwk', async () => [await makeProof({ ...other, publicJwk: es256.publicJwk }, { htu: URL_, iat: NOW })], {}, 'bad_signature'],
    ['a wrong htm', async () => [await proof({ htm: 'GET' })], {}, 'htm'],
    ['a wrong htu path', async () => [await proof({ htu: 'https://id.example.com/userinfo' })], {}, 'htu'],
    ['a wrong htu host', async () => [await proof({ htu: 'https://evil.example.com/token' })], {}, 'htu'],
    ['an htu that is not a URL', async () => [await proof({ htu: 'token' })], {}, 'htu'],
    ['iat beyond the tolerance in the future', async () => [await proof({ iat: NOW + 31 })], {}, 'iat'],
    ['iat too old', async () => [await proof({ iat: NOW - PROOF_MAX_AGE_SECONDS - 31 })], {}, 'iat'],
    ['an exp in the past', async () => [await proof({ claims: { exp: NOW - 100 } })], {}, 'bad_header'],
    ['an nbf in the future', async () => [await proof({ claims: { nbf: NOW + 100 } })], {}, 'bad_header'],
    ['an exp that is not a number', async () => [await proof({ claims: { exp: 'soon' } })], {}, 'bad_header'],
    ['ES256 with a P-384 key (signed by it)', async () => [handMade('ES256', p384, { jwk: jwkOf(p384) })], {}, 'bad_header'],
    ['EdDSA with an EC key', async () => [handMade('EdDSA', p256, { jwk: jwkOf(p256) })], {}, 'bad_header'],
    ['RS256 with a 1024-bit key', async () => [handMade('RS256', rsa1024, { jwk: jwkOf(rsa1024) })], {}, 'bad_header'],
    ['a jwk whose x is a number', async () => [handMade('ES256', p256, { jwk: { ...jwkOf(p256), x: 42 } })], {}, 'bad_header'],
    ['a jwk that is not a point on the curve', async () => [handMade('ES256', p256, { jwk: { ...jwkOf(p256), y: offCurve(jwkOf(p256).y as string) } })], {}, 'bad_header'],
    ['a truncated signature', async () => [(await proof()).slice(0, -8)], {}, 'bad_signature'],
    ['a payload that is a JSON array', async () => [handMade('ES256', p256, { jwk: jwkOf(p256) }, [{ htm: 'POST', htu: URL_, iat: NOW, jti: 'x' }])], {}, 'malformed'],
    ['no jti', async () => [await proof({ claims: { jti: undefined } })], {}, 'bad_claims'],
    ['a jti of 300 characters', async () => [await proof({ jti: 'j'.repeat(300) })], {}, 'bad_claims'],
    ['a nonce that is not a string', async () => [await proof({ claims: { nonce: 42 } })], {}, 'bad_claims'],
    ['no ath with an access token', async () => [await proof()], { accessToken: 'at-1' }, 'ath'],
    ['an ath of another access token', async () => [await proof({ accessToken: 'at-2' })], { accessToken: 'at-1' }, 'ath'],
  ];

  it.each(hostile)('refuses %s', async (_label, headers, extra, reason) => {
    const result = await checkDpopProof(request(await headers(), extra));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toBe(reason);
  });

  // Keys and proofs made with node:crypto, for what jose refuses to make (small RSA keys, a key of
  // the wrong curve for its alg, a payload that is not an object).
  const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
  const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
  function jwkOf(privateKey: KeyObject): Record<string, unknown> {
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicMembers } = privateKey.export({ format: 'jwk' });
    return publicMembers;
  }
  /** The same length as a coordinate, one bit off: no longer a point of the curve. */
  function offCurve(coordinate: string): string {
    const bytes = Buffer.from(coordinate, 'base64url');
    bytes[bytes.length - 1]! ^= 1;
    return bytes.toString('base64url');
  }
  function handMade(alg: string, privateKey: KeyObject, header: Record<string, unknown>, payload: unknown = { htm: 'POST', htu: URL_, iat: NOW, jti: randomUUID() }): string {
    const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
    const input = `${encode({ alg, typ: 'dpop+jwt', ...header })}.${encode(payload)}`;
    const ec = privateKey.asymmetricKeyType === 'ec';
    const digest = privateKey.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'sha384' : 'sha256';
    return `${input}.${sign(digest, Buffer.from(input), ec ? { key: privateKey, dsaEncoding: 'ieee-p1363' } : privateKey).toString('base64url')}`;
  }

  async function privateJwk() {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    return exportJWK(privateKey);
  }

  function hs256Proof(): string {
    const encode = (value: object) => base64url.encode(JSON.stringify(value));
    const input = `${encode({ alg: 'HS256', typ: 'dpop+jwt', jwk: { kty: 'oct', k: 'c2VjcmV0' } })}.${encode({ htm: 'POST', htu: URL_, iat: NOW, jti: randomUUID() })}`;
    return `${input}.${createHmac('sha256', 'secret').update(input).digest('base64url')}`;
  }
});

describe('DPoP server nonces', () => {
  const nonces = new DpopNonces(Buffer.alloc(32, 1));
  const t = 1_800_000_020;

  it('accepts the current and the previous window’s nonce, and nothing older', () => {
    const issued = nonces.current(t);
    expect(nonces.accepts(issued, t)).toBe(true);
    expect(nonces.accepts(issued, t + NONCE_WINDOW_SECONDS)).toBe(true);
    expect(nonces.accepts(issued, t + 2 * NONCE_WINDOW_SECONDS)).toBe(false);
    expect(nonces.current(t + NONCE_WINDOW_SECONDS)).not.toBe(issued);
  });

  it('refuses a nonce made under another key, a future window’s, and garbage', () => {
    expect(nonces.accepts(new DpopNonces(Buffer.alloc(32, 2)).current(t), t)).toBe(false);
    expect(nonces.accepts(nonces.current(t + NONCE_WINDOW_SECONDS), t)).toBe(false);
    expect(nonces.accepts('', t)).toBe(false);
    expect(nonces.accepts('x'.repeat(500), t)).toBe(false);
  });
});
