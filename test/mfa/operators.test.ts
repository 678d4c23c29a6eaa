import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { BrowserAgent } from '../helpers/http-agent.js';
import { adminFetch, adminToken } from '../helpers/admin.js';
import { createCliHarness, type CliHarness } from '../helpers/cli.js';
import { enrolTotp, passwordStep, submitOtp, totpCode, type App } from './support.js';

const REDIRECT = 'http://localhost:8080/callback';

describe('operators: admin API GET|DELETE /admin/users/:id/factors', { timeout: 120_000 }, () => {
  let server: TestServer;
  let app: App;
  let admin: ReturnType<typeof adminFetch>;
  const clock = new ManualClock();

  beforeAll(async () => {
    server = await startTestServer({}, undefined, { clock });
    const created = await makeClient(server.database.db, { name: 'Notes', redirectUris: [REDIRECT] });
    app = { clientId: created.clientId, secret: created.secret!, redirectUri: REDIRECT };
    admin = adminFetch(server, (await adminToken(server)).token);
  });
  afterAll(async () => server?.stop());

  it('lists kinds and dates, never a secret; DELETE removes them, audited, and the next sign-in asks only the password', async () => {
    const user = await makeUser(server.database.db);
    const { secret, recoveryCodes } = await enrolTotp(server.database.db, server.url, user, clock);
    const agent = new BrowserAgent(server.url);
    const page = await passwordStep(agent, app, user);
    await submitOtp(agent, page.body, recoveryCodes[0]!);

    const listed = await admin('GET', `/admin/users/${user.id}/factors`);
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({
      user_id: user.id,
      factors: [
        { kind: 'totp', created_at: expect.any(String), last_used_at: null },
        { kind: 'recovery_codes', created_at: expect.any(String), last_used_at: expect.any(String), remaining: 9 },
      ],
    });
    const text = JSON.stringify(listed.body);
    expect(text).not.toContain(secret);
    for (const code of recoveryCodes) expect(text).not.toContain(code);

    const reset = await admin('DELETE', `/admin/users/${user.id}/factors`);
    expect(reset).toMatchObject({ status: 200, body: { user_id: user.id, removed: ['totp', 'recovery_codes'] } });
    expect((await admin('GET', `/admin/users/${user.id}/factors`)).body).toEqual({ user_id: user.id, factors: [] });
    expect((await admin('DELETE', `/admin/users/${user.id}/factors`)).body).toEqual({ user_id: user.id, removed: [] });
    const events = await server.database.db.selectFrom('audit_events').select(['type', 'actor_client_id', 'details']).where('user_id', '=', user.id).where('type', '=', 'second_factor_removed').execute();
    expect(events).toHaveLength(1);
    expect(events[0]!.actor_client_id).not.toBeNull();
    expect((await passwordStep(new BrowserAgent(server.url), app, user)).leftTo).toMatch(/code=/);
    expect(totpCode(secret, clock.now())).toMatch(/^\d{6}$/);
  });

  it('answers 404 for an unknown user and 400 for a malformed id; the routes are in the OpenAPI document', async () => {
    expect((await admin('GET', '/admin/users/00000000-0000-4000-8000-000000000000/factors')).status).toBe(404);
    expect((await admin('DELETE', '/admin/users/00000000-0000-4000-8000-000000000000/factors')).status).toBe(404);
    expect((await admin('GET', '/admin/users/not-a-uuid/factors')).status).toBe(400);
    const openapi = await admin('GET', '/admin/openapi.json');
    const paths = (openapi.body as { paths: Record<string, Record<string, unknown>> }).paths;
    expect(Object.keys(paths['/admin/users/{id}/factors']!).sort()).toEqual(['delete', 'get']);
  });

  it('refuses both without an admin token', async () => {
    const user = await makeUser(server.database.db);
    expect((await fetch(`${server.url}/admin/users/${user.id}/factors`)).status).toBe(401);
    expect((await fetch(`${server.url}/admin/users/${user.id}/factors`, { method: 'DELETE' })).status).toBe(401);
  });
});

describe('operators: latchkey user totp enroll / user mfa reset', { timeout: 120_000 }, () => {
  let cli: CliHarness;
  beforeAll(async () => {
    cli = await createCliHarness();
    expect((await cli.run(['user', 'create', '--username', 'carol', '--password-stdin'], 'a long password')).status).toBe(0);
  });
  afterAll(async () => cli?.destroy());

  it('enroll prints {otpauth_uri, recovery_codes}; a second enroll is refused; reset removes; help is printed', async () => {
    const enrolled = await cli.run(['user', 'totp', 'enroll', '--username', 'Carol']);
    expect(enrolled.status).toBe(0);
    const output = JSON.parse(enrolled.stdout) as { otpauth_uri: string; recovery_codes: string[] };
    expect(Object.keys(output)).toEqual(['otpauth_uri', 'recovery_codes']);
    expect(output.otpauth_uri).toMatch(/^otpauth:\/\/totp\/.+:carol\?.*secret=[A-Z2-7]{32}/);
    expect(new URL(output.otpauth_uri).searchParams.get('algorithm')).toBe('SHA1');
    expect(output.recovery_codes).toHaveLength(10);
    const again = await cli.run(['user', 'totp', 'enroll', '--username', 'carol']);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain('already has TOTP');
    const reset = await cli.run(['user', 'mfa', 'reset', '--username', 'carol']);
    expect(reset.status).toBe(0);
    expect(JSON.parse(reset.stdout)).toMatchObject({ removed: ['totp', 'recovery_codes'] });
    const audit = await cli.inspect(async ({ db }) => db.selectFrom('audit_events').select('type').where('type', 'in', ['second_factor_enrolled', 'second_factor_removed']).execute());
    expect(audit.map((a) => a.type)).toEqual(['second_factor_enrolled', 'second_factor_removed']);
    expect((await cli.run(['user', 'totp', 'enroll', '--username', 'nobody'])).stderr).toContain('no user named "nobody"');
    expect((await cli.run(['user', 'totp', 'enroll'])).status).toBe(2);
    expect((await cli.run(['user', 'mfa', 'wipe'])).status).toBe(2);
    expect((await cli.run(['user', 'totp', 'enroll', '--help'])).stdout).toContain('otpauth_uri');
    expect((await cli.run(['user', '--help'])).stdout).toContain('user mfa reset');
  });
});
