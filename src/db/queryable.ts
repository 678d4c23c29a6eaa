import type { Kysely, Transaction } from 'kysely';
import type { Database } from './types.js';

/**
 * What a store function runs its SQL on: the database (each statement commits on its own) or a
 * transaction that a service opened with withTransaction. Store functions take it as their first
 * parameter, named `q`, and never open a transaction themselves.
 */
export type Queryable = Kysely<Database>;

/**
 * A store function whose statements must commit together takes a `trx: Trx` instead: the type
 * says that the caller owns (and must open) the transaction.
 */
export type Trx = Transaction<Database>;
