import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base64url, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { BrowserAgent } from '../helpers/http-agent.js';
import { authorizeParams, basicAuth, obtainCode, pkcePair } from '../helpers/flow.js';
import { makeProof, proofKey, unsignedProof, type ProofKey } from './support.js';

/*
 * Hostile DPoP proofs and token presentations (RFC 9449 4.3, 5, 7), made by hand so each breaks
 * exactly one rule. Nonces are off here (the default); test/dpop/nonces.test.ts covers them.
 * Every refusal is the RFC's error and status, never a 500 and never a token.
 */

const REDIRECT = 'https://app.example.com/cb';
const SPA_ORIGIN = 'https://spa.example.com';
const PASSWORD = 'correct horse battery staple';

describe('DPoP attacks', () => {
  let server: TestServer;
  let key: ProofKey;
  let service: { clientId: string; secret?: string };
  let ops: { clientId: string; secret?: string };
  let app: { clientId: string };
  let spa: { clientId: string };
  let user: Awaited<ReturnType<typeof makeUser>>;

  beforeAll(async () => {
    server = await startTestServer({ RATE_LIMIT_TOKEN: '0', RATE_LIMIT_LOGIN: '0', RATE_LIMIT_ADMIN: '0' });
    const db = server.database.db;
    key = await proofKey('ES256');
    user = await makeUser(db, { username: 'dpop-attacked', password: PASSWORD });
    service = await makeClient(db, { grantTypes: ['client_credentials'], scopes: ['orders:read'] });
    ops = await makeClient(db, { name: 'ops', admin: true });
    app = await makeClient(db, { type: 'public', redirectUris: [REDIRECT] });
    spa = await makeClient(db, { type: 'public', redirectUris: [`${SPA_ORIGIN}/cb`], origins: [SPA_ORIGIN], refreshCookie: true });
  });
  afterAll(async () => server?.stop());

  const tokenUrl = () => `${server.url}/token`;
  const now = () => Math.floor(Date.now() / 1000);
  const proofFor = (url: string, options: Parameters<typeof makeProof>[1] = {}, signer = key) => makeProof(signer, { htu: url, htm: 'POST', iat: now(), ...options });

  function post(url: string, fields: Record<string, string>, headers: Record<string, string> | Headers) {
    const all = new Headers(headers);
    all.set('content-type', 'application/x-www-form-urlencoded');
    return fetch(url, { method: 'POST', headers: all, body: new URLSearchParams(fields).toString() });
  }

  const clientCredentials = (dpop: string | string[] | undefined, client = service) => {
    const headers = new Headers({ authorization: basicAuth(client.clientId, client.secret!) });
    for (const proof of dpop === undefined ? [] : Array.isArray(dpop) ? dpop : [dpop]) headers.append('dpop', proof);
    return post(tokenUrl(), { grant_type: 'client_credentials', ...(client === ops ? { scope: 'admin' } : {}) }, headers);
  };

  async function boundToken(client = service, signer = key): Promise<string> {
    const response = await clientCredentials(await proofFor(tokenUrl(), {}, signer), client);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { access_token: string; token_type: string };
    expect(body.token_type).toBe('DPoP');
    return body.access_token;
  }

  async function expectProofRefused(response: Response, error = 'invalid_dpop_proof', status = 400) {
    const body = (await response.json()) as { error: string; access_token?: string };
    expect({ status: response.status, error: body.error }).toEqual({ status, error });
    expect(body.access_token).toBeUndefined();
  }

  describe('at /token', () => {
    it('binds the token to the proof’s key and answers with the current nonce', async () => {
      const response = await clientCredentials(await proofFor(tokenUrl()));
      expect(response.status).toBe(200);
      expect(response.headers.get('dpop-nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const { access_token } = (await response.json()) as { access_token: string };
      const claims = JSON.parse(Buffer.from(access_token.split('.')[1]!, 'base64url').toString()) as { cnf: { jkt: string } };
      expect(claims.cnf.jkt).toBe(await calculateJwkThumbprint(key.publicJwk, 'sha256'));
    });

    it('refuses a replayed proof (same jti) even though everything else is valid', async () => {
      const proof = await proofFor(tokenUrl());
      expect((await clientCredentials(proof)).status).toBe(200);
      await expectProofRefused(await clientCredentials(proof));
    });

    it('a replay race: of ten concurrent uses of one proof exactly one gets a token', async () => {
      const proof = await proofFor(tokenUrl());
      const statuses = await Promise.all(Array.from({ length: 10 }, async () => (await clientCredentials(proof)).status));
      expect(statuses.filter((s) => s === 200)).toHaveLength(1);
      expect(statuses.filter((s) => s === 400)).toHaveLength(9);
    });

    it.each<[string, () => Promise<string | string[]>]>([
      ['a wrong htu (the userinfo endpoint)', () => proofFor(`${server.url}/userinfo`)],
      ['a wrong htu (another host)', () => proofFor('https://evil.example.com/token')],
      ['a wrong htm', () => proofFor(tokenUrl(), { htm: 'GET' })],
      ['an expired iat', () => proofFor(tokenUrl(), { iat: now() - 600 })],
      ['an iat in the future', () => proofFor(tokenUrl(), { iat: now() + 600 })],
      ['alg none', async () => unsignedProof({ jwk: key.publicJwk }, { htm: 'POST', htu: tokenUrl(), iat: now(), jti: randomUUID() })],
      ['HS256', async () => hs256Proof(tokenUrl())],
      ['a private key in the jwk header', async () => proofFor(tokenUrl(), { header: { jwk: await privateJwk() } })],
      ['an oversized proof', () => proofFor(tokenUrl(), { claims: { pad: 'x'.repeat(5000) } })],
      ['two DPoP headers', async () => [await proofFor(tokenUrl()), await proofFor(tokenUrl())]],
      ['typ JWT', () => proofFor(tokenUrl(), { header: { typ: 'JWT' } })],
      ['garbage', async () => 'not-a-proof'],
    ])('refuses %s with 400 invalid_dpop_proof', async (_label, proof) => {
      await expectProofRefused(await clientCredentials(await proof()));
    });

    it('spends nothing for an unauthenticated caller: a bad client secret is invalid_client before the proof is looked at', async () => {
      const proof = await proofFor(tokenUrl());
      const response = await post(tokenUrl(), { grant_type: 'client_credentials' }, { authorization: basicAuth(service.clientId, 'lk_cs_wrong'), dpop: proof });
      expect(response.status).toBe(401);
      expect((await clientCredentials(proof)).status).toBe(200);
    });
  });

  describe('a public client’s bound refresh family', () => {
    async function codeTokens(signer: ProofKey) {
      const pkce = pkcePair();
      const { code } = await obtainCode(new BrowserAgent(server.url), server.url, authorizeParams(app.clientId, REDIRECT, pkce), user.username, PASSWORD);
      const response = await post(tokenUrl(), { grant_type: 'authorization_code', code, code_verifier: pkce.verifier, redirect_uri: REDIRECT, client_id: app.clientId }, { dpop: await proofFor(tokenUrl(), {}, signer) });
      expect(response.status).toBe(200);
      return (await response.json()) as { refresh_token: string; token_type: string };
    }
    const refresh = async (token: string, signer: ProofKey | undefined) =>
      post(tokenUrl(), { grant_type: 'refresh_token', refresh_token: token, client_id: app.clientId }, signer ? { dpop: await proofFor(tokenUrl(), {}, signer) } : {});

    it('a stolen, already consumed token presented with another key is refused without revoking the family', async () => {
      const tokens = await codeTokens(key);
      const first = await refresh(tokens.refresh_token, key);
      const { refresh_token: successor } = (await first.json()) as { refresh_token: string };
      const thief = await proofKey('ES256');
      await expectProofRefused(await refresh(tokens.refresh_token, thief), 'invalid_grant');
      await expectProofRefused(await refresh(tokens.refresh_token, undefined), 'invalid_grant');
      // Reuse detection would have revoked the family; a thief without the key must not be able to.
      expect((await refresh(successor, key)).status).toBe(200);
    });
  });

  describe('SPA cookie mode with DPoP', () => {
    it('delivers the refresh token in the cookie, binds the family, and refreshes with the cookie and a proof', async () => {
      const pkce = pkcePair();
      const redirect = `${SPA_ORIGIN}/cb`;
      const { code } = await obtainCode(new BrowserAgent(server.url), server.url, authorizeParams(spa.clientId, redirect, pkce), user.username, PASSWORD);
      const exchanged = await post(tokenUrl(), { grant_type: 'authorization_code', code, code_verifier: pkce.verifier, redirect_uri: redirect, client_id: spa.clientId }, { origin: SPA_ORIGIN, dpop: await proofFor(tokenUrl()) });
      expect(exchanged.status).toBe(200);
      expect(exchanged.headers.get('access-control-expose-headers')).toMatch(/DPoP-Nonce/);
      const body = (await exchanged.json()) as { token_type: string; refresh_token?: string };
      expect(body).toMatchObject({ token_type: 'DPoP' });
      expect(body.refresh_token).toBeUndefined();
      const cookie = exchanged.headers.getSetCookie()[0]!.split(';')[0]!;
      const withoutProof = await post(tokenUrl(), { grant_type: 'refresh_token', client_id: spa.clientId }, { origin: SPA_ORIGIN, cookie });
      await expectProofRefused(withoutProof, 'invalid_grant');
      const refreshed = await post(tokenUrl(), { grant_type: 'refresh_token', client_id: spa.clientId }, { origin: SPA_ORIGIN, cookie, dpop: await proofFor(tokenUrl()) });
      expect(refreshed.status).toBe(200);
      expect(((await refreshed.json()) as { token_type: string }).token_type).toBe('DPoP');
    });

    it('lets the browser send a DPoP header (CORS preflight)', async () => {
      const response = await fetch(tokenUrl(), { method: 'OPTIONS', headers: { origin: SPA_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'dpop' } });
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-headers')).toMatch(/\bdpop\b/);
    });
  });

  describe('at the resources (/userinfo, the admin API)', () => {
    let userToken: string;
    let adminToken: string;
    beforeAll(async () => {
      const pkce = pkcePair();
      const { code } = await obtainCode(new BrowserAgent(server.url), server.url, authorizeParams(app.clientId, REDIRECT, pkce), user.username, PASSWORD);
      const response = await post(tokenUrl(), { grant_type: 'authorization_code', code, code_verifier: pkce.verifier, redirect_uri: REDIRECT, client_id: app.clientId }, { dpop: await proofFor(tokenUrl()) });
      userToken = ((await response.json()) as { access_token: string }).access_token;
      adminToken = await boundToken(ops);
    });

    const userinfoUrl = () => `${server.url}/userinfo`;
    const adminUrl = () => `${server.url}/admin/clients`;
    const get = (url: string, headers: Record<string, string>) => fetch(url, { headers });
    const resourceProof = (url: string, token: string | undefined, options: Parameters<typeof makeProof>[1] = {}, signer = key) =>
      makeProof(signer, { htu: url, htm: 'GET', iat: now(), ...(token !== undefined ? { accessToken: token } : {}), ...options });

    it('accepts the DPoP scheme with a proof carrying ath, at /userinfo and the admin API', async () => {
      const userinfo = await get(userinfoUrl(), { authorization: `DPoP ${userToken}`, dpop: await resourceProof(userinfoUrl(), userToken) });
      expect(userinfo.status).toBe(200);
      expect(((await userinfo.json()) as { sub: string }).sub).toBe(user.id);
      const admin = await get(adminUrl(), { authorization: `DPoP ${adminToken}`, dpop: await resourceProof(adminUrl(), adminToken) });
      expect(admin.status).toBe(200);
    });

    async function expectChallenge(response: Response, error: string) {
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(new RegExp(`^DPoP algs="[^"]+", error="${error}"`));
      expect(((await response.json()) as { error: string }).error).toBe(error);
    }

    it.each<[string, (url: string, token: string) => Promise<Record<string, string>>, string]>([
      ['the bound token as Bearer', async (_url, token) => ({ authorization: `Bearer ${token}` }), 'invalid_token'],
      ['the DPoP scheme without a proof', async (_url, token) => ({ authorization: `DPoP ${token}` }), 'invalid_dpop_proof'],
      ['a proof without ath', async (url, token) => ({ authorization: `DPoP ${token}`, dpop: await resourceProof(url, undefined) }), 'invalid_dpop_proof'],
      ['a proof with the ath of another token', async (url, token) => ({ authorization: `DPoP ${token}`, dpop: await resourceProof(url, `${token}x`) }), 'invalid_dpop_proof'],
      ['a proof for another URL', async (_url, token) => ({ authorization: `DPoP ${token}`, dpop: await resourceProof(`${server.url}/token`, token) }), 'invalid_dpop_proof'],
      ['a proof for POST on a GET', async (url, token) => ({ authorization: `DPoP ${token}`, dpop: await resourceProof(url, token, { htm: 'POST' }) }), 'invalid_dpop_proof'],
      ['a valid proof by another key than the token’s', async (url, token) => ({ authorization: `DPoP ${token}`, dpop: await resourceProof(url, token, {}, await proofKey('ES256')) }), 'invalid_dpop_proof'],
    ])('refuses %s with 401 and a DPoP challenge', async (_label, headers, error) => {
      for (const [url, token] of [[userinfoUrl(), userToken], [adminUrl(), adminToken]] as const) {
        await expectChallenge(await get(url, await headers(url, token)), error);
      }
    });

    it('refuses a replayed resource proof', async () => {
      const headers = { authorization: `DPoP ${userToken}`, dpop: await resourceProof(userinfoUrl(), userToken) };
      expect((await get(userinfoUrl(), headers)).status).toBe(200);
      await expectChallenge(await get(userinfoUrl(), headers), 'invalid_dpop_proof');
    });

    it('refuses an unbound token presented with the DPoP scheme', async () => {
      const response = await clientCredentials(undefined, ops);
      const { access_token: unbound, token_type } = (await response.json()) as { access_token: string; token_type: string };
      expect(token_type).toBe('Bearer');
      await expectChallenge(await get(adminUrl(), { authorization: `DPoP ${unbound}`, dpop: await resourceProof(adminUrl(), unbound) }), 'invalid_token');
    });
  });

  async function privateJwk() {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    return exportJWK(privateKey);
  }

  function hs256Proof(htu: string): string {
    const encode = (value: object) => base64url.encode(JSON.stringify(value));
    const input = `${encode({ alg: 'HS256', typ: 'dpop+jwt', jwk: { kty: 'oct', k: 'c2VjcmV0' } })}.${encode({ htm: 'POST', htu, iat: now(), jti: randomUUID() })}`;
    return `${input}.${createHmac('sha256', 'secret').update(input).digest('base64url')}`;
  }
});
