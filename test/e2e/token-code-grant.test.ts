import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { BrowserAgent } from '../helpers/http-agent.js';
import { authorizeParams, basicAuth, obtainCode, pkcePair, postForm } from '../helpers/flow.js';
import { ManualClock } from '../helpers/manual-clock.js';

const REDIRECT = 'https://app.example.com/callback';

describe('POST /token with grant_type=authorization_code', () => {
  let server: TestServer;
  const clock = new ManualClock();
  let confidential: { clientId: string; secret?: string };
  let postClient: { clientId: string; secret?: string };
  let other: { clientId: string; secret?: string };
  let spa: { clientId: string };
  let user: Awaited<ReturnType<typeof makeUser>>;
  let agent: BrowserAgent;

  beforeAll(async () => {
    server = await startTestServer({}, undefined, { clock });
    const db = server.database.db;
    user = await makeUser(db, { username: 'bob' });
    confidential = await makeClient(db, { redirectUris: [REDIRECT] });
    postClient = await makeClient(db, { redirectUris: [REDIRECT], tokenEndpointAuthMethod: 'client_secret_post' });
    other = await makeClient(db, { redirectUris: [REDIRECT] });
    spa = await makeClient(db, { type: 'public', redirectUris: [REDIRECT] });
    agent = new BrowserAgent(server.url);
  });
  afterAll(async () => server?.stop());

  const token = (fields: Record<string, string>, headers: Record<string, string> = {}) => postForm(`${server.url}/token`, fields, headers);

  async function freshCode(clientId = confidential.clientId, extra: Record<string, string | undefined> = {}) {
    const pkce = pkcePair();
    const { code } = await obtainCode(agent, server.url, authorizeParams(clientId, REDIRECT, pkce, extra), 'bob', user.password);
    expect(code).toMatch(/^lk_ac_/);
    return { code, pkce };
  }

  const exchange = (code: string, verifier: string, auth = basicAuth(confidential.clientId, confidential.secret!)) =>
    token({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT }, { authorization: auth });

  async function expectError(response: Response, status: number, error: string) {
    expect(await response.json()).toMatchObject({ error, error_description: expect.any(String) });
    expect(response.status).toBe(status);
    expect(response.headers.get('cache-control')).toBe('no-store');
  }

  it('issues tokens with no-store, for client_secret_basic', async () => {
    const { code, pkce } = await freshCode();
    const response = await exchange(code, pkce.verifier);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('pragma')).toBe('no-cache');
    const body = (await response.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'id_token', 'refresh_expires_in', 'refresh_token', 'scope', 'token_type']);
    expect(body.refresh_expires_in).toBe(30 * 86400);
    expect(body.token_type).toBe('Bearer');
  });

  it('issues tokens for client_secret_post, to a client registered for it', async () => {
    const { code, pkce } = await freshCode(postClient.clientId);
    const response = await token({ grant_type: 'authorization_code', code, code_verifier: pkce.verifier, redirect_uri: REDIRECT, client_id: postClient.clientId, client_secret: postClient.secret! });
    expect(response.status).toBe(200);
  });

  it('accepts only the registered method: the right secret sent another way is 401 naming the registered method', async () => {
    const inBody = await token({ grant_type: 'authorization_code', code: 'lk_ac_x', code_verifier: 'v'.repeat(43), client_id: confidential.clientId, client_secret: confidential.secret! });
    expect(((await inBody.clone().json()) as { error_description: string }).error_description).toMatch(/client_secret_basic/);
    await expectError(inBody, 401, 'invalid_client');
    const overBasic = await exchange('lk_ac_x', 'v'.repeat(43), basicAuth(postClient.clientId, postClient.secret!));
    expect(overBasic.headers.get('www-authenticate')).toMatch(/^Basic realm="latchkey"/);
    expect(((await overBasic.clone().json()) as { error_description: string }).error_description).toMatch(/client_secret_post/);
    await expectError(overBasic, 401, 'invalid_client');
  });

  it('issues tokens to a public client with no secret, on PKCE alone', async () => {
    const { code, pkce } = await freshCode(spa.clientId);
    const response = await token({ grant_type: 'authorization_code', code, code_verifier: pkce.verifier, redirect_uri: REDIRECT, client_id: spa.clientId });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { access_token?: string }).access_token).toBeTruthy();
  });

  describe('client authentication failures', () => {
    it('a wrong secret over Basic: 401 invalid_client with a Basic challenge', async () => {
      const response = await exchange('lk_ac_x', 'v'.repeat(43), basicAuth(confidential.clientId, 'lk_cs_wrong'));
      expect(response.headers.get('www-authenticate')).toMatch(/^Basic realm="latchkey"/);
      await expectError(response, 401, 'invalid_client');
    });

    it.each([
      ['a wrong secret in the body', () => ({ client_id: postClient.clientId, client_secret: 'lk_cs_wrong' })],
      ['an unknown client', () => ({ client_id: 'nobody', client_secret: 'x' })],
      ['a confidential client without its secret', () => ({ client_id: confidential.clientId })],
      ['a public client sending a secret', () => ({ client_id: spa.clientId, client_secret: 'anything' })],
      ['no client at all', () => ({})],
    ])('%s: 401 invalid_client', async (_label, credentials) => {
      const response = await token({ grant_type: 'authorization_code', code: 'lk_ac_x', code_verifier: 'v'.repeat(43), ...credentials() });
      await expectError(response, 401, 'invalid_client');
    });

    it.each([
      ['not base64', 'Basic !!!'],
      ['no colon', `Basic ${Buffer.from('justid').toString('base64')}`],
      ['a bearer token', 'Bearer abc'],
      ['a percent-encoding error', `Basic ${Buffer.from('%zz:secret').toString('base64')}`],
    ])('a malformed Authorization header (%s): 401 invalid_client', async (_label, header) => {
      await expectError(await token({ grant_type: 'authorization_code', code: 'x', code_verifier: 'y' }, { authorization: header }), 401, 'invalid_client');
    });

    it('two authentication methods at once: invalid_request', async () => {
      const response = await token(
        { grant_type: 'authorization_code', code: 'x', code_verifier: 'y', client_secret: confidential.secret! },
        { authorization: basicAuth(confidential.clientId, confidential.secret!) },
      );
      await expectError(response, 400, 'invalid_request');
    });
  });

  describe('request problems', () => {
    const auth = () => ({ authorization: basicAuth(confidential.clientId, confidential.secret!) });

    it('a JSON body: invalid_request', async () => {
      const response = await fetch(`${server.url}/token`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth() }, body: '{"grant_type":"authorization_code"}' });
      await expectError(response, 400, 'invalid_request');
    });

    it('no grant_type: invalid_request', async () => {
      await expectError(await token({}, auth()), 400, 'invalid_request');
    });

    it.each(['password', 'implicit', 'urn:ietf:params:oauth:grant-type:jwt-bearer', '__proto__', 'constructor'])('grant_type=%s: unsupported_grant_type', async (grantType) => {
      await expectError(await token({ grant_type: grantType }, auth()), 400, 'unsupported_grant_type');
    });

    it('a repeated parameter: invalid_request', async () => {
      const response = await fetch(`${server.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth() },
        body: 'grant_type=authorization_code&code=a&code=b&code_verifier=x',
      });
      await expectError(response, 400, 'invalid_request');
    });

    it('an oversized parameter: invalid_request', async () => {
      await expectError(await token({ grant_type: 'authorization_code', code: 'x'.repeat(5000), code_verifier: 'y' }, auth()), 400, 'invalid_request');
    });

    it('no code: invalid_request', async () => {
      await expectError(await token({ grant_type: 'authorization_code', code_verifier: 'v'.repeat(43) }, auth()), 400, 'invalid_request');
    });

    it('a client not allowed the grant: unauthorized_client', async () => {
      const db = server.database.db;
      const m2m = await makeClient(db, { grantTypes: ['client_credentials'], scopes: ['api'] });
      const response = await token({ grant_type: 'authorization_code', code: 'x', code_verifier: 'y' }, { authorization: basicAuth(m2m.clientId, m2m.secret!) });
      await expectError(response, 400, 'unauthorized_client');
    });
  });

  describe('invalid_grant', () => {
    it('an unknown code', async () => {
      await expectError(await exchange('lk_ac_' + 'A'.repeat(43), 'v'.repeat(43)), 400, 'invalid_grant');
    });

    it('a missing code_verifier', async () => {
      const { code } = await freshCode();
      await expectError(await token({ grant_type: 'authorization_code', code }, { authorization: basicAuth(confidential.clientId, confidential.secret!) }), 400, 'invalid_grant');
    });

    it('a wrong code_verifier, which also spends the code', async () => {
      const { code, pkce } = await freshCode();
      await expectError(await exchange(code, pkcePair().verifier), 400, 'invalid_grant');
      await expectError(await exchange(code, pkce.verifier), 400, 'invalid_grant');
    });

    it('a code_verifier of the wrong shape', async () => {
      const { code } = await freshCode();
      await expectError(await exchange(code, 'short'), 400, 'invalid_grant');
    });

    it('a code issued to another client', async () => {
      const { code, pkce } = await freshCode();
      await expectError(await exchange(code, pkce.verifier, basicAuth(other.clientId, other.secret!)), 400, 'invalid_grant');
    });

    it('a redirect_uri different from the authorization request', async () => {
      const { code, pkce } = await freshCode();
      const response = await token(
        { grant_type: 'authorization_code', code, code_verifier: pkce.verifier, redirect_uri: 'https://app.example.com/other' },
        { authorization: basicAuth(confidential.clientId, confidential.secret!) },
      );
      await expectError(response, 400, 'invalid_grant');
    });

    it('a code older than 60 seconds', async () => {
      const { code, pkce } = await freshCode();
      clock.advance((61) * 1000);
      await expectError(await exchange(code, pkce.verifier), 400, 'invalid_grant');
    });
  });

  it('a replayed code fails and revokes everything the first exchange issued', async () => {
    const { code, pkce } = await freshCode();
    const first = (await (await exchange(code, pkce.verifier)).json()) as { access_token: string };
    const userinfo = (accessToken: string) => fetch(`${server.url}/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect((await userinfo(first.access_token)).status).toBe(200);

    await expectError(await exchange(code, pkce.verifier), 400, 'invalid_grant');

    const denied = await userinfo(first.access_token);
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    const db = server.database.db;
    const grants = await db.selectFrom('grants').innerJoin('refresh_tokens', 'refresh_tokens.grant_id', 'grants.id').select(['grants.revoked_at', 'grants.revoked_reason']).execute();
    const revoked = grants.filter((g) => g.revoked_reason === 'authorization code replayed');
    expect(revoked).toHaveLength(1);
    expect(revoked[0]!.revoked_at).toBeInstanceOf(Date);
  });

  it('of two concurrent exchanges of one code exactly one succeeds', async () => {
    const { code, pkce } = await freshCode();
    const results = await Promise.all([exchange(code, pkce.verifier), exchange(code, pkce.verifier), exchange(code, pkce.verifier)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 400, 400]);
  });

  it('sets aud to a registered resource the client asked for', async () => {
    const db = server.database.db;
    const api = await makeClient(db, { redirectUris: [REDIRECT], resources: ['https://api.example.com'] });
    const pkce = pkcePair();
    const { code } = await obtainCode(agent, server.url, authorizeParams(api.clientId, REDIRECT, pkce, { resource: 'https://api.example.com' }), 'bob', user.password);
    const body = (await (await token({ grant_type: 'authorization_code', code, code_verifier: pkce.verifier, redirect_uri: REDIRECT }, { authorization: basicAuth(api.clientId, api.secret!) })).json()) as { access_token: string };
    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(body.access_token, jwks, { issuer: server.url, audience: 'https://api.example.com', currentDate: new Date(clock.now()) });
    expect(payload.aud).toBe('https://api.example.com');
  });
});
