/**
 * What `npm start`, the `latchkey` executable (bin/latchkey) and the container run with node;
 * the command itself is src/cli.ts.
 *
 * libuv reads UV_THREADPOOL_SIZE once, when its pool first starts, and Node 20 starts it while
 * it loads the first ES module; so this file is CommonJS, sets the size, and only then imports
 * the rest. The pool gets one thread per argon2 slot (PASSWORD_HASH_CONCURRENCY, default the
 * available cores; see src/users/password.ts): every pool thread that ever hashes keeps its
 * 19 MiB block, so the pool's size is the bound on those blocks. An explicit UV_THREADPOOL_SIZE
 * wins. This file reads the environment before src/config.ts can; config.ts still validates
 * PASSWORD_HASH_CONCURRENCY and refuses a bad value before anything listens.
 *
 * It also lowers the CPU priority of the pool's threads (Linux: nice is per thread) by
 * PASSWORD_HASH_NICE, default 10, so that under a login flood argon2 takes the cores only when
 * the event loop, Postgres and whatever else runs here leave them idle: tokens, JWKS and health
 * checks stay fast while logins slow down. With nothing else to run, the pool gets every core as
 * before. The pool starts on its first piece of work, so the launcher gives it one (a stat of
 * this file) and lowers the threads that appeared; 0 leaves them alone. See README, Performance.
 *
 * The node flags that all three give it (test/cli/launcher.test.ts keeps them equal) bound V8's
 * heap: a 4 MiB semi-space (8 MiB of young generation instead of 32) and an old generation that
 * may grow to 1.3 times what the last full collection kept, where V8 would allow up to 4 times.
 * And before node, glibc's malloc settings (read when the process starts, so they cannot be set
 * here): one arena, and fixed mmap and trim thresholds, so that each pool thread's 19 MiB argon2
 * block comes from that arena, is reused, and is never handed back to the kernel between two
 * hashes (handing it back costs 5 000 page faults a hash); and that arena in transparent huge
 * pages (glibc.malloc.hugetlb=1), where a hash misses the TLB far less. See README "Performance",
 * "Memory".
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS on purpose (above)
import os = require('node:os');
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS on purpose (above)
import fs = require('node:fs');

process.env.UV_THREADPOOL_SIZE ||= process.env.PASSWORD_HASH_CONCURRENCY || String(os.availableParallelism());

/** The process's thread ids (Linux); none elsewhere, and then nothing is lowered. */
function threadIds(): Set<string> {
  try {
    return new Set(fs.readdirSync('/proc/self/task'));
  } catch {
    return new Set();
  }
}

const nice = Number(process.env.PASSWORD_HASH_NICE || 10);
const before = threadIds();
fs.stat(__filename, () => {
  // config.ts refuses a bad PASSWORD_HASH_NICE once the CLI loads; here only a valid one is used.
  if (Number.isInteger(nice) && nice > 0 && nice <= 19) {
    for (const id of threadIds()) {
      if (before.has(id)) continue;
      try {
        os.setPriority(Number(id), nice);
      } catch {
        // a thread gone meanwhile, or a platform without per-thread priorities: nothing to lower
      }
    }
  }
  void import('./cli.js');
});
