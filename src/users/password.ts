import argon2 from 'argon2';
import { availableParallelism } from 'node:os';
import { ConcurrencyLimit } from './concurrency-limit.js';

export { SHUTTING_DOWN, WorkRefused as PasswordWorkRefused } from './concurrency-limit.js';

/** OWASP's argon2id recommendation: 19 MiB of memory, 2 passes, 1 lane. */
export const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/**
 * Waiting argon2 work per slot by default. A hash takes about 25 ms of a core on an idle machine
 * but ~80 ms of wall time under a flood (the cores are shared with the event loop, Postgres and,
 * at a lower priority, each other), so with the line full the last one in waits 8 × 80 ms ≈ 0.65 s
 * for its slot, plus its own hash and the login's database work: inside the 2 s an admitted login
 * may take at p99 with room to spare (32 a slot measured p99 5.8 s in the flood, README "Login
 * floods").
 */
export const QUEUED_PER_SLOT = 8;

/** The default queue bound for `concurrency` slots (PASSWORD_HASH_QUEUE_SIZE unset). */
export function defaultPasswordQueueSize(concurrency: number): number {
  return concurrency * QUEUED_PER_SLOT;
}

/**
 * Every argon2 hash and verification of this process takes a slot here first: the one gate for
 * password work, whoever asks (login, admin and CLI user creation, password changes). Each one in
 * flight holds a 19 MiB block on one of libuv's threads, and glibc keeps that block in the
 * thread's arena after the hash: bounding the hashes (and sizing libuv's pool to match, see
 * src/bin.cts) bounds how many blocks ever exist, and each thread reuses its own instead of
 * faulting in a fresh one. The line in front is bounded too: past PASSWORD_HASH_QUEUE_SIZE work is
 * refused at once (PasswordWorkRefused, answered 503) instead of waiting longer than anyone
 * would. Process-wide, like the pool and the memory it guards; the server sets it from its
 * settings (limitPasswordHashing), other commands keep the default.
 */
let hashing = new ConcurrencyLimit(availableParallelism(), defaultPasswordQueueSize(availableParallelism()));

/** Sets the process's bounds on argon2 work; work already running or queued finishes under the old ones. */
export function limitPasswordHashing(concurrency: number, queueSize = defaultPasswordQueueSize(concurrency)): void {
  if (concurrency !== hashing.limit || queueSize !== hashing.maxQueued) hashing = new ConcurrencyLimit(concurrency, queueSize);
}

/** The process's gate for argon2 work (its load for metrics; observe() and run() for tests). */
export function passwordHashing(): ConcurrencyLimit {
  return hashing;
}

/**
 * argon2id of a password. `signal`: the work is wanted only while it has not aborted (a request's
 * client still there); rejects with PasswordWorkRefused when the gate refuses it.
 */
export function hashPassword(password: string, signal?: AbortSignal): Promise<string> {
  return hashing.run(() => argon2.hash(password, ARGON2_OPTIONS), signal);
}

/**
 * What an unknown user's password is checked against: a constant argon2id hash (of a random
 * password nobody kept) with ARGON2_OPTIONS' parameters, so the verification costs what a real
 * one does without a hash having to be made first (test/unit/password.test.ts keeps it in step).
 */
export const DUMMY_HASH = '$argon2id$v=19$m=19456,p=1,t=2$w69ShCpyScJkEWfwhwV/FA$vCyQjlEmebemWdwfoUQDut90rfANHlQGfo2fzrzmiAU';

/**
 * Verifies a password against a stored hash. With no hash (unknown user) it still runs one
 * argon2 verification against DUMMY_HASH, so timing does not reveal whether the user exists.
 * Rejects with PasswordWorkRefused (and verifies nothing) when the gate refuses the work.
 */
export async function verifyPassword(storedHash: string | null | undefined, password: string, signal?: AbortSignal): Promise<boolean> {
  const verified = await hashing.run(() => argon2.verify(storedHash || DUMMY_HASH, password).catch(() => false), signal);
  return Boolean(storedHash) && verified;
}
