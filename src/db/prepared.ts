import { createHash } from 'node:crypto';
import type { Compilable, QueryResult, RawBuilder } from 'kysely';
import pg from 'pg';
import type { Queryable } from './queryable.js';

/**
 * Named prepared statements for the hot paths. Postgres spends most of a complex statement's
 * cost on parsing and planning it (the refresh rotation: about 0.5 ms of planning against 0.08 ms
 * of execution); a named statement is parsed and planned once per connection. Only statements
 * passed through `executePrepared` are named: their text is fixed, so each connection holds a
 * bounded number of them (ad-hoc statements with variable-length lists would grow without bound).
 */
const MARKER = '/* lk:prepare ';

/** Runs `query` as a named prepared statement on Postgres (a plain statement on PGlite or when disabled). */
export async function executePrepared<R>(q: Queryable, name: string, query: Compilable<R> | RawBuilder<R>): Promise<QueryResult<R>> {
  // A raw sql template compiles against the executor given; a query builder ignores it and uses
  // the executor it was built from (the same q).
  const compiled = (query as RawBuilder<R>).compile(q);
  return q.executeQuery<R>({ ...compiled, sql: `${MARKER}${name} */ ${compiled.sql}` });
}

/** Names already computed, by text: a rotation's text is 3 kB, and hashing it per query showed in the profile. */
const names = new Map<string, string>();
/** More texts than the code can produce means something builds them from input: stop remembering. */
const MAX_REMEMBERED = 500;

/** The statement's name: its label and a digest of its text (two texts never share a name). */
function statementName(text: string): string {
  const known = names.get(text);
  if (known) return known;
  const label = text.slice(MARKER.length, text.indexOf(' */'));
  const name = `lk_${label}_${createHash('sha1').update(text).digest('base64url').slice(0, 12)}`;
  if (names.size < MAX_REMEMBERED) names.set(text, name);
  return name;
}

type QueryArgs = Parameters<pg.Client['query']>;

/** A pg client that sends marked statements as named prepared statements (see executePrepared). */
export class PreparingClient extends pg.Client {
  override query(...args: unknown[]): never {
    const [text, values] = args;
    if (typeof text === 'string' && text.startsWith(MARKER) && args.length <= 2) {
      return super.query({ name: statementName(text), text, values: values as unknown[] | undefined }) as never;
    }
    return (super.query as (...rest: unknown[]) => never)(...(args as QueryArgs));
  }
}
