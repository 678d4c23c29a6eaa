import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import SwaggerParser from '@apidevtools/swagger-parser';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { adminFetch, adminToken } from '../helpers/admin.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { BrowserAgent } from '../helpers/http-agent.js';
import { authorizeParams, authorizeUrl, basicAuth, logIn, pkcePair, postForm } from '../helpers/flow.js';
import { introspect, loginTokens, refresh, type ClientCredentials } from '../helpers/tokens.js';

const REDIRECT = 'https://app.example.com/cb';

describe('admin API', () => {
  let server: TestServer;
  let call: ReturnType<typeof adminFetch>;
  let adminClientId: string;
  let app: ClientCredentials;
  let resourceServer: ClientCredentials;

  beforeAll(async () => {
    server = await startTestServer({ RATE_LIMIT_ADMIN: '0', RATE_LIMIT_TOKEN: '0', RATE_LIMIT_LOGIN: '0' });
    const admin = await adminToken(server);
    adminClientId = admin.clientId;
    call = adminFetch(server, admin.token);
    app = await makeClient(server.database.db, { redirectUris: [REDIRECT] });
    resourceServer = await makeClient(server.database.db, { grantTypes: ['client_credentials'], scopes: ['introspect'] });
  });
  afterAll(async () => server?.stop());

  describe('validation: 400 with field-level messages, never 500', () => {
    it.each([
      ['POST', '/admin/users', { username: 'a b', password: 'x' }, 'body.username'],
      ['POST', '/admin/users', { username: 'ok' }, 'body.password'],
      ['POST', '/admin/users', { username: 'ok', password: 'long enough', email: 'nope' }, 'body.email'],
      ['POST', '/admin/users', { username: 'ok', password: 'long enough', role: 'root' }, 'body'],
      ['POST', '/admin/users', { username: 42, password: 'long enough' }, 'body.username'],
      ['PATCH', '/admin/users/00000000-0000-4000-8000-000000000000', {}, 'body'],
      ['PATCH', '/admin/users/00000000-0000-4000-8000-000000000000', { disabled: 'yes' }, 'body.disabled'],
      ['GET', '/admin/users/not-a-uuid', undefined, 'params.id'],
      ['GET', '/admin/users?limit=0', undefined, 'query.limit'],
      ['GET', '/admin/users?limit=abc', undefined, 'query.limit'],
      ['GET', '/admin/users?cursor=%%%', undefined, 'query.cursor'],
      ['POST', '/admin/clients', { name: 'x' }, 'body.type'],
      ['POST', '/admin/clients', { name: 'x', type: 'public', redirect_uris: ['http://evil.example/cb'] }, 'body.redirect_uris.0'],
      ['POST', '/admin/clients', { name: 'x', type: 'public', grant_types: ['password'], redirect_uris: ['https://a.example/cb'] }, 'body.grant_types.0'],
      ['POST', '/admin/clients', { name: 'x', type: 'public', token_endpoint_auth_method: 'client_secret_post', redirect_uris: ['https://a.example/cb'] }, 'body.token_endpoint_auth_method'],
      ['POST', '/admin/clients', { name: 'x', type: 'confidential', token_endpoint_auth_method: 'none', redirect_uris: ['https://a.example/cb'] }, 'body.token_endpoint_auth_method'],
      ['POST', '/admin/clients', { name: 'x', type: 'confidential', token_endpoint_auth_method: 'client_secret_jwt', redirect_uris: ['https://a.example/cb'] }, 'body.token_endpoint_auth_method'],
      ['POST', '/admin/clients', { name: 'x', type: 'confidential', token_endpoint_auth_method: 'private_key_jwt', redirect_uris: ['https://a.example/cb'] }, 'body.token_endpoint_auth_method'],
      ['POST', '/admin/clients', { name: 'x', type: 'confidential' }, 'body'],
      ['POST', '/admin/clients', { name: 'x', type: 'public', redirect_uris: 'https://a.example/cb' }, 'body.redirect_uris'],
      ['POST', '/admin/keys/rotate', { now: 'yes' }, 'body.now'],
      ['GET', '/admin/audit?since=yesterday', undefined, 'query.since'],
      ['GET', '/admin/audit?user_id=bob', undefined, 'query.user_id'],
      ['DELETE', '/admin/sessions/123', undefined, 'params.id'],
    ])('%s %s %j names %s', async (method, path, body, field) => {
      const response = await call(method, path, body);
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ error: 'invalid_request' });
      const fields = (response.body!.fields as { field: string; message: string }[]) ?? [];
      expect(fields.length).toBeGreaterThan(0);
      expect(fields.some((f) => f.field.startsWith(field)), JSON.stringify(fields)).toBe(true);
      expect(String(response.body!.error_description)).toMatch(/^[a-z]+(\.[\w]+)*: /);
    });

    it('refuses a non-JSON body and malformed JSON with 4xx, never 500', async () => {
      const { token } = await adminToken(server);
      for (const [type, body] of [['text/plain', 'hello'], ['application/json', '{"username":']] as const) {
        const response = await fetch(`${server.url}/admin/users`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': type }, body });
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
      }
    });

    it('answers 404 for unknown ids and 409 for a duplicate username', async () => {
      expect((await call('GET', '/admin/users/00000000-0000-4000-8000-000000000000')).status).toBe(404);
      expect((await call('GET', '/admin/clients/no-such-client')).status).toBe(404);
      expect((await call('POST', '/admin/users', { username: 'dup', password: 'long enough' })).status).toBe(201);
      const duplicate = await call('POST', '/admin/users', { username: 'DUP', password: 'long enough' });
      expect(duplicate.status).toBe(409);
      expect(duplicate.body).toMatchObject({ error: 'conflict' });
    });
  });

  describe('users', () => {
    it('creates, gets, filters, pages, updates and deletes', async () => {
      for (const name of ['page-a', 'page-b', 'page-c']) {
        expect((await call('POST', '/admin/users', { username: name, password: 'long enough', email: `${name}@example.com` })).status).toBe(201);
      }
      const filtered = await call('GET', '/admin/users?username=PAGE-');
      expect(filtered.body!.items!.map((u) => u.username).sort()).toEqual(['page-a', 'page-b', 'page-c']);
      const byEmail = await call('GET', '/admin/users?email=page-b@');
      expect(byEmail.body!.items!.map((u) => u.username)).toEqual(['page-b']);

      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: Awaited<ReturnType<typeof call>> = await call('GET', `/admin/users?username=page-&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        seen.push(...page.body!.items!.map((u) => String(u.username)));
        cursor = page.body!.next_cursor as string | null;
      } while (cursor);
      expect(seen.sort()).toEqual(['page-a', 'page-b', 'page-c']);

      const user = filtered.body!.items![0]!;
      const patched = await call('PATCH', `/admin/users/${user.id}`, { name: 'Page A', email_verified: true, password: 'new password' });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ name: 'Page A', email_verified: true });
      expect(JSON.stringify(patched.body)).not.toMatch(/password|hash/);
      const row = await server.database.db.selectFrom('users').select('password_hash').where('id', '=', String(user.id)).executeTakeFirstOrThrow();
      expect(row.password_hash).toMatch(/^\$argon2id\$/);

      expect((await call('DELETE', `/admin/users/${user.id}`)).status).toBe(204);
      expect((await call('GET', `/admin/users/${user.id}`)).status).toBe(404);
    });
  });

  describe('the password rule (PASSWORD_MIN_LENGTH, default 8)', () => {
    it('refuses a short password on create and on patch with a 400 naming body.password, and writes nothing', async () => {
      const created = await call('POST', '/admin/users', { username: 'shorty', password: '1234567' });
      expect(created.status).toBe(400);
      expect(created.body).toMatchObject({ error: 'invalid_request', error_description: 'body.password: password must be at least 8 characters' });
      expect(await server.database.db.selectFrom('users').select('id').where('username', '=', 'shorty').executeTakeFirst()).toBeUndefined();

      const user = await makeUser(server.database.db, { username: 'keeps-password' });
      const before = await server.database.db.selectFrom('users').select('password_hash').where('id', '=', user.id).executeTakeFirstOrThrow();
      for (const password of ['x', '       \t', '🔑🔑🔑🔑', 'y'.repeat(1025)]) {
        const patched = await call('PATCH', `/admin/users/${user.id}`, { password, name: 'changed?' });
        expect(patched.status, password).toBe(400);
        expect(patched.body!.error_description, password).toMatch(/^body\.password: password must /);
      }
      const after = await server.database.db.selectFrom('users').select(['password_hash', 'name']).where('id', '=', user.id).executeTakeFirstOrThrow();
      expect(after).toEqual({ password_hash: before.password_hash, name: null });
      // The one rule counts characters, not UTF-16 units: eight emoji are eight characters.
      expect((await call('PATCH', `/admin/users/${user.id}`, { password: '🔑'.repeat(8) })).status).toBe(200);
      expect((await call('POST', '/admin/users', { username: 'exactly-eight', password: '12345678' })).status).toBe(201);
    });

    it('does not apply to login: a password set before the minimum existed still signs in', async () => {
      const old = await makeUser(server.database.db, { username: 'old-short', password: 'abc' });
      const tokens = await loginTokens(server.url, app, REDIRECT, 'old-short', old.password);
      expect(tokens.access_token).toBeTruthy();
    });
  });

  describe('sessions', () => {
    it('lists families and browser sessions, and logging out everywhere kills refresh and access tokens at once', async () => {
      const user = await makeUser(server.database.db, { username: 'everywhere' });
      const first = await loginTokens(server.url, app, REDIRECT, 'everywhere', user.password);
      const second = await loginTokens(server.url, app, REDIRECT, 'everywhere', user.password);
      const listed = await call('GET', `/admin/users/${user.id}/sessions`);
      expect(listed.status).toBe(200);
      const families = listed.body!.refresh_families as Record<string, unknown>[];
      expect(families).toHaveLength(2);
      expect(families[0]).toMatchObject({ kind: 'refresh_family', client_id: app.clientId, revoked_at: null, ip: '127.0.0.1' });
      expect((listed.body!.browser_sessions as unknown[]).length).toBe(2);

      const out = await call('DELETE', `/admin/users/${user.id}/sessions`);
      expect(out.body).toEqual({ revoked_families: 2, ended_sessions: 2 });
      for (const tokens of [first, second]) {
        expect((await refresh(server.url, app, tokens.refresh_token!)).status).toBe(400);
        expect(await introspect(server.url, resourceServer, tokens.access_token)).toEqual({ active: false });
      }
    });

    it('revokes one family by id, leaving the others', async () => {
      const user = await makeUser(server.database.db, { username: 'one-family' });
      const keep = await loginTokens(server.url, app, REDIRECT, 'one-family', user.password);
      const kill = await loginTokens(server.url, app, REDIRECT, 'one-family', user.password);
      const families = (await call('GET', `/admin/users/${user.id}/sessions`)).body!.refresh_families as { id: string; created_at: string }[];
      const newest = families[0]!;
      expect((await call('DELETE', `/admin/sessions/${newest.id}`)).body).toEqual({ revoked: true });
      expect((await refresh(server.url, app, kill.refresh_token!)).status).toBe(400);
      expect((await refresh(server.url, app, keep.refresh_token!)).status).toBe(200);
      expect((await call('DELETE', '/admin/sessions/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    });
  });

  it('disabling a user blocks login, refresh and userinfo at once', async () => {
    const user = await makeUser(server.database.db, { username: 'to-disable' });
    const tokens = await loginTokens(server.url, app, REDIRECT, 'to-disable', user.password);
    expect((await call('PATCH', `/admin/users/${user.id}`, { disabled: true })).body).toMatchObject({ disabled: true });
    expect((await refresh(server.url, app, tokens.refresh_token!)).status).toBe(400);
    expect((await fetch(`${server.url}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status).toBe(401);
    expect(await introspect(server.url, resourceServer, tokens.access_token)).toEqual({ active: false });
    const attempt = await logIn(new BrowserAgent(server.url), authorizeUrl(server.url, authorizeParams(app.clientId, REDIRECT, pkcePair())), 'to-disable', user.password);
    expect(attempt.leftTo).toBeUndefined();
    expect(await attempt.response.text()).toContain('Incorrect username or password.');
  });

  describe('clients', () => {
    it('creates (secret shown once), updates with the CLI rules, lists and deletes, revoking its families', async () => {
      const created = await call('POST', '/admin/clients', { name: 'Admin-made', type: 'confidential', redirect_uris: [REDIRECT] });
      expect(created.status).toBe(201);
      const clientId = String(created.body!.client_id);
      expect(created.body!.client_secret).toMatch(/^lk_cs_/);
      expect((await call('GET', `/admin/clients/${clientId}`)).body!.client_secret).toBeUndefined();

      expect(created.body!.dpop_bound_access_tokens).toBe(false);
      const patched = await call('PATCH', `/admin/clients/${clientId}`, { third_party: true, redirect_uris: [REDIRECT, 'https://app.example.com/two'], dpop_bound_access_tokens: true });
      expect(patched.body).toMatchObject({ third_party: true, redirect_uris: [REDIRECT, 'https://app.example.com/two'], dpop_bound_access_tokens: true });
      expect((await call('PATCH', `/admin/clients/${clientId}`, { dpop_bound_access_tokens: 'yes' })).status).toBe(400);
      // Back to unbound: the sign-in below exchanges its code without a DPoP proof.
      expect((await call('PATCH', `/admin/clients/${clientId}`, { dpop_bound_access_tokens: false })).body).toMatchObject({ dpop_bound_access_tokens: false });
      const broken = await call('PATCH', `/admin/clients/${clientId}`, { redirect_uris: [] });
      expect(broken.status).toBe(400);

      const user = await makeUser(server.database.db, { username: 'client-victim' });
      const client = { clientId, secret: String(created.body!.client_secret) };
      await server.database.db.insertInto('consents').values({ user_id: user.id, client_id: clientId, scopes: JSON.stringify(['openid', 'profile', 'offline_access']), created_at: new Date(), updated_at: new Date() }).execute();
      const tokens = await loginTokens(server.url, client, REDIRECT, 'client-victim', user.password);
      expect((await call('DELETE', `/admin/clients/${clientId}`)).status).toBe(204);
      expect(await introspect(server.url, resourceServer, tokens.access_token)).toEqual({ active: false });
      expect((await call('GET', `/admin/clients/${clientId}`)).status).toBe(404);
    });

    it('rotates a secret: without overlap the old one stops at once; with overlap both work', async () => {
      const client = await makeClient(server.database.db, { grantTypes: ['client_credentials'], scopes: ['x'] });
      const cc = (secret: string) => postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, { authorization: basicAuth(client.clientId, secret) });
      const rotated = await call('POST', `/admin/clients/${client.clientId}/secret`, {});
      expect(rotated.body).toMatchObject({ client_id: client.clientId, previous_secret_valid_until: null });
      expect((await cc(client.secret!)).status).toBe(401);
      const second = String(rotated.body!.client_secret);
      expect((await cc(second)).status).toBe(200);

      const overlapped = await call('POST', `/admin/clients/${client.clientId}/secret`, { overlap_seconds: 3600 });
      expect(overlapped.body!.previous_secret_valid_until).toEqual(expect.any(String));
      expect((await cc(second)).status).toBe(200);
      expect((await cc(String(overlapped.body!.client_secret))).status).toBe(200);
    });

    it('revokes a remembered consent', async () => {
      const user = await makeUser(server.database.db, { username: 'consenter' });
      await server.database.db.insertInto('consents').values({ user_id: user.id, client_id: app.clientId, scopes: '["openid"]', created_at: new Date(), updated_at: new Date() }).execute();
      expect((await call('DELETE', `/admin/users/${user.id}/consents/${app.clientId}`)).body).toEqual({ revoked: true });
      expect((await call('DELETE', `/admin/users/${user.id}/consents/${app.clientId}`)).status).toBe(404);
    });
  });

  it('lists keys and rotates them', async () => {
    const before = await call('GET', '/admin/keys');
    expect(before.body!.items).toHaveLength(1);
    const scheduled = await call('POST', '/admin/keys/rotate', {});
    expect(scheduled.body).toMatchObject({ outcome: 'scheduled', key: { state: 'next' } });
    const now = await call('POST', '/admin/keys/rotate', { now: true });
    expect(now.body).toMatchObject({ outcome: 'rotated', key: { state: 'active' } });
    expect(server.keys.signer().kid).toBe((now.body!.key as { kid: string }).kid);
  });

  it('pages and filters the audit trail, which records the acting client', async () => {
    const all = await call('GET', '/admin/audit?type=admin_action&limit=3');
    expect(all.body!.items).toHaveLength(3);
    expect(all.body!.items!.every((e) => e.actor_client_id === adminClientId)).toBe(true);
    const next = await call('GET', `/admin/audit?type=admin_action&limit=3&cursor=${all.body!.next_cursor}`);
    const firstIds = all.body!.items!.map((e) => e.id);
    expect(next.body!.items!.some((e) => firstIds.includes(e.id))).toBe(false);
    const future = await call('GET', `/admin/audit?since=${encodeURIComponent(new Date(Date.now() + 3600_000).toISOString())}`);
    expect(future.body!.items).toEqual([]);
    const byClient = await call('GET', `/admin/audit?client_id=${adminClientId}&limit=200`);
    expect(byClient.body!.items!.length).toBeGreaterThan(3);
    expect(JSON.stringify((await call('GET', '/admin/audit?limit=200')).body)).not.toMatch(/lk_cs_|lk_rt_|lk_ac_|eyJ|argon2/);
  });

  it('publishes an OpenAPI 3 document that a real validator accepts, covering every route', async () => {
    const document = await (await fetch(`${server.url}/admin/openapi.json`)).json();
    const validated = (await SwaggerParser.validate(structuredClone(document) as never)) as unknown as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.entries(validated.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    expect(operations).toEqual(expect.arrayContaining([
      'GET /admin/users', 'POST /admin/users', 'GET /admin/users/{id}', 'PATCH /admin/users/{id}', 'DELETE /admin/users/{id}',
      'GET /admin/users/{id}/sessions', 'DELETE /admin/users/{id}/sessions', 'DELETE /admin/sessions/{id}',
      'GET /admin/clients', 'POST /admin/clients', 'GET /admin/clients/{id}', 'PATCH /admin/clients/{id}', 'DELETE /admin/clients/{id}',
      'POST /admin/clients/{id}/secret', 'GET /admin/keys', 'POST /admin/keys/rotate', 'GET /admin/audit',
    ]));
  });
});
