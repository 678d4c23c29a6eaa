import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/types.js';
import { clientMetadataSchema, type ClientMetadata } from '../../src/clients/schema.js';
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

/**
 * Client settings for a test, written with the domain's camelCase names (`redirectUris`,
 * `tokenEndpointAuthMethod`) and checked by the one client-metadata schema under its wire names.
 */
export function testClientMetadata(input: Record<string, unknown>): ClientMetadata {
  const wire = Object.entries({ name: 'Test app', type: 'confidential', ...input }).map(([name, value]) => [name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`), value]);
  return clientMetadataSchema.parse(Object.fromEntries(wire));
}

export async function makeClient(db: Kysely<Database>, input: Record<string, unknown>): Promise<{ clientId: string; secret?: string }> {
  const parsed = testClientMetadata(input);
  const { client, secret } = await createClient(db, parsed);
  return { clientId: client.clientId, secret };
}
