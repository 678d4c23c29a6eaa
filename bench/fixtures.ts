import { BrowserAgent, hiddenField } from '../test/helpers/http-agent.js';
import { authorizeParams, authorizeUrl, basicAuth, pkcePair } from '../test/helpers/flow.js';
import { loginTokens, type TokenSet } from '../test/helpers/tokens.js';
import { latchkeyCli } from './server.js';

export const USERNAME = 'bench-user';
export const PASSWORD = 'correct horse battery staple';
export const REDIRECT_URI = 'http://127.0.0.1:9/callback';

export interface Client {
  clientId: string;
  secret: string;
  /** `Authorization: Basic ...` (client_secret_basic). */
  basic: string;
}

export interface Fixtures {
  /** Confidential, client_credentials only. */
  service: Client;
  /** Confidential, authorization_code + refresh_token, offline_access allowed. */
  web: Client;
  /** Confidential resource server that calls /introspect. */
  resourceServer: Client;
}

async function createClient(databaseUrl: string, args: string[]): Promise<Client> {
  const created = await latchkeyCli(databaseUrl, ['client', 'create', '--type', 'confidential', ...args]);
  const clientId = String(created.client_id);
  const secret = String(created.client_secret);
  return { clientId, secret, basic: basicAuth(clientId, secret) };
}

/** Migrates, then creates the user and the clients through the real (compiled) CLI. */
export async function createFixtures(databaseUrl: string): Promise<Fixtures> {
  await latchkeyCli(databaseUrl, ['migrate']);
  const [service, web, resourceServer] = await Promise.all([
    createClient(databaseUrl, ['--name', 'bench service', '--grant-types', 'client_credentials', '--scopes', 'api.read api.write']),
    createClient(databaseUrl, ['--name', 'bench web', '--redirect-uri', REDIRECT_URI]),
    createClient(databaseUrl, ['--name', 'bench resource server', '--grant-types', 'client_credentials', '--scopes', 'introspect']),
    latchkeyCli(databaseUrl, ['user', 'create', '--username', USERNAME, '--email', 'bench@example.test', '--password-stdin'], PASSWORD),
  ]);
  return { service: service!, web: web!, resourceServer: resourceServer! } as Fixtures;
}

/** `count` refresh families, each from its own login through the real pages and a code exchange. */
export async function loginFamilies(issuer: string, web: Client, count: number, parallel = 4): Promise<TokenSet[]> {
  const sets: TokenSet[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        next++;
        sets.push(await loginTokens(issuer, { clientId: web.clientId, secret: web.secret }, REDIRECT_URI, USERNAME, PASSWORD, 'openid profile offline_access'));
      }
    }),
  );
  return sets;
}

/**
 * A pending authorization request and a CSRF cookie, as a browser holds them on the login page.
 * A successful POST /login answers 303 to /authorize/resume and keeps the pending request (it is
 * deleted only when the code is issued there), so one of them serves every POST of the run.
 */
export async function loginForm(issuer: string, web: Client): Promise<{ cookie: string; body: string }> {
  const agent = new BrowserAgent(issuer);
  const page = await agent.navigate(authorizeUrl(issuer, authorizeParams(web.clientId, REDIRECT_URI, pkcePair())));
  const html = await page.response.text();
  if (!html.includes('name="csrf_token"')) throw new Error(`loginForm: no login page but ${page.response.status} ${page.response.url}: ${html.slice(0, 300)}`);
  const body = new URLSearchParams({
    csrf_token: hiddenField(html, 'csrf_token'),
    request_id: hiddenField(html, 'request_id'),
    username: USERNAME,
    password: PASSWORD,
  }).toString();
  return { cookie: agent.cookieHeader(), body };
}
