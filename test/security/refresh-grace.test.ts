import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { BrowserAgent } from '../helpers/http-agent.js';
import { authorizeParams, obtainCode, pkcePair, postForm } from '../helpers/flow.js';
import { sha256Hex } from '../../src/opaque-token.js';
import { successorRefreshToken } from '../../src/tokens/refresh-successor.js';
import { introspect, loginTokens, refresh, type ClientCredentials, type TokenSet, tokensOf, expectInvalidGrant } from '../helpers/tokens.js';

/*
 * RFC 9700 4.14.2 with a grace window: a replay of the family's latest consumed token inside
 * REFRESH_REUSE_GRACE is idempotent (the same successor, a fresh access token), so the family
 * never forks; anything else is reuse and revokes the family.
 */

const REDIRECT = 'https://app.example.com/cb';
const PARALLEL = 20;

describe('refresh grace window: replays are idempotent, families never fork', () => {
  let server: TestServer;
  const clock = new ManualClock();
  let app: ClientCredentials;
  let resourceServer: ClientCredentials;
  let user: Awaited<ReturnType<typeof makeUser>>;
  const login = () => loginTokens(server.url, app, REDIRECT, 'grace-user', user.password);
  const rotate = async (token: string) => tokensOf(await refresh(server.url, app, token));

  /** The family a refresh token belongs to and its rows: [all, unconsumed]. */
  async function familyOf(token: string) {
    const db = server.database.db;
    const row = await db.selectFrom('refresh_tokens').select('grant_id').where('token_hash', '=', sha256Hex(token)).executeTakeFirstOrThrow();
    const tokens = await db.selectFrom('refresh_tokens').select(['token_hash', 'consumed_at']).where('grant_id', '=', row.grant_id).execute();
    const grant = await db.selectFrom('grants').select(['revoked_at', 'revoked_reason']).where('id', '=', row.grant_id).executeTakeFirstOrThrow();
    return { grantId: row.grant_id, tokens, live: tokens.filter((t) => t.consumed_at === null), grant };
  }

  beforeAll(async () => {
    server = await startTestServer({ REFRESH_REUSE_GRACE: '10s', RATE_LIMIT_TOKEN: '0' }, undefined, { clock });
    const db = server.database.db;
    user = await makeUser(db, { username: 'grace-user' });
    app = await makeClient(db, { redirectUris: [REDIRECT] });
    resourceServer = await makeClient(db, { grantTypes: ['client_credentials'], scopes: ['introspect'] });
  });
  afterAll(async () => server?.stop());

  it(`${PARALLEL} parallel refreshes of one token all get the same successor and distinct, valid access tokens; one live token remains`, async () => {
    const first = await login();
    const responses = await Promise.all(Array.from({ length: PARALLEL }, () => refresh(server.url, app, first.refresh_token!)));
    expect(responses.map((r) => r.status)).toEqual(Array(PARALLEL).fill(200));
    const sets = await Promise.all(responses.map((r) => r.json() as Promise<TokenSet>));

    const successors = new Set(sets.map((s) => s.refresh_token));
    expect(successors.size).toBe(1);
    const successor = sets[0]!.refresh_token!;
    expect(successor).toMatch(/^lk_rt_[A-Za-z0-9_-]{43}$/);

    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    const jtis = new Set<string>();
    for (const set of sets) {
      const { payload } = await jwtVerify(set.access_token, jwks, { issuer: server.url, typ: 'at+jwt', currentDate: new Date(clock.now()) });
      expect(payload.sub).toBe(user.id);
      jtis.add(String(payload.jti));
    }
    expect(jtis.size).toBe(PARALLEL);

    const family = await familyOf(first.refresh_token!);
    expect(family.tokens).toHaveLength(2); // the first token (consumed) and its one successor
    expect(family.live).toEqual([{ token_hash: sha256Hex(successor), consumed_at: null }]);
    expect(family.grant.revoked_at).toBeNull();
    // Each fresh access token is recorded under the family, so revoking it denies them all.
    const recorded = await server.database.db.selectFrom('grant_access_tokens').select('jti').where('grant_id', '=', family.grantId).execute();
    for (const jti of jtis) expect(recorded.map((r) => r.jti)).toContain(jti);

    // The shared successor keeps the family going.
    const next = await rotate(successor);
    expect((await familyOf(next.refresh_token!)).live).toHaveLength(1);
  });

  it('a grace replay returns the same successor as the first use, sequentially too', async () => {
    const first = await login();
    const a = await rotate(first.refresh_token!);
    clock.advance(5_000);
    const b = await rotate(first.refresh_token!);
    expect(b.refresh_token).toBe(a.refresh_token);
    expect(b.access_token).not.toBe(a.access_token);
    expect(decodeJwt(b.access_token).jti).not.toBe(decodeJwt(a.access_token).jti);
    expect((await familyOf(first.refresh_token!)).live).toHaveLength(1);
  });

  it('a thief replaying the original token after the window revokes the family, the legitimate successor and its access tokens with it', async () => {
    const first = await login();
    const [legit, thief] = await Promise.all([refresh(server.url, app, first.refresh_token!), refresh(server.url, app, first.refresh_token!)]).then((r) => Promise.all(r.map(tokensOf)));
    expect(thief!.refresh_token).toBe(legit!.refresh_token); // the thief gained no branch of its own
    clock.advance(11_000);

    await expectInvalidGrant(await refresh(server.url, app, first.refresh_token!));
    const family = await familyOf(first.refresh_token!);
    expect(family.grant.revoked_reason).toBe('refresh token reuse detected');
    await expectInvalidGrant(await refresh(server.url, app, legit!.refresh_token!));
    for (const access of [legit!.access_token, thief!.access_token]) expect(await introspect(server.url, resourceServer, access)).toEqual({ active: false });
  });

  it('inside the window, replaying an older token (not the latest consumed) is reuse', async () => {
    const first = await login();
    const second = await rotate(first.refresh_token!);
    const third = await rotate(second.refresh_token!);
    await expectInvalidGrant(await refresh(server.url, app, first.refresh_token!));
    expect((await familyOf(first.refresh_token!)).grant.revoked_reason).toBe('refresh token reuse detected');
    await expectInvalidGrant(await refresh(server.url, app, third.refresh_token!));
  });

  it('inside the window, a replay after the successor itself was used is reuse (no second branch)', async () => {
    const first = await login();
    const second = await rotate(first.refresh_token!);
    await rotate(second.refresh_token!);
    // first's successor (second) is consumed: first is no longer the latest consumed token.
    await expectInvalidGrant(await refresh(server.url, app, first.refresh_token!));
    const family = await familyOf(first.refresh_token!);
    expect(family.grant.revoked_at).not.toBeNull();
  });

  it('parallel refreshes of a token and of its successor never leave two live tokens', async () => {
    const first = await login();
    const second = await rotate(first.refresh_token!);
    const responses = await Promise.all([
      ...Array.from({ length: 5 }, () => refresh(server.url, app, first.refresh_token!)),
      ...Array.from({ length: 5 }, () => refresh(server.url, app, second.refresh_token!)),
    ]);
    for (const response of responses) expect([200, 400]).toContain(response.status);
    const family = await familyOf(first.refresh_token!);
    expect(family.live.length).toBeLessThanOrEqual(1);
    if (family.grant.revoked_at === null) expect(family.live).toHaveLength(1);
  });
});

