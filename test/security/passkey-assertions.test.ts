import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertPasskey } from '../../src/users/passkey-store.js';
import { userHandleBase64url } from '../../src/passkeys/ceremony.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { authorizeParams, authorizeUrl, pkcePair } from '../helpers/flow.js';
import { hiddenField } from '../helpers/http-agent.js';
import { Jar } from '../helpers/inject-cookie-jar.js';
import { SoftwareAuthenticator, type AssertionOverrides } from '../helpers/software-authenticator.js';
import { injectableApp, type InjectableApp } from '../unit/app.js';

/**
 * Hostile passkey assertions at POST /login/passkey (passwordless sign-in), made by hand with a
 * software authenticator: each refused with a 4xx JSON error, never a session, never a 500, and
 * a `passkey_failed` audit event that names the reason.
 */
const REDIRECT = 'https://app.example/callback';
const RP = { id: 'issuer.example', origin: 'https://issuer.example' };

describe('passkey sign-in refuses hostile assertions', () => {
  let subject: InjectableApp;
  let clientId: string;
  let alice: Awaited<ReturnType<typeof makeUser>>;
  let bob: Awaited<ReturnType<typeof makeUser>>;
  let aliceKey: SoftwareAuthenticator;
  let bobKey: SoftwareAuthenticator;

  async function register(userId: string, authenticator: SoftwareAuthenticator) {
    const cose = authenticator.register({ challenge: 'unused' });
    // The COSE key as the registration ceremony would store it (the ceremony itself is tested in passkey-registration.test.ts).
    const { decodeAttestationObject, parseAuthenticatorData } = await import('@simplewebauthn/server/helpers');
    const authData = parseAuthenticatorData(decodeAttestationObject(Buffer.from(cose.response.attestationObject, 'base64url')).get('authData'));
    await insertPasskey(subject.db, {
      userId,
      credentialId: authenticator.credentialId,
      publicKey: Buffer.from(authData.credentialPublicKey!).toString('base64url'),
      signCount: 0,
      transports: ['internal'],
      backupEligible: authenticator.options.backupEligible ?? false,
      backedUp: false,
      aaguid: '00000000-0000-0000-0000-000000000000',
      name: 'test key',
      createdAt: new Date(subject.clock.now()),
    });
  }

  beforeAll(async () => {
    subject = await injectableApp({ RATE_LIMIT_LOGIN: '0' });
    alice = await makeUser(subject.db);
    bob = await makeUser(subject.db);
    ({ clientId } = await makeClient(subject.db, { redirectUris: [REDIRECT] }));
    aliceKey = new SoftwareAuthenticator(RP, { counts: true });
    bobKey = new SoftwareAuthenticator(RP);
    await register(alice.id, aliceKey);
    await register(bob.id, bobKey);
  });
  afterAll(async () => subject?.close());

  const get = (jar: Jar, url: string) => subject.app.inject({ method: 'GET', url, headers: { cookie: jar.header() } }).then((r) => jar.keep(r));
  const postJson = (jar: Jar, url: string, body: unknown) =>
    subject.app.inject({ method: 'POST', url, headers: { cookie: jar.header(), 'content-type': 'application/json' }, payload: JSON.stringify(body) }).then((r) => jar.keep(r));

  /** /authorize → the login page: the parked request and the CSRF token. */
  async function loginPage(jar: Jar) {
    const start = await get(jar, authorizeUrl('https://issuer.example', authorizeParams(clientId, REDIRECT, pkcePair())).replace('https://issuer.example', ''));
    expect(start.headers.location).toMatch(/^\/login\?request_id=/);
    const page = await get(jar, start.headers.location as string);
    return { requestId: hiddenField(page.body, 'request_id'), csrf: hiddenField(page.body, 'csrf_token'), page };
  }

  async function challenge(jar: Jar, form: { requestId: string; csrf: string }): Promise<string> {
    const response = await postJson(jar, '/login/passkey/options', { csrf_token: form.csrf, request_id: form.requestId });
    expect(response.statusCode).toBe(200);
    const { options } = response.json<{ options: { challenge: string; rpId: string; userVerification: string; allowCredentials: unknown[] } }>();
    expect(options).toMatchObject({ rpId: RP.id, userVerification: 'required', allowCredentials: [] });
    return options.challenge;
  }

  async function lastFailure() {
    const row = await subject.db.selectFrom('audit_events').selectAll().where('type', '=', 'passkey_failed').orderBy('id', 'desc').limit(1).executeTakeFirst();
    return row && { userId: row.user_id, details: row.details as Record<string, unknown> };
  }

  async function signInWith(authenticator: SoftwareAuthenticator, userId: string, overrides: AssertionOverrides = {}) {
    const jar = new Jar();
    const form = await loginPage(jar);
    const value = await challenge(jar, form);
    const response = authenticator.assert({ challenge: value }, userHandleBase64url(userId), overrides);
    const answer = await postJson(jar, '/login/passkey', { csrf_token: form.csrf, request_id: form.requestId, response });
    return { answer, jar, form, response };
  }

  function expectRefused(answer: { statusCode: number; json<T>(): T }, status = 400) {
    expect(answer.statusCode).toBe(status);
    expect(answer.json()).toEqual({ error: 'access_denied', error_description: expect.any(String) });
  }

  function hasSession(jar: Jar) {
    return [...jar.cookies.keys()].some((name) => name.endsWith('lk_session'));
  }

  it('the login page offers a passkey: conditional mediation in the username field, scripts only from Latchkey', async () => {
    const { page } = await loginPage(new Jar());
    expect(page.body).toContain('autocomplete="username webauthn"');
    expect(page.body).toContain('data-passkey="sign-in"');
    expect(page.body).toContain('<script src="/assets/simplewebauthn-browser.js" defer></script>');
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc="\/assets\/)/);
    const csp = page.headers['content-security-policy'] as string;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const script = await subject.app.inject({ method: 'GET', url: '/assets/simplewebauthn-browser.js' });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.body).toContain('SimpleWebAuthnBrowser');
  });

  it('a genuine assertion signs in (the baseline the refusals below bend)', async () => {
    const { answer, jar } = await signInWith(aliceKey, alice.id);
    expect(answer.statusCode).toBe(200);
    expect(answer.json<{ redirect: string }>().redirect).toMatch(/^\/authorize\/resume\?request_id=/);
    expect(hasSession(jar)).toBe(true);
  });

  it('a replayed assertion (its challenge used up) is refused', async () => {
    const { answer, jar, form, response } = await signInWith(aliceKey, alice.id);
    expect(answer.statusCode).toBe(200);
    const replay = await postJson(jar, '/login/passkey', { csrf_token: form.csrf, request_id: form.requestId, response });
    expectRefused(replay);
    expect(await lastFailure()).toMatchObject({ details: { reason: 'no_challenge', step: 'sign_in' } });
  });

  it('speaks the person\'s language: a refusal and the script\'s own sentences come from the catalogue', async () => {
    const { answer, jar, form, response } = await signInWith(aliceKey, alice.id);
    expect(answer.statusCode).toBe(200);
    const replay = await subject.app.inject({
      method: 'POST',
      url: '/login/passkey',
      headers: { cookie: jar.header(), 'content-type': 'application/json', 'accept-language': 'de-CH, en;q=0.5' },
      payload: JSON.stringify({ csrf_token: form.csrf, request_id: form.requestId, response }),
    });
    expect(replay.statusCode).toBe(400);
    expect(replay.json<{ error_description: string }>().error_description).toBe('Diese Passkey-Anfrage ist abgelaufen. Versuch es noch einmal.');
    const fresh = new Jar();
    const loginPage = await subject.app.inject({ method: 'GET', url: `/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' })}`, headers: { 'accept-language': 'de' } }).then((r) => fresh.keep(r));
    const page = loginPage.statusCode === 303 ? await subject.app.inject({ method: 'GET', url: loginPage.headers.location as string, headers: { cookie: fresh.header(), 'accept-language': 'de' } }) : loginPage;
    expect(page.body).toContain('data-msg-cancelled="Die Passkey-Anfrage wurde abgebrochen oder ist abgelaufen."');
    expect(page.body).toContain('data-msg-failed="Der Passkey konnte nicht verwendet werden."');
  });

  it('two concurrent uses of one challenge: exactly one wins', async () => {
    const jar = new Jar();
    const form = await loginPage(jar);
    const value = await challenge(jar, form);
    const response = aliceKey.assert({ challenge: value }, userHandleBase64url(alice.id));
    const answers = await Promise.all([1, 2].map(() => postJson(jar, '/login/passkey', { csrf_token: form.csrf, request_id: form.requestId, response })));
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 400]);
  });

  it('an assertion for another browser (no challenge cookie) is refused', async () => {
    const jar = new Jar();
    const form = await loginPage(jar);
    const value = await challenge(jar, form);
    const response = aliceKey.assert({ challenge: value }, userHandleBase64url(alice.id));
    const elsewhere = new Jar();
    elsewhere.cookies.set([...jar.cookies.keys()].find((name) => name.endsWith('lk_csrf'))!, form.csrf);
    expectRefused(await postJson(elsewhere, '/login/passkey', { csrf_token: form.csrf, request_id: form.requestId, response }));
    expect(await lastFailure()).toMatchObject({ details: { reason: 'no_challenge' } });
  });

  it.each<[string, string, AssertionOverrides]>([
    ['wrong origin', 'wrong_origin', { origin: 'https://evil.example' }],
    ['wrong RP ID hash', 'wrong_rp_id', { rpId: 'evil.example' }],
    ['another challenge', 'challenge_mismatch', { challenge: Buffer.from('not the one issued').toString('base64url') }],
    ['a registration clientData type', 'wrong_type', { type: 'webauthn.create' }],
    ['clientDataJSON tampered after signing', 'bad_signature', { tamperClientData: (json) => json.replace('"crossOrigin":false', '"crossOrigin":false,"extra":1') }],
    ['a signature over other data', 'bad_signature', { signOver: Buffer.from('something else entirely') }],
    ['user verification flag missing', 'user_not_verified', { userVerified: false }],
    ['unknown credential id', 'unknown_credential', { credentialId: Buffer.from('no such credential').toString('base64url') }],
    ['a user handle naming another account', 'wrong_user', { userHandle: 'AAAAAAAAAAAAAAAAAAAAAA' }],
  ])('%s → refused (%s)', async (_name, reason, overrides) => {
    const { answer, jar } = await signInWith(aliceKey, alice.id, overrides);
    expectRefused(answer);
    expect(hasSession(jar)).toBe(false);
    expect(await lastFailure()).toMatchObject({ details: { reason, step: 'sign_in' } });
  });

  it('a signature counter that did not grow is refused and audited as a possible clone; the stored counter stays', async () => {
    const before = await subject.db.selectFrom('passkeys').select('sign_count').where('credential_id', '=', aliceKey.credentialId).executeTakeFirstOrThrow();
    expect(Number(before.sign_count)).toBeGreaterThan(1);
    const { answer } = await signInWith(aliceKey, alice.id, { counter: 1 });
    expectRefused(answer);
    expect(await lastFailure()).toMatchObject({ userId: alice.id, details: { reason: 'counter_regression', possibleClone: true } });
    const after = await subject.db.selectFrom('passkeys').select('sign_count').where('credential_id', '=', aliceKey.credentialId).executeTakeFirstOrThrow();
    expect(Number(after.sign_count)).toBe(Number(before.sign_count));
  });

  it('a passkey that never counts (0, as synced passkeys do) signs in again and again', async () => {
    for (let i = 0; i < 2; i++) expect((await signInWith(bobKey, bob.id)).answer.statusCode).toBe(200);
  });

  it.each<[string, (form: { csrf: string; requestId: string }) => unknown, number]>([
    ['no body fields', () => ({}), 403],
    ['a wrong CSRF token', (form) => ({ csrf_token: 'x'.repeat(43), request_id: form.requestId }), 403],
    ['an unknown sign-in request', (form) => ({ csrf_token: form.csrf, request_id: 'nope' }), 400],
    ['a response that is a string', (form) => ({ csrf_token: form.csrf, request_id: form.requestId, response: 'x' }), 400],
    ['a response with huge fields', (form) => ({ csrf_token: form.csrf, request_id: form.requestId, response: { id: 'a'.repeat(5000), rawId: 'a', type: 'public-key', response: {} } }), 400],
    ['a response with non-base64url data', (form) => ({ csrf_token: form.csrf, request_id: form.requestId, response: { id: 'abc', rawId: 'abc', type: 'public-key', response: { clientDataJSON: '%%%', authenticatorData: 'a', signature: 'a' } } }), 400],
  ])('%s → %s, JSON, never a 500', async (_name, body, status) => {
    const jar = new Jar();
    const form = await loginPage(jar);
    await challenge(jar, form);
    const answer = await postJson(jar, '/login/passkey', body(form));
    expect(answer.statusCode).toBe(status);
    expect(answer.json()).toMatchObject({ error: expect.any(String), error_description: expect.any(String) });
  });

  it('not JSON at all → 400, never a 500', async () => {
    const jar = new Jar();
    const answer = await subject.app.inject({ method: 'POST', url: '/login/passkey', headers: { 'content-type': 'application/json' }, payload: '{"unterminated' });
    expect(answer.statusCode).toBe(400);
    expect(jar.cookies.size).toBe(0);
  });
});
