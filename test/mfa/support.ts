import { Secret, TOTP } from 'otpauth';
import { decodeJwt } from 'jose';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/types.js';
import { withTransaction } from '../../src/db/transaction.js';
import { enrolTotpDirectly } from '../../src/mfa/enrolment.js';
import { secondFactorSettings } from '../../src/mfa/settings.js';
import type { PublicUser } from '../../src/users/store.js';
import { testConfig } from '../helpers/config.js';
import { authorizeParams, authorizeUrl, basicAuth, pkcePair, postForm, type PkcePair } from '../helpers/flow.js';
import { BrowserAgent, hiddenField } from '../helpers/http-agent.js';
import type { ManualClock } from '../helpers/manual-clock.js';

/** A TOTP code computed here from the secret, at the server's (manual) time: what the user's app would show. */
export function totpCode(secret: string, at: number): string {
  return TOTP.generate({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30, timestamp: at });
}

/** The secret inside an otpauth URI. */
export function secretOf(uri: string): string {
  return new URL(uri).searchParams.get('secret')!;
}

/** Turns TOTP on for a user as an operator would (confirmed at once); returns the secret and the recovery codes. */
export async function enrolTotp(db: Kysely<Database>, issuer: string, user: PublicUser, clock: ManualClock) {
  const settings = secondFactorSettings(testConfig({ ISSUER: issuer }));
  const enrolled = await withTransaction(db, (trx) => enrolTotpDirectly(trx, settings, user, new Date(clock.now())));
  if (!enrolled) throw new Error('already enrolled');
  return { secret: secretOf(enrolled.uri), recoveryCodes: enrolled.recoveryCodes, uri: enrolled.uri };
}

/** Moves the manual clock to the start of the next 30 s step, so a fresh code is due. */
export function nextStep(clock: ManualClock): void {
  clock.set((Math.floor(clock.now() / 30_000) + 1) * 30_000 + 1_000);
}

export interface App {
  clientId: string;
  secret: string;
  redirectUri: string;
}

/** Opens /authorize and posts the password; returns where the browser is then (the second-factor page, or the client). */
export async function passwordStep(agent: BrowserAgent, app: App, user: { username: string; password: string }, extra: Record<string, string> = {}) {
  const pkce = pkcePair();
  const start = await agent.navigate(authorizeUrl(agent.issuer, authorizeParams(app.clientId, app.redirectUri, pkce, extra)));
  if (start.leftTo) return { ...start, pkce, body: '' };
  const page = await start.response.text();
  if (!page.includes('name="password"')) return { ...start, pkce, body: page };
  const done = await agent.submit('/login', { csrf_token: hiddenField(page, 'csrf_token'), request_id: hiddenField(page, 'request_id'), username: user.username, password: user.password });
  return { ...done, pkce, body: done.leftTo ? '' : await done.response.text() };
}

/** Posts the `otp` field of a second-factor page. */
export async function submitOtp(agent: BrowserAgent, page: string, otp: string) {
  const done = await agent.submit('/login/second-factor', { csrf_token: hiddenField(page, 'csrf_token'), request_id: hiddenField(page, 'request_id'), otp });
  return { ...done, body: done.leftTo ? '' : await done.response.text() };
}

/** Exchanges the code of a callback URL; returns the decoded ID token and the token response. */
export async function exchange(issuer: string, app: App, callback: string, pkce: PkcePair) {
  const code = new URL(callback).searchParams.get('code');
  if (!code) throw new Error(`no code in ${callback}`);
  const response = await postForm(`${issuer}/token`, { grant_type: 'authorization_code', code, code_verifier: pkce.verifier, redirect_uri: app.redirectUri }, { authorization: basicAuth(app.clientId, app.secret) });
  if (response.status !== 200) throw new Error(`exchange failed: ${response.status} ${await response.text()}`);
  const tokens = (await response.json()) as { id_token: string; refresh_token?: string; access_token: string };
  return { tokens, idToken: decodeJwt(tokens.id_token) };
}

/** Signs in to /account with the password (and the code, when asked); returns the overview page. */
export async function accountSignIn(agent: BrowserAgent, user: { username: string; password: string }, otp?: () => string) {
  let step = await agent.navigate('/account');
  let page = await step.response.text();
  if (page.includes('name="password"') && page.includes('action="/login"')) {
    step = await agent.submit('/login', { csrf_token: hiddenField(page, 'csrf_token'), request_id: hiddenField(page, 'request_id'), username: user.username, password: user.password });
    page = await step.response.text();
  }
  if (page.includes('name="otp"') && page.includes('/login/second-factor')) {
    if (!otp) throw new Error('asked for a second factor');
    step = await agent.submit('/login/second-factor', { csrf_token: hiddenField(page, 'csrf_token'), request_id: hiddenField(page, 'request_id'), otp: otp() });
    page = await step.response.text();
  }
  return { response: step.response, url: step.url, page };
}