describe('the successor is derived with a server-side key', () => {
  const presented = 'lk_rt_' + 'A'.repeat(43);
  it('is deterministic for one key, different for another key and for another token, and carries the refresh prefix', () => {
    const key = Buffer.alloc(32, 1);
    const successor = successorRefreshToken(key, presented);
    expect(successor).toBe(successorRefreshToken(Buffer.alloc(32, 1), presented));
    expect(successor).toMatch(/^lk_rt_[A-Za-z0-9_-]{43}$/);
    expect(successorRefreshToken(Buffer.alloc(32, 2), presented)).not.toBe(successor);
    expect(successorRefreshToken(key, 'lk_rt_' + 'B'.repeat(43))).not.toBe(successor);
    expect(successor).not.toContain(presented.slice(6));
  });
});

describe('refresh grace window in SPA cookie mode', () => {
  let server: TestServer;
  let clientId: string;
  const spaOrigin = 'http://localhost:5173';
  const redirect = `${spaOrigin}/callback`;

  beforeAll(async () => {
    server = await startTestServer({ REFRESH_REUSE_GRACE: '10s', RATE_LIMIT_TOKEN: '0' });
    const db = server.database.db;
    await makeUser(db, { username: 'tabs', password: 'correct horse battery staple' });
    ({ clientId } = await makeClient(db, {
      name: 'Cookie SPA',
      type: 'public',
      redirectUris: [redirect],
      origins: [spaOrigin],
      refreshCookie: true,
      scopes: ['openid', 'profile', 'offline_access'],
    }));
  });
  afterAll(async () => server?.stop());

  const cookieName = () => `lk_rt_${clientId}`;
  function refreshCookieValues(response: Response): string[] {
    return response.headers
      .getSetCookie()
      .filter((c) => c.startsWith(`${cookieName()}=`))
      .map((c) => c.slice(cookieName().length + 1).split(';')[0]!);
  }

  it('two tabs refreshing at once both succeed, get the same cookie, and leave one live token', async () => {
    const pkce = pkcePair();
    const { code } = await obtainCode(new BrowserAgent(server.url), server.url, authorizeParams(clientId, redirect, pkce, { scope: 'openid profile offline_access' }), 'tabs', 'correct horse battery staple');
    const exchanged = await postForm(`${server.url}/token`, { grant_type: 'authorization_code', code, code_verifier: pkce.verifier, client_id: clientId, redirect_uri: redirect }, { origin: spaOrigin });
    expect(exchanged.status, await exchanged.clone().text()).toBe(200);
    expect(((await exchanged.json()) as TokenSet).refresh_token).toBeUndefined();
    const [original] = refreshCookieValues(exchanged);
    expect(original).toMatch(/^lk_rt_/);

    const tab = () => postForm(`${server.url}/token`, { grant_type: 'refresh_token', client_id: clientId }, { origin: spaOrigin, cookie: `${cookieName()}=${original}` });
    const [one, two] = await Promise.all([tab(), tab()]);
    expect([one!.status, two!.status]).toEqual([200, 200]);
    for (const response of [one!, two!]) expect(((await response.json()) as TokenSet).refresh_token).toBeUndefined();
    const cookiesOne = new Set(refreshCookieValues(one!));
    const cookiesTwo = new Set(refreshCookieValues(two!));
    expect(cookiesOne.size).toBe(1);
    expect([...cookiesTwo]).toEqual([...cookiesOne]);
    const successor = [...cookiesOne][0]!;
    expect(successor).not.toBe(original);

    const db = server.database.db;
    const { grant_id } = await db.selectFrom('refresh_tokens').select('grant_id').where('token_hash', '=', sha256Hex(original!)).executeTakeFirstOrThrow();
    const live = await db.selectFrom('refresh_tokens').select('token_hash').where('grant_id', '=', grant_id).where('consumed_at', 'is', null).execute();
    expect(live).toEqual([{ token_hash: sha256Hex(successor) }]);

    // Either tab's next refresh, with the shared cookie, keeps working.
    const next = await postForm(`${server.url}/token`, { grant_type: 'refresh_token', client_id: clientId }, { origin: spaOrigin, cookie: `${cookieName()}=${successor}` });
    expect(next.status).toBe(200);
  });
});
