import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { authorizeParams, authorizeUrl, pkcePair } from '../helpers/flow.js';
import { hiddenField } from '../helpers/http-agent.js';
import { Jar } from '../helpers/inject-cookie-jar.js';
import { SoftwareAuthenticator } from '../helpers/software-authenticator.js';
import { injectableApp, type InjectableApp } from '../unit/app.js';

/**
 * Registering and removing passkeys at /account/passkeys, attacked: only the signed-in user's
 * own browser, with the challenge it was given, registers; a credential registers once; only
 * the owner removes, and only after a fresh sign-in. Every refusal is a 4xx and audited.
 */
const REDIRECT = 'https://app.example/callback';
const RP = { id: 'issuer.example', origin: 'https://issuer.example' };

describe('passkey registration and removal refuse hostile requests', () => {
  let subject: InjectableApp;
  let clientId: string;
  let alice: Awaited<ReturnType<typeof makeUser>>;
  let bob: Awaited<ReturnType<typeof makeUser>>;

  beforeAll(async () => {
    subject = await injectableApp({ RATE_LIMIT_LOGIN: '0' });
    alice = await makeUser(subject.db);
    bob = await makeUser(subject.db);
    ({ clientId } = await makeClient(subject.db, { redirectUris: [REDIRECT] }));
  });
  afterAll(async () => subject?.close());

  const get = (jar: Jar, url: string) => subject.app.inject({ method: 'GET', url, headers: { cookie: jar.header() } }).then((r) => jar.keep(r));
  const postJson = (jar: Jar, url: string, body: unknown) =>
    subject.app.inject({ method: 'POST', url, headers: { cookie: jar.header(), 'content-type': 'application/json' }, payload: JSON.stringify(body) }).then((r) => jar.keep(r));
  const postForm = (jar: Jar, url: string, fields: Record<string, string>) =>
    subject.app
      .inject({ method: 'POST', url, headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString() })
      .then((r) => jar.keep(r));

  /** A browser signed in with a password; returns its jar and its CSRF token. */
  async function signedIn(user: { username: string; password: string }) {
    const jar = new Jar();
    const start = await get(jar, authorizeUrl('https://issuer.example', authorizeParams(clientId, REDIRECT, pkcePair())).replace('https://issuer.example', ''));
    const page = await get(jar, start.headers.location as string);
    const csrf = hiddenField(page.body, 'csrf_token');
    const done = await postForm(jar, '/login', { csrf_token: csrf, request_id: hiddenField(page.body, 'request_id'), username: user.username, password: user.password });
    expect(done.statusCode).toBe(303);
    return { jar, csrf, resume: done.headers.location as string };
  }

  /**
   * Password, then the passkey as second factor on the second-factor page (the user has one).
   * `key` signs; `asUser` is whose passkey the assertion claims to be (another account's to attack).
   */
  async function signedInWithPasskey(user: { id: string; username: string; password: string }, key: SoftwareAuthenticator, asUser = user) {
    const browser = await signedIn(user);
    // Password done: the loop now asks for the second factor.
    const location = (await get(browser.jar, browser.resume)).headers.location as string;
    expect(location).toMatch(/^\/login\/second-factor\?request_id=/);
    const page = await get(browser.jar, location);
    expect(page.body).toContain('data-passkey="sign-in" data-options="/login/second-factor/passkey/options"');
    const requestId = hiddenField(page.body, 'request_id');
    const started = await postJson(browser.jar, '/login/second-factor/passkey/options', { csrf_token: browser.csrf, request_id: requestId });
    expect(started.statusCode).toBe(200);
    const { options: issued } = started.json<{ options: { challenge: string; allowCredentials: { id: string }[] } }>();
    const response = key.assert(issued, Buffer.from(asUser.id.replace(/-/g, ''), 'hex').toString('base64url'));
    const answer = await postJson(browser.jar, '/login/second-factor/passkey', { csrf_token: browser.csrf, request_id: requestId, response });
    return { ...browser, answer, allowed: issued.allowCredentials.map((c) => c.id) };
  }

  async function options(browser: { jar: Jar; csrf: string }) {
    const response = await postJson(browser.jar, '/account/passkeys/options', { csrf_token: browser.csrf });
    expect(response.statusCode).toBe(200);
    const { options } = response.json<{ options: { challenge: string; rp: { id: string }; authenticatorSelection: Record<string, unknown>; user: { id: string } } }>();
    expect(options.rp.id).toBe(RP.id);
    expect(options.authenticatorSelection).toMatchObject({ residentKey: 'required', userVerification: 'required' });
    return options;
  }

  async function lastFailure() {
    const row = await subject.db.selectFrom('audit_events').selectAll().where('type', '=', 'passkey_failed').orderBy('id', 'desc').limit(1).executeTakeFirst();
    return row && { userId: row.user_id, details: row.details as Record<string, unknown> };
  }

  const passkeysOf = (userId: string) => subject.db.selectFrom('passkeys').selectAll().where('user_id', '=', userId).execute();

  it('registers a passkey for the signed-in user, audited; the same credential a second time is refused', async () => {
    const browser = await signedIn(alice);
    const key = new SoftwareAuthenticator(RP);
    const created = await postJson(browser.jar, '/account/passkeys', { csrf_token: browser.csrf, name: ' Laptop ', response: key.register(await options(browser)) });
    expect(created.statusCode).toBe(200);
    expect(created.json()).toEqual({ redirect: '/account/passkeys?done=added' });
    expect(await passkeysOf(alice.id)).toMatchObject([{ name: 'Laptop', credential_id: key.credentialId }]);
    const audit = await subject.db.selectFrom('audit_events').selectAll().where('type', '=', 'passkey_registered').where('user_id', '=', alice.id).execute();
    expect(audit).toHaveLength(1);

    const again = await postJson(browser.jar, '/account/passkeys', { csrf_token: browser.csrf, response: key.register(await options(browser)) });
    expect(again.statusCode).toBe(400);
    expect(await lastFailure()).toMatchObject({ details: { reason: 'credential_exists', step: 'register' } });
    // Someone else cannot claim it either.
    const bobs = await signedIn(bob);
    const claimed = await postJson(bobs.jar, '/account/passkeys', { csrf_token: bobs.csrf, response: key.register(await options(bobs)) });
    expect(claimed.statusCode).toBe(400);
    expect(await passkeysOf(bob.id)).toEqual([]);
  });

  it.each<[string, { origin?: string; rpId?: string; userVerified?: boolean }, string]>([
    ['wrong origin', { origin: 'https://evil.example' }, 'wrong_origin'],
    ['wrong RP ID hash', { rpId: 'evil.example' }, 'wrong_rp_id'],
    ['no user verification', { userVerified: false }, 'user_not_verified'],
  ])('%s → refused (%s)', async (_name, overrides, reason) => {
    const browser = await signedIn(bob);
    const response = new SoftwareAuthenticator(RP).register(await options(browser), overrides);
    const answer = await postJson(browser.jar, '/account/passkeys', { csrf_token: browser.csrf, response });
    expect(answer.statusCode).toBe(400);
    expect(answer.json()).toEqual({ error: 'access_denied', error_description: expect.any(String) });
    expect(await lastFailure()).toMatchObject({ userId: bob.id, details: { reason, step: 'register' } });
    expect(await passkeysOf(bob.id)).toEqual([]);
  });

  it('a replayed registration (challenge used up) is refused', async () => {
    const browser = await signedIn(bob);
    const key = new SoftwareAuthenticator(RP);
    const response = key.register(await options(browser));
    await postJson(browser.jar, '/account/passkeys', { csrf_token: browser.csrf, response: { ...response, type: 'not-public-key' } });
    const replay = await postJson(browser.jar, '/account/passkeys', { csrf_token: browser.csrf, response });
    expect(replay.statusCode).toBe(400);
    expect(await lastFailure()).toMatchObject({ details: { reason: 'no_challenge' } });
  });

  it("a challenge issued to another account's session does not register for this one", async () => {
    const alices = await signedIn(alice);
    const bobs = await signedIn(bob);
    const issued = await options(alices);
    // Bob's browser presents Alice's challenge cookie: the record names Alice, not Bob.
    const challengeCookie = [...alices.jar.cookies].find(([name]) => name.endsWith('lk_webauthn'))!;
    bobs.jar.cookies.set(challengeCookie[0], challengeCookie[1]);
    const answer = await postJson(bobs.jar, '/account/passkeys', { csrf_token: bobs.csrf, response: new SoftwareAuthenticator(RP).register(issued) });
    expect(answer.statusCode).toBe(400);
    expect(await lastFailure()).toMatchObject({ userId: bob.id, details: { reason: 'no_challenge' } });
  });

  it('without a session: the page sends the browser to sign in, the JSON endpoints answer 401; a bad CSRF token 403', async () => {
    const jar = new Jar();
    expect((await get(jar, '/account/passkeys')).headers.location).toMatch(/^\/login\?request_id=/);
    expect((await postJson(jar, '/account/passkeys/options', { csrf_token: 'x'.repeat(43) })).statusCode).toBe(403);
    const browser = await signedIn(bob);
    expect((await postJson(browser.jar, '/account/passkeys/options', { csrf_token: 'wrong' })).statusCode).toBe(403);
    const loggedOut = new Jar();
    for (const [name, value] of browser.jar.cookies) if (!name.endsWith('lk_session')) loggedOut.cookies.set(name, value);
    expect((await postJson(loggedOut, '/account/passkeys/options', { csrf_token: browser.csrf })).statusCode).toBe(401);
  });

  it("removal: only the owner's own passkey, only after a fresh sign-in, audited", async () => {
    const owner = await signedIn(alice);
    const key = new SoftwareAuthenticator(RP);
    await postJson(owner.jar, '/account/passkeys', { csrf_token: owner.csrf, response: key.register(await options(owner)) });
    const passkey = (await passkeysOf(alice.id)).find((p) => p.credential_id === key.credentialId)!;

    // Another account names Alice's passkey id: nothing happens to it.
    const other = await signedIn(bob);
    expect((await postForm(other.jar, `/account/passkeys/${passkey.id}/remove`, { csrf_token: other.csrf })).statusCode).toBe(303);
    expect(await passkeysOf(alice.id)).toContainEqual(expect.objectContaining({ id: passkey.id }));
    // Malformed ids and a missing CSRF token: no 500.
    expect((await postForm(owner.jar, '/account/passkeys/not-a-uuid/remove', { csrf_token: owner.csrf })).statusCode).toBe(303);
    expect((await postForm(owner.jar, `/account/passkeys/${passkey.id}/remove`, {})).statusCode).toBe(403);

    // Six minutes later the sign-in is no longer fresh: removal asks for a new one (max_age).
    subject.clock.advance(6 * 60_000);
    const stale = await postForm(owner.jar, `/account/passkeys/${passkey.id}/remove`, { csrf_token: owner.csrf });
    expect(stale.headers.location).toMatch(/^\/login\?request_id=/);
    expect(await passkeysOf(alice.id)).toContainEqual(expect.objectContaining({ id: passkey.id }));

    const fresh = await signedInWithPasskey(alice, key);
    expect(fresh.answer.statusCode).toBe(200);
    const removed = await postForm(fresh.jar, `/account/passkeys/${passkey.id}/remove`, { csrf_token: fresh.csrf });
    expect(removed.headers.location).toBe('/account/passkeys?done=removed');
    expect(await passkeysOf(alice.id)).not.toContainEqual(expect.objectContaining({ id: passkey.id }));
    const audit = await subject.db.selectFrom('audit_events').selectAll().where('type', '=', 'passkey_removed').where('user_id', '=', alice.id).execute();
    expect(audit.map((row) => row.details)).toEqual([{ passkeyId: passkey.id, by: 'user' }]);
  });

  it("password, then another account's passkey as the second factor: refused (wrong_user), the session stays at level 1", async () => {
    const carol = await makeUser(subject.db);
    const dave = await makeUser(subject.db);
    const carolsKey = new SoftwareAuthenticator(RP);
    const davesKey = new SoftwareAuthenticator(RP);
    for (const [user, key] of [[carol, carolsKey], [dave, davesKey]] as const) {
      const browser = await signedIn(user);
      expect((await postJson(browser.jar, '/account/passkeys', { csrf_token: browser.csrf, response: key.register(await options(browser)) })).statusCode).toBe(200);
    }
    // Carol's password, Dave's passkey (signing as Dave, or claiming to be Carol's): refused.
    for (const asUser of [dave, carol]) {
      const attempt = await signedInWithPasskey(carol, davesKey, asUser);
      expect(attempt.allowed).toEqual([carolsKey.credentialId]);
      expect(attempt.answer.statusCode).toBe(400);
      expect(await lastFailure()).toMatchObject({ userId: carol.id, details: { reason: 'wrong_user', step: 'second_factor' } });
      const session = await subject.db.selectFrom('login_sessions').select('amr').where('user_id', '=', carol.id).orderBy('created_at', 'desc').limit(1).executeTakeFirstOrThrow();
      expect(session.amr).toEqual(['pwd']);
    }
    // Her own passkey: level 2, pwd + hwk + mfa.
    const own = await signedInWithPasskey(carol, carolsKey);
    expect(own.answer.statusCode).toBe(200);
    const session = await subject.db.selectFrom('login_sessions').select('amr').where('user_id', '=', carol.id).orderBy('created_at', 'desc').limit(1).executeTakeFirstOrThrow();
    expect(session.amr).toEqual(['pwd', 'hwk', 'mfa']);
  });
});
