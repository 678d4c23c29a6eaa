import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { passwordHashing } from '../../src/users/password.js';
import type { LimitLoad } from '../../src/users/concurrency-limit.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { BrowserAgent } from '../helpers/http-agent.js';
import { openLoginForm } from '../helpers/login-form.js';
import { waitUntil } from '../helpers/wait-until.js';

// Issue 12: each argon2 hash holds 19 MiB; PASSWORD_HASH_CONCURRENCY bounds how many run at once,
// however many logins arrive together.

const REDIRECT = 'https://app.example.com/callback';
const BOUND = 2;
const LOGINS = 8;

describe('argon2 work under many simultaneous logins', () => {
  let server: TestServer;
  let clientId: string;

  beforeAll(async () => {
    server = await startTestServer({ PASSWORD_HASH_CONCURRENCY: String(BOUND), RATE_LIMIT_LOGIN: '0' });
    clientId = (await makeClient(server.database.db, { redirectUris: [REDIRECT] })).clientId;
  });
  afterAll(async () => server?.stop());

  const gauge = async (state: string) => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    return Number(new RegExp(`^latchkey_password_hashes\\{state="${state}"\\} (\\d+)$`, 'm').exec(text)?.[1]);
  };

  it(`runs at most PASSWORD_HASH_CONCURRENCY (${BOUND}) hashes at once, queues the rest, and signs every user in`, async () => {
    const hashing = passwordHashing();
    expect(hashing.limit).toBe(BOUND);
    const users = await Promise.all(Array.from({ length: LOGINS }, () => makeUser(server.database.db)));
    const browsers = users.map(() => new BrowserAgent(server.url));
    const forms = await Promise.all(browsers.map((browser) => openLoginForm(browser, server.url, clientId, REDIRECT)));

    const seen: LimitLoad[] = [];
    const stopObserving = hashing.observe((load) => seen.push(load));
    // The test holds every slot first, so all the logins below must wait for one: the contention
    // is built, not hoped for from timing.
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const holders = Array.from({ length: BOUND }, () => hashing.run(() => gate));
    try {
      const logins = users.map((user, i) =>
        browsers[i]!.submit('/login', { csrf_token: forms[i]!.csrf, request_id: forms[i]!.requestId, username: user.username, password: user.password }),
      );
      await waitUntil(() => hashing.load().queued === LOGINS, { timeoutMs: 10_000, intervalMs: 20, what: `${LOGINS} logins waiting for an argon2 slot` });
      // Operators see the same thing.
      expect([await gauge('running'), await gauge('queued'), await gauge('limit')]).toEqual([BOUND, LOGINS, BOUND]);

      openGate();
      await Promise.all(holders);
      const results = await Promise.all(logins);
      for (const result of results) expect(new URL(result.leftTo ?? 'about:blank').searchParams.get('code')).toBeTruthy();
    } finally {
      openGate();
      stopObserving();
    }
    expect(Math.max(...seen.map((load) => load.running))).toBe(BOUND);
    expect(Math.max(...seen.map((load) => load.queued))).toBe(LOGINS);
    // Every login took a slot once: a queued login entered, and each later left it.
    expect(seen.filter((load, i) => i > 0 && load.queued > seen[i - 1]!.queued)).toHaveLength(LOGINS);
    expect(hashing.load()).toMatchObject({ running: 0, queued: 0, limit: BOUND });
  });

  it('lets a wrong username through a bound of one: its throwaway hash is made before its verification takes the slot', async () => {
    // A separate server in this process replaces the process-wide bound.
    const single = await startTestServer({ PASSWORD_HASH_CONCURRENCY: '1', RATE_LIMIT_LOGIN: '0' });
    try {
      const { clientId: singleClient } = await makeClient(single.database.db, { redirectUris: [REDIRECT] });
      expect(passwordHashing().limit).toBe(1);
      const browser = new BrowserAgent(single.url);
      const form = await openLoginForm(browser, single.url, singleClient, REDIRECT);
      const result = await browser.submit('/login', { csrf_token: form.csrf, request_id: form.requestId, username: 'nobody-here', password: 'whatever' });
      expect(result.leftTo).toBeUndefined();
      expect(result.response.status).toBe(200);
      expect(await result.response.text()).toContain('name="password"');
    } finally {
      await single.stop();
    }
  });
});
