import type { FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { BrowserAgent } from '../helpers/http-agent.js';
import { adminFetch, adminToken } from '../helpers/admin.js';
import { attemptLogin, comparableFailurePage } from '../helpers/login-form.js';
import { usernameSchema } from '../../src/users/schema.js';
import { submittedUsername } from '../../src/http/rate-limits.js';

// Item 17 of issue 10: one username normalisation (NFKC, then ASCII-only, compared without
// case) shared by user creation, login and the per-username rate limit, so they cannot disagree.

const REDIRECT = 'https://app.example.com/callback';
const KELVIN_SIGN = '\u212A';

describe('username normalisation', () => {
  let server: TestServer;
  let clientId: string;
  let kate: Awaited<ReturnType<typeof makeUser>>;

  beforeAll(async () => {
    server = await startTestServer({ RATE_LIMIT_LOGIN: '1000', LOGIN_LOCKOUT_THRESHOLD: '0' });
    kate = await makeUser(server.database.db, { username: 'kate' });
    clientId = (await makeClient(server.database.db, { redirectUris: [REDIRECT] })).clientId;
  });
  afterAll(async () => server?.stop());

  const attempt = (username: string, password = kate.password) => attemptLogin(new BrowserAgent(server.url), server.url, clientId, REDIRECT, username, password);
  const signedIn = (result: { leftTo?: string }) => Boolean(result.leftTo?.startsWith(REDIRECT) && new URL(result.leftTo).searchParams.get('code'));

  /** What user creation would store for this username, lower-cased as uniqueness compares it; undefined when refused. */
  function creationKey(username: string): string | undefined {
    const parsed = usernameSchema.safeParse(username);
    return parsed.success ? parsed.data.toLowerCase() : undefined;
  }

  const VARIANTS = [
    'kate',
    'KATE',
    ` kate `,
    `${KELVIN_SIGN}ate`, // Kelvin sign: NFKC makes it K
    '\uFF4B\uFF41\uFF54\uFF45', // fullwidth ｋａｔｅ: NFKC makes it kate
    'kate\u200B', // zero-width space: not a username creation accepts
    'k\u0430te', // Cyrillic а: a look-alike, not the same name
    'kåte',
    'kate\u0301',
  ];

  it('signs in with a spelling exactly when user creation would store that spelling as the same account', async () => {
    for (const variant of VARIANTS) {
      const sameAccountForCreation = creationKey(variant) === 'kate';
      expect(signedIn(await attempt(variant)), JSON.stringify(variant)).toBe(sameAccountForCreation);
    }
    // The Kelvin sign in particular: creation folds it onto kate, so login may too.
    expect(creationKey(`${KELVIN_SIGN}ate`)).toBe('kate');
  });

  it('refuses to create a second account whose name folds onto an existing one (admin API)', async () => {
    const { token } = await adminToken(server);
    const admin = adminFetch(server, token);
    for (const username of [`${KELVIN_SIGN}ate`, '\uFF4B\uFF41\uFF54\uFF45', 'KATE']) {
      const created = await admin('POST', '/admin/users', { username, password: 'another password entirely' });
      expect(created.status, JSON.stringify(username)).toBe(409);
    }
    const stored = await admin('POST', '/admin/users', { username: `${KELVIN_SIGN}elvin`, password: 'another password entirely' });
    expect(stored.status).toBe(201);
    expect(stored.body?.username).toBe('Kelvin');
  });

  it('refuses a username creation would refuse with the same generic page, and signs nobody in', async () => {
    const pages: string[] = [];
    for (const username of ['nobody-here', 'kate\u200B', 'k\u0430te', 'x'.repeat(65), 'kate kate']) {
      const result = await attempt(username);
      expect(result.leftTo, JSON.stringify(username)).toBeUndefined();
      expect(result.response.status).toBe(200);
      pages.push(comparableFailurePage(result));
    }
    for (const page of pages) expect(page).toBe(pages[0]);
    expect(pages[0]).toContain('Incorrect username or password.');
  });
});

describe('the per-username rate limit key', () => {
  // Pure function beside the HTTP tests: the key the login-user limiter counts under. Every
  // spelling that signs in as kate must share kate's budget, or variants multiply it.
  it('is the same for every spelling that signs in as the same account', () => {
    const key = (username: string) => submittedUsername({ body: { username } } as unknown as FastifyRequest);
    for (const username of ['kate', 'KATE', ' kate ', `${KELVIN_SIGN}ate`, '\uFF4B\uFF41\uFF54\uFF45']) expect(key(username), JSON.stringify(username)).toBe(key('kate'));
    expect(key('k\u0430te')).not.toBe(key('kate'));
    expect(key('kate\u200B')).not.toBe(key('kate'));
  });
});
