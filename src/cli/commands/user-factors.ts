import { sql } from 'kysely';
import { recordAudit } from '../../audit/record.js';
import { nowDate, systemClock } from '../../clock.js';
import type { Config } from '../../config.js';
import type { Queryable } from '../../db/queryable.js';
import { withTransaction } from '../../db/transaction.js';
import { enrolTotpDirectly } from '../../mfa/enrolment.js';
import { secondFactorSettings } from '../../mfa/settings.js';
import { removeAllFactors } from '../../users/second-factors.js';
import type { PublicUser } from '../../users/store.js';
import { findUserById } from '../../users/store.js';
import { usernameKey } from '../../users/username.js';
import { parseCommandArgs } from '../args.js';
import { withDatabase } from '../database.js';
import { printJson, UsageError, type CliIO } from '../io.js';

export const USER_TOTP_ENROLL_HELP = `Usage: latchkey user totp enroll --username U

Turns on TOTP (an authenticator app) for a user and prints JSON {otpauth_uri, recovery_codes}:
hand the URI to the user (as a QR code or text) and the 10 one-time recovery codes with it. They
are shown only now. Refused when the user already has TOTP: reset it first (user mfa reset).
`;

export const USER_MFA_RESET_HELP = `Usage: latchkey user mfa reset --username U

Removes every second factor of a user (TOTP and recovery codes), e.g. when they lost their phone
and their codes. Their next sign-in asks only for the password; they can enrol again on /account.
Prints JSON {user_id, removed}.
`;

const CLI_ACTOR = { details: { by: 'operator', via: 'cli' } } as const;

async function userNamed(db: Queryable, username: string | undefined): Promise<PublicUser> {
  if (username === undefined) throw new UsageError('--username is required');
  const key = usernameKey(username);
  const row = key === undefined ? undefined : await db.selectFrom('users').select('id').where(sql<string>`lower(username)`, '=', key).executeTakeFirst();
  const user = row && (await findUserById(db, row.id));
  if (!user) throw new UsageError(`no user named "${username}"`);
  return user;
}

export async function userTotpEnroll(argv: string[], io: CliIO, config: () => Config): Promise<number> {
  const { values } = parseCommandArgs(argv, { username: { type: 'string' } });
  if (values.help) {
    io.out(USER_TOTP_ENROLL_HELP);
    return 0;
  }
  const settings = secondFactorSettings(config());
  return withDatabase(config(), async ({ db }) => {
    const user = await userNamed(db, values.username);
    const now = nowDate({ clock: systemClock });
    const enrolled = await withTransaction(db, async (trx) => {
      const result = await enrolTotpDirectly(trx, settings, user, now);
      if (!result) return undefined;
      await recordAudit(trx, undefined, { type: 'second_factor_enrolled', userId: user.id, details: { kind: 'totp', ...CLI_ACTOR.details } });
      await recordAudit(trx, undefined, { type: 'recovery_codes_generated', userId: user.id, details: CLI_ACTOR.details });
      return result;
    });
    if (!enrolled) throw new UsageError(`user "${user.username}" already has TOTP; remove it first with: latchkey user mfa reset --username ${user.username}`);
    printJson(io, { otpauth_uri: enrolled.uri, recovery_codes: enrolled.recoveryCodes });
    return 0;
  });
}

export async function userMfaReset(argv: string[], io: CliIO, config: () => Config): Promise<number> {
  const { values } = parseCommandArgs(argv, { username: { type: 'string' } });
  if (values.help) {
    io.out(USER_MFA_RESET_HELP);
    return 0;
  }
  return withDatabase(config(), async ({ db }) => {
    const user = await userNamed(db, values.username);
    const removed = await withTransaction(db, async (trx) => {
      const kinds = await removeAllFactors(trx, user.id);
      if (kinds.length) await recordAudit(trx, undefined, { type: 'second_factor_removed', userId: user.id, details: { kinds: kinds.join(' '), ...CLI_ACTOR.details } });
      return kinds;
    });
    printJson(io, { user_id: user.id, removed });
    return 0;
  });
}
