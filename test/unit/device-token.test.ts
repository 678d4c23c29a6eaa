import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { updateClient } from '../../src/clients/store.js';
import { decideDeviceAuthorization } from '../../src/oauth/device/store.js';
import { makeClient, makeUser, testClientMetadata } from '../helpers/fixtures.js';
import { injectableApp, type InjectableApp } from './app.js';

const ISSUER = 'https://issuer.example';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const SECOND = 1000;

interface Issued {
  device_code: string;
  user_code: string;
  interval: number;
  expires_in: number;
}

/** POST /token with the device grant (RFC 8628 3.4-3.5) over inject: every answer a polling device can get. */
describe('device code at /token (inject)', () => {
  let subject: InjectableApp;
  let tv: string;
  let otherTv: string;
  let user: Awaited<ReturnType<typeof makeUser>>;

  beforeAll(async () => {
    subject = await injectableApp({ ISSUER, RATE_LIMIT_TOKEN: '0' });
    const { db } = subject;
    user = await makeUser(db);
    const device = { type: 'public', grantTypes: [DEVICE_GRANT, 'refresh_token'], scopes: ['openid', 'profile', 'offline_access'] };
    tv = (await makeClient(db, { name: 'TV', ...device })).clientId;
    otherTv = (await makeClient(db, { name: 'Other TV', ...device })).clientId;
  });
  afterAll(async () => subject?.close());

  const now = () => new Date(subject.clock.now());
  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  const authorize = async (clientId = tv, scope?: string): Promise<Issued & { id: string }> => {
    const response = await subject.app.inject({ method: 'POST', url: '/device_authorization', headers: FORM, payload: form({ client_id: clientId, ...(scope ? { scope } : {}) }) });
    expect(response.statusCode).toBe(200);
    const issued = response.json<Issued>();
    const row = await subject.db.selectFrom('device_authorizations').select('id').orderBy('created_at', 'desc').where('client_id', '=', clientId).executeTakeFirstOrThrow();
    return { ...issued, id: row.id };
  };
  const poll = (deviceCode: string | undefined, clientId = tv) =>
    subject.app.inject({
      method: 'POST',
      url: '/token',
      headers: FORM,
      payload: form({ grant_type: DEVICE_GRANT, client_id: clientId, ...(deviceCode === undefined ? {} : { device_code: deviceCode }) }),
    });
  const errorOf = async (deviceCode: string | undefined, clientId = tv) => {
    const response = await poll(deviceCode, clientId);
    expect(response.headers['cache-control']).toBe('no-store');
    return `${response.statusCode} ${(response.json() as { error?: string }).error}`;
  };
  const approve = (id: string, userId = user.id) => decideDeviceAuthorization(subject.db, id, { approve: { userId, sessionId: randomUUID(), authTime: now(), amr: ['pwd'] } }, now());

  it.each([
    ['no device_code', undefined, '400 invalid_request'],
    ['an unknown device code', 'lk_dc_' + 'A'.repeat(43), '400 invalid_grant'],
    ['something that is no device code', 'lk_rt_whatever', '400 invalid_grant'],
    ['a very long one', 'lk_dc_' + 'A'.repeat(4000), '400 invalid_grant'],
  ])('%s: %s', async (_name, code, expected) => {
    expect(await errorOf(code)).toBe(expected);
  });

  it('pending, then slow_down when polled too soon (the interval grows and stays grown), then pending again', async () => {
    const { device_code: code, interval } = await authorize();
    expect(await errorOf(code)).toBe('400 authorization_pending');
    expect(await errorOf(code)).toBe('400 slow_down');
    subject.clock.advance(interval * SECOND + 100);
    // The interval is now interval + 5 s: waiting the old interval is still too soon.
    expect(await errorOf(code)).toBe('400 slow_down');
    subject.clock.advance((interval + 10) * SECOND + 100);
    expect(await errorOf(code)).toBe('400 authorization_pending');
  });

  it("another client's device code is invalid_grant, and does not touch the code", async () => {
    const { device_code: code } = await authorize();
    expect(await errorOf(code, otherTv)).toBe('400 invalid_grant');
    expect(await errorOf(code)).toBe('400 authorization_pending');
  });

  it('a denied request is access_denied; an expired one expired_token', async () => {
    const denied = await authorize();
    expect(await decideDeviceAuthorization(subject.db, denied.id, { deny: true }, now())).toBe(true);
    expect(await errorOf(denied.device_code)).toBe('400 access_denied');
    const expired = await authorize();
    subject.clock.advance(expired.expires_in * SECOND + SECOND);
    expect(await errorOf(expired.device_code)).toBe('400 expired_token');
  });

  it('an approval: the tokens of a code exchange, audited; a second redemption is invalid_grant and revokes them', async () => {
    const { device_code: code, id } = await authorize();
    expect(await approve(id)).toBe(true);
    const response = await poll(code);
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const tokens = response.json<Record<string, unknown>>();
    expect(tokens).toMatchObject({ token_type: 'Bearer', scope: 'openid profile offline_access', expires_in: expect.any(Number) });
    expect(tokens.refresh_token).toMatch(/^lk_rt_/);
    const access = decodeJwt(tokens.access_token as string);
    expect(access).toMatchObject({ iss: ISSUER, sub: user.id, client_id: tv, aud: ISSUER, sid: expect.any(String), auth_time: expect.any(Number) });
    const idToken = decodeJwt(tokens.id_token as string);
    expect(idToken).toMatchObject({ iss: ISSUER, sub: user.id, aud: tv, sid: access.sid });
    expect(idToken.nonce).toBeUndefined();

    const issued = await subject.db.selectFrom('audit_events').selectAll().where('type', '=', 'token_issued').where('client_id', '=', tv).execute();
    expect(issued.map((row) => (row.details as Record<string, unknown>).grant)).toContain(DEVICE_GRANT);

    expect(await errorOf(code)).toBe('400 invalid_grant');
    const grant = await subject.db.selectFrom('device_authorizations as d').innerJoin('grants as g', 'g.id', 'd.grant_id').select(['g.revoked_at', 'g.revoked_reason']).where('d.id', '=', id).executeTakeFirstOrThrow();
    expect(grant.revoked_at).not.toBeNull();
    expect(grant.revoked_reason).toBe('device code replayed');
    const refreshed = await subject.app.inject({ method: 'POST', url: '/token', headers: FORM, payload: form({ grant_type: 'refresh_token', client_id: tv, refresh_token: tokens.refresh_token as string }) });
    expect(refreshed.statusCode).toBe(400);
    const revoked = await subject.db.selectFrom('audit_events').selectAll().where('type', '=', 'family_revoked').where('client_id', '=', tv).execute();
    expect(revoked.map((row) => (row.details as Record<string, unknown>).reason)).toContain('device code replayed');
  });

  it('no refresh token without offline_access; no id_token without openid', async () => {
    const { device_code: code, id } = await authorize(tv, 'profile');
    await approve(id);
    const tokens = (await poll(code)).json<Record<string, unknown>>();
    expect(tokens.scope).toBe('profile');
    expect(tokens.refresh_token).toBeUndefined();
    expect(tokens.id_token).toBeUndefined();
  });

  it('a disabled user gets invalid_grant', async () => {
    const disabled = await makeUser(subject.db);
    const { device_code: code, id } = await authorize();
    await approve(id, disabled.id);
    await subject.db.updateTable('users').set({ disabled: true }).where('id', '=', disabled.id).execute();
    expect(await errorOf(code)).toBe('400 invalid_grant');
  });

  it('the scopes are those the client still has; a client no longer registered for the grant is unauthorized_client', async () => {
    const shrinking = await makeClient(subject.db, { name: 'Shrinking TV', type: 'public', grantTypes: [DEVICE_GRANT], scopes: ['openid', 'profile'] });
    const first = await authorize(shrinking.clientId);
    const second = await authorize(shrinking.clientId);
    await approve(first.id);
    await approve(second.id);
    await updateClient(subject.db, shrinking.clientId, testClientMetadata({ name: 'Shrinking TV', type: 'public', grantTypes: [DEVICE_GRANT], scopes: ['profile'] }), now());
    expect((await poll(first.device_code, shrinking.clientId)).json()).toMatchObject({ scope: 'profile' });
    await updateClient(subject.db, shrinking.clientId, testClientMetadata({ name: 'Shrinking TV', type: 'public', redirectUris: ['https://tv.example/cb'], grantTypes: ['authorization_code'], scopes: ['profile'] }), now());
    expect(await errorOf(second.device_code, shrinking.clientId)).toBe('400 unauthorized_client');
  });
});
