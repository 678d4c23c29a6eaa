import type { Kysely } from 'kysely';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/types.js';
import { passwordHashing } from '../../src/users/password.js';
import { adminFetch, adminToken } from '../helpers/admin.js';
import { createTestDatabase } from '../helpers/database.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { BrowserAgent } from '../helpers/http-agent.js';
import { openLoginForm, postLogin } from '../helpers/login-form.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitUntil } from '../helpers/wait-until.js';

// Issue 16: password work is a bounded, fair resource. One argon2 slot and a line of two, so the
// test builds the contention itself: it holds the slot with a task it releases by hand, and
// every login it sends waits behind it (or is refused) by construction, not by timing.

const REDIRECT = 'https://app.example.com/callback';
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const SETTINGS = { PASSWORD_HASH_CONCURRENCY: '1', PASSWORD_HASH_QUEUE_SIZE: '2', RATE_LIMIT_LOGIN: '0' };

/** Holds every argon2 slot of the process until release(); resolves once the holders are done. */
function holdEverySlot(): { release(): Promise<void> } {
  const hashing = passwordHashing();
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const holders = Array.from({ length: hashing.limit }, () => hashing.run(() => gate));
  return {
    release: async () => {
      open();
      await Promise.all(holders);
    },
  };
}

/** A fresh login form for `username`, posted with `password` (not sent until asked). */
async function loginAs(server: TestServer, clientId: string, username: string, password: string) {
  const browser = new BrowserAgent(server.url);
  const form = await openLoginForm(browser, server.url, clientId, REDIRECT);
  const fields = { csrf_token: form.csrf, request_id: form.requestId, username, password };
  return {
    send: (accept?: string, agent: http.Agent | false = false, headers: Record<string, string> = {}) => postLogin(server.url, browser.cookieHeader(), fields, accept, agent, headers),
  };
}

async function failedLogins(db: Kysely<Database>, userId: string): Promise<{ counted: number; audited: number }> {
  const user = await db.selectFrom('users').select('failed_logins').where('id', '=', userId).executeTakeFirstOrThrow();
  const audited = await db.selectFrom('audit_events').select(db.fn.countAll<string>().as('n')).where('type', '=', 'login_failed').where('user_id', '=', userId).executeTakeFirstOrThrow();
  return { counted: user.failed_logins, audited: Number(audited.n) };
}

/** GET `url` on `agent`'s connection (false: a new one); resolves with the status once the body is read. */
function getOn(url: string, agent: http.Agent | false): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode!));
      })
      .on('error', reject);
  });
}

const queued = (n: number) => waitUntil(() => passwordHashing().load().queued === n, { timeoutMs: 10_000, intervalMs: 10, what: `${n} password checks waiting` });

/**
 * Fills the line (every slot held, two logins waiting), then posts one more login on a kept-alive
 * connection of its own: refused. The caller sends what it likes on `connection` next; done()
 * frees the slots, lets the waiting logins finish and closes the connection.
 */
async function refusedOnKeptConnection(server: TestServer, clientId: string, headers: Record<string, string> = {}) {
  const user = await makeUser(server.database.db);
  const filler = await Promise.all([1, 2].map(() => loginAs(server, clientId, user.username, 'wrong')));
  const flooder = await loginAs(server, clientId, user.username, 'wrong');
  const connection = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const slot = holdEverySlot();
  const answers = filler.map((login) => login.send().answer);
  const done = async () => {
    await slot.release();
    await Promise.all(answers);
    connection.destroy();
  };
  try {
    await queued(2);
    const refused = await flooder.send(undefined, connection, headers).answer;
    return { refused, refusedAt: performance.now(), connection, done };
  } catch (error) {
    await done();
    throw error;
  }
}

