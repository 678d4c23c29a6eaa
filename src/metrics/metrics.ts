import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { onAuditEvent } from '../audit/listeners.js';
import type { ClientCacheStats } from '../clients/cache.js';
import { HttpStats, registerHttpMetrics } from './http-stats.js';

/**
 * Process-wide Prometheus metrics (one Latchkey app per process in production). Gauges read
 * their sources at scrape time.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'latchkey_' });

/** latchkey_http_requests_total and latchkey_http_request_duration_seconds, fed by every response. */
export const httpStats = new HttpStats([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]);
registerHttpMetrics(registry, httpStats);

export const tokensIssued = new Counter({
  name: 'latchkey_tokens_issued_total',
  help: 'Successful /token responses by grant type',
  labelNames: ['grant'] as const,
  registers: [registry],
});

export const refreshReuseDetected = new Counter({
  name: 'latchkey_refresh_reuse_detected_total',
  help: 'Refresh-token reuse detections (each revoked a family)',
  registers: [registry],
});

export const loginFailures = new Counter({
  name: 'latchkey_login_failures_total',
  help: 'Failed password logins',
  registers: [registry],
});

export const passkeyFailures = new Counter({
  name: 'latchkey_passkey_failures_total',
  help: 'Refused passkey ceremonies (registration, sign-in, second factor), by reason',
  labelNames: ['reason'] as const,
  registers: [registry],
});

export const secondFactorFailures = new Counter({
  name: 'latchkey_second_factor_failures_total',
  help: 'Second-factor codes refused (wrong, reused, malformed, or the account locked)',
  registers: [registry],
});

export const rateLimitRejections = new Counter({
  name: 'latchkey_rate_limit_rejections_total',
  help: 'Requests refused with 429, by route',
  labelNames: ['route'] as const,
  registers: [registry],
});

export interface GaugeSources {
  /** Seconds since the signing key now in use became active. */
  activeKeyAgeSeconds(): number | undefined;
  poolStats(): { total: number; idle: number; waiting: number } | undefined;
  clientCache(): ClientCacheStats;
  /**
   * argon2 hashes and verifications running, waiting for a slot, the bounds (PASSWORD_HASH_CONCURRENCY,
   * PASSWORD_HASH_QUEUE_SIZE), and the work refused so far by reason.
   */
  passwordHashes(): { running: number; queued: number; reserved: number; limit: number; maxQueued: number; started: number; refused: Record<string, number> };
}

const sources = new Set<GaugeSources>();

new Gauge({
  name: 'latchkey_signing_key_age_seconds',
  help: 'Age of the active signing key since it became active',
  registers: [registry],
  collect() {
    for (const source of sources) {
      const age = source.activeKeyAgeSeconds();
      if (age !== undefined) this.set(age);
    }
  },
});

new Gauge({
  name: 'latchkey_db_pool_connections',
  help: 'Database pool connections by state (total, idle, waiting clients)',
  labelNames: ['state'] as const,
  registers: [registry],
  collect() {
    for (const source of sources) {
      const stats = source.poolStats();
      if (!stats) continue;
      this.set({ state: 'total' }, stats.total);
      this.set({ state: 'idle' }, stats.idle);
      this.set({ state: 'waiting' }, stats.waiting);
    }
  },
});

new Gauge({
  name: 'latchkey_client_cache_entries',
  help: 'Clients held in the in-memory client cache',
  registers: [registry],
  collect() {
    for (const source of sources) this.set(source.clientCache().entries);
  },
});

new Gauge({
  name: 'latchkey_client_cache_listening',
  help: '1 while the client cache listens for client changes and is in use; 0 while every lookup reads the database',
  registers: [registry],
  collect() {
    for (const source of sources) this.set(source.clientCache().listening ? 1 : 0);
  },
});

// A counter kept by the cache itself (clients/ cannot import metrics/), read at scrape time.
new Counter({
  name: 'latchkey_client_cache_lookups_total',
  help: 'Client lookups by result: hit (memory), miss (read and cached), bypassed (read: cache off or not listening)',
  labelNames: ['result'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const source of sources) {
      const { hits, misses, bypassed } = source.clientCache();
      this.inc({ result: 'hit' }, hits);
      this.inc({ result: 'miss' }, misses);
      this.inc({ result: 'bypassed' }, bypassed);
    }
  },
});

new Gauge({
  name: 'latchkey_password_hashes',
  help: 'argon2 hashes and verifications by state (running, queued for a slot, reserved: places taken by logins still reading the stored hash, limit: the slots, queue_limit: the places in line)',
  labelNames: ['state'] as const,
  registers: [registry],
  collect() {
    for (const source of sources) {
      const load = source.passwordHashes();
      this.set({ state: 'running' }, load.running);
      this.set({ state: 'queued' }, load.queued);
      this.set({ state: 'reserved' }, load.reserved);
      this.set({ state: 'limit' }, load.limit);
      this.set({ state: 'queue_limit' }, load.maxQueued);
    }
  },
});

// Kept by the gate itself (users/ cannot import metrics/), read at scrape time.
new Counter({
  name: 'latchkey_password_work_started_total',
  help: 'argon2 hashes and verifications started',
  registers: [registry],
  collect() {
    this.reset();
    for (const source of sources) this.inc(source.passwordHashes().started);
  },
});

new Counter({
  name: 'latchkey_password_work_refused_total',
  help: 'argon2 work refused (answered 503) by reason: queue_full, client_gone (never started: the client left), shutting_down',
  labelNames: ['reason'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const source of sources) {
      for (const [reason, count] of Object.entries(source.passwordHashes().refused)) this.inc({ reason }, count);
    }
  },
});

/** Adds an app's gauge sources; returns the function that removes them (on close). */
export function addGaugeSources(source: GaugeSources): () => void {
  sources.add(source);
  return () => sources.delete(source);
}

onAuditEvent((event) => {
  if (event.type === 'refresh_reuse_detected') refreshReuseDetected.inc();
  if (event.type === 'login_failed') loginFailures.inc();
  if (event.type === 'passkey_failed') passkeyFailures.inc({ reason: String(event.details?.reason ?? 'unknown') });
  if (event.type === 'second_factor_failed') secondFactorFailures.inc();
});
