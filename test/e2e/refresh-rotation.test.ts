import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { sha256Hex } from '../../src/opaque-token.js';
import { introspect, loginTokens, refresh, type ClientCredentials, type TokenSet, tokensOf, expectInvalidGrant } from '../helpers/tokens.js';

const REDIRECT = 'https://app.example.com/cb';

describe('refresh token rotation (grace window 10 s)', () => {
  let server: TestServer;
  const clock = new ManualClock();
  let app: ClientCredentials;
  let other: ClientCredentials;
  let resourceServer: ClientCredentials;
  let user: Awaited<ReturnType<typeof makeUser>>;
  const login = (scope?: string) => loginTokens(server.url, app, REDIRECT, 'ivan', user.password, scope);
  const rotate = async (token: string, extra?: Record<string, string>) => tokensOf(await refresh(server.url, app, token, extra));

  beforeAll(async () => {
    server = await startTestServer({ REFRESH_REUSE_GRACE: '10s', REFRESH_IDLE_TTL: '1h', REFRESH_ABSOLUTE_TTL: '3h', RATE_LIMIT_TOKEN: '0' }, undefined, { clock });
    const db = server.database.db;
    user = await makeUser(db, { username: 'ivan', email: 'ivan@example.com' });
    app = await makeClient(db, { redirectUris: [REDIRECT] });
    other = await makeClient(db, { redirectUris: [REDIRECT] });
    resourceServer = await makeClient(db, { grantTypes: ['client_credentials'], scopes: ['introspect'] });
  });
  afterAll(async () => server?.stop());

  it('rotates through a chain of 50, each token working once, in one family', async () => {
    const first = await login();
    let current = first.refresh_token!;
    const seen = new Set([current]);
    for (let i = 0; i < 50; i++) {
      const next = await rotate(current);
      expect(next.refresh_token).toMatch(/^lk_rt_/);
      expect(seen.has(next.refresh_token!)).toBe(false);
      seen.add(next.refresh_token!);
      expect(next.id_token).toBeTruthy();
      expect(next.refresh_expires_in).toBeLessThanOrEqual(3 * 3600);
      current = next.refresh_token!;
    }
    const db = server.database.db;
    expect(await db.selectFrom('refresh_tokens').select('grant_id').where('token_hash', 'in', [...seen]).execute()).toHaveLength(0); // only hashes are stored
    const rows = await db.selectFrom('refresh_tokens').select(['grant_id', 'consumed_at']).where('token_hash', 'in', [...seen].map(sha256Hex)).execute();
    expect(rows).toHaveLength(51);
    expect(new Set(rows.map((r) => r.grant_id)).size).toBe(1);
    expect(rows.filter((r) => r.consumed_at === null)).toHaveLength(1);
  });

  it('after the window, reuse revokes the family: the newest refresh token and its access tokens die too', async () => {
    const first = await login();
    const second = await rotate(first.refresh_token!);
    const third = await rotate(second.refresh_token!);
    expect((await introspect(server.url, resourceServer, third.access_token)).active).toBe(true);
    clock.advance(11_000);

    await expectInvalidGrant(await refresh(server.url, app, first.refresh_token!));

    await expectInvalidGrant(await refresh(server.url, app, third.refresh_token!));
    for (const access of [first.access_token, second.access_token, third.access_token]) {
      expect(await introspect(server.url, resourceServer, access)).toEqual({ active: false });
    }
    const audit = await server.database.db.selectFrom('audit_events').selectAll().where('type', '=', 'refresh_reuse_detected').where('user_id', '=', user.id).execute();
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit)).not.toContain(first.refresh_token!);
  });

  it('inside the window, an older sibling (not the latest consumed) still counts as reuse', async () => {
    const first = await login();
    const second = await rotate(first.refresh_token!);
    await rotate(second.refresh_token!); // second is now the latest consumed; first is not
    await expectInvalidGrant(await refresh(server.url, app, first.refresh_token!));
    await expectInvalidGrant(await refresh(server.url, app, second.refresh_token!)); // the family is gone
  });

  it('20 parallel refreshes of one token inside the window all succeed with the same successor, in one family, with nothing revoked', async () => {
    const first = await login();
    const responses = await Promise.all(Array.from({ length: 20 }, () => refresh(server.url, app, first.refresh_token!)));
    const statuses = responses.map((r) => r.status);
    expect(statuses).toEqual(Array(20).fill(200));
    const sets = await Promise.all(responses.map((r) => r.json() as Promise<TokenSet>));
    // Grace replays are idempotent (RFC 9700 4.14.2): one successor, never a fork of the family.
    expect(new Set(sets.map((s) => s.refresh_token)).size).toBe(1);
    expect(new Set(sets.map((s) => s.access_token)).size).toBe(20);
    const hashes = [first.refresh_token!, sets[0]!.refresh_token!].map(sha256Hex);
    const rows = await server.database.db
      .selectFrom('refresh_tokens')
      .innerJoin('grants', 'grants.id', 'refresh_tokens.grant_id')
      .select(['grants.id', 'grants.revoked_at', 'refresh_tokens.consumed_at'])
      .where('grants.id', 'in', (eb) => eb.selectFrom('refresh_tokens').select('grant_id').where('token_hash', 'in', hashes))
      .execute();
    expect(rows).toHaveLength(2);
    expect(rows.filter((r) => r.consumed_at === null)).toHaveLength(1);
    expect(rows.every((g) => g.revoked_at === null)).toBe(true);
    // the shared successor works
    await rotate(sets[0]!.refresh_token!);
  });

  it('scope may be narrowed, never widened', async () => {
    const first = await login('openid profile offline_access');
    const narrowed = await rotate(first.refresh_token!, { scope: 'openid offline_access' });
    expect(narrowed.scope).toBe('openid offline_access');
    const widened = await refresh(server.url, app, narrowed.refresh_token!, { scope: 'openid email offline_access' });
    expect(widened.status).toBe(400);
    expect(((await widened.json()) as { error: string }).error).toBe('invalid_scope');
    // the refused request did not consume the token
    await rotate(narrowed.refresh_token!);
  });

  it('is bound to its client', async () => {
    const first = await login();
    await expectInvalidGrant(await refresh(server.url, other, first.refresh_token!));
    await rotate(first.refresh_token!); // still usable by its own client
  });

  it('fails for a disabled user', async () => {
    const first = await login();
    await server.database.db.updateTable('users').set({ disabled: true }).where('id', '=', user.id).execute();
    try {
      await expectInvalidGrant(await refresh(server.url, app, first.refresh_token!));
    } finally {
      await server.database.db.updateTable('users').set({ disabled: false }).where('id', '=', user.id).execute();
    }
  });

  it('enforces the idle lifetime, which each use slides', async () => {
    const first = await login();
    clock.advance(50 * 60_000);
    const second = await rotate(first.refresh_token!);
    clock.advance(50 * 60_000);
    const third = await rotate(second.refresh_token!);
    clock.advance(61 * 60_000);
    await expectInvalidGrant(await refresh(server.url, app, third.refresh_token!));
  });

  it('enforces the absolute lifetime however active', async () => {
    let current = (await login()).refresh_token!;
    for (let i = 0; i < 5; i++) {
      clock.advance(35 * 60_000);
      current = (await rotate(current)).refresh_token!;
    }
    clock.advance(10 * 60_000); // 3 h 5 min after login
    await expectInvalidGrant(await refresh(server.url, app, current));
  });

  it.each([
    ['an unknown token', 'lk_rt_' + 'x'.repeat(43)],
    ['a token without the prefix', 'not-a-refresh-token'],
    ['an access token', 'eyJhbGciOiJFUzI1NiJ9.e30.sig'],
  ])('refuses %s with invalid_grant', async (_label, token) => {
    await expectInvalidGrant(await refresh(server.url, app, token));
  });

  it('requires refresh_token', async () => {
    const response = await refresh(server.url, app, '');
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_request');
  });
});

