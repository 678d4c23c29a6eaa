import type { Config, SIGNING_ALGS } from '../config.js';

/** Pure rules of the key lifecycle. Times are milliseconds since the epoch. */

export type SigningAlg = (typeof SIGNING_ALGS)[number];
export type KeyState = 'next' | 'active' | 'retired' | 'removed';

export interface KeySchedule {
  activatesAt: number;
  retiresAt: number | null;
  removesAt: number | null;
}

export interface KeyPolicy {
  alg: SigningAlg;
  /** How long a new key is published before it signs: the JWKS cache lifetime plus propagation slack. */
  publishLeadMs: number;
  /** How long a retired key stays published: the longest token lifetime plus clock tolerance and slack. */
  retentionAfterRetireMs: number;
  rotationIntervalMs: number;
}

/** Every instance re-reads the ring this often, so a change reaches all of them within this bound. */
export const RING_RELOAD_INTERVAL_MS = 2000;
/** Room for an instance that has not reloaded yet (one poll, plus one that failed). */
export const PROPAGATION_SLACK_MS = 2 * RING_RELOAD_INTERVAL_MS;

export function keyPolicy(config: Config): KeyPolicy {
  const longestTokenSeconds = Math.max(config.ACCESS_TOKEN_TTL, config.ID_TOKEN_TTL);
  return {
    alg: config.SIGNING_ALG,
    publishLeadMs: config.JWKS_CACHE_TTL * 1000 + PROPAGATION_SLACK_MS,
    retentionAfterRetireMs: (longestTokenSeconds + config.CLOCK_TOLERANCE) * 1000 + PROPAGATION_SLACK_MS,
    rotationIntervalMs: config.KEY_ROTATION_INTERVAL * 1000,
  };
}

export function keyState(key: KeySchedule, now: number): KeyState {
  if (key.removesAt !== null && now >= key.removesAt) return 'removed';
  if (key.retiresAt !== null && now >= key.retiresAt) return 'retired';
  if (now < key.activatesAt) return 'next';
  return 'active';
}

/** Next, active and retired keys are in the JWKS; removed ones are not. */
export function isPublished(key: KeySchedule, now: number): boolean {
  return keyState(key, now) !== 'removed';
}

/** The key to sign with: the most recently activated active key. */
export function pickSigningKey<T extends KeySchedule>(keys: readonly T[], now: number): T | undefined {
  return keys
    .filter((key) => keyState(key, now) === 'active')
    .reduce<T | undefined>((best, key) => (best === undefined || key.activatesAt > best.activatesAt ? key : best), undefined);
}

/** The published key waiting to activate (the earliest, should there be several). */
export function pickNextKey<T extends KeySchedule>(keys: readonly T[], now: number): T | undefined {
  return keys
    .filter((key) => keyState(key, now) === 'next')
    .reduce<T | undefined>((best, key) => (best === undefined || key.activatesAt < best.activatesAt ? key : best), undefined);
}

export function activeKeys<T extends KeySchedule>(keys: readonly T[], now: number): T[] {
  return keys.filter((key) => keyState(key, now) === 'active');
}

/**
 * When the scheduled rotation of `active` must publish its successor so that the successor
 * activates as the active key reaches the rotation interval.
 */
export function rotationDueAt(active: KeySchedule, policy: KeyPolicy): number {
  return active.activatesAt + policy.rotationIntervalMs - policy.publishLeadMs;
}

/** When a key published now may start signing under a scheduled rotation of `active`. */
export function successorActivationAt(active: KeySchedule | undefined, policy: KeyPolicy, now: number): number {
  const earliest = now + policy.publishLeadMs;
  return active ? Math.max(earliest, active.activatesAt + policy.rotationIntervalMs) : earliest;
}

/** The timestamps of a key that stops signing at `retireAt`. */
export function retirementAt(retireAt: number, policy: KeyPolicy): { retiresAt: number; removesAt: number } {
  return { retiresAt: retireAt, removesAt: retireAt + policy.retentionAfterRetireMs };
}

/** The first moment after `now` at which some key changes state (Infinity when none will). */
export function nextTransitionAfter(keys: readonly KeySchedule[], now: number): number {
  let next = Infinity;
  for (const key of keys) {
    for (const at of [key.activatesAt, key.retiresAt, key.removesAt]) {
      if (at !== null && at > now && at < next) next = at;
    }
  }
  return next;
}

/** True when a scheduled check must act: no next key waiting, and no active key or one due for rotation. */
export function rotationIsDue(keys: readonly KeySchedule[], policy: KeyPolicy, now: number): boolean {
  if (pickNextKey(keys, now)) return false;
  const active = pickSigningKey(keys, now);
  return active === undefined || now >= rotationDueAt(active, policy);
}
