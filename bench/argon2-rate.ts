import argon2 from 'argon2';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ARGON2_OPTIONS } from '../src/users/password.js';
import { allocatorEnv, ROOT } from './server.js';

/** argon2id hashes per second with `concurrency` hashes in flight, for about `ms`, and the CPU each took. */
async function hashRate(concurrency: number, ms: number): Promise<{ rate: number; cpuMsPerHash: number }> {
  await argon2.hash('warm-up', ARGON2_OPTIONS);
  let count = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const deadline = started + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        await argon2.hash('correct horse battery staple', ARGON2_OPTIONS);
        count++;
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  return { rate: (count * 1000) / (performance.now() - started), cpuMsPerHash: (used.user + used.system) / 1000 / count };
}

export interface Argon2Rate {
  /** The best rate over the concurrency levels tried. */
  hashesPerSecond: number;
  byConcurrency: Record<number, number>;
  /** CPU time (all threads) per hash at the best rate, ms: what a login's hash costs at least. */
  cpuMsPerHash: number;
}

/**
 * The machine's parallel argon2id rate with Latchkey's parameters (m=19456 KiB, t=2, p=1), measured
 * in a child process of its own (as the server hashes in its own process), 2 and 4 in flight, under
 * the server's allocator settings: whatever they make a hash cost, the server's and the bare hash pay
 * alike, so the login ratio measures what a login adds to its hash (with glibc's defaults a bare
 * hash took 10 to 20 % more CPU than under the start script's settings; README "Performance").
 */
export async function measureArgon2Rate(): Promise<Argon2Rate> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), 'measure'], { cwd: ROOT, env: { ...process.env, ...allocatorEnv() } });
  return JSON.parse(stdout) as Argon2Rate;
}

/** What the login ratio divides by: the machine's rate measured right before and right after the logins. */
export interface Argon2RateAround extends Argon2Rate {
  before: Argon2Rate;
  after: Argon2Rate;
}

/**
 * The mean of a measurement taken right before a window and one right after it: on a shared machine
 * whose speed drifts from one minute to the next (the argon2 rate moved 75 to 89 hashes/s within
 * ten minutes on 2026-12-06), one side alone can be taken in a faster or slower minute than the
 * window, and the ratio then measures the drift. The login flood bench does the same.
 */
export function aroundWindow(before: Argon2Rate, after: Argon2Rate): Argon2RateAround {
  const mean = (a: number, b: number) => (a + b) / 2;
  const byConcurrency = Object.fromEntries(Object.entries(before.byConcurrency).map(([c, rate]) => [c, mean(rate, after.byConcurrency[Number(c)] ?? rate)]));
  return { hashesPerSecond: mean(before.hashesPerSecond, after.hashesPerSecond), byConcurrency, cpuMsPerHash: mean(before.cpuMsPerHash, after.cpuMsPerHash), before, after };
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'measure') {
  const byConcurrency: Record<number, number> = {};
  let best = { rate: 0, cpuMsPerHash: NaN };
  for (const concurrency of [2, 4]) {
    const measured = await hashRate(concurrency, 2500);
    byConcurrency[concurrency] = measured.rate;
    if (measured.rate > best.rate) best = measured;
  }
  console.log(JSON.stringify({ hashesPerSecond: best.rate, byConcurrency, cpuMsPerHash: best.cpuMsPerHash } satisfies Argon2Rate));
}
