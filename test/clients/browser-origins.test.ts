import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAllowsOrigin } from '../../src/clients/browser-origins.js';
import { anyClientAllowsOrigin } from '../../src/clients/store.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { makeClient } from '../helpers/fixtures.js';

const spa = { type: 'public' as const, origins: [] as string[], redirectUris: ['https://app.example.com/callback', 'http://127.0.0.1/cb', 'com.example.app:/cb'] };
const registered = { type: 'public' as const, origins: ['https://other.example.com'], redirectUris: ['https://app.example.com/callback'] };
const confidential = { type: 'confidential' as const, origins: [] as string[], redirectUris: ['https://server.example.com/callback'] };

describe('which browser origins a client accepts (clientAllowsOrigin)', () => {
  it.each([
    ['a public client, its redirect URI origin', spa, 'https://app.example.com', true],
    ['a public client, another scheme', spa, 'http://app.example.com', false],
    ['a public client, another port', spa, 'https://app.example.com:8443', false],
    ['a public client, a subdomain', spa, 'https://evil.app.example.com', false],
    ['a public client, a loopback-literal redirect on any port (RFC 8252 7.3)', spa, 'http://127.0.0.1:5173', true],
    ['a public client, localhost is not 127.0.0.1', spa, 'http://localhost:5173', false],
    ['a public client, a native-app scheme is no origin', spa, 'com.example.app:', false],
    ['--origin, as registered', registered, 'https://other.example.com', true],
    ['--origin added to a public client keeps its redirect origins', registered, 'https://app.example.com', true],
    ['a confidential client, its redirect URI origin', confidential, 'https://server.example.com', false],
    ['a confidential client with --origin', { ...confidential, origins: ['https://server.example.com'] }, 'https://server.example.com', true],
  ])('%s', (_name, client, origin, expected) => {
    expect(clientAllowsOrigin(client, origin)).toBe(expected);
  });
});

describe('the union a preflight answers (anyClientAllowsOrigin, in SQL)', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
    const db = database.handle.db;
    await makeClient(db, { type: 'public', redirectUris: ['https://spa.example.com/callback?x=1', 'http://127.0.0.1/cb'] });
    await makeClient(db, { type: 'confidential', redirectUris: ['https://server.example.com/callback'] });
    await makeClient(db, { type: 'confidential', redirectUris: ['https://app.example.net/cb'], origins: ['https://registered.example.com'] });
  });
  afterAll(async () => database?.destroy());

  it.each([
    ['https://spa.example.com', true],
    ['https://spa.example.co', false],
    ['https://spa.example.com.evil.example', false],
    ['http://127.0.0.1:5173', true],
    ['http://127.0.0.1', true],
    ['https://server.example.com', false],
    ['https://registered.example.com', true],
    ['https://app.example.net', false],
    ["https://x.example' or 1=1 --", false],
  ])('%s: %s', async (origin, expected) => {
    expect(await anyClientAllowsOrigin(database.handle.db, origin)).toBe(expected);
  });
});
