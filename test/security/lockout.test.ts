import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { BrowserAgent } from '../helpers/http-agent.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { attemptLogin, comparableFailurePage, openLoginForm } from '../helpers/login-form.js';
import { StatementRecorder } from '../helpers/statement-recorder.js';

// Items 5, 6 and 18 of issue 10: lockout that strangers cannot turn against a user, atomic
// counting, and equal database work on every failure path.

const REDIRECT = 'https://app.example.com/callback';
const THRESHOLD = 3;
const LOCK_SECONDS = 15 * 60;
const DEVICE_COOKIE = 'lk_device'; // no __Host- prefix: the test issuer is plain-http 127.0.0.1

describe('account lockout with device cookies', () => {
  const clock = new ManualClock();
  let server: TestServer;
  let clientId: string;

  beforeAll(async () => {
    server = await startTestServer(
      { RATE_LIMIT_LOGIN: '1000', LOGIN_LOCKOUT_THRESHOLD: String(THRESHOLD), LOGIN_LOCKOUT_DURATION: `${LOCK_SECONDS}` },
      undefined,
      { clock },
    );
    clientId = (await makeClient(server.database.db, { redirectUris: [REDIRECT] })).clientId;
  });
  afterAll(async () => server?.stop());

  // The user's browser keeps its device cookie after the session is over (signed out, expired):
  // every attempt starts without a session, so the login form is shown.
  const attempt = (agent: BrowserAgent, username: string, password: string) => {
    agent.cookies.delete('lk_session');
    return attemptLogin(agent, server.url, clientId, REDIRECT, username, password);
  };
  const signedIn = (result: { leftTo?: string }) => Boolean(result.leftTo?.startsWith(REDIRECT) && new URL(result.leftTo).searchParams.get('code'));
  const lockRow = (username: string) =>
    server.database.db.selectFrom('users').select(['id', 'failed_logins', 'locked_until']).where('username', '=', username).executeTakeFirstOrThrow();

  async function lockOutAsStranger(username: string) {
    const stranger = new BrowserAgent(server.url);
    for (let i = 0; i < THRESHOLD; i++) expect(signedIn(await attempt(stranger, username, `guess-${i}`))).toBe(false);
    expect((await lockRow(username)).locked_until!.getTime()).toBeGreaterThan(clock.now());
    return stranger;
  }

  it('sets a long-lived HttpOnly, SameSite=Lax device cookie on a successful sign-in', async () => {
    const user = await makeUser(server.database.db, { username: 'cookie-owner' });
    const agent = new BrowserAgent(server.url);
    const { csrf, requestId } = await openLoginForm(agent, server.url, clientId, REDIRECT);
    const response = await agent.fetch('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf_token: csrf, request_id: requestId, username: user.username, password: user.password }).toString(),
    });
    expect(response.status).toBe(303);
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith(`${DEVICE_COOKIE}=`));
    expect(cookie).toMatch(new RegExp(`^${DEVICE_COOKIE}=[A-Za-z0-9._-]+; Max-Age=31536000; Path=/; HttpOnly; SameSite=Lax$`));
    // It names the user by id only, never the password or the username.
    expect(cookie).not.toContain(user.username);
  });

  it("a stranger's wrong passwords lock strangers out, but the user's own browser still signs in", async () => {
    const user = await makeUser(server.database.db, { username: 'kate-device' });
    const usersBrowser = new BrowserAgent(server.url);
    expect(signedIn(await attempt(usersBrowser, user.username, user.password))).toBe(true);
    expect(usersBrowser.cookies.get(DEVICE_COOKIE)).toBeTruthy();

    const stranger = await lockOutAsStranger(user.username);
    // Even the right password does not get a stranger past the lock...
    expect(signedIn(await attempt(stranger, user.username, user.password))).toBe(false);
    expect(signedIn(await attempt(new BrowserAgent(server.url), user.username, user.password))).toBe(false);
    // ...but the browser the user signed in with before is not locked out by them.
    expect(signedIn(await attempt(usersBrowser, user.username, user.password))).toBe(true);
    // The lock the stranger caused stays for everyone else.
    expect(signedIn(await attempt(new BrowserAgent(server.url), user.username, user.password))).toBe(false);
  });

  it("limits a device's own failures: after the threshold from that cookie it is no longer trusted", async () => {
    const user = await makeUser(server.database.db, { username: 'kate-thief' });
    const usersBrowser = new BrowserAgent(server.url);
    expect(signedIn(await attempt(usersBrowser, user.username, user.password))).toBe(true);
    await lockOutAsStranger(user.username);
    const before = (await lockRow(user.username)).failed_logins;
    // Someone at the user's browser guessing: the device's failures do not count on the account...
    for (let i = 0; i < THRESHOLD; i++) expect(signedIn(await attempt(usersBrowser, user.username, `device-guess-${i}`))).toBe(false);
    expect((await lockRow(user.username)).failed_logins).toBe(before);
    // ...but the cookie has lost its exemption: the account lock applies to it now.
    expect(signedIn(await attempt(usersBrowser, user.username, user.password))).toBe(false);
  });

  it("gives no exemption to a forged or tampered device cookie, or to one for another user", async () => {
    const victim = await makeUser(server.database.db, { username: 'kate-forged' });
    const other = await makeUser(server.database.db, { username: 'dave-forged' });
    const victimsBrowser = new BrowserAgent(server.url);
    expect(signedIn(await attempt(victimsBrowser, victim.username, victim.password))).toBe(true);
    const othersBrowser = new BrowserAgent(server.url);
    expect(signedIn(await attempt(othersBrowser, other.username, other.password))).toBe(true);
    const genuine = victimsBrowser.cookies.get(DEVICE_COOKIE)!;
    const othersCookie = othersBrowser.cookies.get(DEVICE_COOKIE)!;
    expect(genuine).toBeTruthy();
    expect(othersCookie).toBeTruthy();
    await lockOutAsStranger(victim.username);

    const lastChar = genuine.at(-1) === 'A' ? 'B' : 'A';
    const forgeries = [
      genuine.slice(0, -1) + lastChar, // MAC changed
      othersCookie.replace(other.id, victim.id), // another user's cookie re-pointed at the victim
      othersCookie, // another user's genuine cookie
      `v1.${victim.id}.${'A'.repeat(22)}.${'A'.repeat(43)}`, // made up
      'garbage',
    ];
    for (const forged of forgeries) {
      const attacker = new BrowserAgent(server.url);
      attacker.cookies.set(DEVICE_COOKIE, forged);
      const result = await attempt(attacker, victim.username, victim.password);
      expect(signedIn(result), `forged cookie ${forged}`).toBe(false);
      expect(result.response.status).toBe(200);
      expect(result.body).toContain('Incorrect username or password.');
    }
    // The genuine cookie still works, so the forgeries failed for being forgeries.
    expect(signedIn(await attempt(victimsBrowser, victim.username, victim.password))).toBe(true);
  });

  it('never locks for longer than LOGIN_LOCKOUT_DURATION, however many failures', async () => {
    const user = await makeUser(server.database.db, { username: 'kate-cap' });
    const stranger = new BrowserAgent(server.url);
    // Twelve rounds: each waits out the lock and fails again (the old code doubled every time).
    for (let round = 0; round < 12; round++) {
      const attempts = round === 0 ? THRESHOLD : 1;
      for (let i = 0; i < attempts; i++) await attempt(stranger, user.username, `wrong-${round}-${i}`);
      const { locked_until } = await lockRow(user.username);
      expect(locked_until, `round ${round}`).not.toBeNull();
      expect(locked_until!.getTime(), `round ${round}`).toBeLessThanOrEqual(clock.now() + LOCK_SECONDS * 1000);
      expect(signedIn(await attempt(new BrowserAgent(server.url), user.username, user.password))).toBe(false);
      clock.advance(LOCK_SECONDS * 1000 + 1000);
    }
    // A browser the user never signed in with: only the lock's own duration had to pass.
    expect(signedIn(await attempt(new BrowserAgent(server.url), user.username, user.password))).toBe(true);
    expect(await lockRow(user.username)).toMatchObject({ failed_logins: 0, locked_until: null });
  });

  it('counts parallel wrong guesses atomically: every one is counted and the lock is set', async () => {
    const user = await makeUser(server.database.db, { username: 'kate-parallel' });
    const guesses = 11;
    const forms = await Promise.all(
      Array.from({ length: guesses }, async () => {
        const agent = new BrowserAgent(server.url);
        return { agent, ...(await openLoginForm(agent, server.url, clientId, REDIRECT)) };
      }),
    );
    const results = await Promise.all(
      forms.map(({ agent, csrf, requestId }, i) => agent.submit('/login', { csrf_token: csrf, request_id: requestId, username: user.username, password: `parallel-${i}` })),
    );
    for (const result of results) {
      expect(result.leftTo).toBeUndefined();
      expect(result.response.status).toBe(200);
    }
    const row = await lockRow(user.username);
    expect(row.failed_logins).toBe(guesses);
    expect(row.locked_until).not.toBeNull();
    expect(row.locked_until!.getTime()).toBeGreaterThan(clock.now());
    expect(row.locked_until!.getTime()).toBeLessThanOrEqual(clock.now() + LOCK_SECONDS * 1000);
    expect(signedIn(await attempt(new BrowserAgent(server.url), user.username, user.password))).toBe(false);
  });

  it('answers unknown user, wrong password, locked, locked with a forged device cookie and disabled with byte-identical pages', async () => {
    const user = await makeUser(server.database.db, { username: 'kate-same' });
    const disabled = await makeUser(server.database.db, { username: 'kate-disabled' });
    await server.database.db.updateTable('users').set({ disabled: true }).where('id', '=', disabled.id).execute();
    const pages: string[] = [];
    const record = async (agent: BrowserAgent, username: string, password: string) => {
      const result = await attempt(agent, username, password);
      expect(result.leftTo).toBeUndefined();
      expect(result.response.status).toBe(200);
      expect(result.response.headers.getSetCookie().some((c) => c.startsWith(`${DEVICE_COOKIE}=`))).toBe(false);
      pages.push(comparableFailurePage(result));
    };
    await record(new BrowserAgent(server.url), 'nobody-at-all', 'wrong password');
    await record(new BrowserAgent(server.url), user.username, 'wrong password');
    await lockOutAsStranger(user.username);
    await record(new BrowserAgent(server.url), user.username, user.password);
    const forged = new BrowserAgent(server.url);
    forged.cookies.set(DEVICE_COOKIE, `v1.${user.id}.${'A'.repeat(22)}.${'A'.repeat(43)}`);
    await record(forged, user.username, user.password);
    await record(new BrowserAgent(server.url), disabled.username, disabled.password);
    for (const page of pages) expect(page).toBe(pages[0]);
    expect(pages[0]).toContain('role="alert">Incorrect username or password.</p>');
  });
});

