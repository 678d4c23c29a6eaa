import type { Migration } from 'kysely';
import * as m0001 from './0001_users_and_clients.js';

/** Every migration in order. Add new files at the end; never edit one that has landed. */
export const migrations: Record<string, Migration> = {
  '0001_users_and_clients': m0001,
};
