import type { DatabaseHandle } from '../db/connect.js';
import type { NotificationListener, NotificationSubscriber } from '../db/notifications.js';
import type { Queryable } from '../db/queryable.js';
import { findClient, type Client } from './store.js';

/** The channel migrations/0011_client_change_notifications.ts notifies on: one client id per changed row. */
export const CLIENT_CHANGES_CHANNEL = 'latchkey_clients';
/** The trigger's payload for TRUNCATE: every client. No client id can be '*' (clients/store.ts). */
const EVERY_CLIENT = '*';
/** Enough for any deployment we know of; beyond it the oldest entries go (memory stays bounded). */
export const DEFAULT_MAX_CACHED_CLIENTS = 10_000;

/** How the browser and token endpoints look a client up. */
export interface ClientLookup {
  find(clientId: string): Promise<Client | undefined>;
}

export interface ClientCacheLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export interface ClientCacheStats {
  entries: number;
  /** Whether the cache is in use (enabled, and its LISTEN connection is up). */
  listening: boolean;
  hits: number;
  misses: number;
  /** Lookups that went to the database because the cache was off or not listening. */
  bypassed: number;
}

export interface ClientCacheOptions {
  db: Queryable;
  /** CLIENT_CACHE_RELOAD_INTERVAL: seconds between full clears; 0 turns the cache off. */
  reloadIntervalSeconds: number;
  maxEntries?: number;
  /** Runs `run` every `ms` and returns what stops it: setInterval unless a test drives it. */
  every?: (ms: number, run: () => void) => () => void;
}

const everyInterval = (ms: number, run: () => void) => {
  const timer = setInterval(run, ms);
  timer.unref();
  return () => clearInterval(timer);
};

/** Cached clients are shared by concurrent requests: none of them may change one in place. */
function frozen(client: Client): Client {
  for (const value of Object.values(client)) if (Array.isArray(value)) Object.freeze(value);
  return Object.freeze(client);
}

/**
 * Clients in memory, so that client authentication and the browser endpoints skip a Postgres
 * round trip for data that rarely changes. Correctness rests on three things:
 *
 * - Every change to a client row notifies (a trigger, migrations/0011), and every instance LISTENs:
 *   a notified id is dropped, so a change committed anywhere stops being served here once its
 *   notification arrives (milliseconds). A change made by this process is also dropped right after
 *   its commit by the service that made it (`forget`), so an instance reads its own writes at once.
 * - While the LISTEN connection is not up (start-up, connection lost, reconnecting) notifications
 *   may be missed, so nothing cached is trusted: every lookup reads Postgres, and the cache starts
 *   empty once LISTEN is back.
 * - A row read while anything was invalidated (a notification, a local write, a reconnect, the
 *   periodic clear) is not kept: it may predate that change. Only found clients are kept, never
 *   "not found", so lookups of made-up ids cannot grow the map.
 *
 * The periodic clear (CLIENT_CACHE_RELOAD_INTERVAL) is the safety net for what nothing above can
 * see, and the entry bound keeps memory flat. Decisions that must see a change at once (the admin
 * guard, the liveness of client_credentials tokens, admin reads before writes) do not use this
 * cache; they read the row (see ARCHITECTURE.md).
 */
export class ClientCache implements ClientLookup {
  private readonly entries = new Map<string, Client>();
  private readonly maxEntries: number;
  /** Bumped by every invalidation: a read that saw it change keeps nothing. */
  private generation = 0;
  /** True only while enabled and listening. */
  private trusted = false;
  private outage = false;
  private closed = false;
  private listener?: NotificationListener;
  private stopTimer?: () => void;
  private readonly counts = { hits: 0, misses: 0, bypassed: 0 };

  constructor(private readonly options: ClientCacheOptions) {
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_CACHED_CLIENTS;
  }

  get enabled(): boolean {
    return this.options.reloadIntervalSeconds > 0;
  }

  /** A hit is a Map read; a miss (or any lookup while not listening) is one indexed read, as without the cache. */
  async find(clientId: string): Promise<Client | undefined> {
    if (!this.trusted) {
      this.counts.bypassed++;
      return findClient(this.options.db, clientId);
    }
    const hit = this.entries.get(clientId);
    if (hit) {
      this.counts.hits++;
      return hit;
    }
    this.counts.misses++;
    const generation = this.generation;
    const client = await findClient(this.options.db, clientId);
    if (!client || !this.trusted || generation !== this.generation) return client;
    return this.keep(client);
  }

  /** Drops a client this process has just changed; call it after the change commits (afterCommit). */
  forget(clientId: string): void {
    this.generation++;
    this.entries.delete(clientId);
  }

  /** Drops everything: what the periodic timer runs; entries come back one lookup at a time. */
  reload(): void {
    this.generation++;
    this.entries.clear();
  }

  /**
   * Resolves once every client change committed before the call is reflected here: a barrier
   * through the notification channel (tests that change a client with plain SQL call it before
   * asking the server). At once when the cache is not in use (every lookup reads Postgres then).
   */
  async sync(): Promise<void> {
    if (this.trusted) await this.listener?.sync();
  }

  /** LISTENs and starts the periodic clear; until LISTEN succeeds (and when disabled) lookups read Postgres. */
  async start(database: Pick<DatabaseHandle, 'listen'>, log: ClientCacheLog): Promise<void> {
    if (!this.enabled || this.closed || this.listener) return;
    const listener = await database.listen(CLIENT_CHANGES_CHANNEL, this.subscriber(log));
    if (this.closed) return listener.close();
    this.listener = listener;
    this.stopTimer = (this.options.every ?? everyInterval)(this.options.reloadIntervalSeconds * 1000, () => this.reload());
  }

  async close(): Promise<void> {
    this.closed = true;
    this.trusted = false;
    this.stopTimer?.();
    this.reload();
    await this.listener?.close();
  }

  stats(): ClientCacheStats {
    return { entries: this.entries.size, listening: this.trusted, ...this.counts };
  }

  private keep(client: Client): Client {
    if (this.entries.size >= this.maxEntries && !this.entries.has(client.clientId)) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    const entry = frozen(client);
    this.entries.set(client.clientId, entry);
    return entry;
  }

  private subscriber(log: ClientCacheLog): NotificationSubscriber {
    return {
      notified: (payload) => (payload === EVERY_CLIENT ? this.reload() : this.forget(payload)),
      listening: () => {
        // Whatever was notified while not listening is lost: start from nothing.
        this.reload();
        this.trusted = !this.closed;
        if (this.outage) log.info({}, 'client cache: listening for client changes again; the cache is back in use');
        this.outage = false;
      },
      lost: (reason) => {
        this.trusted = false;
        this.reload();
        if (!this.outage) log.warn({ err: reason }, 'client cache: not listening for client changes; every lookup reads the database until the connection is back');
        this.outage = true;
      },
    };
  }
}
