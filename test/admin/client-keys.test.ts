import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { adminFetch, adminToken } from '../helpers/admin.js';
import { assertionFields, clientKey, signAssertion } from '../helpers/client-keys.js';
import { postForm } from '../helpers/flow.js';

describe('admin API: private_key_jwt keys and require_pushed_authorization_requests', () => {
  let server: TestServer;
  let call: ReturnType<typeof adminFetch>;

  beforeAll(async () => {
    server = await startTestServer({ RATE_LIMIT_ADMIN: '0', RATE_LIMIT_TOKEN: '0' });
    call = adminFetch(server, (await adminToken(server)).token);
  });
  afterAll(async () => server?.stop());

  const service = { name: 'svc', type: 'confidential', grant_types: ['client_credentials'], scopes: ['orders:read'], token_endpoint_auth_method: 'private_key_jwt' };
  const authenticate = async (clientId: string, key: Awaited<ReturnType<typeof clientKey>>) =>
    postForm(`${server.url}/token`, { grant_type: 'client_credentials', ...assertionFields(clientId, await signAssertion(key, clientId, server.url)) });

  it('creates a client with inline jwks (no secret in the answer) that authenticates with its key at once', async () => {
    const key = await clientKey('EdDSA');
    const created = await call('POST', '/admin/clients', { ...service, jwks: { keys: [key.publicJwk] } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [key.publicJwk] }, jwks_uri: null });
    expect(created.body!.client_secret).toBeUndefined();
    expect((await authenticate(created.body!.client_id as string, key)).status).toBe(200);
  });

  it('PATCH replaces the keys: the old key stops working, the new one works', async () => {
    const oldKey = await clientKey('ES256');
    const newKey = await clientKey('ES256');
    const created = await call('POST', '/admin/clients', { ...service, jwks: { keys: [oldKey.publicJwk] } });
    const id = created.body!.client_id as string;
    const patched = await call('PATCH', `/admin/clients/${id}`, { jwks: { keys: [newKey.publicJwk] } });
    expect(patched.status).toBe(200);
    expect((await authenticate(id, oldKey)).status).toBe(401);
    expect((await authenticate(id, newKey)).status).toBe(200);
  });

  it('switches between jwks and jwks_uri only by nulling the other, and sets require_pushed_authorization_requests', async () => {
    const key = await clientKey('ES256');
    const created = await call('POST', '/admin/clients', { ...service, jwks: { keys: [key.publicJwk] } });
    const id = created.body!.client_id as string;
    const both = await call('PATCH', `/admin/clients/${id}`, { jwks_uri: 'https://keys.example.com/jwks' });
    expect(both.status).toBe(400);
    const switched = await call('PATCH', `/admin/clients/${id}`, { jwks_uri: 'https://keys.example.com/jwks', jwks: null });
    expect(switched.status).toBe(200);
    expect(switched.body).toMatchObject({ jwks_uri: 'https://keys.example.com/jwks', jwks: null });
    const web = await call('POST', '/admin/clients', { name: 'web', type: 'confidential', redirect_uris: ['https://app.example.com/cb'] });
    const par = await call('PATCH', `/admin/clients/${web.body!.client_id as string}`, { require_pushed_authorization_requests: true });
    expect(par.body).toMatchObject({ require_pushed_authorization_requests: true });
  });

  it.each([
    ['no keys', {}, 'body.token_endpoint_auth_method'],
    ['a private key', { jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b', d: 'c' }] } }, 'body.jwks'],
    ['an http jwks_uri off loopback', { jwks_uri: 'http://keys.example.com/jwks' }, 'body.jwks_uri'],
    ['jwks as a string', { jwks: '{"keys":[]}' }, 'body.jwks'],
  ])('refuses %s with 400 naming the field', async (_label, extra, field) => {
    const response = await call('POST', '/admin/clients', { ...service, ...extra });
    expect(response.status).toBe(400);
    expect(response.body!.error).toBe('invalid_request');
    expect((response.body!.fields as { field: string }[]).map((f) => f.field)).toContain(field);
  });

  it('documents the fields in the OpenAPI document', async () => {
    const openapi = JSON.stringify((await call('GET', '/admin/openapi.json')).body);
    for (const field of ['jwks_uri', 'jwks', 'require_pushed_authorization_requests', 'private_key_jwt']) expect(openapi).toContain(field);
  });
});
