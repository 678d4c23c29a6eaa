import { describe, expect, it } from 'vitest';
import type { ActiveSession } from '../../src/browser/session-store.js';
import type { Client } from '../../src/clients/store.js';
import { firstUnmetPrompt } from '../../src/oauth/authorize/policy.js';
import type { SignInRequest, SignInState } from '../../src/oauth/authorize/prompt.js';
import { SIGN_IN_STEPS } from '../../src/login/steps.js';
import { testClient } from '../unit/support.js';

const NOW = new Date('2030-01-01T12:00:00Z');
const MINUTE = 60_000;

function client(thirdParty: boolean): Client {
  return testClient({ clientId: 'client-1', type: 'public', tokenEndpointAuthMethod: 'none', redirectUris: ['https://app.example/cb'], grantTypes: ['authorization_code'], scopes: ['openid', 'profile'], thirdParty });
}

const session = (signedInMinutesAgo: number, id = 'session-1', amr = ['pwd']): ActiveSession => ({ id, userId: 'user-1', authTime: new Date(NOW.getTime() - signedInMinutesAgo * MINUTE), amr });
/** A session that presented a password and a TOTP code (users/assurance.ts: level 2). */
const twoFactorSession = (signedInMinutesAgo: number, id = 'session-1') => session(signedInMinutesAgo, id, ['pwd', 'otp', 'mfa']);

interface Row {
  name: string;
  session?: ActiveSession;
  request?: Partial<SignInRequest>;
  thirdParty?: boolean;
  /** The session whose login was made for the parked request. */
  loginSessionId?: string;
  completedNow?: string;
  remembered?: boolean;
  /** The second-factor kinds the user has enrolled (none by default). */
  factors?: string[];
  /** The client was registered with --require-mfa. */
  requireMfa?: boolean;
  /** "prompt/check reason", or "final" when nothing is left to ask. */
  expected: string;
}

const TABLE: Row[] = [
  { name: 'no session', expected: 'login/no_session' },
  { name: 'no session, prompt=none (the loop answers login_required)', request: { prompt: 'none' }, expected: 'login/no_session' },
  { name: 'no session, third-party client: login comes first', thirdParty: true, expected: 'login/no_session' },
  { name: 'session, first-party client', session: session(5), expected: 'final' },
  { name: 'session, prompt=none, nothing to ask', session: session(5), request: { prompt: 'none' }, expected: 'final' },
  { name: 'prompt=login with an older session', session: session(5), request: { prompt: 'login' }, expected: 'login/login_prompt' },
  { name: 'prompt=login, logged in for this very request', session: session(0), request: { prompt: 'login' }, loginSessionId: 'session-1', expected: 'final' },
  { name: 'prompt=login, the login was for another session', session: session(0), request: { prompt: 'login' }, loginSessionId: 'session-0', expected: 'login/login_prompt' },
  { name: 'max_age exceeded', session: session(10), request: { maxAge: 60 }, expected: 'login/max_age' },
  { name: 'max_age not exceeded', session: session(10), request: { maxAge: 3600 }, expected: 'final' },
  { name: 'max_age=0, logged in for this very request', session: session(1), request: { maxAge: 0 }, loginSessionId: 'session-1', expected: 'final' },
  { name: 'third-party client, no consent yet', session: session(5), thirdParty: true, remembered: false, expected: 'consent/scopes_not_granted' },
  { name: 'third-party client, consent remembered', session: session(5), thirdParty: true, remembered: true, expected: 'final' },
  { name: 'third-party client, consent given just now', session: session(5), thirdParty: true, remembered: false, completedNow: 'consent', expected: 'final' },
  { name: 'prompt=consent, first-party client', session: session(5), request: { prompt: 'consent' }, remembered: true, expected: 'consent/consent_prompt' },
  { name: 'prompt=consent, consent given just now', session: session(5), request: { prompt: 'consent' }, completedNow: 'consent', expected: 'final' },
  { name: 'prompt=login and prompt-worthy consent: login first', session: session(5), request: { prompt: 'login' }, thirdParty: true, expected: 'login/login_prompt' },
  // Second factors (issue 13): a user who has one presents it on every sign-in.
  { name: 'password only, user has TOTP', session: session(1), factors: ['totp'], expected: 'second_factor/second_factor_pending' },
  { name: 'password only, user has TOTP, prompt=none', session: session(1), factors: ['totp'], request: { prompt: 'none' }, expected: 'second_factor/second_factor_pending' },
  { name: 'password and TOTP', session: twoFactorSession(1), factors: ['totp'], expected: 'final' },
  { name: 'password and TOTP, prompt=login: the password first', session: twoFactorSession(5), factors: ['totp'], request: { prompt: 'login' }, expected: 'login/login_prompt' },
  { name: 'password and TOTP, max_age exceeded: the password first', session: twoFactorSession(10), factors: ['totp'], request: { maxAge: 60 }, expected: 'login/max_age' },
  { name: 'no session, user has TOTP: the password first', factors: ['totp'], expected: 'login/no_session' },
  { name: 'acr_values loa:2, level-1 session, user has TOTP: step up, no new password', session: session(5), factors: ['totp'], request: { acrValues: ['urn:latchkey:loa:2'] }, expected: 'second_factor/second_factor_pending' },
  { name: 'acr_values loa:2, user has no factor: enrol', session: session(5), request: { acrValues: ['urn:latchkey:loa:2'] }, expected: 'second_factor_enrolment/second_factor_not_enrolled' },
  { name: 'acr_values loa:2, level-2 session', session: twoFactorSession(5), factors: ['totp'], request: { acrValues: ['urn:latchkey:loa:2'] }, expected: 'final' },
  { name: 'acr_values that accept loa:1 too', session: session(5), request: { acrValues: ['urn:latchkey:loa:2', 'urn:latchkey:loa:1'] }, expected: 'final' },
  { name: 'acr_values of unknown levels only', session: session(5), request: { acrValues: ['urn:example:gold'] }, expected: 'final' },
  { name: 'client requires MFA, user has no factor: enrol', session: session(5), requireMfa: true, expected: 'second_factor_enrolment/second_factor_not_enrolled' },
  { name: 'client requires MFA, acr_values loa:1 cannot lower it', session: session(5), requireMfa: true, request: { acrValues: ['urn:latchkey:loa:1'] }, expected: 'second_factor_enrolment/second_factor_not_enrolled' },
  { name: 'client requires MFA, passkey-only session (hwk, mfa) is level 2', session: session(5, 'session-1', ['hwk', 'mfa']), requireMfa: true, expected: 'final' },
];

