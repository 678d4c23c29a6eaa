import type { Migration } from 'kysely';
import * as m0001 from './0001_users_and_clients.js';
import * as m0002 from './0002_signing_keys.js';
import * as m0003 from './0003_sign_in.js';
import * as m0004 from './0004_audit_events.js';
import * as m0005 from './0005_client_secret_rotation.js';
import * as m0006 from './0006_client_credentials_changed_at.js';
import * as m0007 from './0007_code_redirect_uri_given.js';
import * as m0008 from './0008_login_hardening.js';
import * as m0009 from './0009_token_endpoint_auth_method.js';
import * as m0010 from './0010_device_authorizations.js';
import * as m0011 from './0011_client_change_notifications.js';
import * as m0012 from './0012_second_factors.js';
import * as m0013 from './0013_passkeys.js';
import * as m0014 from './0014_dpop.js';
import * as m0015 from './0015_par_and_private_key_jwt.js';

/** Every migration in order. Add new files at the end; never edit one that has landed. */
export const migrations: Record<string, Migration> = {
  '0001_users_and_clients': m0001,
  '0002_signing_keys': m0002,
  '0003_sign_in': m0003,
  '0004_audit_events': m0004,
  '0005_client_secret_rotation': m0005,
  '0006_client_credentials_changed_at': m0006,
  '0007_code_redirect_uri_given': m0007,
  '0008_login_hardening': m0008,
  '0009_token_endpoint_auth_method': m0009,
  '0010_device_authorizations': m0010,
  '0011_client_change_notifications': m0011,
  '0012_second_factors': m0012,
  '0013_passkeys': m0013,
  '0014_dpop': m0014,
  '0015_par_and_private_key_jwt': m0015,
};
