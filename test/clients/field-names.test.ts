import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminFetch, adminToken } from '../helpers/admin.js';
import { createCliHarness, type CliHarness } from '../helpers/cli.js';
import { basicAuth, postForm } from '../helpers/flow.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** One schema, one name per field: the CLI and the admin API report the same invalid field the same way. */
describe('client metadata through the CLI and the admin API', () => {
  let server: TestServer;
  let cli: CliHarness;
  let admin: ReturnType<typeof adminFetch>;

  beforeAll(async () => {
    server = await startTestServer({ RATE_LIMIT_ADMIN: '0' });
    admin = adminFetch(server, (await adminToken(server)).token);
    cli = await createCliHarness();
  });
  afterAll(async () => {
    await server?.stop();
    await cli?.destroy();
  });

  it.each([
    ['a bad second redirect URI', ['--redirect-uri', 'https://a.example/cb', '--redirect-uri', '/cb'], { redirect_uris: ['https://a.example/cb', '/cb'] }, 'redirect_uris.1'],
    ['an unknown grant type', ['--redirect-uri', 'https://a.example/cb', '--grant-types', 'password'], { redirect_uris: ['https://a.example/cb'], grant_types: ['password'] }, 'grant_types.0'],
    ['none for a confidential client', ['--redirect-uri', 'https://a.example/cb', '--auth-method', 'none'], { redirect_uris: ['https://a.example/cb'], token_endpoint_auth_method: 'none' }, 'token_endpoint_auth_method'],
    ['a bad origin', ['--redirect-uri', 'https://a.example/cb', '--origin', 'https://a.example/'], { redirect_uris: ['https://a.example/cb'], origins: ['https://a.example/'] }, 'origins.0'],
  ])('%s is %s in both', async (_label, flags, body, field) => {
    const fromCli = await cli.run(['client', 'create', '--name', 'x', '--type', 'confidential', ...flags]);
    expect(fromCli.status).toBe(2);
    expect(fromCli.stderr).toMatch(new RegExp(`^latchkey: ${field.replace(/\./g, '\\.')}: `));

    const fromApi = await admin('POST', '/admin/clients', { name: 'x', type: 'confidential', ...body });
    expect(fromApi.status).toBe(400);
    const fields = fromApi.body!.fields as { field: string; message: string }[];
    expect(fields[0]!.field).toBe(`body.${field}`);
    // The same words, too.
    expect(fromCli.stderr.trim()).toBe(`latchkey: ${field}: ${fields[0]!.message}`);
  });

  it('--auth-method client_secret_post and the admin API field select the method the client must use', async () => {
    const fromCli = await cli.run(['client', 'create', '--name', 'svc', '--type', 'confidential', '--grant-types', 'client_credentials', '--scopes', 'x', '--auth-method', 'client_secret_post', '--audience', 'https://api.example.com']);
    expect(fromCli.status).toBe(0);
    expect(JSON.parse(fromCli.stdout)).toMatchObject({ token_endpoint_auth_method: 'client_secret_post' });

    const created = await admin('POST', '/admin/clients', { name: 'svc', type: 'confidential', grant_types: ['client_credentials'], scopes: ['x'] });
    expect(created.body).toMatchObject({ token_endpoint_auth_method: 'client_secret_basic' });
    const id = String(created.body!.client_id);
    const secret = String(created.body!.client_secret);
    const inBody = () => postForm(`${server.url}/token`, { grant_type: 'client_credentials', client_id: id, client_secret: secret });
    const overBasic = () => postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, { authorization: basicAuth(id, secret) });
    expect((await inBody()).status).toBe(401);
    expect((await overBasic()).status).toBe(200);

    // The upgrade path the README gives for clients that send their secret in the body.
    const patched = await admin('PATCH', `/admin/clients/${id}`, { token_endpoint_auth_method: 'client_secret_post' });
    expect(patched.body).toMatchObject({ token_endpoint_auth_method: 'client_secret_post' });
    expect((await inBody()).status).toBe(200);
    expect((await overBasic()).status).toBe(401);

    const publicClient = await admin('POST', '/admin/clients', { name: 'spa', type: 'public', redirect_uris: ['https://spa.example/cb'] });
    expect(publicClient.body).toMatchObject({ token_endpoint_auth_method: 'none' });
    const refused = await admin('PATCH', `/admin/clients/${String(publicClient.body!.client_id)}`, { token_endpoint_auth_method: 'client_secret_basic' });
    expect(refused.status).toBe(400);
    expect((refused.body!.fields as { field: string }[])[0]!.field).toBe('body.token_endpoint_auth_method');
  });
});
