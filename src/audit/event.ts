/** What an audit event says; written by audit/store.ts, recorded by audit/record.ts. */

export type AuditEventType =
  | 'login_succeeded'
  | 'login_failed'
  | 'logout'
  | 'consent_given'
  | 'consent_revoked'
  | 'token_issued'
  | 'refresh_reuse_detected'
  | 'family_revoked'
  | 'token_revoked'
  /** RFC 8628: a device asked at /device_authorization (details: deviceAuthorizationId, scope). */
  | 'device_authorization_created'
  /** The signed-in user allowed a device's request on the approval page. */
  | 'device_authorization_approved'
  /** The user denied it (or the sign-in ended without a yes, e.g. the client shrank). */
  | 'device_authorization_denied'
  /** A passkey was registered from /account (details: passkeyId). */
  | 'passkey_registered'
  /** A passkey was removed, by its user or an operator (details: passkeyId, by). */
  | 'passkey_removed'
  /** A passkey signed a sign-in or a second factor (details: passkeyId, step, backedUp). */
  | 'passkey_used'
  /** A passkey ceremony was refused (details: reason, step; possibleClone on a counter that did not grow). */
  | 'passkey_failed'
  /** A second factor became usable (details: kind; by: user or operator). */
  | 'second_factor_enrolled'
  /** Second factors were removed (details: kinds; by: user or operator). */
  | 'second_factor_removed'
  /** A second factor was presented and accepted (details: method, sessionId). */
  | 'second_factor_succeeded'
  /** A second factor was presented and refused (details: reason); counted by latchkey_second_factor_failures_total. */
  | 'second_factor_failed'
  /** New recovery codes replaced the old ones (details: by). */
  | 'recovery_codes_generated'
  /** The user changed their password on /account (details: revoked_families, ended_sessions). */
  | 'password_changed'
  /** The user ended one of their own sessions or refresh families on /account (details: sessionId or grantId). */
  | 'session_ended'
  | 'key_created'
  | 'key_activated'
  | 'key_retired'
  | 'admin_action'
  /** A valid token that is not an admin client's reached /admin (issue 10 item 1). */
  | 'admin_access_denied';

export interface AuditEvent {
  type: AuditEventType;
  userId?: string | null;
  clientId?: string | null;
  /** The client that acted (admin API calls). */
  actorClientId?: string | null;
  ip?: string | null;
  /** Identifiers and reasons only: never a token, secret, password or code. */
  details?: Record<string, string | number | boolean | null>;
  at?: Date;
}