describe('password work under a flood (one slot, a line of two)', () => {
  let server: TestServer;
  let clientId: string;

  beforeAll(async () => {
    server = await startTestServer(SETTINGS);
    clientId = (await makeClient(server.database.db, { redirectUris: [REDIRECT] })).clientId;
  });
  afterAll(async () => server?.stop());

  const metric = async (name: string, labels = '') => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const escaped = labels.replace(/[{}]/g, '\\$&');
    return Number(new RegExp(`^${name}${escaped} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
  };

  it('answers a login that finds the line full at once with 503 and Retry-After (a page for a browser, JSON otherwise), and does no work for it', async () => {
    const waiting = await makeUser(server.database.db);
    const refused = await makeUser(server.database.db);
    const first = await loginAs(server, clientId, waiting.username, 'wrong-1');
    const second = await loginAs(server, clientId, waiting.username, 'wrong-2');
    const browserThird = await loginAs(server, clientId, refused.username, 'wrong-3');
    const scriptThird = await loginAs(server, clientId, refused.username, 'wrong-4');
    const refusedBefore = await metric('latchkey_password_work_refused_total', '{reason="queue_full"}');
    expect(passwordHashing().load()).toMatchObject({ limit: 1, maxQueued: 2 });

    const slot = holdEverySlot();
    try {
      const answers = [first.send(BROWSER_ACCEPT).answer, second.send(BROWSER_ACCEPT).answer];
      await queued(2);
      const startedBefore = passwordHashing().load().started;

      const page = await browserThird.send(BROWSER_ACCEPT).answer;
      expect(page.status).toBe(503);
      expect(Number(page.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.headers['content-security-policy']).toContain("default-src 'none'");
      expect(page.body).toContain('Busy right now');
      expect(page.body).toContain('<link rel="stylesheet"');

      const json = await scriptThird.send().answer;
      expect(json.status).toBe(503);
      expect(Number(json.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(json.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(json.body)).toMatchObject({ error: 'temporarily_unavailable' });

      // Refused before any work: no hash started, no failure counted, nothing audited.
      expect(passwordHashing().load().started).toBe(startedBefore);
      expect(await failedLogins(server.database.db, refused.id)).toEqual({ counted: 0, audited: 0 });
      expect(await metric('latchkey_password_work_refused_total', '{reason="queue_full"}')).toBe(refusedBefore + 2);
      expect(await metric('latchkey_password_hashes', '{state="queue_limit"}')).toBe(2);

      // The admitted ones are served as usual once the slot frees.
      await slot.release();
      for (const answer of await Promise.all(answers)) {
        expect(answer.status).toBe(200);
        expect(answer.body).toContain('Incorrect username or password.');
      }
      expect(await failedLogins(server.database.db, waiting.id)).toMatchObject({ counted: 2 });
    } finally {
      await slot.release();
    }
  });

  it('reads nothing more from a refused connection for most of its Retry-After, while other connections are served at once', async () => {
    const { refused, refusedAt, connection, done } = await refusedOnKeptConnection(server, clientId);
    try {
      expect(refused.status).toBe(503);
      const retryAfterMs = Number(refused.headers['retry-after']) * 1000;
      expect(retryAfterMs).toBeGreaterThanOrEqual(1000);

      const order: string[] = [];
      const again = getOn(`${server.url}/healthz`, connection).then((status) => {
        order.push('same connection');
        return { status, elapsedMs: performance.now() - refusedAt };
      });
      const elsewhere = getOn(`${server.url}/healthz`, false).then((status) => order.push('other connection') && status);
      expect(await elsewhere).toBe(200);
      const held = await again;
      expect(held.status).toBe(200);
      expect(order).toEqual(['other connection', 'same connection']);
      // Held for at least half its Retry-After (spread up to all of it); timers may fire a little
      // early against performance.now(), and a 50 ms margin still proves the hold.
      expect(held.elapsedMs).toBeGreaterThanOrEqual(retryAfterMs / 2 - 50);
      expect(held.elapsedMs).toBeLessThan(retryAfterMs + 1000);
    } finally {
      await done();
    }
  });

  it('refuses user creation and password resets through the admin API the same way, in JSON', async () => {
    const { token } = await adminToken(server);
    const admin = adminFetch(server, token);
    const existing = await makeUser(server.database.db);
    const first = await loginAs(server, clientId, existing.username, 'wrong');
    const second = await loginAs(server, clientId, existing.username, 'wrong');
    const slot = holdEverySlot();
    try {
      const answers = [first.send().answer, second.send().answer];
      await queued(2);
      const created = await admin('POST', '/admin/users', { username: 'flood-newcomer', password: 'a long enough password' });
      expect(created.status).toBe(503);
      expect(created.body).toMatchObject({ error: 'temporarily_unavailable' });
      expect(Number(created.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const reset = await admin('PATCH', `/admin/users/${existing.id}`, { password: 'another long password' });
      expect(reset.status).toBe(503);
      expect((await admin('GET', `/admin/users?username=flood-newcomer`)).body?.items).toEqual([]);
      await slot.release();
      await Promise.all(answers);
    } finally {
      await slot.release();
    }
    // With the line clear, the same calls succeed.
    expect((await admin('POST', '/admin/users', { username: 'flood-newcomer', password: 'a long enough password' })).status).toBe(201);
  });

  it('never starts the hash of a login whose client hung up while it waited, and counts nothing for it', async () => {
    const leaver = await makeUser(server.database.db);
    const stayer = await makeUser(server.database.db);
    const left = await loginAs(server, clientId, leaver.username, 'wrong');
    const stays = await loginAs(server, clientId, stayer.username, 'wrong');
    const goneBefore = await metric('latchkey_password_work_refused_total', '{reason="client_gone"}');
    const slot = holdEverySlot();
    try {
      const leaving = left.send(BROWSER_ACCEPT);
      leaving.answer.catch(() => undefined); // it hangs up below
      await queued(1);
      const staying = stays.send(BROWSER_ACCEPT);
      await queued(2);
      const startedBefore = passwordHashing().load().started;

      leaving.abort();
      // It leaves the line as soon as the server sees the connection close, not when its turn comes.
      await queued(1);
      await slot.release();
      expect((await staying.answer).status).toBe(200);
      // The slot went to the login still wanted: one hash for two logins sent.
      expect(passwordHashing().load().started).toBe(startedBefore + 1);
    } finally {
      await slot.release();
    }
    expect(await failedLogins(server.database.db, leaver.id)).toEqual({ counted: 0, audited: 0 });
    expect(await failedLogins(server.database.db, stayer.id)).toMatchObject({ counted: 1 });
    expect(await metric('latchkey_password_work_refused_total', '{reason="client_gone"}')).toBe(goneBefore + 1);
  });
});

describe('a refused login that came through a trusted proxy (TRUST_PROXY=1)', () => {
  let server: TestServer;
  let clientId: string;

  beforeAll(async () => {
    server = await startTestServer({ ...SETTINGS, TRUST_PROXY: '1' });
    clientId = (await makeClient(server.database.db, { redirectUris: [REDIRECT] })).clientId;
  });
  afterAll(async () => server?.stop());

  it("never holds the proxy's connection: it carries other people's requests", async () => {
    const { refused, connection, done } = await refusedOnKeptConnection(server, clientId, { 'x-forwarded-for': '203.0.113.9' });
    try {
      expect(refused.status).toBe(503);
      const halfTheHold = Number(refused.headers['retry-after']) * 500;
      const order: string[] = [];
      const holdWouldEnd = new Promise<void>((resolve) => setTimeout(() => resolve(void order.push('hold would end')), halfTheHold));
      // Someone else's request, sent by the proxy on the same connection right after.
      const next = getOn(`${server.url}/healthz`, connection).then((status) => order.push('next request answered') && status);
      expect(await next).toBe(200);
      await holdWouldEnd;
      expect(order).toEqual(['next request answered', 'hold would end']);
    } finally {
      await done();
    }
  });
});

describe('closing while password work waits', () => {
  it('lets admitted work finish (its client gone or not), answers what waits with 503, and resolves only when no handler is left', async () => {
    // The database is the test's, so it stays open after the server: it shows what landed before close() resolved.
    const database = await createTestDatabase();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const server = await startTestServer(SETTINGS, database.handle);
    try {
      const { db } = database.handle;
      const { clientId } = await makeClient(db, { redirectUris: [REDIRECT] });
      const admittedUser = await makeUser(db);
      const waitingUser = await makeUser(db);
      const admitted = await loginAs(server, clientId, admittedUser.username, 'wrong');
      const waiting = await loginAs(server, clientId, waitingUser.username, 'wrong');

      const slot = holdEverySlot();
      const admittedPost = admitted.send(BROWSER_ACCEPT);
      admittedPost.answer.catch(() => undefined); // hangs up below
      await queued(1);
      const waitingPost = waiting.send(BROWSER_ACCEPT);
      await queued(2);

      // The moment the slot passes to the first login (admitted: its hash has its slot), its
      // client hangs up and the server begins to close, with the second login still in line.
      let closing: Promise<void> | undefined;
      const stop = passwordHashing().observe((load) => {
        if (closing || load.queued !== 1) return;
        admittedPost.abort();
        closing = server.close();
      });
      await slot.release();
      stop();
      expect(closing).toBeDefined();

      const refused = await waitingPost.answer;
      expect(refused.status).toBe(503);
      expect(refused.headers.connection).toBe('close');
      expect(refused.body).toContain('Busy right now');
      await closing;

      // By the time close() resolved, the admitted login (client gone) had done all its work:
      // its failure counted and audited. Without the wait, it would run against a closed pool.
      expect(await failedLogins(db, admittedUser.id)).toEqual({ counted: 1, audited: 1 });
      expect(await failedLogins(db, waitingUser.id)).toEqual({ counted: 0, audited: 0 });
      expect(passwordHashing().load()).toMatchObject({ running: 0, queued: 0 });
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await server.close();
      await database.destroy();
    }
  });
});
