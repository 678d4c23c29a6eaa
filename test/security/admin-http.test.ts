import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { adminToken } from '../helpers/admin.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';

/**
 * Issue 10 item 19: common HTTP clients send `Content-Type: application/json` with an empty body
 * on DELETE; the admin API accepts that, and still refuses broken JSON with 400, never 500.
 */
describe('admin API over HTTP: content types and empty bodies', () => {
  let server: TestServer;
  let token: string;

  beforeAll(async () => {
    server = await startTestServer({ RATE_LIMIT_ADMIN: '0', RATE_LIMIT_TOKEN: '0' });
    token = (await adminToken(server)).token;
  });
  afterAll(async () => server?.stop());

  const send = (method: string, path: string, body: string | undefined, contentType = 'application/json') =>
    fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': contentType }, body });

  it('DELETE with Content-Type: application/json and an empty body succeeds', async () => {
    const client = await makeClient(server.database.db, { grantTypes: ['client_credentials'], scopes: ['orders'] });
    const deleted = await send('DELETE', `/admin/clients/${client.clientId}`, '');
    expect(deleted.status).toBe(204);
    expect(await server.database.db.selectFrom('clients').select('id').where('id', '=', client.clientId).executeTakeFirst()).toBeUndefined();

    const user = await makeUser(server.database.db);
    const loggedOut = await send('DELETE', `/admin/users/${user.id}/sessions`, '');
    expect(loggedOut.status).toBe(200);
    expect(await loggedOut.json()).toEqual({ revoked_families: 0, ended_sessions: 0 });
    expect((await send('DELETE', `/admin/users/${user.id}`, '')).status).toBe(204);
  });

  it('a body-less DELETE without a body and with "{}" keeps working', async () => {
    const first = await makeClient(server.database.db, { grantTypes: ['client_credentials'], scopes: ['orders'] });
    const second = await makeClient(server.database.db, { grantTypes: ['client_credentials'], scopes: ['orders'] });
    expect((await fetch(`${server.url}/admin/clients/${first.clientId}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } })).status).toBe(204);
    expect((await send('DELETE', `/admin/clients/${second.clientId}`, '{}')).status).toBe(204);
  });

  it('a POST whose body is optional accepts an empty JSON body', async () => {
    const rotated = await send('POST', '/admin/keys/rotate', '');
    expect(rotated.status).toBe(200);
    expect(await rotated.json()).toMatchObject({ outcome: expect.any(String) });
  });

  it.each([
    ['POST', '/admin/users', '{"username":'],
    ['POST', '/admin/clients', '{"name": "x", }'],
    ['PATCH', '/admin/clients/whatever', 'not json'],
    ['POST', '/admin/keys/rotate', '{'],
    ['POST', '/admin/users', '{"username": "x", "password": "y", "__proto__": {"admin": true}}'],
  ])('%s %s with broken JSON: 400 invalid_request, no stack trace', async (method, path, body) => {
    const response = await send(method, path, body);
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({ error: 'invalid_request' });
    expect(text).not.toMatch(/\n\s+at |FST_ERR|SyntaxError/);
  });

  it('a required body that is empty is a 400 naming the body, not a 500', async () => {
    const response = await send('POST', '/admin/users', '');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_request' });
  });
});
