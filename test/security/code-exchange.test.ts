import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oauth from 'oauth4webapi';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { BrowserAgent } from '../helpers/http-agent.js';
import { authorizeParams, basicAuth, obtainCode, pkcePair, postForm, type PkcePair } from '../helpers/flow.js';
import { sha256Hex } from '../../src/opaque-token.js';
import type { TokenSet } from '../helpers/tokens.js';
import { CONSUMED_BY_FAILED_EXCHANGE } from '../../src/oauth/grants/authorization-code.js';

/*
 * RFC 6749 4.1.3 (and OIDC Core 3.1.3.2): when the authorization request carried redirect_uri,
 * the token request must carry the identical value. A failed exchange spends the code.
 */

const REDIRECT = 'https://app.example.com/cb';
const OTHER = 'https://app.example.com/other';
const PASSWORD = 'correct horse battery staple';

describe('authorization code exchange: redirect_uri (RFC 6749 4.1.3)', () => {
  let server: TestServer;
  let twoUris: { clientId: string; secret?: string };
  let oneUri: { clientId: string; secret?: string };

  beforeAll(async () => {
    server = await startTestServer({ RATE_LIMIT_TOKEN: '0', RATE_LIMIT_LOGIN: '0' });
    await makeUser(server.database.db, { username: 'exchanger', password: PASSWORD });
    twoUris = await makeClient(server.database.db, { redirectUris: [REDIRECT, OTHER] });
    oneUri = await makeClient(server.database.db, { redirectUris: [REDIRECT] });
  });
  afterAll(async () => server?.stop());

  async function codeFor(client: { clientId: string }, extra: Record<string, string | undefined> = {}) {
    const pkce = pkcePair();
    const { code } = await obtainCode(new BrowserAgent(server.url), server.url, authorizeParams(client.clientId, REDIRECT, pkce, extra), 'exchanger', PASSWORD);
    return { code, pkce };
  }

  function exchange(client: { clientId: string; secret?: string }, code: string, pkce: PkcePair, redirectUri: string | undefined) {
    const fields: Record<string, string> = { grant_type: 'authorization_code', code, code_verifier: pkce.verifier };
    if (redirectUri !== undefined) fields.redirect_uri = redirectUri;
    return postForm(`${server.url}/token`, fields, { authorization: basicAuth(client.clientId, client.secret!) });
  }

  async function expectInvalidGrant(response: Response) {
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: string; access_token?: string };
    expect(body.error).toBe('invalid_grant');
    expect(body.access_token).toBeUndefined();
  }

  const grantsOf = async (clientId: string) => server.database.db.selectFrom('grants').select('id').where('client_id', '=', clientId).execute();

  it('refuses an exchange without redirect_uri when the authorization request carried it, and issues nothing', async () => {
    const { code, pkce } = await codeFor(twoUris);
    const before = (await grantsOf(twoUris.clientId)).length;
    await expectInvalidGrant(await exchange(twoUris, code, pkce, undefined));
    expect(await grantsOf(twoUris.clientId)).toHaveLength(before);
  });

  it('refuses it even for a client with a single registered URI, when the request named it', async () => {
    const { code, pkce } = await codeFor(oneUri);
    await expectInvalidGrant(await exchange(oneUri, code, pkce, undefined));
  });

  it('refuses a different redirect_uri, even another one registered for the client', async () => {
    const { code, pkce } = await codeFor(twoUris);
    await expectInvalidGrant(await exchange(twoUris, code, pkce, OTHER));
  });

  it.each([
    ['a trailing slash', `${REDIRECT}/`],
    ['another case', REDIRECT.toUpperCase()],
    ['an added query', `${REDIRECT}?x=1`],
    ['an empty value', ''],
  ])('refuses a redirect_uri with %s (exact match only)', async (_label, redirectUri) => {
    const { code, pkce } = await codeFor(twoUris);
    await expectInvalidGrant(await exchange(twoUris, code, pkce, redirectUri));
  });

  it('a failed exchange spends the code: the correct request afterwards is refused too, and no grant exists', async () => {
    const { code, pkce } = await codeFor(twoUris);
    const before = (await grantsOf(twoUris.clientId)).length;
    await expectInvalidGrant(await exchange(twoUris, code, pkce, undefined));
    await expectInvalidGrant(await exchange(twoUris, code, pkce, REDIRECT));
    const row = await server.database.db.selectFrom('auth_codes').select(['consumed_at', 'grant_id']).where('code_hash', '=', sha256Hex(code)).executeTakeFirstOrThrow();
    expect(row.consumed_at).not.toBeNull();
    expect(row.grant_id).toBeNull();
    expect(await grantsOf(twoUris.clientId)).toHaveLength(before);
  });

  it('a wrong PKCE verifier spends the code, and the retry is told the code was consumed by that failed exchange', async () => {
    const { code, pkce } = await codeFor(oneUri);
    const before = (await grantsOf(oneUri.clientId)).length;
    const wrong = await exchange(oneUri, code, { ...pkce, verifier: pkcePair().verifier }, REDIRECT);
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toEqual({ error: 'invalid_grant', error_description: 'code_verifier does not match the code_challenge' });

    const retry = await exchange(oneUri, code, pkce, REDIRECT);
    expect(retry.status).toBe(400);
    const body = (await retry.json()) as { error: string; error_description: string };
    expect(body).toEqual({ error: 'invalid_grant', error_description: CONSUMED_BY_FAILED_EXCHANGE });
    expect(body.error_description).toMatch(/consumed by an earlier exchange that failed/);
    // RFC 6749 5.2: error_description is printable ASCII without " and \
    expect(body.error_description).toMatch(/^[\x20-\x21\x23-\x5B\x5D-\x7E]+$/);
    // ...and says nothing of why it failed, nor anything about the user or the client.
    expect(body.error_description).not.toMatch(/verifier|redirect|client|user|exchanger/);
    expect(await grantsOf(oneUri.clientId)).toHaveLength(before);
  });

  it('a code that became tokens still answers already been used on replay (and revokes them)', async () => {
    const { code, pkce } = await codeFor(oneUri);
    const first = await exchange(oneUri, code, pkce, REDIRECT);
    expect(first.status).toBe(200);
    const replay = await exchange(oneUri, code, pkce, REDIRECT);
    expect(await replay.json()).toEqual({ error: 'invalid_grant', error_description: 'the authorization code has already been used' });
    const row = await server.database.db.selectFrom('auth_codes').select('grant_id').where('code_hash', '=', sha256Hex(code)).executeTakeFirstOrThrow();
    const grant = await server.database.db.selectFrom('grants').select('revoked_at').where('id', '=', row.grant_id!).executeTakeFirstOrThrow();
    expect(grant.revoked_at).not.toBeNull();
  });

  it('succeeds with the identical redirect_uri', async () => {
    const { code, pkce } = await codeFor(twoUris);
    const response = await exchange(twoUris, code, pkce, REDIRECT);
    expect(response.status).toBe(200);
    expect(((await response.json()) as TokenSet).access_token).toBeTruthy();
  });

  it('when the authorization request left redirect_uri out (one URI registered), the exchange may too; a value sent must still match', async () => {
    const omitted = await codeFor(oneUri, { redirect_uri: undefined });
    const ok = await exchange(oneUri, omitted.code, omitted.pkce, undefined);
    expect(ok.status, await ok.clone().text()).toBe(200);

    const named = await codeFor(oneUri, { redirect_uri: undefined });
    const same = await exchange(oneUri, named.code, named.pkce, REDIRECT);
    expect(same.status).toBe(200);

    const wrong = await codeFor(oneUri, { redirect_uri: undefined });
    await expectInvalidGrant(await exchange(oneUri, wrong.code, wrong.pkce, `${REDIRECT}/`));
  });

  it('a standard client (oauth4webapi) that repeats redirect_uri works end to end', async () => {
    const { code, pkce } = await codeFor(twoUris, { nonce: undefined });
    const issuer = new URL(server.url);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oidc', [oauth.allowInsecureRequests]: true }));
    const client: oauth.Client = { client_id: twoUris.clientId };
    const callback = new URL(`${REDIRECT}?code=${encodeURIComponent(code)}&iss=${encodeURIComponent(server.url)}`);
    const params = oauth.validateAuthResponse(as, client, callback, oauth.skipStateCheck);
    const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.ClientSecretBasic(twoUris.secret!), params, REDIRECT, pkce.verifier, { [oauth.allowInsecureRequests]: true });
    const result = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: oauth.expectNoNonce });
    expect(result.access_token).toBeTruthy();
  });
});