describe('refresh token rotation with the grace window off', () => {
  let server: TestServer;
  let app: ClientCredentials;
  let user: Awaited<ReturnType<typeof makeUser>>;

  beforeAll(async () => {
    server = await startTestServer({ REFRESH_REUSE_GRACE: '0', RATE_LIMIT_TOKEN: '0' });
    user = await makeUser(server.database.db, { username: 'judy' });
    app = await makeClient(server.database.db, { redirectUris: [REDIRECT] });
  });
  afterAll(async () => server?.stop());

  it('of 20 parallel refreshes exactly one succeeds; the rest are invalid_grant', async () => {
    const first = await loginTokens(server.url, app, REDIRECT, 'judy', user.password);
    const responses = await Promise.all(Array.from({ length: 20 }, () => refresh(server.url, app, first.refresh_token!)));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(19);
    for (const response of responses.filter((r) => r.status === 400)) expect(((await response.json()) as { error: string }).error).toBe('invalid_grant');
  });

  it('an immediate replay revokes the family', async () => {
    const first = await loginTokens(server.url, app, REDIRECT, 'judy', user.password);
    const second = (await (await refresh(server.url, app, first.refresh_token!)).json()) as TokenSet;
    await expectInvalidGrant(await refresh(server.url, app, first.refresh_token!));
    await expectInvalidGrant(await refresh(server.url, app, second.refresh_token!));
  });
});
