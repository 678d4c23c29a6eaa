import { sql, type Kysely } from 'kysely';

/**
 * Every change to a client row sends `pg_notify('latchkey_clients', <client id>)`, so each
 * instance's client cache (src/clients/cache.ts, which listens on that channel) drops the entry.
 * A trigger rather than the application announcing its own writes: it catches every writer (the
 * admin API of any instance, the CLI in another process, an operator's manual SQL) and it fires
 * inside the writing transaction, so the notification goes out exactly when the change commits and
 * never for a rollback. An UPDATE that changes the id announces both ids; TRUNCATE announces '*'
 * (every client). Client ids cannot contain '*' (clients/store.ts).
 *
 * Postgres serialises the commits of notifying transactions (one lock on the notification queue);
 * clients change rarely, so that costs nothing that matters.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function latchkey_notify_client_change() returns trigger language plpgsql as $$
    begin
      if tg_op = 'TRUNCATE' then
        perform pg_notify('latchkey_clients', '*');
        return null;
      end if;
      if tg_op <> 'INSERT' then
        perform pg_notify('latchkey_clients', old.id);
      end if;
      if tg_op = 'INSERT' or (tg_op = 'UPDATE' and new.id <> old.id) then
        perform pg_notify('latchkey_clients', new.id);
      end if;
      return null;
    end
    $$`.execute(db);
  await sql`
    create trigger clients_notify_change after insert or update or delete on clients
    for each row execute function latchkey_notify_client_change()`.execute(db);
  await sql`
    create trigger clients_notify_truncate after truncate on clients
    for each statement execute function latchkey_notify_client_change()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger if exists clients_notify_truncate on clients`.execute(db);
  await sql`drop trigger if exists clients_notify_change on clients`.execute(db);
  await sql`drop function if exists latchkey_notify_client_change()`.execute(db);
}
