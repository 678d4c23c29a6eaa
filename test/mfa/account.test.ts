import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { BrowserAgent, hiddenField } from '../helpers/http-agent.js';
import { expectInvalidGrant, refresh } from '../helpers/tokens.js';
import { accountSignIn, enrolTotp, exchange, nextStep, passwordStep, submitOtp, totpCode, type App } from './support.js';
import { verifyPassword } from '../../src/users/password.js';

const REDIRECT = 'http://localhost:8080/callback';

describe('/account over real HTTP', { timeout: 120_000 }, () => {
  let server: TestServer;
  let app: App;
  const clock = new ManualClock();

  beforeAll(async () => {
    server = await startTestServer({ RATE_LIMIT_LOGIN: '10000' }, undefined, { clock });
    const created = await makeClient(server.database.db, { name: 'Notes', redirectUris: [REDIRECT] });
    app = { clientId: created.clientId, secret: created.secret!, redirectUri: REDIRECT };
  });
  afterAll(async () => server?.stop());

  it('without a session /account leads to the login page and back to /account', async () => {
    const user = await makeUser(server.database.db);
    const agent = new BrowserAgent(server.url);
    const start = await agent.navigate('/account');
    expect(start.url).toMatch(/\/login\?request_id=/);
    const signedIn = await accountSignIn(agent, user);
    expect(signedIn.url).toBe(`${server.url}/account`);
    expect(signedIn.page).toContain('Your account');
    expect(signedIn.page).toContain(user.username);
    expect(signedIn.response.headers.get('content-security-policy')).toContain("default-src 'none'");
  });

  it('enrols TOTP on /account: QR code as inline SVG and the URI as text, confirmed by a code; 10 recovery codes shown once', async () => {
    const user = await makeUser(server.database.db);
    const agent = new BrowserAgent(server.url);
    await accountSignIn(agent, user);
    const setup = await agent.navigate('/account/totp');
    const page = await setup.response.text();
    expect(page).toMatch(/<div class="qr"[^>]*><svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(page).not.toMatch(/<img|src=/);
    const uri = /id="totp-uri">([^<]+)</.exec(page)![1]!.replaceAll('&amp;', '&');
    expect(uri).toMatch(/^otpauth:\/\/totp\/127\.0\.0\.1%3A\d+:/);
    const secret = new URL(uri).searchParams.get('secret')!;
    expect(/id="totp-secret">([^<]+)</.exec(page)![1]!.replaceAll(' ', '')).toBe(secret);
    // The secret is stored sealed, never in clear.
    const row = await server.database.db.selectFrom('user_totp').selectAll().where('user_id', '=', user.id).executeTakeFirstOrThrow();
    expect(row.secret_encrypted).not.toContain(secret);
    expect(row.confirmed_at).toBeNull();
    // A wrong code: the same QR code again, with an error.
    const wrong = await agent.submit('/account/totp', { csrf_token: hiddenField(page, 'csrf_token'), otp: '000000' === totpCode(secret, clock.now()) ? '111111' : '000000' });
    expect(wrong.response.status).toBe(400);
    expect(await wrong.response.text()).toContain(secret.slice(0, 4));
    nextStep(clock);
    const confirmed = await agent.submit('/account/totp', { csrf_token: hiddenField(page, 'csrf_token'), otp: totpCode(secret, clock.now()) });
    expect(confirmed.response.status).toBe(200);
    const codesPage = await confirmed.response.text();
    const codes = [...codesPage.matchAll(/<li><code>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})<\/code><\/li>/g)].map((m) => m[1]);
    expect(codes).toHaveLength(10);
    const stored = await server.database.db.selectFrom('user_recovery_codes').select('code_hash').where('user_id', '=', user.id).execute();
    expect(stored).toHaveLength(10);
    for (const { code_hash } of stored) expect(codes.some((code) => code_hash.includes(code!.replaceAll('-', '')))).toBe(false);
    // Shown once: the overview says only how many are left.
    const overview = await (await agent.navigate('/account')).response.text();
    expect(overview).toContain('Authenticator app: on');
    expect(overview).not.toContain(codes[0]!);
    const audit = await server.database.db.selectFrom('audit_events').select('type').where('user_id', '=', user.id).where('type', 'in', ['second_factor_enrolled', 'recovery_codes_generated']).execute();
    expect(audit.map((a) => a.type).sort()).toEqual(['recovery_codes_generated', 'second_factor_enrolled']);
  });

  it('removing TOTP and new recovery codes need a fresh sign-in: after 5 minutes every factor is asked again', async () => {
    const user = await makeUser(server.database.db);
    const { secret } = await enrolTotp(server.database.db, server.url, user, clock);
    const agent = new BrowserAgent(server.url);
    const code = () => {
      nextStep(clock);
      return totpCode(secret, clock.now());
    };
    await accountSignIn(agent, user, code);
    clock.advance(6 * 60_000);
    const stale = await agent.navigate('/account/totp/remove');
    expect(stale.url).toMatch(/\/login\?request_id=/);
    // A POST with a stale sign-in is not applied either.
    const overview = await (await agent.navigate('/account')).response.text();
    expect(overview).toContain('Authenticator app: on');
    const stalePost = await agent.submit('/account/totp/remove', { csrf_token: hiddenField(overview, 'csrf_token') });
    expect(stalePost.url).toMatch(/\/login\?request_id=/);
    expect(await server.database.db.selectFrom('user_totp').select('user_id').where('user_id', '=', user.id).executeTakeFirst()).toBeDefined();
    // Password and code again, then the confirmation page, then the removal.
    let page = await stalePost.response.text();
    let step = await agent.submit('/login', { csrf_token: hiddenField(page, 'csrf_token'), request_id: hiddenField(page, 'request_id'), username: user.username, password: user.password });
    page = await step.response.text();
    expect(step.url).toContain('/login/second-factor');
    step = await agent.submit('/login/second-factor', { csrf_token: hiddenField(page, 'csrf_token'), request_id: hiddenField(page, 'request_id'), otp: code() });
    expect(step.url).toBe(`${server.url}/account/totp/remove`);
    page = await step.response.text();
    const removed = await agent.submit('/account/totp/remove', { csrf_token: hiddenField(page, 'csrf_token') });
    expect(removed.url).toBe(`${server.url}/account?notice=totp_removed`);
    expect(await server.database.db.selectFrom('user_totp').select('user_id').where('user_id', '=', user.id).executeTakeFirst()).toBeUndefined();
    expect(await server.database.db.selectFrom('user_recovery_codes').select('user_id').where('user_id', '=', user.id).executeTakeFirst()).toBeUndefined();
  });

  it('refuses every /account form without the CSRF token (403) and changes nothing', async () => {
    const user = await makeUser(server.database.db);
    const agent = new BrowserAgent(server.url);
    await accountSignIn(agent, user);
    for (const [path, fields] of [
      ['/account/password', { current_password: user.password, new_password: 'another password', new_password_confirm: 'another password' }],
      ['/account/totp', { otp: '123456' }],
      ['/account/totp/remove', {}],
      ['/account/recovery-codes', {}],
      ['/account/sessions/end', { session_id: '00000000-0000-4000-8000-000000000000' }],
    ] as const) {
      const refused = await agent.submit(path, { ...fields, csrf_token: 'A'.repeat(43) });
      expect(refused.response.status, path).toBe(403);
    }
    const still = await passwordStep(new BrowserAgent(server.url), app, user);
    expect(still.leftTo).toMatch(/code=/);
  });

  it("cannot end another user's session or refresh family (404), nor with malformed ids (4xx)", async () => {
    const alice = await makeUser(server.database.db);
    const mallory = await makeUser(server.database.db);
    const aliceAgent = new BrowserAgent(server.url);
    const signIn = await passwordStep(aliceAgent, app, alice, { scope: 'openid offline_access' });
    const { tokens } = await exchange(server.url, app, signIn.leftTo!, signIn.pkce);
    const aliceSession = await server.database.db.selectFrom('login_sessions').select('id').where('user_id', '=', alice.id).executeTakeFirstOrThrow();
    const aliceFamily = await server.database.db.selectFrom('grants').select('id').where('user_id', '=', alice.id).executeTakeFirstOrThrow();
    const malloryAgent = new BrowserAgent(server.url);
    const { page } = await accountSignIn(malloryAgent, mallory);
    const csrf = hiddenField(page, 'csrf_token');
    expect((await malloryAgent.submit('/account/sessions/end', { csrf_token: csrf, session_id: aliceSession.id })).response.status).toBe(404);
    expect((await malloryAgent.submit('/account/sessions/end', { csrf_token: csrf, grant_id: aliceFamily.id })).response.status).toBe(404);
    expect((await malloryAgent.submit('/account/sessions/end', { csrf_token: csrf, grant_id: "1' or '1'='1" })).response.status).toBe(404);
    expect((await malloryAgent.submit('/account/sessions/end', { csrf_token: csrf, grant_id: aliceFamily.id, session_id: aliceSession.id })).response.status).toBe(400);
    expect((await malloryAgent.submit('/account/sessions/end', { csrf_token: csrf })).response.status).toBe(400);
    // Alice is untouched: her refresh token still works and her session still signs her in.
    expect((await refresh(server.url, app, tokens.refresh_token!)).status).toBe(200);
    expect((await passwordStep(aliceAgent, app, alice)).leftTo).toMatch(/code=/);
  });

  it('lists and ends own sessions and families (with the client name and user agent)', async () => {
    const user = await makeUser(server.database.db);
    const phone = new BrowserAgent(server.url);
    const signIn = await phone.navigate('/account', { headers: { 'user-agent': 'PhoneBrowser/1.0' } });
    const loginPage = await signIn.response.text();
    await phone.fetch('/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'PhoneBrowser/1.0' }, body: new URLSearchParams({ csrf_token: hiddenField(loginPage, 'csrf_token'), request_id: hiddenField(loginPage, 'request_id'), username: user.username, password: user.password }).toString() });
    const appSignIn = await passwordStep(new BrowserAgent(server.url), app, user, { scope: 'openid offline_access' });
    const { tokens } = await exchange(server.url, app, appSignIn.leftTo!, appSignIn.pkce);
    const laptop = new BrowserAgent(server.url);
    const { page } = await accountSignIn(laptop, user);
    expect(page).toContain('PhoneBrowser/1.0');
    expect(page).toContain('(this browser)');
    expect(page).toContain('<strong>Notes</strong>');
    const phoneSession = /name="session_id" value="([^"]+)"/.exec(page.slice(page.indexOf('PhoneBrowser/1.0')))![1]!;
    const ended = await laptop.submit('/account/sessions/end', { csrf_token: hiddenField(page, 'csrf_token'), session_id: phoneSession });
    expect(ended.url).toBe(`${server.url}/account?notice=session_ended`);
    expect((await phone.navigate('/account')).url).toMatch(/\/login\?request_id=/);
    const familyId = /name="grant_id" value="([^"]+)"/.exec(page)![1]!;
    const endedFamily = await laptop.submit('/account/sessions/end', { csrf_token: hiddenField(page, 'csrf_token'), grant_id: familyId });
    expect(endedFamily.url).toBe(`${server.url}/account?notice=session_ended`);
    await expectInvalidGrant(await refresh(server.url, app, tokens.refresh_token!));
  });

  it('changing the password asks the current one, ends the other sessions and families, keeps this browser signed in', async () => {
    const user = await makeUser(server.database.db);
    const other = new BrowserAgent(server.url);
    const signIn = await passwordStep(other, app, user, { scope: 'openid offline_access' });
    const { tokens } = await exchange(server.url, app, signIn.leftTo!, signIn.pkce);
    const agent = new BrowserAgent(server.url);
    const { page } = await accountSignIn(agent, user);
    const csrf = hiddenField(page, 'csrf_token');
    const wrongCurrent = await agent.submit('/account/password', { csrf_token: csrf, current_password: 'not it', new_password: 'a new password', new_password_confirm: 'a new password' });
    expect(wrongCurrent.response.status).toBe(400);
    expect(await wrongCurrent.response.text()).toContain('The current password is not correct.');
    const mismatch = await agent.submit('/account/password', { csrf_token: csrf, current_password: user.password, new_password: 'a new password', new_password_confirm: 'another' });
    expect(mismatch.response.status).toBe(400);
    const changed = await agent.submit('/account/password', { csrf_token: csrf, current_password: user.password, new_password: 'a new password', new_password_confirm: 'a new password' });
    expect(changed.url).toBe(`${server.url}/account?notice=password_changed`);
    expect(await changed.response.text()).toContain('Your password was changed.');
    await expectInvalidGrant(await refresh(server.url, app, tokens.refresh_token!));
    expect((await other.navigate('/account')).url).toMatch(/\/login\?request_id=/);
    expect((await agent.navigate('/account')).url).toBe(`${server.url}/account`);
    expect((await passwordStep(new BrowserAgent(server.url), app, { username: user.username, password: 'a new password' })).leftTo).toMatch(/code=/);
  });

  it('a second-factor user’s half-finished sign-in (password only) does not open /account', async () => {
    const user = await makeUser(server.database.db);
    const { secret } = await enrolTotp(server.database.db, server.url, user, clock);
    const agent = new BrowserAgent(server.url);
    await passwordStep(agent, app, user);
    const account = await agent.navigate('/account');
    expect(account.url).toContain('/login/second-factor');
    nextStep(clock);
    const done = await submitOtp(agent, await account.response.text(), totpCode(secret, clock.now()));
    expect(done.url).toBe(`${server.url}/account`);
  });

  it('hostile /account input gets a clear 4xx, never a 500', async () => {
    const user = await makeUser(server.database.db);
    const agent = new BrowserAgent(server.url);
    const { page } = await accountSignIn(agent, user);
    const csrf = hiddenField(page, 'csrf_token');
    expect((await agent.navigate('/account?notice=<script>')).response.status).toBe(200);
    expect(await (await agent.navigate('/account?notice=<script>')).response.text()).not.toContain('<script>');
    const setup = await agent.navigate('/account/totp?request_id=../../evil');
    expect(setup.response.status).toBe(200);
    expect(await setup.response.text()).not.toContain('evil');
    const long = await agent.submit('/account/password', { csrf_token: csrf, current_password: 'x'.repeat(4000), new_password: ' ', new_password_confirm: ' ' });
    expect(long.response.status).toBe(400);
    // The one password rule (PASSWORD_MIN_LENGTH, default 8) applies here too, before the current password is checked.
    const short = await agent.submit('/account/password', { csrf_token: csrf, current_password: user.password, new_password: '1234567', new_password_confirm: '1234567' });
    expect(short.response.status).toBe(400);
    expect(await short.response.text()).toContain('The new password is not usable: password must be at least 8 characters.');
    const row = await server.database.db.selectFrom('users').select('password_hash').where('id', '=', user.id).executeTakeFirstOrThrow();
    expect(await verifyPassword(row.password_hash, user.password)).toBe(true);
    const noTotp = await agent.submit('/account/totp/remove', { csrf_token: csrf });
    expect(noTotp.url).toBe(`${server.url}/account`);
  });
});
