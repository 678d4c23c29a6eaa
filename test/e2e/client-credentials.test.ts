import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oauth from 'oauth4webapi';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeClient } from '../helpers/fixtures.js';
import { basicAuth, postForm } from '../helpers/flow.js';

describe('grant_type=client_credentials', () => {
  let server: TestServer;
  let service: { clientId: string; secret?: string };
  let postService: { clientId: string; secret?: string };
  let spa: { clientId: string };
  let codeOnly: { clientId: string; secret?: string };

  beforeAll(async () => {
    server = await startTestServer();
    const db = server.database.db;
    service = await makeClient(db, { grantTypes: ['client_credentials'], scopes: ['orders:read', 'orders:write'], resources: ['https://api.example.com'] });
    postService = await makeClient(db, { grantTypes: ['client_credentials'], scopes: ['orders:read', 'orders:write'], resources: ['https://api.example.com'], tokenEndpointAuthMethod: 'client_secret_post' });
    spa = await makeClient(db, { type: 'public', redirectUris: ['https://spa.example.com/cb'] });
    codeOnly = await makeClient(db, { redirectUris: ['https://app.example.com/cb'] });
  });
  afterAll(async () => server?.stop());

  const token = (fields: Record<string, string>, headers: Record<string, string> = {}) => postForm(`${server.url}/token`, fields, headers);
  const errorOf = async (response: Response) => ((await response.json()) as { error: string }).error;

  it('issues an at+jwt with sub = client_id through oauth4webapi (client_secret_basic), and no refresh token', async () => {
    const issuer = new URL(server.url);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { [oauth.allowInsecureRequests]: true }));
    const client: oauth.Client = { client_id: service.clientId };
    const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(service.secret!), new URLSearchParams({ scope: 'orders:read' }), {
      [oauth.allowInsecureRequests]: true,
    });
    const result = await oauth.processClientCredentialsResponse(as, client, response);
    expect(result.token_type).toBe('bearer');
    expect(result.refresh_token).toBeUndefined();
    expect(result.scope).toBe('orders:read');
    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(result.access_token, jwks, { issuer: server.url, audience: server.url, typ: 'at+jwt' });
    expect(protectedHeader.typ).toBe('at+jwt');
    expect(payload).toMatchObject({ sub: service.clientId, client_id: service.clientId, scope: 'orders:read' });
    expect(payload.exp! - payload.iat!).toBe(600);
  });

  it('accepts client_secret_post from a client registered for it, defaults to all its scopes, and honours a registered resource', async () => {
    const response = await token({ grant_type: 'client_credentials', client_id: postService.clientId, client_secret: postService.secret!, resource: 'https://api.example.com' });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { access_token: string; scope: string };
    expect(body.scope).toBe('orders:read orders:write');
    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(body.access_token, jwks, { issuer: server.url, audience: 'https://api.example.com' });
    expect(payload.aud).toBe('https://api.example.com');
  });

  it.each([
    ['a wrong secret (Basic)', () => ({ fields: {}, headers: { authorization: basicAuth(service.clientId, 'lk_cs_wrong') } }), 401, 'invalid_client'],
    ['a wrong secret (post)', () => ({ fields: { client_id: postService.clientId, client_secret: 'lk_cs_wrong' }, headers: {} }), 401, 'invalid_client'],
    ['the right secret in the body from a client registered for Basic', () => ({ fields: { client_id: service.clientId, client_secret: service.secret! }, headers: {} }), 401, 'invalid_client'],
    ['the right secret over Basic from a client registered for the body', () => ({ fields: {}, headers: { authorization: basicAuth(postService.clientId, postService.secret!) } }), 401, 'invalid_client'],
    ['the secret of another client', () => ({ fields: {}, headers: { authorization: basicAuth(service.clientId, codeOnly.secret!) } }), 401, 'invalid_client'],
    ['no credentials', () => ({ fields: { client_id: service.clientId }, headers: {} }), 401, 'invalid_client'],
    ['a public client', () => ({ fields: { client_id: spa.clientId }, headers: {} }), 400, 'unauthorized_client'],
    ['a client without the grant', () => ({ fields: {}, headers: { authorization: basicAuth(codeOnly.clientId, codeOnly.secret!) } }), 400, 'unauthorized_client'],
    ['a scope outside the client’s', () => ({ fields: { scope: 'orders:read admin' }, headers: { authorization: basicAuth(service.clientId, service.secret!) } }), 400, 'invalid_scope'],
    ['an unregistered resource', () => ({ fields: { resource: 'https://evil.example' }, headers: { authorization: basicAuth(service.clientId, service.secret!) } }), 400, 'invalid_target'],
  ])('refuses %s', async (_label, request, status, error) => {
    const { fields, headers } = request();
    const response = await token({ grant_type: 'client_credentials', ...fields }, headers);
    expect(await errorOf(response)).toBe(error);
    expect(response.status).toBe(status);
    if (status === 401 && 'authorization' in headers) expect(response.headers.get('www-authenticate')).toMatch(/^Basic /);
  });
});
