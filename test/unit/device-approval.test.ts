import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActiveSession } from '../../src/browser/session-store.js';
import { SIGN_IN_STEPS } from '../../src/login/steps.js';
import { firstUnmetPrompt } from '../../src/oauth/authorize/policy.js';
import type { SignInState } from '../../src/oauth/authorize/prompt.js';
import { recheckDeviceRequest, type DeviceSignInRequest } from '../../src/oauth/device/approval.js';
import { userCodeErrorText } from '../../src/oauth/device/pages.js';
import { testUi } from '../helpers/page-ui.js';

const USER_CODE_ERRORS = { malformed: userCodeErrorText(testUi(), 'malformed'), unusable: userCodeErrorText(testUi(), 'unusable') };
import { makeClient, makeUser } from '../helpers/fixtures.js';
import { hiddenField } from '../helpers/http-agent.js';
import { injectableApp, type InjectableApp } from './app.js';
import { testClient } from './support.js';
import { Jar } from '../helpers/inject-cookie-jar.js';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const NOW = new Date('2030-01-01T12:00:00Z');
const SESSION: ActiveSession = { id: 'session-1', userId: 'user-1', authTime: NOW, amr: ['pwd'] };

interface CheckRow {
  name: string;
  kind?: string;
  session?: boolean;
  thirdParty?: boolean;
  remembered?: boolean;
  completedNow?: string;
  expected: string;
}

/** Which step a device sign-in (and, for contrast, a code sign-in) is sent to next. */
const CHECKS: CheckRow[] = [
  { name: 'device, no session: login first', expected: 'login/no_session' },
  { name: 'device, no session, third-party: login first', thirdParty: true, expected: 'login/no_session' },
  { name: 'device, session, first-party: still always the approval page', session: true, expected: 'device_approval/device_not_approved' },
  { name: 'device, session, third-party, no consent: consent before approval', session: true, thirdParty: true, expected: 'consent/scopes_not_granted' },
  { name: 'device, third-party, consent given just now: the approval page', session: true, thirdParty: true, completedNow: 'consent', expected: 'device_approval/device_not_approved' },
  { name: 'device, third-party, consent remembered: the approval page', session: true, thirdParty: true, remembered: true, expected: 'device_approval/device_not_approved' },
  { name: 'device, approved just now: the final step', session: true, completedNow: 'device_approval', expected: 'final' },
  { name: 'device, third-party, remembered, approved just now: the final step', session: true, thirdParty: true, remembered: true, completedNow: 'device_approval', expected: 'final' },
  { name: 'authorization code, session: the device step asks nothing', kind: 'authorization_code', session: true, expected: 'final' },
  { name: 'authorization code, third-party, consent given just now', kind: 'authorization_code', session: true, thirdParty: true, completedNow: 'consent', expected: 'final' },
];

function stateOf(row: CheckRow): SignInState {
  return {
    kind: row.kind ?? DEVICE_GRANT,
    request: { clientId: 'app', scope: 'openid profile' },
    client: testClient({ thirdParty: row.thirdParty ?? false, grantTypes: [DEVICE_GRANT] }),
    session: row.session ? SESSION : undefined,
    completedNow: row.completedNow,
    now: NOW,
    rememberedConsent: async () => row.remembered ?? false,
    enrolledFactors: async () => [],
  };
}

describe('the device approval step (RFC 8628 3.3)', () => {
  it.each(CHECKS)('$name → $expected', async (row) => {
    const unmet = await firstUnmetPrompt(SIGN_IN_STEPS, stateOf(row));
    expect(unmet ? `${unmet.prompt.name}/${unmet.check.reason}` : 'final').toBe(row.expected);
  });

  const parked: DeviceSignInRequest = { clientId: 'app', scope: 'openid profile offline_access', deviceAuthorizationId: 'id', userCode: 'BCDF-GHJK' };
  it.each([
    ['the client as it was', { grantTypes: [DEVICE_GRANT] as never, scopes: ['openid', 'profile', 'offline_access'] }, 'ok openid profile offline_access'],
    ['a scope removed: dropped', { grantTypes: [DEVICE_GRANT] as never, scopes: ['openid', 'profile'] }, 'ok openid profile'],
    ['every scope removed: refused', { grantTypes: [DEVICE_GRANT] as never, scopes: ['email'] }, 'refused invalid_scope'],
    ['the device grant removed: refused', { grantTypes: ['authorization_code'] as never, scopes: ['openid', 'profile', 'offline_access'] }, 'refused unauthorized_client'],
  ])('recheck: %s', (_name, client, expected) => {
    const result = recheckDeviceRequest(parked, testClient(client));
    expect(result.ok ? `ok ${result.request.scope}` : `refused ${result.redirectable ? result.error : result.page}`).toBe(expected);
  });
});

