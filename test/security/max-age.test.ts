import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { BrowserAgent, hiddenField } from '../helpers/http-agent.js';
import { authorizeParams, authorizeUrl, basicAuth, pkcePair, postForm, type PkcePair } from '../helpers/flow.js';
import { ManualClock } from '../helpers/manual-clock.js';

// Item 16 of issue 10: a login made within the pending request satisfies max_age (and
// prompt=login); it must not send the browser back to /login for ever.

const REDIRECT = 'https://app.example.com/cb';

describe('max_age and prompt=login', () => {
  const clock = new ManualClock();
  let server: TestServer;
  let client: { clientId: string; secret?: string };
  let user: Awaited<ReturnType<typeof makeUser>>;

  beforeAll(async () => {
    server = await startTestServer({ RATE_LIMIT_LOGIN: '1000' }, undefined, { clock });
    user = await makeUser(server.database.db, { username: 'mia' });
    client = await makeClient(server.database.db, { redirectUris: [REDIRECT] });
  });
  afterAll(async () => server?.stop());

  const start = (agent: BrowserAgent, pkce: PkcePair, extra: Record<string, string> = {}) =>
    agent.navigate(authorizeUrl(server.url, authorizeParams(client.clientId, REDIRECT, pkce, extra)));

  /** Posts the login form of the page the browser was shown; returns where the browser ends up. */
  async function submitLogin(agent: BrowserAgent, loginPage: Response) {
    expect(loginPage.status).toBe(200);
    const html = await loginPage.text();
    return agent.submit('/login', { csrf_token: hiddenField(html, 'csrf_token'), request_id: hiddenField(html, 'request_id'), username: user.username, password: user.password });
  }

  function codeOf(leftTo: string | undefined): string {
    expect(leftTo, 'the browser should have gone back to the client').toBeDefined();
    const url = new URL(leftTo!);
    expect(`${url.origin}${url.pathname}`).toBe(REDIRECT);
    expect(url.searchParams.get('error')).toBeNull();
    return url.searchParams.get('code')!;
  }

  async function idTokenAuthTime(code: string, pkce: PkcePair): Promise<number> {
    const response = await postForm(
      `${server.url}/token`,
      { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: pkce.verifier },
      { authorization: basicAuth(client.clientId, client.secret!) },
    );
    expect(response.status).toBe(200);
    const { id_token } = (await response.json()) as { id_token: string };
    return decodeJwt(id_token).auth_time as number;
  }

  async function signIn(agent: BrowserAgent) {
    const pkce = pkcePair();
    const first = await start(agent, pkce);
    codeOf((await submitLogin(agent, first.response)).leftTo);
  }

  it('max_age=0 without a session: one login, then a code (no loop back to /login)', async () => {
    const agent = new BrowserAgent(server.url);
    const pkce = pkcePair();
    const first = await start(agent, pkce, { max_age: '0' });
    expect(first.leftTo).toBeUndefined();
    expect(first.url).toContain('/login?request_id=');
    const after = await submitLogin(agent, first.response);
    const loginTime = Math.floor(clock.now() / 1000);
    const authTime = await idTokenAuthTime(codeOf(after.leftTo), pkce);
    expect(Math.abs(authTime - loginTime)).toBeLessThanOrEqual(1);
  });

  it('max_age=0 with an existing session asks for the password once, then returns a code', async () => {
    const agent = new BrowserAgent(server.url);
    await signIn(agent);
    clock.advance(60_000);
    const pkce = pkcePair();
    const again = await start(agent, pkce, { max_age: '0' });
    expect(again.leftTo).toBeUndefined(); // the earlier login is too old for max_age=0
    expect(again.url).toContain('/login?request_id=');
    const after = await submitLogin(agent, again.response);
    const authTime = await idTokenAuthTime(codeOf(after.leftTo), pkce);
    expect(authTime).toBeGreaterThanOrEqual(Math.floor(clock.now() / 1000) - 1);
  });

  it('max_age=0 keeps working through the consent page of a third-party client', async () => {
    const thirdParty = await makeClient(server.database.db, { redirectUris: [REDIRECT], thirdParty: true });
    const agent = new BrowserAgent(server.url);
    const first = await agent.navigate(authorizeUrl(server.url, authorizeParams(thirdParty.clientId, REDIRECT, pkcePair(), { max_age: '0' })));
    const consent = await submitLogin(agent, first.response);
    expect(consent.leftTo).toBeUndefined();
    expect(consent.url).toContain('/consent?request_id=');
    const html = await consent.response.text();
    const after = await agent.submit('/consent', { csrf_token: hiddenField(html, 'csrf_token'), request_id: hiddenField(html, 'request_id'), decision: 'allow' });
    codeOf(after.leftTo);
  });

  it('prompt=login asks for the password once, then returns a code', async () => {
    const agent = new BrowserAgent(server.url);
    await signIn(agent);
    clock.advance(1000);
    const again = await start(agent, pkcePair(), { prompt: 'login' });
    expect(again.leftTo).toBeUndefined();
    codeOf((await submitLogin(agent, again.response)).leftTo);
  });

  it('a session older than max_age forces a login; a younger one does not', async () => {
    const agent = new BrowserAgent(server.url);
    await signIn(agent);
    clock.advance(120_000);
    const young = await start(agent, pkcePair(), { max_age: '600' });
    codeOf(young.leftTo);
    const old = await start(agent, pkcePair(), { max_age: '60' });
    expect(old.leftTo).toBeUndefined();
    expect(old.url).toContain('/login?request_id=');
    codeOf((await submitLogin(agent, old.response)).leftTo);
  });

  it('a login made for one pending request does not satisfy max_age=0 of another', async () => {
    const agent = new BrowserAgent(server.url);
    const a = await start(agent, pkcePair(), { max_age: '0' });
    const aRequestId = new URL(a.url).searchParams.get('request_id')!;
    expect(aRequestId).toBeTruthy();
    const b = await start(agent, pkcePair(), { max_age: '0' });
    codeOf((await submitLogin(agent, b.response)).leftTo);
    const resumedA = await agent.navigate(`/authorize/resume?request_id=${aRequestId}`);
    expect(resumedA.leftTo).toBeUndefined();
    expect(resumedA.url).toContain(`/login?request_id=${aRequestId}`);
  });
});
