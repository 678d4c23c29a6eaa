import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { adminFetch, adminToken } from '../helpers/admin.js';
import { makeClient, makeUser, testClientMetadata } from '../helpers/fixtures.js';
import { authorizeParams, authorizeUrl, basicAuth, pkcePair, postForm } from '../helpers/flow.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { createCliHarness } from '../helpers/cli.js';
import { introspect, loginTokens, refresh, tokensOf, type ClientCredentials } from '../helpers/tokens.js';
import { decodeJwt } from 'jose';
import { sha256Hex } from '../../src/opaque-token.js';
import { createClient } from '../../src/clients/store.js';
import { warnAboutReservedAdminScope } from '../../src/clients/reserved-scope.js';
import { mintAccessToken } from '../../src/tokens/access-token.js';

const REDIRECT = 'https://app.example.com/cb';

/**
 * Issue 10 items 1 and 2: only client_credentials tokens of a client created with --admin reach
 * /admin, re-checked against the database on every request; the scope name `admin` is reserved.
 */
describe('admin escalation', () => {
  // Frozen mid-second, so the tests decide exactly which second each token is minted in.
  const T0 = Math.floor(Date.now() / 1000) * 1000 + 500;
  const clock = new ManualClock(T0);
  let server: TestServer;
  let ops: ReturnType<typeof adminFetch>;
  let resourceServer: ClientCredentials;

  beforeAll(async () => {
    server = await startTestServer({ RATE_LIMIT_ADMIN: '0', RATE_LIMIT_TOKEN: '0', RATE_LIMIT_LOGIN: '0' }, undefined, { clock });
    ops = adminFetch(server, (await adminToken(server)).token);
    resourceServer = await makeClient(server.database.db, { grantTypes: ['client_credentials'], scopes: ['introspect'] });
  });
  afterAll(async () => server?.stop());

  /** A client registered before the scope was reserved (the schema now refuses it). */
  async function legacyClientWithAdminScope(settings: Record<string, unknown>) {
    const parsed = testClientMetadata({ name: 'Legacy app', ...settings });
    const { client, secret } = await createClient(server.database.db, { ...parsed, scopes: [...parsed.scopes, 'admin'] });
    return { clientId: client.clientId, secret: secret! };
  }

  const clientCredentials = (client: { clientId: string; secret: string }, fields: Record<string, string> = {}) =>
    postForm(`${server.url}/token`, { grant_type: 'client_credentials', ...fields }, { authorization: basicAuth(client.clientId, client.secret) });

  async function tokenOf(client: { clientId: string; secret: string }): Promise<string> {
    const response = await clientCredentials(client, { scope: 'admin' });
    expect(response.status).toBe(200);
    return ((await response.json()) as { access_token: string }).access_token;
  }

  const adminGet = (token: string) => fetch(`${server.url}/admin/users`, { headers: { authorization: `Bearer ${token}` } });

  describe('item 1: who may reach /admin', () => {
    it('an app that registered a scope named "admin" cannot get it for its users at /authorize (invalid_scope)', async () => {
      const app = await legacyClientWithAdminScope({ redirectUris: [REDIRECT] });
      const url = authorizeUrl(server.url, authorizeParams(app.clientId, REDIRECT, pkcePair(), { scope: 'openid admin', state: 's1' }));
      const response = await fetch(url, { redirect: 'manual' });
      const location = new URL(response.headers.get('location') ?? '', server.url);
      expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
      expect(location.searchParams.get('error')).toBe('invalid_scope');
      expect(location.searchParams.get('state')).toBe('s1');
    });

    it('a refresh family granted "admin" before the scope was reserved loses it at the next refresh', async () => {
      const app = await legacyClientWithAdminScope({ redirectUris: [REDIRECT] });
      const user = await makeUser(server.database.db);
      const tokens = await loginTokens(server.url, app, REDIRECT, user.username, user.password, 'openid offline_access');
      const db = server.database.db;
      const { grant_id: grantId } = await db.selectFrom('refresh_tokens').select('grant_id').where('token_hash', '=', sha256Hex(tokens.refresh_token!)).executeTakeFirstOrThrow();
      await db.updateTable('grants').set({ scope: 'openid admin offline_access' }).where('id', '=', grantId).execute();
      const refreshed = await tokensOf(await refresh(server.url, app, tokens.refresh_token!));
      expect(refreshed.scope.split(' ')).not.toContain('admin');
      expect(String(decodeJwt(refreshed.access_token).scope).split(' ')).not.toContain('admin');
      const grant = await db.selectFrom('grants').select('scope').where('id', '=', grantId).executeTakeFirstOrThrow();
      expect(grant.scope).toBe('openid offline_access');
    });

    it('an end user\'s token that carries "admin" (minted before the scope was reserved) is refused (403), and the attempt is audited', async () => {
      const app = await legacyClientWithAdminScope({ redirectUris: [REDIRECT] });
      const user = await makeUser(server.database.db);
      const context = { ring: server.keys, clock, issuer: server.url, accessTokenTtlSeconds: 600, idTokenTtlSeconds: 600, clockToleranceSeconds: 30 };
      const { token } = mintAccessToken(context, {
        subject: user.id,
        audience: server.url,
        clientId: app.clientId,
        scope: ['openid', 'admin'],
        authTime: Math.floor(clock.now() / 1000),
        sid: 'a-session',
      });
      const response = await adminGet(token);
      expect(response.status).toBe(403);
      expect(response.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);
      expect(await response.text()).not.toContain('"items"');

      const audit = await ops('GET', `/admin/audit?type=admin_access_denied&user_id=${user.id}`);
      expect(audit.body!.items!.length).toBe(1);
      expect(audit.body!.items![0]).toMatchObject({ client_id: app.clientId, user_id: user.id });
    });

    it('an ordinary client with a registered "admin" scope cannot get it through client_credentials, explicitly or by default', async () => {
      const service = await legacyClientWithAdminScope({ grantTypes: ['client_credentials'], scopes: ['orders'] });
      const explicit = await clientCredentials(service, { scope: 'admin' });
      expect(explicit.status).toBe(400);
      expect(await explicit.json()).toMatchObject({ error: 'invalid_scope' });

      const byDefault = await clientCredentials(service);
      expect(byDefault.status).toBe(200);
      const body = (await byDefault.json()) as { access_token: string; scope: string };
      expect(body.scope.split(' ')).not.toContain('admin');
      expect((await adminGet(body.access_token)).status).toBe(403);
    });

    it('the admin API refuses the reserved scope for a non-admin client, on create and on PATCH (field body.scopes)', async () => {
      const created = await ops('POST', '/admin/clients', { name: 'App', type: 'confidential', grant_types: ['client_credentials'], scopes: ['orders', 'admin'] });
      expect(created.status).toBe(400);
      expect(created.body).toMatchObject({ error: 'invalid_request' });
      expect((created.body!.fields as { field: string }[]).map((f) => f.field)).toContain('body.scopes');

      const ordinary = await ops('POST', '/admin/clients', { name: 'App', type: 'confidential', grant_types: ['client_credentials'], scopes: ['orders'] });
      expect(ordinary.status).toBe(201);
      const patched = await ops('PATCH', `/admin/clients/${String(ordinary.body!.client_id)}`, { scopes: ['orders', 'admin'] });
      expect(patched.status).toBe(400);
      expect((patched.body!.fields as { field: string }[]).map((f) => f.field)).toContain('body.scopes');
      expect((await ops('GET', `/admin/clients/${String(ordinary.body!.client_id)}`)).body!.scopes).toEqual(['orders']);
    });

    it('the CLI refuses the reserved scope for a non-admin client', async () => {
      const cli = await createCliHarness();
      try {
        const refused = await cli.run(['client', 'create', '--name', 'App', '--type', 'confidential', '--grant-types', 'client_credentials', '--scopes', 'orders admin']);
        expect(refused.status).toBe(2);
        expect(refused.stdout).toBe('');
        expect(refused.stderr).toMatch(/^latchkey: .*"admin" is reserved/);
        const admin = await cli.run(['client', 'create', '--name', 'ops', '--admin']);
        expect(admin.status).toBe(0);
        expect(JSON.parse(admin.stdout).scopes).toEqual(['admin']);
      } finally {
        await cli.destroy();
      }
    });

    it('start-up warns once per existing non-admin client that carries the scope', async () => {
      const legacy = await legacyClientWithAdminScope({ grantTypes: ['client_credentials'], scopes: ['orders'] });
      const lines: { details: Record<string, unknown>; message: string }[] = [];
      await warnAboutReservedAdminScope(server.database.db, { warn: (details: Record<string, unknown>, message: string) => void lines.push({ details, message }) });
      const mine = lines.filter((line) => line.details.client_id === legacy.clientId);
      expect(mine).toHaveLength(1);
      expect(mine[0]!.details.name).toBe('Legacy app');
      expect(mine[0]!.message).toMatch(/gives no admin access/);
      const admins = await server.database.db.selectFrom('clients').select('id').where('is_admin', '=', true).execute();
      for (const { id } of admins) expect(lines.some((line) => line.details.client_id === id)).toBe(false);
    });
  });

  describe('item 2: admin and client_credentials tokens die with their client', () => {
    it('deleting the admin client stops its token at /admin (401) and at /introspect at once', async () => {
      const doomed = await adminToken(server);
      expect((await adminGet(doomed.token)).status).toBe(200);
      expect((await ops('DELETE', `/admin/clients/${doomed.clientId}`)).status).toBe(204);
      const response = await adminGet(doomed.token);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
      expect(await introspect(server.url, resourceServer, doomed.token)).toEqual({ active: false });
    });

    it('demoting the admin client (PATCH admin:false) stops its token at once', async () => {
      const demoted = await adminToken(server);
      expect((await adminGet(demoted.token)).status).toBe(200);
      const patched = await ops('PATCH', `/admin/clients/${demoted.clientId}`, { admin: false });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ admin: false });
      expect(patched.body!.scopes).not.toContain('admin');
      expect((await adminGet(demoted.token)).status).toBe(401);
      expect(await introspect(server.url, resourceServer, demoted.token)).toEqual({ active: false });
      // A fresh token of the demoted client gets no admin scope and no admin access.
      clock.advance(1000);
      expect((await clientCredentials(demoted, { scope: 'admin' })).status).toBe(400);
    });

    it('rotating the secret with no overlap kills tokens minted in that second, before or after; the next second works', async () => {
      clock.set(Math.floor(clock.now() / 1000) * 1000 + 3000 + 400);
      const admin = await adminToken(server);
      const before = admin.token;
      expect((await adminGet(before)).status).toBe(200);

      const rotated = await ops('POST', `/admin/clients/${admin.clientId}/secret`, { overlap_seconds: 0 });
      expect(rotated.status).toBe(200);
      const fresh = { clientId: admin.clientId, secret: String(rotated.body!.client_secret) };
      expect((await adminGet(before)).status).toBe(401);
      expect(await introspect(server.url, resourceServer, before)).toEqual({ active: false });

      // Same second as the rotation (iat cannot tell before from after): refused too.
      clock.advance(599);
      const sameSecond = await tokenOf(fresh);
      expect((await adminGet(sameSecond)).status).toBe(401);

      // The first whole second after the rotation: accepted.
      clock.advance(1);
      const nextSecond = await tokenOf(fresh);
      expect((await adminGet(nextSecond)).status).toBe(200);
      expect(await introspect(server.url, resourceServer, nextSecond)).toMatchObject({ active: true, client_id: admin.clientId });
    });

    it('a rotation with an overlap (planned roll-over) keeps tokens alive', async () => {
      const admin = await adminToken(server);
      expect((await ops('POST', `/admin/clients/${admin.clientId}/secret`, { overlap_seconds: 600 })).status).toBe(200);
      expect((await adminGet(admin.token)).status).toBe(200);
    });

    it('introspection: a client_credentials token is inactive once its client lost one of its scopes, or was deleted', async () => {
      clock.advance(1000);
      const service = await makeClient(server.database.db, { grantTypes: ['client_credentials'], scopes: ['orders', 'invoices'] });
      const response = await clientCredentials({ clientId: service.clientId, secret: service.secret! }, { scope: 'orders invoices' });
      const token = ((await response.json()) as { access_token: string }).access_token;
      const narrow = await clientCredentials({ clientId: service.clientId, secret: service.secret! }, { scope: 'orders' });
      const narrowToken = ((await narrow.json()) as { access_token: string }).access_token;
      expect(await introspect(server.url, resourceServer, token)).toMatchObject({ active: true, scope: 'orders invoices' });

      expect((await ops('PATCH', `/admin/clients/${service.clientId}`, { scopes: ['orders'] })).status).toBe(200);
      expect(await introspect(server.url, resourceServer, token)).toEqual({ active: false });
      expect(await introspect(server.url, resourceServer, narrowToken)).toMatchObject({ active: true, scope: 'orders' });

      expect((await ops('DELETE', `/admin/clients/${service.clientId}`)).status).toBe(204);
      expect(await introspect(server.url, resourceServer, narrowToken)).toEqual({ active: false });
    });
  });
});
