import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { adminFetch, adminToken } from '../helpers/admin.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { basicAuth, postForm } from '../helpers/flow.js';
import { createCliHarness } from '../helpers/cli.js';
import { loginTokens } from '../helpers/tokens.js';

const REDIRECT = 'https://app.example.com/cb';
const API = 'https://api.example.com';

/**
 * Issue 10 item 13: a token for an API carries that API's audience; issuer-audience tokens are
 * good only at Latchkey's own endpoints, and registering a client that would get them warns.
 */
describe('access-token audience', () => {
  let server: TestServer;
  let admin: ReturnType<typeof adminFetch>;

  beforeAll(async () => {
    server = await startTestServer({ RATE_LIMIT_ADMIN: '0', RATE_LIMIT_TOKEN: '0', RATE_LIMIT_LOGIN: '0' });
    admin = adminFetch(server, (await adminToken(server)).token);
  });
  afterAll(async () => server?.stop());

  describe("Latchkey's own endpoints accept only aud = issuer", () => {
    it('/userinfo accepts an issuer-audience token and refuses a token for an API (401)', async () => {
      const user = await makeUser(server.database.db);
      const own = await makeClient(server.database.db, { redirectUris: [REDIRECT] });
      const forApi = await makeClient(server.database.db, { redirectUris: [REDIRECT], defaultAudience: API });
      const ownTokens = await loginTokens(server.url, own, REDIRECT, user.username, user.password, 'openid profile');
      const apiTokens = await loginTokens(server.url, forApi, REDIRECT, user.username, user.password, 'openid profile');
      expect(decodeJwt(ownTokens.access_token).aud).toBe(server.url);
      expect(decodeJwt(apiTokens.access_token).aud).toBe(API);

      expect((await fetch(`${server.url}/userinfo`, { headers: { authorization: `Bearer ${ownTokens.access_token}` } })).status).toBe(200);
      const refused = await fetch(`${server.url}/userinfo`, { headers: { authorization: `Bearer ${apiTokens.access_token}` } });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    });

    it('/admin refuses an admin client token minted for a resource (401)', async () => {
      const ops = await makeClient(server.database.db, { name: 'ops', admin: true, resources: [API] });
      const response = await postForm(`${server.url}/token`, { grant_type: 'client_credentials', scope: 'admin', resource: API }, { authorization: basicAuth(ops.clientId, ops.secret!) });
      expect(response.status).toBe(200);
      const token = ((await response.json()) as { access_token: string }).access_token;
      expect(decodeJwt(token).aud).toBe(API);
      const refused = await fetch(`${server.url}/admin/keys`, { headers: { authorization: `Bearer ${token}` } });
      expect(refused.status).toBe(401);
    });
  });

  describe('registering a client whose API tokens would carry aud = issuer warns', () => {
    it('admin API: create and PATCH answer "warnings", empty once an audience or resource is registered', async () => {
      const web = await admin('POST', '/admin/clients', { name: 'Web', type: 'confidential', redirect_uris: [REDIRECT] });
      expect(web.status).toBe(201);
      expect(web.body!.warnings).toEqual([expect.stringMatching(/no audience.*--audience.*--resource/)]);

      const service = await admin('POST', '/admin/clients', { name: 'Service', type: 'confidential', grant_types: ['client_credentials'], scopes: ['orders'] });
      expect((service.body!.warnings as string[]).length).toBe(1);

      const withAudience = await admin('PATCH', `/admin/clients/${String(web.body!.client_id)}`, { default_audience: API });
      expect(withAudience.status).toBe(200);
      expect(withAudience.body!.warnings).toEqual([]);
      const withResource = await admin('PATCH', `/admin/clients/${String(service.body!.client_id)}`, { resources: [API] });
      expect(withResource.body!.warnings).toEqual([]);
      const cleared = await admin('PATCH', `/admin/clients/${String(web.body!.client_id)}`, { default_audience: null });
      expect((cleared.body!.warnings as string[]).length).toBe(1);

      const ops = await admin('POST', '/admin/clients', { name: 'ops', type: 'confidential', admin: true });
      expect(ops.body!.warnings).toEqual([]);
      const api = await admin('POST', '/admin/clients', { name: 'API', type: 'confidential', redirect_uris: [REDIRECT], default_audience: API });
      expect(api.body!.warnings).toEqual([]);
    });

    it('the OpenAPI document declares "warnings" on create and PATCH responses', async () => {
      const document = (await (await fetch(`${server.url}/admin/openapi.json`)).json()) as {
        paths: Record<string, Record<string, { responses: Record<string, { content: { 'application/json': { schema: { properties: Record<string, unknown> } } } }> }>>;
      };
      expect(document.paths['/admin/clients']!.post!.responses['201']!.content['application/json'].schema.properties.warnings).toBeDefined();
      expect(document.paths['/admin/clients/{id}']!.patch!.responses['200']!.content['application/json'].schema.properties.warnings).toBeDefined();
    });

    it('CLI: a warning line on stderr, JSON on stdout unchanged; none with --audience or for --admin', async () => {
      const cli = await createCliHarness();
      try {
        const warned = await cli.run(['client', 'create', '--name', 'Web', '--type', 'confidential', '--redirect-uri', REDIRECT]);
        expect(warned.status).toBe(0);
        expect(warned.stderr).toMatch(/^latchkey: warning: .*no audience.*--audience.*--resource.*\n$/);
        const printed = JSON.parse(warned.stdout) as Record<string, unknown>;
        expect(printed.client_id).toEqual(expect.any(String));
        expect(printed.warnings).toBeUndefined();

        const quiet = await cli.run(['client', 'create', '--name', 'Web', '--type', 'confidential', '--redirect-uri', REDIRECT, '--audience', API]);
        expect(quiet.status).toBe(0);
        expect(quiet.stderr).toBe('');
        expect((await cli.run(['client', 'create', '--name', 'ops', '--admin'])).stderr).toBe('');
      } finally {
        await cli.destroy();
      }
    });
  });

  it("the README's walkthrough verifies the API's own audience, not the issuer", async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const step6 = readme.slice(readme.indexOf('# 6.'), readme.indexOf('```', readme.indexOf('# 6.')));
    expect(step6).toContain('--audience https://api.example.com');
    expect(step6).toContain("audience: 'https://api.example.com'");
    expect(step6).not.toContain("audience: 'http://localhost:3000'");
  });
});
