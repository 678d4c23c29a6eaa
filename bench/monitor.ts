import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS = 100; // USER_HZ on Linux

function rssKiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) : 0;
}

/** utime + stime of every thread of the process, in seconds. */
function cpuSeconds(pid: number, withReapedChildren = false): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const own = Number(fields[11]) + Number(fields[12]);
  return (withReapedChildren ? own + Number(fields[13]) + Number(fields[14]) : own) / CLOCK_TICKS;
}

/**
 * CPU seconds of each thread of the process and whether the launcher lowered its priority (nice
 * above 0: libuv's pool, where argon2 runs, src/bin.cts). Linux only; empty elsewhere.
 */
function threadCpu(pid: number): Map<string, { seconds: number; lowered: boolean }> {
  const threads = new Map<string, { seconds: number; lowered: boolean }>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return threads;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      threads.set(tid, { seconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS, lowered: Number(fields[16]) > 0 });
    } catch {
      // the thread ended meanwhile
    }
  }
  return threads;
}

/**
 * CPU seconds of every local Postgres process (backends, WAL writer, checkpointer, ...), with the
 * backends that have exited: the postmaster holds their time once it has reaped them. Without
 * them a backend that ends during a run (an idle pool connection timed out) took its whole life's
 * CPU out of the sum, and the run's Postgres CPU came out negative.
 */
function postgresCpuSeconds(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') total += cpuSeconds(Number(entry), true);
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

export interface ProcessUsage {
  /** Highest resident set size seen while sampling, MiB. */
  peakRssMiB: number;
  /** CPU time the process used per wall-clock second while sampling (1.0 = one core busy). */
  cores: number;
  /** The same for all Postgres processes together, and for this (load-generating) process. */
  postgresCores: number;
  loadGeneratorCores: number;
  /**
   * The process's CPU by thread, in the same unit: its event loop (the main thread), the threads
   * with a lowered priority (the argon2 pool), and the rest (V8's helpers: GC, compilation).
   */
  threads: { eventLoop: number; lowered: number; other: number };
  /** Wall-clock seconds sampled (cores × seconds = CPU seconds). */
  seconds: number;
}

/**
 * Samples a process's RSS every 200 ms (VmHWM cannot be reset between scenarios, so the peak
 * is the maximum of the samples) and its CPU time from /proc.
 */
export function watchProcess(pid: number): { stop(): ProcessUsage } {
  let peak = rssKiB(pid);
  const cpuStart = cpuSeconds(pid);
  const threadsStart = threadCpu(pid);
  const postgresStart = postgresCpuSeconds();
  const ownStart = process.cpuUsage();
  const started = performance.now();
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssKiB(pid));
    } catch {
      // the process ended
    }
  }, 200);
  return {
    stop() {
      clearInterval(timer);
      const seconds = (performance.now() - started) / 1000;
      let cores = 0;
      const threads = { eventLoop: 0, lowered: 0, other: 0 };
      try {
        peak = Math.max(peak, rssKiB(pid));
        cores = (cpuSeconds(pid) - cpuStart) / seconds;
        for (const [tid, { seconds: used, lowered }] of threadCpu(pid)) {
          const share = (used - (threadsStart.get(tid)?.seconds ?? 0)) / seconds;
          threads[tid === String(pid) ? 'eventLoop' : lowered ? 'lowered' : 'other'] += share;
        }
      } catch {
        // the process ended
      }
      const own = process.cpuUsage(ownStart);
      return {
        peakRssMiB: peak / 1024,
        cores,
        postgresCores: (postgresCpuSeconds() - postgresStart) / seconds,
        loadGeneratorCores: (own.user + own.system) / 1e6 / seconds,
        threads,
        seconds,
      };
    },
  };
}