describe('equal database work on every failed login', () => {
  let testDatabase: TestDatabase;
  let recorder: StatementRecorder;
  let server: TestServer;
  let clientId: string;

  beforeAll(async () => {
    testDatabase = await createTestDatabase();
    recorder = new StatementRecorder(testDatabase.handle);
    server = await startTestServer({ RATE_LIMIT_LOGIN: '1000', LOGIN_LOCKOUT_THRESHOLD: String(THRESHOLD) }, recorder.handle);
    clientId = (await makeClient(server.database.db, { redirectUris: [REDIRECT] })).clientId;
  });
  afterAll(async () => {
    await server?.stop();
    await testDatabase?.destroy();
  });

  /** The statements one login POST runs (the form is opened beforehand, outside the count). */
  async function statementsOfAttempt(username: string, password: string, expected = 200): Promise<string[]> {
    const agent = new BrowserAgent(server.url);
    const { csrf, requestId } = await openLoginForm(agent, server.url, clientId, REDIRECT);
    return recorder.during(async () => {
      const result = await agent.fetch('/login', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf_token: csrf, request_id: requestId, username, password }).toString(),
      });
      expect(result.status).toBe(expected);
      await result.text();
    });
  }

  it('runs the same SQL statements for an unknown user, a wrong password, a locked and a disabled account', async () => {
    const user = await makeUser(server.database.db, { username: 'erin-equal' });
    const disabled = await makeUser(server.database.db, { username: 'erin-disabled' });
    await server.database.db.updateTable('users').set({ disabled: true }).where('id', '=', disabled.id).execute();

    const unknown = await statementsOfAttempt('nobody-here', 'wrong password');
    const wrongPassword = await statementsOfAttempt(user.username, 'wrong password');
    expect(unknown.length).toBeGreaterThan(0);
    expect(wrongPassword).toEqual(unknown);
    for (let i = 0; i < THRESHOLD; i++) await statementsOfAttempt(user.username, `wrong-${i}`);
    expect(await statementsOfAttempt(user.username, 'another wrong password')).toEqual(unknown);
    // The right password on a locked account is refused by one conditional UPDATE: as many statements.
    expect(await statementsOfAttempt(user.username, user.password)).toHaveLength(unknown.length);
    expect(await statementsOfAttempt(disabled.username, disabled.password)).toEqual(unknown);
    // A username that user creation would refuse costs the same too.
    expect(await statementsOfAttempt('kate\u200b', 'wrong password')).toEqual(unknown);
  });

  it('a failure reads the request and the account in one statement, then writes once (and the audit row)', async () => {
    const user = await makeUser(server.database.db, { username: 'erin-counted' });
    const statements = await statementsOfAttempt(user.username, 'wrong password');
    expect(statements[0]).toMatch(/^select "users"\."id", .* left join "authorization_requests" as "r" .* left join "users" /);
    expect(statements.filter((s) => /"authorization_requests"/.test(s))).toHaveLength(1);
    expect(statements.filter((s) => /^update "users"/.test(s))).toHaveLength(1);
    expect(statements).toHaveLength(3);
  });

  it('a success runs two statements: the same read, then the one that starts the session', async () => {
    const user = await makeUser(server.database.db, { username: 'erin-success' });
    const statements = await statementsOfAttempt(user.username, user.password, 303);
    expect(statements).toHaveLength(2);
    expect(statements[0]).toMatch(/ left join "authorization_requests" as "r" .* left join "users" /);
    expect(statements[1]).toMatch(/^with admitted as \(update users /);
  });
});
