#!/usr/bin/env -S node --max-semi-space-size=4 --heap-growing-percent=30
/**
 * The `latchkey` executable (package.json "bin", `npm start`, the container's entry point); the
 * command itself is src/cli.ts.
 *
 * libuv reads UV_THREADPOOL_SIZE once, when its pool first starts, and Node 20 starts it while
 * it loads the first ES module; so this file is CommonJS, sets the size, and only then imports
 * the rest. The pool gets one thread per argon2 slot (PASSWORD_HASH_CONCURRENCY, default the
 * available cores; see src/users/password.ts): every pool thread that ever hashes keeps its
 * 19 MiB block, so the pool's size is the bound on those blocks. An explicit UV_THREADPOOL_SIZE
 * wins. This file reads the environment before src/config.ts can; config.ts still validates
 * PASSWORD_HASH_CONCURRENCY and refuses a bad value before anything listens.
 *
 * The node flags in the first line (the same in `npm start` and the Dockerfile) bound V8's heap:
 * a 4 MiB semi-space (8 MiB of young generation instead of 32) and an old generation that may
 * grow to 1.3 times what the last full collection kept, where V8 would allow up to 4 times. See
 * README "Performance" for what they cost and save.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS on purpose (above)
import os = require('node:os');

process.env.UV_THREADPOOL_SIZE ||= process.env.PASSWORD_HASH_CONCURRENCY || String(os.availableParallelism());

void import('./cli.js');
