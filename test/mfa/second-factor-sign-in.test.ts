import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { BrowserAgent } from '../helpers/http-agent.js';
import { authorizeParams, authorizeUrl, pkcePair } from '../helpers/flow.js';
import { refresh } from '../helpers/tokens.js';
import { enrolTotp, exchange, nextStep, passwordStep, submitOtp, totpCode, type App } from './support.js';

const REDIRECT = 'http://localhost:8080/callback';

describe('sign-in with a second factor (TOTP, recovery codes) over real HTTP', { timeout: 120_000 }, () => {
  let server: TestServer;
  let app: App;
  let strictApp: App;
  const clock = new ManualClock();

  beforeAll(async () => {
    server = await startTestServer({ RATE_LIMIT_LOGIN: '10000' }, undefined, { clock });
    const db = server.database.db;
    const created = await makeClient(db, { name: 'Notes', redirectUris: [REDIRECT] });
    app = { clientId: created.clientId, secret: created.secret!, redirectUri: REDIRECT };
    const strict = await makeClient(db, { name: 'Payroll', redirectUris: [REDIRECT], requireMfa: true });
    strictApp = { clientId: strict.clientId, secret: strict.secret!, redirectUri: REDIRECT };
  });
  afterAll(async () => server?.stop());

  async function enrolledUser() {
    const user = await makeUser(server.database.db);
    const totp = await enrolTotp(server.database.db, server.url, user, clock);
    return { user, ...totp };
  }

  it('after the password, a user with TOTP gets a page whose field is otp; the code completes the sign-in with amr pwd otp mfa and acr loa:2', async () => {
    const { user, secret } = await enrolledUser();
    const agent = new BrowserAgent(server.url);
    const afterPassword = await passwordStep(agent, app, user);
    expect(afterPassword.leftTo).toBeUndefined();
    expect(afterPassword.url).toContain('/login/second-factor?request_id=');
    expect(afterPassword.body).toMatch(/<input[^>]+name="otp"/);
    const levelOneCookie = agent.cookies.get('lk_session')!;
    const done = await submitOtp(agent, afterPassword.body, totpCode(secret, clock.now()));
    expect(done.leftTo).toMatch(/^http:\/\/localhost:8080\/callback\?code=/);
    // The step-up replaced the session cookie: the value from before the code no longer signs in.
    expect(agent.cookies.get('lk_session')).not.toBe(levelOneCookie);
    const stale = new BrowserAgent(server.url);
    stale.cookies.set('lk_session', levelOneCookie);
    expect((await stale.navigate('/account')).url).toMatch(/\/login\?request_id=/);
    const { idToken, tokens } = await exchange(server.url, app, done.leftTo!, afterPassword.pkce);
    expect(idToken.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(idToken.acr).toBe('urn:latchkey:loa:2');
    // A refreshed ID token says the same: the family keeps how the user signed in.
    const refreshed = (await (await refresh(server.url, app, tokens.refresh_token!)).json()) as { id_token: string };
    const payload = JSON.parse(Buffer.from(refreshed.id_token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(payload.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(payload.acr).toBe('urn:latchkey:loa:2');
  });

  it('a user without a second factor signs in with the password alone: amr pwd, acr loa:1', async () => {
    const user = await makeUser(server.database.db);
    const agent = new BrowserAgent(server.url);
    const done = await passwordStep(agent, app, user);
    expect(done.leftTo).toMatch(/code=/);
    const { idToken } = await exchange(server.url, app, done.leftTo!, done.pkce);
    expect(idToken.amr).toEqual(['pwd']);
    expect(idToken.acr).toBe('urn:latchkey:loa:1');
  });

  it('refuses a TOTP code used once already (RFC 6238 5.2), and accepts the next step’s code', async () => {
    const { user, secret } = await enrolledUser();
    nextStep(clock);
    const code = totpCode(secret, clock.now());
    const first = new BrowserAgent(server.url);
    const firstPage = await passwordStep(first, app, user);
    expect((await submitOtp(first, firstPage.body, code)).leftTo).toMatch(/code=/);

    const second = new BrowserAgent(server.url);
    const secondPage = await passwordStep(second, app, user);
    const replay = await submitOtp(second, secondPage.body, code);
    expect(replay.leftTo).toBeUndefined();
    expect(replay.response.status).toBe(400);
    expect(replay.body).toContain('That code did not work.');
    // A code of an earlier step is refused too, once a later one was used.
    clock.advance(30_000);
    const again = await submitOtp(second, replay.body, totpCode(secret, clock.now() - 30_000));
    expect(again.response.status).toBe(400);
    const fresh = await submitOtp(second, again.body, totpCode(secret, clock.now()));
    expect(fresh.leftTo).toMatch(/code=/);
  });

  it('of two concurrent submissions of one code exactly one signs in', async () => {
    const { user, secret } = await enrolledUser();
    nextStep(clock);
    const agents = [new BrowserAgent(server.url), new BrowserAgent(server.url), new BrowserAgent(server.url)];
    const pages = await Promise.all(agents.map((agent) => passwordStep(agent, app, user)));
    const code = totpCode(secret, clock.now());
    const results = await Promise.all(agents.map((agent, i) => submitOtp(agent, pages[i]!.body, code)));
    expect(results.filter((r) => r.leftTo?.includes('code=')).length).toBe(1);
    expect(results.filter((r) => r.response.status === 400).length).toBe(2);
  });

  it('a recovery code signs in once, in any case and with or without dashes; the second time it is refused', async () => {
    const { user, recoveryCodes } = await enrolledUser();
    const code = recoveryCodes[3]!;
    const agent = new BrowserAgent(server.url);
    const page = await passwordStep(agent, app, user);
    const done = await submitOtp(agent, page.body, ` ${code.toUpperCase()} `);
    expect(done.leftTo).toMatch(/code=/);
    const { idToken } = await exchange(server.url, app, done.leftTo!, page.pkce);
    expect(idToken.amr).toEqual(['pwd', 'otp', 'mfa']);

    const again = new BrowserAgent(server.url);
    const againPage = await passwordStep(again, app, user);
    const refused = await submitOtp(again, againPage.body, code.replaceAll('-', ''));
    expect(refused.response.status).toBe(400);
    expect(refused.body).toContain('That code did not work.');
    const events = await server.database.db.selectFrom('audit_events').select(['type', 'details']).where('user_id', '=', user.id).where('type', 'in', ['second_factor_succeeded', 'second_factor_failed']).execute();
    expect(events.map((e) => e.type)).toEqual(['second_factor_succeeded', 'second_factor_failed']);
    expect(events[0]!.details).toMatchObject({ method: 'recovery_code' });
  });

  it('wrong codes lock the account at the lockout threshold: then even the right code and the right password are refused', async () => {
    const { user, secret } = await enrolledUser();
    const agent = new BrowserAgent(server.url);
    let page = (await passwordStep(agent, app, user)).body;
    for (let i = 0; i < 5; i++) {
      const wrong = await submitOtp(agent, page, '000000' === totpCode(secret, clock.now()) ? '111111' : '000000');
      expect(wrong.response.status).toBe(400);
      page = wrong.body;
    }
    nextStep(clock);
    const right = await submitOtp(agent, page, totpCode(secret, clock.now()));
    expect(right.response.status).toBe(400);
    expect(right.body).toContain('That code did not work.');
    const row = await server.database.db.selectFrom('users').select(['locked_until']).where('id', '=', user.id).executeTakeFirstOrThrow();
    expect(row.locked_until!.getTime()).toBeGreaterThan(clock.now());
    // The password does not get past the lock either (the same lock as wrong passwords).
    const fresh = await passwordStep(new BrowserAgent(server.url), app, user);
    expect(fresh.body).toContain('Incorrect username or password.');
    // Once the lock runs out, the right code works again.
    clock.advance(16 * 60_000);
    const later = new BrowserAgent(server.url);
    const laterPage = await passwordStep(later, app, user);
    expect((await submitOtp(later, laterPage.body, totpCode(secret, clock.now()))).leftTo).toMatch(/code=/);
  });

  it('a correct password does not reset the count of wrong codes (no alternating past the lock)', async () => {
    const { user } = await enrolledUser();
    for (let round = 0; round < 3; round++) {
      const agent = new BrowserAgent(server.url);
      const page = await passwordStep(agent, app, user);
      expect(page.url).toContain('/login/second-factor');
      const first = await submitOtp(agent, page.body, 'abcd-abcd-abcd-abcd');
      await submitOtp(agent, first.body, 'zzzz');
    }
    const row = await server.database.db.selectFrom('users').select(['locked_until']).where('id', '=', user.id).executeTakeFirstOrThrow();
    expect(row.locked_until!.getTime()).toBeGreaterThan(clock.now());
  });

  it('acr_values=urn:latchkey:loa:2: a level-1 session of a user with TOTP is stepped up (no new password)', async () => {
    const { user, secret } = await enrolledUser();
    const agent = new BrowserAgent(server.url);
    // A level-1 session: the user signed in with the password, then left the second-factor page.
    await passwordStep(agent, app, user);
    const stepUp = await agent.navigate(authorizeUrl(server.url, authorizeParams(app.clientId, REDIRECT, pkcePair(), { acr_values: 'urn:latchkey:loa:2' })));
    expect(stepUp.url).toContain('/login/second-factor');
    const body = await stepUp.response.text();
    expect(body).not.toContain('name="password"');
    nextStep(clock);
    expect((await submitOtp(agent, body, totpCode(secret, clock.now()))).leftTo).toMatch(/code=/);
  });

  it('acr_values=urn:latchkey:loa:2 for a user without a second factor leads to enrolment on /account', async () => {
    const user = await makeUser(server.database.db);
    const agent = new BrowserAgent(server.url);
    const result = await passwordStep(agent, app, user, { acr_values: 'urn:latchkey:loa:2' });
    expect(result.url).toContain('/login/enrol?request_id=');
    expect(result.body).toContain('Set up an authenticator app');
    expect(result.body).toMatch(/href="\/account\/totp\?request_id=[A-Za-z0-9_-]{32}"/);
  });

  it('a client registered with --require-mfa: prompt=none for a user without a factor answers unmet_authentication_requirements', async () => {
    const user = await makeUser(server.database.db);
    const agent = new BrowserAgent(server.url);
    await passwordStep(agent, app, user);
    const silent = await agent.navigate(authorizeUrl(server.url, authorizeParams(strictApp.clientId, REDIRECT, pkcePair(), { prompt: 'none' })));
    const error = new URL(silent.leftTo!);
    expect(error.searchParams.get('error')).toBe('unmet_authentication_requirements');
    // The same for acr_values on an ordinary client.
    const viaAcr = await agent.navigate(authorizeUrl(server.url, authorizeParams(app.clientId, REDIRECT, pkcePair(), { prompt: 'none', acr_values: 'urn:latchkey:loa:2' })));
    expect(new URL(viaAcr.leftTo!).searchParams.get('error')).toBe('unmet_authentication_requirements');
  });

  it('prompt=none with a level-1 session of a user who has TOTP: login_required (the sign-in is not complete)', async () => {
    const { user } = await enrolledUser();
    const agent = new BrowserAgent(server.url);
    await passwordStep(agent, app, user);
    const silent = await agent.navigate(authorizeUrl(server.url, authorizeParams(app.clientId, REDIRECT, pkcePair(), { prompt: 'none' })));
    expect(new URL(silent.leftTo!).searchParams.get('error')).toBe('login_required');
  });

  it('prompt=login and max_age re-ask every factor', async () => {
    const { user, secret } = await enrolledUser();
    const agent = new BrowserAgent(server.url);
    const first = await passwordStep(agent, app, user);
    nextStep(clock);
    expect((await submitOtp(agent, first.body, totpCode(secret, clock.now()))).leftTo).toMatch(/code=/);
    for (const extra of [{ prompt: 'login' }, { max_age: '0' }] as Record<string, string>[]) {
      const again = await passwordStep(agent, app, user, extra);
      expect(again.url).toContain('/login/second-factor');
      nextStep(clock);
      const done = await submitOtp(agent, again.body, totpCode(secret, clock.now()));
      expect(done.leftTo).toMatch(/code=/);
    }
  });

  it('the second-factor page refuses hostile input with a clear 4xx page, never a 500', async () => {
    const { user } = await enrolledUser();
    const agent = new BrowserAgent(server.url);
    const page = await passwordStep(agent, app, user);
    for (const otp of ['', '<script>alert(1)</script>', '1'.repeat(4000), '12345', '1234567', 'ééééééééééééééééé']) {
      const refused = await submitOtp(agent, page.body, otp);
      expect(refused.response.status).toBe(400);
      expect(refused.body).not.toContain('<script>alert');
    }
    const noCsrf = await agent.submit('/login/second-factor', { request_id: 'x'.repeat(32), otp: '123456' });
    expect(noCsrf.response.status).toBe(403);
    const unknownRequest = await agent.navigate('/login/second-factor?request_id=nope');
    expect(unknownRequest.response.status).toBe(400);
    const repeated = await agent.fetch('/login/second-factor', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'otp=1&otp=2' });
    expect(repeated.status).toBe(403);
  });
});
