import { describe, expect, it } from 'vitest';
import {
  isPublished,
  keyState,
  nextTransitionAfter,
  pickNextKey,
  pickSigningKey,
  retirementAt,
  rotationDueAt,
  rotationIsDue,
  successorActivationAt,
  type KeyPolicy,
  type KeySchedule,
} from '../../src/keys/lifecycle.js';

const HOUR = 3_600_000;
const policy: KeyPolicy = { alg: 'ES256', publishLeadMs: HOUR, retentionAfterRetireMs: 2 * HOUR, rotationIntervalMs: 30 * 24 * HOUR };
const key = (activatesAt: number, retiresAt: number | null = null, removesAt: number | null = null, id = String(activatesAt)) => ({ id, activatesAt, retiresAt, removesAt });

describe('key states over time: next -> active -> retired -> removed', () => {
  const k: KeySchedule = key(10, 20, 30);
  it.each([
    [9, 'next', true],
    [10, 'active', true],
    [19, 'active', true],
    [20, 'retired', true],
    [29, 'retired', true],
    [30, 'removed', false],
  ] as const)('at %i: %s, published %s', (now, state, published) => {
    expect(keyState(k, now)).toBe(state);
    expect(isPublished(k, now)).toBe(published);
  });

  it('a key never scheduled to retire stays active', () => {
    expect(keyState(key(0), Number.MAX_SAFE_INTEGER)).toBe('active');
  });
});

describe('choosing keys', () => {
  const keys = [key(0, 100, 200, 'old'), key(50, null, null, 'current'), key(150, null, null, 'next'), key(180, null, null, 'later')];

  it.each([
    [60, 'current', 'next'],
    [99, 'current', 'next'],
    [160, 'next', 'later'],
    [190, 'later', undefined],
  ] as const)('at %i signs with %s, next is %s', (now, signer, next) => {
    expect(pickSigningKey(keys, now)?.id).toBe(signer);
    expect(pickNextKey(keys, now)?.id).toBe(next);
  });

  it('has no signer before the first activation', () => {
    expect(pickSigningKey(keys, -1)).toBeUndefined();
  });
});

describe('scheduling', () => {
  const active = key(0);

  it('publishes the successor one lead time before the interval ends', () => {
    expect(rotationDueAt(active, policy)).toBe(policy.rotationIntervalMs - HOUR);
  });

  it('a successor activates at the end of the interval, never sooner than one lead time after publishing', () => {
    expect(successorActivationAt(active, policy, 0)).toBe(policy.rotationIntervalMs);
    const late = policy.rotationIntervalMs + 5 * HOUR;
    expect(successorActivationAt(active, policy, late)).toBe(late + HOUR);
    expect(successorActivationAt(undefined, policy, 7)).toBe(7 + HOUR);
  });

  it('a retired key stays published for the retention time', () => {
    expect(retirementAt(1000, policy)).toEqual({ retiresAt: 1000, removesAt: 1000 + 2 * HOUR });
  });

  it.each([
    ['no keys at all', [], 0, true],
    ['an active key early in its interval', [active], HOUR, false],
    ['an active key at its due time', [active], rotationDueAt(active, policy), true],
    ['a due key whose successor already waits', [active, key(policy.rotationIntervalMs)], rotationDueAt(active, policy), false],
    ['only retired keys', [key(0, 10, 20)], 15, true],
  ] as const)('rotation due with %s: %s', (_name, keys, now, due) => {
    expect(rotationIsDue(keys, policy, now)).toBe(due);
  });

  it('finds the next state change, or none', () => {
    expect(nextTransitionAfter([key(10, 20, 30), key(25)], 12)).toBe(20);
    expect(nextTransitionAfter([key(10, 20, 30)], 20)).toBe(30);
    expect(nextTransitionAfter([key(10)], 10)).toBe(Infinity);
  });
});