function stateOf(row: Row, consentReads: string[]): SignInState {
  return {
    kind: 'authorization_code',
    request: { clientId: 'client-1', scope: 'openid profile', ...row.request },
    client: { ...client(row.thirdParty ?? false), requireMfa: row.requireMfa ?? false },
    session: row.session,
    pending: row.loginSessionId === undefined ? undefined : { id: 'req-1', createdAt: NOW, loginSessionId: row.loginSessionId },
    completedNow: row.completedNow,
    now: NOW,
    rememberedConsent: async (userId) => {
      consentReads.push(userId);
      return row.remembered ?? false;
    },
    enrolledFactors: async () => row.factors ?? [],
  };
}

describe('the sign-in policy (registered steps, in order)', () => {
  it('registers login, the second factor and its enrolment before consent, then the device approval, each with named checks and a page', () => {
    expect(SIGN_IN_STEPS.map((step) => [step.name, step.path, step.checks.map((c) => c.reason)])).toEqual([
      ['login', '/login', ['no_session', 'login_prompt', 'max_age']],
      ['second_factor', '/login/second-factor', ['second_factor_pending']],
      ['second_factor_enrolment', '/login/enrol', ['second_factor_not_enrolled']],
      ['consent', '/consent', ['consent_prompt', 'scopes_not_granted']],
      ['device_approval', '/device/approve', ['device_not_approved']],
    ]);
  });

  it.each(TABLE)('$name → $expected', async (row) => {
    const unmet = await firstUnmetPrompt(SIGN_IN_STEPS, stateOf(row, []));
    expect(unmet ? `${unmet.prompt.name}/${unmet.check.reason}` : 'final').toBe(row.expected);
  });

  it('names the prompt=none error of each check (OIDC Core 3.1.2.6)', () => {
    const errors = SIGN_IN_STEPS.flatMap((step) => step.checks.map((check) => `${step.name}:${check.error}`));
    expect(new Set(errors)).toEqual(
      new Set([
        'login:login_required',
        'second_factor:login_required',
        'second_factor_enrolment:unmet_authentication_requirements',
        'consent:consent_required',
        'device_approval:interaction_required',
      ]),
    );
  });

  it('reads remembered consent only for a third-party client with a session', async () => {
    const reads: string[] = [];
    await firstUnmetPrompt(SIGN_IN_STEPS, stateOf({ name: 'first party', session: session(1), expected: 'final' }, reads));
    await firstUnmetPrompt(SIGN_IN_STEPS, stateOf({ name: 'no session', thirdParty: true, expected: 'login/no_session' }, reads));
    expect(reads).toEqual([]);
    await firstUnmetPrompt(SIGN_IN_STEPS, stateOf({ name: 'third party', session: session(1), thirdParty: true, expected: '' }, reads));
    expect(reads).toEqual(['user-1']);
  });
});