describe('the device pages over inject: /device, the sign-in loop, /device/approve', () => {
  let subject: InjectableApp;
  let user: Awaited<ReturnType<typeof makeUser>>;
  let tv: string;
  let thirdPartyTv: string;

  beforeAll(async () => {
    subject = await injectableApp({ RATE_LIMIT_LOGIN: '1000', RATE_LIMIT_DEVICE: '1000', RATE_LIMIT_TOKEN: '0' });
    user = await makeUser(subject.db);
    const device = { type: 'public', grantTypes: [DEVICE_GRANT], scopes: ['openid', 'profile'] };
    tv = (await makeClient(subject.db, { name: 'Living-room TV', ...device })).clientId;
    thirdPartyTv = (await makeClient(subject.db, { name: 'Their TV', thirdParty: true, ...device })).clientId;
  });
  afterAll(async () => subject?.close());

  const get = (jar: Jar, url: string) => subject.app.inject({ method: 'GET', url, headers: { cookie: jar.header() } }).then((r) => jar.keep(r));
  const post = (jar: Jar, url: string, fields: Record<string, string>) =>
    subject.app
      .inject({ method: 'POST', url, headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString() })
      .then((r) => jar.keep(r));
  const startDevice = async (clientId = tv) => {
    const response = await subject.app.inject({ method: 'POST', url: '/device_authorization', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `client_id=${clientId}` });
    return response.json<{ device_code: string; user_code: string }>();
  };
  const poll = async (deviceCode: string, clientId = tv) => {
    const response = await subject.app.inject({
      method: 'POST',
      url: '/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ grant_type: DEVICE_GRANT, client_id: clientId, device_code: deviceCode }).toString(),
    });
    return response.json<{ error?: string; access_token?: string }>();
  };
  /** The code form, then the code: where the loop sends the browser first. */
  const enterCode = async (jar: Jar, userCode: string) => {
    const form = await get(jar, '/device');
    const entered = await post(jar, '/device', { csrf_token: hiddenField(form.body, 'csrf_token'), user_code: userCode });
    expect(entered.statusCode).toBe(303);
    expect(entered.headers.location).toMatch(/^\/authorize\/resume\?request_id=[A-Za-z0-9_-]{32}$/);
    return get(jar, entered.headers.location as string);
  };
  const logIn = async (jar: Jar, loginLocation: string) => {
    const page = await get(jar, loginLocation);
    const done = await post(jar, '/login', { csrf_token: hiddenField(page.body, 'csrf_token'), request_id: hiddenField(page.body, 'request_id'), username: user.username, password: user.password });
    expect(done.statusCode).toBe(303);
    return get(jar, done.headers.location as string);
  };

  it('GET /device: the form, no-store, CSP, a CSRF cookie; ?user_code= fills it in, never submits it', async () => {
    const jar = new Jar();
    const page = await get(jar, '/device');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['content-security-policy']).toContain("form-action 'self';");
    expect(page.body).toContain('name="user_code" value=""');
    expect(jar.cookies.size).toBe(1);
    const prefilled = await get(jar, '/device?user_code=bcdf-ghjk');
    expect(prefilled.body).toContain('name="user_code" value="BCDF-GHJK"');
    expect(prefilled.body).not.toMatch(/<script|http-equiv/i);
    const hostile = await get(jar, '/device?user_code=%22%3E%3Cscript%3E');
    expect(hostile.statusCode).toBe(200);
    expect(hostile.body).not.toContain('<script>');
    expect((await get(jar, '/device?user_code=a&user_code=b')).statusCode).toBe(200);
  });

  it('POST /device: bad CSRF 403; a malformed code 400 with the format hint; unknown, used or answered codes 400 with one sentence', async () => {
    const jar = new Jar();
    const csrf = hiddenField((await get(jar, '/device')).body, 'csrf_token');
    expect((await post(new Jar(), '/device', { csrf_token: csrf, user_code: 'BCDF-GHJK' })).statusCode).toBe(403);
    expect((await post(jar, '/device', { csrf_token: 'x'.repeat(43), user_code: 'BCDF-GHJK' })).statusCode).toBe(403);
    const malformed = await post(jar, '/device', { csrf_token: csrf, user_code: 'BCDF-GHJ1' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.body).toContain(USER_CODE_ERRORS.malformed);
    const unknown = await post(jar, '/device', { csrf_token: csrf, user_code: 'bcdf ghjk' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.body).toContain(USER_CODE_ERRORS.unusable);
    expect(unknown.body).toContain('value="BCDF-GHJK"');
    const repeated = await subject.app.inject({
      method: 'POST',
      url: '/device',
      headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: `csrf_token=${csrf}&user_code=a&user_code=b`,
    });
    expect(repeated.statusCode).toBe(403);
  });

  it('no session → login → the approval page (code, client, scopes) → Allow: "Device connected", and the device gets its tokens', async () => {
    const { device_code: deviceCode, user_code: userCode } = await startDevice();
    expect((await poll(deviceCode)).error).toBe('authorization_pending');
    const jar = new Jar();
    const toLogin = await enterCode(jar, userCode.toLowerCase().replace('-', ' '));
    expect(toLogin.statusCode).toBe(303);
    expect(toLogin.headers.location).toMatch(/^\/login\?request_id=/);
    const toApproval = await logIn(jar, toLogin.headers.location as string);
    expect(toApproval.statusCode).toBe(303);
    expect(toApproval.headers.location).toMatch(/^\/device\/approve\?request_id=[A-Za-z0-9_-]{32}$/);
    const page = await get(jar, toApproval.headers.location as string);
    expect(page.statusCode).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['content-security-policy']).toContain("form-action 'self';");
    expect(page.body).toContain(`<p class="user-code">${userCode}</p>`);
    expect(page.body).toContain('Living-room TV');
    expect(page.body).toContain('<code>profile</code>');
    expect(page.body).toContain('action="/device/approve"');
    const fields = { csrf_token: hiddenField(page.body, 'csrf_token'), request_id: hiddenField(page.body, 'request_id') };
    expect((await post(new Jar(), '/device/approve', { ...fields, decision: 'allow' })).statusCode).toBe(403);
    expect((await poll(deviceCode)).error).toBe('slow_down');

    const allowed = await post(jar, '/device/approve', { ...fields, decision: 'allow' });
    expect(allowed.statusCode).toBe(200);
    expect(allowed.body).toContain('<h1>Device connected</h1>');
    subject.clock.advance(60_000);
    expect((await poll(deviceCode)).access_token).toEqual(expect.any(String));
    const audit = await subject.db.selectFrom('audit_events').select(['type', 'user_id']).where('type', '=', 'device_authorization_approved').where('client_id', '=', tv).execute();
    expect(audit).toEqual([{ type: 'device_authorization_approved', user_id: user.id }]);

    // Back to the page afterwards: the parked request is gone.
    expect((await get(jar, toApproval.headers.location as string)).statusCode).toBe(400);
  });

  it('a signed-in browser goes straight to the approval page; Deny: "Request denied", and the device gets access_denied', async () => {
    const jar = new Jar();
    const first = await startDevice();
    await logIn(jar, (await enterCode(jar, first.user_code)).headers.location as string);
    const { device_code: deviceCode, user_code: userCode } = await startDevice();
    const toApproval = await enterCode(jar, userCode);
    expect(toApproval.headers.location).toMatch(/^\/device\/approve\?/);
    const page = await get(jar, toApproval.headers.location as string);
    const denied = await post(jar, '/device/approve', { csrf_token: hiddenField(page.body, 'csrf_token'), request_id: hiddenField(page.body, 'request_id'), decision: 'deny' });
    expect(denied.statusCode).toBe(200);
    expect(denied.body).toContain('<h1>Request denied</h1>');
    expect((await poll(deviceCode)).error).toBe('access_denied');
  });

  it('a code answered in another tab: the second answer gets "Code not valid or expired"', async () => {
    const jar = new Jar();
    const { user_code: userCode } = await startDevice();
    await logIn(jar, (await enterCode(jar, userCode)).headers.location as string);
    const tabs = [];
    for (let i = 0; i < 2; i++) {
      const page = await get(jar, (await enterCode(jar, userCode)).headers.location as string);
      tabs.push({ csrf_token: hiddenField(page.body, 'csrf_token'), request_id: hiddenField(page.body, 'request_id') });
    }
    expect((await post(jar, '/device/approve', { ...tabs[0]!, decision: 'allow' })).statusCode).toBe(200);
    const late = await post(jar, '/device/approve', { ...tabs[1]!, decision: 'deny' });
    expect(late.statusCode).toBe(400);
    expect(late.body).toContain('<h1>Code not valid or expired</h1>');
    // And the code itself is no longer accepted at /device.
    const csrf = hiddenField((await get(jar, '/device')).body, 'csrf_token');
    expect((await post(jar, '/device', { csrf_token: csrf, user_code: userCode })).statusCode).toBe(400);
  });

  it('a third-party client: consent first, then always the approval page', async () => {
    const jar = new Jar();
    const { device_code: deviceCode, user_code: userCode } = await startDevice(thirdPartyTv);
    const toConsent = await logIn(jar, (await enterCode(jar, userCode)).headers.location as string);
    expect(toConsent.headers.location).toMatch(/^\/consent\?request_id=/);
    const consent = await get(jar, toConsent.headers.location as string);
    const consented = await post(jar, '/consent', { csrf_token: hiddenField(consent.body, 'csrf_token'), request_id: hiddenField(consent.body, 'request_id'), decision: 'allow' });
    expect(consented.statusCode).toBe(303);
    expect(consented.headers.location).toMatch(/^\/device\/approve\?request_id=/);
    const page = await get(jar, consented.headers.location as string);
    const allowed = await post(jar, '/device/approve', { csrf_token: hiddenField(page.body, 'csrf_token'), request_id: hiddenField(page.body, 'request_id'), decision: 'allow' });
    expect(allowed.body).toContain('<h1>Device connected</h1>');
    subject.clock.advance(60_000);
    expect((await poll(deviceCode, thirdPartyTv)).access_token).toEqual(expect.any(String));
  });

  it('/device/approve refuses what is not a parked device sign-in', async () => {
    const jar = new Jar();
    for (const id of ['A'.repeat(32), 'nope', '']) expect((await get(jar, `/device/approve?request_id=${id}`)).statusCode).toBe(400);
    const csrf = hiddenField((await get(jar, '/device')).body, 'csrf_token');
    expect((await post(jar, '/device/approve', { csrf_token: csrf, request_id: 'A'.repeat(32), decision: 'allow' })).statusCode).toBe(400);
  });
});

describe('RATE_LIMIT_DEVICE (inject)', () => {
  let subject: InjectableApp;
  beforeAll(async () => {
    subject = await injectableApp({ RATE_LIMIT_DEVICE: '2' });
  });
  afterAll(async () => subject?.close());

  it('counts POST /device and GET /device?user_code=, answers an HTML 429 with Retry-After, and leaves the bare form alone', async () => {
    const hit = () => subject.app.inject({ method: 'GET', url: '/device?user_code=BCDF-GHJK' });
    expect((await hit()).statusCode).toBe(200);
    expect((await subject.app.inject({ method: 'POST', url: '/device', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'user_code=x' })).statusCode).toBe(403);
    const limited = await hit();
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await subject.app.inject({ method: 'GET', url: '/device' })).statusCode).toBe(200);
  });
});
