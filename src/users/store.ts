import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Queryable } from '../db/queryable.js';
import type { UserRow } from '../db/types.js';
import { hashPassword } from './password.js';
import type { NewUser } from './schema.js';
import { isUniqueViolation } from '../db/errors.js';

export class DuplicateUserError extends Error {
  override name = 'DuplicateUserError';
}

/** What may leave the store towards callers that do not verify passwords. */
export type PublicUser = Omit<UserRow, 'password_hash'>;

function toPublic({ password_hash: _, ...user }: UserRow): PublicUser {
  return user;
}

/**
 * A new user, with the password in clear (hashed here) or already hashed: a caller that writes
 * inside a transaction hashes first, so that no connection waits on argon2 (see hashedPassword).
 */
export type UserToCreate = NewUser | (Omit<NewUser, 'password'> & { passwordHash: string });

/** argon2id of a password, for callers that must hash before opening a transaction. */
export const hashedPassword = hashPassword;

export async function createUser(q: Queryable, input: UserToCreate): Promise<PublicUser> {
  const password_hash = 'passwordHash' in input ? input.passwordHash : await hashPassword(input.password);
  try {
    const row = await q
      .insertInto('users')
      .values({
        id: randomUUID(),
        username: input.username,
        email: input.email ?? null,
        name: input.name ?? null,
        password_hash,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toPublic(row);
  } catch (error) {
    if (isUniqueViolation(error)) {
      const field = String((error as { constraint?: string }).constraint ?? '').includes('email') ? 'email' : 'username';
      throw new DuplicateUserError(`a user with that ${field} already exists`);
    }
    throw error;
  }
}

export async function findUserById(q: Queryable, id: string): Promise<PublicUser | undefined> {
  const row = await q.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toPublic(row);
}

export interface UserFilter {
  username?: string;
  email?: string;
  /** Exclusive: users with an id after this one (ids order the listing). */
  after?: string;
  limit: number;
}

/** One page of users, ordered by id; filters match case-insensitively by prefix. */
export async function listUsers(q: Queryable, filter: UserFilter): Promise<PublicUser[]> {
  let query = q.selectFrom('users').selectAll().orderBy('id').limit(filter.limit);
  if (filter.after) query = query.where('id', '>', filter.after);
  if (filter.username) query = query.where(sql<string>`lower(username)`, 'like', `${escapeLike(filter.username.toLowerCase())}%`);
  if (filter.email) query = query.where(sql<string>`lower(email)`, 'like', `${escapeLike(filter.email.toLowerCase())}%`);
  return (await query.execute()).map(toPublic);
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export interface UserChanges {
  username?: string;
  email?: string | null;
  emailVerified?: boolean;
  name?: string | null;
  password?: string;
  /** Instead of password: its hash, made before a transaction was opened (hashedPassword). */
  passwordHash?: string;
  disabled?: boolean;
}

/** Applies profile changes (and a new password, hashed) to a user; undefined when there is no such user. */
export async function updateUser(q: Queryable, id: string, changes: UserChanges, now: Date): Promise<PublicUser | undefined> {
  const values = {
    ...(changes.username !== undefined ? { username: changes.username } : {}),
    ...(changes.email !== undefined ? { email: changes.email } : {}),
    ...(changes.emailVerified !== undefined ? { email_verified: changes.emailVerified } : {}),
    ...(changes.name !== undefined ? { name: changes.name } : {}),
    ...(changes.disabled !== undefined ? { disabled: changes.disabled } : {}),
    ...(changes.passwordHash !== undefined
      ? { password_hash: changes.passwordHash, failed_logins: 0, locked_until: null }
      : changes.password !== undefined
        ? { password_hash: await hashPassword(changes.password), failed_logins: 0, locked_until: null }
        : {}),
    updated_at: now,
  };
  try {
    const row = await q.updateTable('users').set(values).where('id', '=', id).returningAll().executeTakeFirst();
    return row && toPublic(row);
  } catch (error) {
    if (isUniqueViolation(error)) {
      const field = String((error as { constraint?: string }).constraint ?? '').includes('email') ? 'email' : 'username';
      throw new DuplicateUserError(`a user with that ${field} already exists`);
    }
    throw error;
  }
}

export async function deleteUser(q: Queryable, id: string): Promise<boolean> {
  const result = await q.deleteFrom('users').where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}
