import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/types.js';
import { newClientSchema } from '../../src/clients/schema.js';
import { createClient } from '../../src/clients/store.js';
import { createUser, type PublicUser } from '../../src/users/store.js';

let counter = 0;

export async function makeUser(db: Kysely<Database>, input: { username?: string; password?: string; email?: string; name?: string } = {}): Promise<PublicUser & { password: string }> {
  const password = input.password ?? 'correct horse battery staple';
  const user = await createUser(db, {
    username: input.username ?? `user${++counter}_${Date.now()}`,
    password,
    email: input.email,
    name: input.name,
  });
  return { ...user, password };
}

export async function makeClient(db: Kysely<Database>, input: Record<string, unknown>): Promise<{ clientId: string; secret?: string }> {
  const parsed = newClientSchema.parse({ name: 'Test app', type: 'confidential', ...input });
  const { client, secret } = await createClient(db, parsed);
  return { clientId: client.clientId, secret };
}
