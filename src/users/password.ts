import argon2 from 'argon2';
import { availableParallelism } from 'node:os';
import { ConcurrencyLimit } from './concurrency-limit.js';

/** OWASP's argon2id recommendation: 19 MiB of memory, 2 passes, 1 lane. */
export const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/**
 * Every argon2 hash and verification of this process takes a slot here first. Each one in flight
 * holds a 19 MiB block on one of libuv's threads, and glibc keeps that block in the thread's arena
 * after the hash: bounding the hashes (and sizing libuv's pool to match, see src/bin.cts) bounds
 * how many blocks ever exist, and each thread reuses its own instead of faulting in a fresh one.
 * Process-wide, like the pool and the memory it guards; the server sets it from
 * PASSWORD_HASH_CONCURRENCY (limitPasswordHashing), other commands keep the default.
 */
let hashing = new ConcurrencyLimit(availableParallelism());

/** Sets the process's bound on argon2 work in flight; hashes already running finish under the old one. */
export function limitPasswordHashing(concurrency: number): void {
  if (concurrency !== hashing.limit) hashing = new ConcurrencyLimit(concurrency);
}

/** The process's bound on argon2 work (its load for metrics; observe() for tests). */
export function passwordHashing(): ConcurrencyLimit {
  return hashing;
}

export function hashPassword(password: string): Promise<string> {
  return hashing.run(() => argon2.hash(password, ARGON2_OPTIONS));
}

let dummyHash: Promise<string> | undefined;

/**
 * Verifies a password against a stored hash. With no hash (unknown user) it still runs one
 * argon2 verification against a throwaway hash, so timing does not reveal whether the user exists.
 */
export async function verifyPassword(storedHash: string | null | undefined, password: string): Promise<boolean> {
  if (!storedHash) {
    // Made before taking the verification's slot: with one slot, holding it here would deadlock.
    dummyHash ??= hashPassword('latchkey-dummy-password');
    const dummy = await dummyHash;
    await hashing.run(() => argon2.verify(dummy, password)).catch(() => false);
    return false;
  }
  try {
    return await hashing.run(() => argon2.verify(storedHash, password));
  } catch {
    return false;
  }
}
