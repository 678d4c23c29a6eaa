import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database, UserRow } from '../db/types.js';
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

export async function createUser(db: Kysely<Database>, input: NewUser): Promise<PublicUser> {
  const password_hash = await hashPassword(input.password);
  try {
    const row = await db
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

/** Case-insensitive lookup; includes the password hash, for the login check only. */
export async function findUserForLogin(db: Kysely<Database>, username: string): Promise<UserRow | undefined> {
  return db
    .selectFrom('users')
    .selectAll()
    .where(sql<string>`lower(username)`, '=', username.toLowerCase())
    .executeTakeFirst();
}

export async function findUserById(db: Kysely<Database>, id: string): Promise<PublicUser | undefined> {
  const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toPublic(row);
}
