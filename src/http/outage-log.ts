/**
 * Logs a dependency's outage as a story rather than a flood: one warning when it starts, a
 * reminder while it lasts (at most one per `reminderMs`), one line when it ends. A client that
 * retries every few hundred milliseconds reports each attempt here; the log gets three lines.
 */

export interface OutageLogger {
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
}

export interface OutageLogOptions {
  /** What is down, as the log names it, e.g. "rate-limit store (Redis) at cache:6379". */
  what: string;
  /** What that means for the service meanwhile. */
  consequence: string;
  log: OutageLogger;
  /** The injected clock (src/clock.ts's shape; not imported, http/ does not depend on it). */
  clock: { now(): number };
  reminderMs?: number;
}

/** "45 s", "3 min", "2 h 5 min" */
function lasted(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 120) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 120 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export class OutageLog {
  private downSince: number | undefined;
  private lastReportAt = 0;
  private readonly reminderMs: number;

  constructor(private readonly options: OutageLogOptions) {
    this.reminderMs = options.reminderMs ?? 60_000;
  }

  /** One failed attempt (connect, command); logs only when the outage starts or a reminder is due. */
  failed(reason: string): void {
    const { what, consequence, log, clock } = this.options;
    const now = clock.now();
    if (this.downSince === undefined) {
      this.downSince = now;
      this.lastReportAt = now;
      log.warn({ reason }, `${what} unavailable (${reason}); ${consequence}`);
      return;
    }
    if (now - this.lastReportAt < this.reminderMs) return;
    this.lastReportAt = now;
    const downForSeconds = Math.round((now - this.downSince) / 1000);
    log.warn({ reason, downForSeconds }, `${what} still unavailable after ${lasted(now - this.downSince)} (${reason}); ${consequence}`);
  }

  /** A successful connection; logs once if it ends an outage. */
  recovered(): void {
    if (this.downSince === undefined) return;
    const down = this.options.clock.now() - this.downSince;
    this.downSince = undefined;
    this.options.log.info({ downForSeconds: Math.round(down / 1000) }, `${this.options.what} reachable again after ${lasted(down)}`);
  }
}
