import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { PGlite } from '@electric-sql/pglite';

/** What a LISTEN on one channel tells its subscriber. */
export interface NotificationSubscriber {
  /** A notification on the channel, with its payload as sent (committed changes only, in commit order). */
  notified(payload: string): void;
  /**
   * LISTEN is in place: every notification committed from now on arrives. Called once per
   * (re)connection; whatever was sent before it may have been missed.
   */
  listening(): void;
  /** The connection is gone (or could not be made): notifications are being missed until listening() again. */
  lost(reason: unknown): void;
}

export interface NotificationListener {
  /**
   * A barrier: resolves once every notification committed before the call has been handed to the
   * subscriber (it sends one of its own and waits for it; Postgres delivers in commit order), or
   * at once when not listening (the subscriber was told lost() and trusts nothing it holds).
   */
  sync(): Promise<void>;
  /** Stops listening and closes the connection. */
  close(): Promise<void>;
}

/** Sends one notification (through the pool: sync() needs it to commit after what it waits for). */
export type SendNotification = (channel: string, payload: string) => Promise<void>;

/** Payloads the listener sends itself for sync(); never handed to a subscriber. */
const BARRIER_PREFIX = 'latchkey-sync:';

/** Barrier bookkeeping and delivery, shared by the Postgres and PGlite listeners. */
class Delivery {
  listening = false;
  private readonly barriers = new Map<string, () => void>();

  constructor(
    private readonly channel: string,
    private readonly subscriber: NotificationSubscriber,
    private readonly send: SendNotification,
  ) {}

  deliver(payload: string): void {
    if (!payload.startsWith(BARRIER_PREFIX)) {
      this.subscriber.notified(payload);
      return;
    }
    // Other instances' barriers arrive here too: only our own resolve anything.
    this.barriers.get(payload)?.();
    this.barriers.delete(payload);
  }

  async sync(): Promise<void> {
    if (!this.listening) return;
    const token = `${BARRIER_PREFIX}${randomUUID()}`;
    const arrived = new Promise<void>((resolve) => this.barriers.set(token, resolve));
    try {
      await this.send(this.channel, token);
    } catch (error) {
      this.barriers.delete(token);
      throw error;
    }
    await arrived;
  }

  /** The connection is gone: a barrier can no longer arrive, and the subscriber trusts nothing it holds. */
  stopped(): void {
    this.listening = false;
    for (const release of this.barriers.values()) release();
    this.barriers.clear();
  }
}

export interface PostgresListenOptions {
  connectionString: string;
  /** Bound for connecting and for each statement on the listening connection, in milliseconds. */
  timeoutMs: number;
  /** First pause before reconnecting; it doubles on each failure, up to maxBackoffMs (with jitter). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /**
   * How often the idle listening connection runs `select 1`. A connection that died without a
   * FIN or RST (a NAT or proxy dropping idle TCP, a partition) would otherwise look alive while
   * notifications stop: the heartbeat's failure (or its statement timeout) reports it as lost.
   * It also keeps the connection from looking idle to such middleboxes. With the statement bound
   * (timeoutMs) it bounds how long a dead connection can go unnoticed.
   */
  heartbeatMs?: number;
}

/**
 * Ends a session politely (Terminate, then wait for the server to close), but no longer than
 * `ms`: on a connection that went silent the server never answers, so the socket is destroyed.
 */
async function endWithin(client: pg.Client, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  await Promise.race([client.end().catch(() => undefined), deadline]);
  clearTimeout(timer);
  client.connection.stream.destroy();
}

/**
 * LISTEN on a dedicated pg.Client, not a pool connection: a pooled connection would be handed to
 * queries and released, and a LISTEN lives exactly as long as its session. When the connection
 * drops (database restart, pg_terminate_backend, network), the subscriber hears lost() and the
 * listener reconnects with backoff until closed; each new LISTEN is announced with listening().
 * Resolves after the first attempt, whether it succeeded or not (the retries go on).
 */
export async function listenOnPostgres(
  options: PostgresListenOptions,
  channel: string,
  subscriber: NotificationSubscriber,
  send: SendNotification,
): Promise<NotificationListener> {
  const { minBackoffMs = 100, maxBackoffMs = 5000, heartbeatMs = 2000 } = options;
  const delivery = new Delivery(channel, subscriber, send);
  let closed = false;
  let current: pg.Client | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let retry: NodeJS.Timeout | undefined;
  let attempt: Promise<void> | undefined;
  let failures = 0;

  const scheduleRetry = () => {
    const delay = Math.min(maxBackoffMs, minBackoffMs * 2 ** failures++);
    // Jitter: every instance loses its connection at the same moment when Postgres restarts.
    retry = setTimeout(() => {
      retry = undefined;
      attempt = connect().finally(() => (attempt = undefined));
    }, delay * (0.5 + Math.random() / 2));
    retry.unref();
  };

  async function connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: options.connectionString,
      // How operators (and the two-instance test) find this session in pg_stat_activity.
      application_name: 'latchkey-listener',
      connectionTimeoutMillis: options.timeoutMs,
      query_timeout: options.timeoutMs,
      keepAlive: true,
    });
    let dropped = false;
    const drop = (reason: unknown) => {
      if (dropped) return;
      dropped = true;
      if (current === client) {
        current = undefined;
        clearInterval(heartbeat);
      }
      delivery.stopped();
      void endWithin(client, options.timeoutMs);
      if (closed) return;
      subscriber.lost(reason);
      scheduleRetry();
    };
    client.on('error', drop);
    client.on('end', () => drop(new Error('the listening connection ended')));
    client.on('notification', (message) => {
      if (!dropped && message.channel === channel) delivery.deliver(message.payload ?? '');
    });
    try {
      await client.connect();
      await client.query(`listen ${client.escapeIdentifier(channel)}`);
    } catch (error) {
      drop(error);
      return;
    }
    if (dropped) return;
    if (closed) {
      dropped = true;
      await endWithin(client, options.timeoutMs);
      return;
    }
    current = client;
    failures = 0;
    heartbeat = setInterval(() => void client.query('select 1').catch(drop), heartbeatMs);
    heartbeat.unref();
    delivery.listening = true;
    subscriber.listening();
  }

  attempt = connect().finally(() => (attempt = undefined));
  await attempt;
  return {
    sync: () => delivery.sync(),
    async close() {
      closed = true;
      clearTimeout(retry);
      await attempt;
      clearInterval(heartbeat);
      delivery.stopped();
      const client = current;
      current = undefined;
      if (client) await endWithin(client, options.timeoutMs);
    },
  };
}

/**
 * PGlite's own LISTEN: one in-process database, one connection that never drops, and
 * notifications delivered when the notifying statement (or its transaction) commits.
 */
export async function listenOnPglite(pglite: PGlite, channel: string, subscriber: NotificationSubscriber, send: SendNotification): Promise<NotificationListener> {
  const delivery = new Delivery(channel, subscriber, send);
  const unlisten = await pglite.listen(channel, (payload) => delivery.deliver(payload));
  delivery.listening = true;
  subscriber.listening();
  return {
    sync: () => delivery.sync(),
    async close() {
      delivery.stopped();
      if (!pglite.closed) await unlisten().catch(() => undefined);
    },
  };
}
