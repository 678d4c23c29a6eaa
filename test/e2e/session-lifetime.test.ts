import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { BrowserAgent } from '../helpers/http-agent.js';
import { authorizeParams, authorizeUrl, logIn, pkcePair } from '../helpers/flow.js';
import { ManualClock } from '../helpers/manual-clock.js';

const REDIRECT = 'https://app.example.com/cb';

describe('browser session lifetimes', () => {
  let server: TestServer;
  const clock = new ManualClock();
  let clientId: string;
  let user: Awaited<ReturnType<typeof makeUser>>;
  const url = () => authorizeUrl(server.url, authorizeParams(clientId, REDIRECT, pkcePair()));

  beforeAll(async () => {
    server = await startTestServer({ SESSION_IDLE_TTL: '30m', SESSION_ABSOLUTE_TTL: '2h' }, undefined, { clock });
    user = await makeUser(server.database.db, { username: 'heidi' });
    clientId = (await makeClient(server.database.db, { redirectUris: [REDIRECT] })).clientId;
  });
  afterAll(async () => server?.stop());

  const skipsLogin = async (agent: BrowserAgent) => Boolean((await agent.navigate(url())).leftTo);

  it('ends after the idle lifetime without use', async () => {
    const agent = new BrowserAgent(server.url);
    await logIn(agent, url(), 'heidi', user.password);
    clock.advance((29 * 60) * 1000);
    expect(await skipsLogin(agent)).toBe(true); // use resets the idle timer
    clock.advance((29 * 60) * 1000);
    expect(await skipsLogin(agent)).toBe(true);
    clock.advance((31 * 60) * 1000);
    expect(await skipsLogin(agent)).toBe(false);
  });

  it('ends after the absolute lifetime however active', async () => {
    const agent = new BrowserAgent(server.url);
    await logIn(agent, url(), 'heidi', user.password);
    for (let i = 0; i < 4; i++) {
      clock.advance((25 * 60) * 1000);
      expect(await skipsLogin(agent)).toBe(true);
    }
    clock.advance((25 * 60) * 1000); // 125 minutes in
    expect(await skipsLogin(agent)).toBe(false);
  });

  it('ends when the user is disabled', async () => {
    const agent = new BrowserAgent(server.url);
    await logIn(agent, url(), 'heidi', user.password);
    await server.database.db.updateTable('users').set({ disabled: true }).where('id', '=', user.id).execute();
    expect(await skipsLogin(agent)).toBe(false);
    await server.database.db.updateTable('users').set({ disabled: false }).where('id', '=', user.id).execute();
  });
});
