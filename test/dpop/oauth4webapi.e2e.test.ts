import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oauth from 'oauth4webapi';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { BrowserAgent } from '../helpers/http-agent.js';
import { authorizeParams, obtainCode, pkcePair } from '../helpers/flow.js';
import { introspect } from '../helpers/tokens.js';

/*
 * DPoP (RFC 9449) end to end with oauth4webapi's own DPoP support, on a server that requires
 * nonces (DPOP_NONCE=required): the library learns each nonce from use_dpop_nonce and retries,
 * as a real client does.
 */

const REDIRECT = 'https://app.example.com/cb';
const PASSWORD = 'correct horse battery staple';
const insecure = { [oauth.allowInsecureRequests]: true } as const;

/** oauth4webapi's pattern: a use_dpop_nonce answer taught the handle the nonce; try once more. */
async function withNonceRetry<T>(attempt: () => Promise<T>): Promise<T> {
  try {
    return await attempt();
  } catch (error) {
    if (oauth.isDPoPNonceError(error)) return attempt();
    throw error;
  }
}

describe('DPoP with oauth4webapi (nonces required)', () => {
  let server: TestServer;
  let as: oauth.AuthorizationServer;
  let spa: oauth.Client;
  let service: { clientId: string; secret?: string };
  let ops: { clientId: string; secret?: string };
  let strict: { clientId: string; secret?: string };
  let user: Awaited<ReturnType<typeof makeUser>>;

  beforeAll(async () => {
    server = await startTestServer({ DPOP_NONCE: 'required', RATE_LIMIT_TOKEN: '0', RATE_LIMIT_LOGIN: '0' });
    const db = server.database.db;
    user = await makeUser(db, { username: 'dpop-user', password: PASSWORD });
    spa = { client_id: (await makeClient(db, { type: 'public', redirectUris: [REDIRECT] })).clientId, token_endpoint_auth_method: 'none' };
    service = await makeClient(db, { grantTypes: ['client_credentials'], scopes: ['orders:read'] });
    ops = await makeClient(db, { name: 'ops', admin: true });
    strict = await makeClient(db, { grantTypes: ['client_credentials'], scopes: ['orders:read'], dpopBoundAccessTokens: true });
    const issuer = new URL(server.url);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
  });
  afterAll(async () => server?.stop());

  async function signInWithDpop(dpop: oauth.DPoPHandle, bindCode: boolean) {
    const pkce = pkcePair();
    const params = authorizeParams(spa.client_id, REDIRECT, pkce, bindCode ? { dpop_jkt: await dpop.calculateThumbprint() } : {});
    const { callback } = await obtainCode(new BrowserAgent(server.url), server.url, params, user.username, PASSWORD);
    const callbackParams = oauth.validateAuthResponse(as, spa, callback.searchParams, params.state);
    return withNonceRetry(async () => {
      const response = await oauth.authorizationCodeGrantRequest(as, spa, oauth.None(), callbackParams, REDIRECT, pkce.verifier, { DPoP: dpop, ...insecure });
      return oauth.processAuthorizationCodeResponse(as, spa, response, { expectedNonce: params.nonce });
    });
  }

  const refreshWith = (dpop: oauth.DPoPHandle | undefined, refreshToken: string) =>
    withNonceRetry(async () => oauth.processRefreshTokenResponse(as, spa, await oauth.refreshTokenGrantRequest(as, spa, oauth.None(), refreshToken, { ...(dpop ? { DPoP: dpop } : {}), ...insecure })));

  it('advertises the proof algorithms in discovery', () => {
    expect(as.dpop_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256', 'EdDSA', 'RS256', 'PS256']));
    expect(as.dpop_signing_alg_values_supported).not.toContain('none');
    expect(as.dpop_signing_alg_values_supported?.some((alg) => alg.startsWith('HS'))).toBe(false);
  });

  it('code flow (code bound with dpop_jkt) + refresh + userinfo, all bound to one key', async () => {
    const keyPair = await oauth.generateKeyPair('ES256');
    const dpop = oauth.DPoP(spa, keyPair);
    const jkt = await dpop.calculateThumbprint();
    const tokens = await signInWithDpop(dpop, true);
    expect(tokens.token_type).toBe('dpop');
    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(tokens.access_token, jwks, { issuer: server.url, typ: 'at+jwt' });
    expect(payload.cnf).toEqual({ jkt });

    const userinfo = await withNonceRetry(async () =>
      oauth.processUserInfoResponse(as, spa, user.id, await oauth.userInfoRequest(as, spa, tokens.access_token, { DPoP: dpop, ...insecure })),
    );
    expect(userinfo.sub).toBe(user.id);

    const refreshed = await refreshWith(dpop, tokens.refresh_token!);
    expect(refreshed.token_type).toBe('dpop');
    expect((await jwtVerify(refreshed.access_token, jwks, { issuer: server.url })).payload.cnf).toEqual({ jkt });
    const again = await refreshWith(dpop, refreshed.refresh_token!);
    expect(again.access_token).toBeTruthy();
  });

  it('a public client’s bound refresh family refuses another key and a request without a proof, and consumes nothing', async () => {
    const dpop = oauth.DPoP(spa, await oauth.generateKeyPair('ES256'));
    const tokens = await signInWithDpop(dpop, false);
    const thief = oauth.DPoP(spa, await oauth.generateKeyPair('ES256'));
    for (const handle of [thief, undefined]) {
      const refused = await refreshWith(handle, tokens.refresh_token!).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(oauth.ResponseBodyError);
      expect((refused as oauth.ResponseBodyError).error).toBe('invalid_grant');
      expect((refused as oauth.ResponseBodyError).status).toBe(400);
    }
    // The holder of the key still refreshes: the refusals spent nothing and revoked nothing.
    expect((await refreshWith(dpop, tokens.refresh_token!)).token_type).toBe('dpop');
  });

  it('refuses to redeem a code bound with dpop_jkt with a proof of another key', async () => {
    const dpop = oauth.DPoP(spa, await oauth.generateKeyPair('ES256'));
    const pkce = pkcePair();
    const params = authorizeParams(spa.client_id, REDIRECT, pkce, { dpop_jkt: await dpop.calculateThumbprint() });
    const { callback } = await obtainCode(new BrowserAgent(server.url), server.url, params, user.username, PASSWORD);
    const callbackParams = oauth.validateAuthResponse(as, spa, callback.searchParams, params.state);
    const other = oauth.DPoP(spa, await oauth.generateKeyPair('ES256'));
    const refused = await withNonceRetry(async () =>
      oauth.processAuthorizationCodeResponse(as, spa, await oauth.authorizationCodeGrantRequest(as, spa, oauth.None(), callbackParams, REDIRECT, pkce.verifier, { DPoP: other, ...insecure })),
    ).catch((error: unknown) => error);
    expect((refused as oauth.ResponseBodyError).error).toBe('invalid_grant');
  });

  it('client_credentials with DPoP: a bound token, and introspection shows cnf', async () => {
    const client: oauth.Client = { client_id: service.clientId };
    const dpop = oauth.DPoP(client, await oauth.generateKeyPair('EdDSA'));
    const result = await withNonceRetry(async () =>
      oauth.processClientCredentialsResponse(as, client, await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(service.secret!), new URLSearchParams(), { DPoP: dpop, ...insecure })),
    );
    expect(result.token_type).toBe('dpop');
    const introspected = await introspect(server.url, service, result.access_token);
    expect(introspected).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: await dpop.calculateThumbprint() } });
  });

  it('a client registered with dpop_bound_access_tokens gets no token without a proof, and a bound one with', async () => {
    const client: oauth.Client = { client_id: strict.clientId };
    const auth = oauth.ClientSecretBasic(strict.secret!);
    const refused = await oauth
      .processClientCredentialsResponse(as, client, await oauth.clientCredentialsGrantRequest(as, client, auth, new URLSearchParams(), insecure))
      .catch((error: unknown) => error);
    expect((refused as oauth.ResponseBodyError).error).toBe('invalid_dpop_proof');
    const dpop = oauth.DPoP(client, await oauth.generateKeyPair('PS256'));
    const result = await withNonceRetry(async () =>
      oauth.processClientCredentialsResponse(as, client, await oauth.clientCredentialsGrantRequest(as, client, auth, new URLSearchParams(), { DPoP: dpop, ...insecure })),
    );
    expect(result.token_type).toBe('dpop');
  });

  it('the admin API accepts a DPoP-bound admin token with a proof, and refuses it as Bearer', async () => {
    const client: oauth.Client = { client_id: ops.clientId };
    const dpop = oauth.DPoP(client, await oauth.generateKeyPair('ES256'));
    const { access_token } = await withNonceRetry(async () =>
      oauth.processClientCredentialsResponse(as, client, await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(ops.secret!), new URLSearchParams({ scope: 'admin' }), { DPoP: dpop, ...insecure })),
    );
    const url = new URL(`${server.url}/admin/clients`);
    const listed = await withNonceRetry(async () => {
      const response = await oauth.protectedResourceRequest(access_token, 'GET', url, undefined, undefined, { DPoP: dpop, ...insecure });
      // protectedResourceRequest throws on a use_dpop_nonce challenge itself (after learning the nonce).
      return response;
    });
    expect(listed.status).toBe(200);
    const asBearer = await fetch(url, { headers: { authorization: `Bearer ${access_token}` } });
    expect(asBearer.status).toBe(401);
    expect(asBearer.headers.get('www-authenticate')).toMatch(/^DPoP algs="[^"]+", error="invalid_token"/);
  });
});
