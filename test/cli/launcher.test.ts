import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARGON2_OPTIONS } from '../../src/users/password.js';
import { collect, ROOT } from '../helpers/process.js';

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/**
 * Stands in for dist/src/cli.js next to the real launcher: starts libuv's pool (an asynchronous
 * file read) and prints how many threads the process then has, and each one's nice value.
 */
const THREAD_COUNTING_CLI = `
import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
await readFile(new URL(import.meta.url));
const ids = readdirSync('/proc/self/task');
// /proc/<pid>/task/<tid>/stat: the 19th field is the nice value (fields after the command name).
const nice = ids.map((id) => readFileSync('/proc/self/task/' + id + '/stat', 'utf8').split(') ')[1].split(' ')[16]);
console.log(ids.length + ' ' + nice.join(','));
`;

// Thread counts come from /proc: Linux only, as the container and the benchmark are.
describe.skipIf(process.platform !== 'linux')('the launcher (src/bin.cts) as node runs it', () => {
  let dir: string;
  beforeAll(() => {
    // Compiled as the build compiles it (a .cts file is CommonJS; its import() stays an import()).
    const launcher = ts.transpileModule(read('src/bin.cts'), {
      fileName: 'bin.cts',
      compilerOptions: { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    dir = mkdtempSync(join(tmpdir(), 'latchkey-launcher-'));
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }');
    writeFileSync(join(dir, 'bin.cjs'), launcher);
    writeFileSync(join(dir, 'cli.js'), THREAD_COUNTING_CLI);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function run(env: Record<string, string>): Promise<{ threads: number; nice: number[] }> {
    const result = await collect(spawn(process.execPath, [join(dir, 'bin.cjs')], { env: { PATH: process.env.PATH ?? '', ...env } }));
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const [count, nice] = result.stdout.trim().split(' ');
    return { threads: Number(count), nice: nice!.split(',').map(Number) };
  }
  const threads = async (env: Record<string, string>) => (await run(env)).threads;

  it('sizes libuv’s pool to PASSWORD_HASH_CONCURRENCY before any ES module starts it', async () => {
    const one = await threads({ PASSWORD_HASH_CONCURRENCY: '1' });
    const five = await threads({ PASSWORD_HASH_CONCURRENCY: '5' });
    expect(five - one).toBe(4);
  });

  it('defaults to one pool thread per available core, and leaves an explicit UV_THREADPOOL_SIZE alone', async () => {
    const perCore = await threads({ PASSWORD_HASH_CONCURRENCY: String(availableParallelism()) });
    expect(await threads({})).toBe(perCore);
    expect(await threads({ PASSWORD_HASH_CONCURRENCY: '1', UV_THREADPOOL_SIZE: '5' })).toBe(await threads({ PASSWORD_HASH_CONCURRENCY: '5' }));
  });

  it('lowers the priority of the pool’s threads, and of no other, by PASSWORD_HASH_NICE (default 10; 0: none)', async () => {
    const lowered = (nice: number[], value: number) => nice.filter((n) => n === value).length;
    const byDefault = await run({ PASSWORD_HASH_CONCURRENCY: '3' });
    expect(lowered(byDefault.nice, 10)).toBe(3);
    expect(lowered(byDefault.nice, 0)).toBe(byDefault.threads - 3);
    const five = await run({ PASSWORD_HASH_CONCURRENCY: '2', PASSWORD_HASH_NICE: '5' });
    expect(lowered(five.nice, 5)).toBe(2);
    expect(lowered(five.nice, 0)).toBe(five.threads - 2);
    const off = await run({ PASSWORD_HASH_CONCURRENCY: '2', PASSWORD_HASH_NICE: '0' });
    expect(off.nice.every((n) => n === 0)).toBe(true);
  });
});

describe('how the server is started', () => {
  interface Start {
    env: Record<string, string>;
    flags: string[];
  }
  const parse = (assignments: string, flags: string): Start => ({
    env: Object.fromEntries(assignments.split(' ').filter(Boolean).map((assignment) => /^([^=]+)=(.*)$/.exec(assignment)!.slice(1) as [string, string])),
    flags: flags.split(' ').filter(Boolean),
  });
  /** The environment set before node, and node's flags, in each way of starting the server. */
  const executable = (): Start | undefined => {
    const match = /^exec env ((?:[A-Z_]+=\S+ )+)node((?: --\S+)*) "\$here\/\.\.\/dist\/src\/bin\.cjs" "\$@"$/m.exec(read('bin/latchkey'));
    return match ? parse(match[1]!, match[2]!) : undefined;
  };
  const startScript = (): Start | undefined => {
    const start = (JSON.parse(read('package.json')) as { scripts: { start: string } }).scripts.start;
    const match = /&& ((?:[A-Z_]+=\S+ )+)node((?: --\S+)*) dist\/src\/bin\.cjs serve$/.exec(start);
    return match ? parse(match[1]!, match[2]!) : undefined;
  };
  const image = (): Start | undefined => {
    const dockerfile = read('Dockerfile');
    const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1];
    const [node, ...rest] = JSON.parse(entrypoint ?? '[]') as string[];
    const runtimeEnv = /^ENV ((?:.*\\\n)*.*)$/m.exec(dockerfile.slice(dockerfile.lastIndexOf('\nFROM ')))?.[1] ?? '';
    const malloc = Object.fromEntries([...runtimeEnv.matchAll(/\b(MALLOC_[A-Z_]+|GLIBC_TUNABLES)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
    return node === 'node' && rest.at(-1) === 'dist/src/bin.cjs' ? { env: malloc, flags: rest.slice(0, -1) } : undefined;
  };

  it('runs the launcher with the same malloc settings and node flags from the executable, `npm start` and the container image', () => {
    expect((JSON.parse(read('package.json')) as { bin: Record<string, string> }).bin.latchkey).toBe('bin/latchkey');
    const expected = executable();
    expect(expected?.flags).toContainEqual(expect.stringMatching(/^--max-semi-space-size=\d+$/));
    expect(expected?.flags).toContainEqual(expect.stringMatching(/^--heap-growing-percent=\d+$/));
    expect(startScript()).toEqual(expected);
    expect(image()).toEqual(expected);
  });

  it('keeps every argon2 block in one malloc arena, reused, never handed back between two hashes', () => {
    const env = executable()!.env;
    const block = ARGON2_OPTIONS.memoryCost * 1024;
    expect(env.MALLOC_ARENA_MAX).toBe('1');
    // glibc maps a request of at least the mmap threshold on its own and unmaps it on free.
    expect(Number(env.MALLOC_MMAP_THRESHOLD_)).toBeGreaterThan(block);
    // ... and gives the arena's free top back once it exceeds the trim threshold: many blocks' worth.
    expect(Number(env.MALLOC_TRIM_THRESHOLD_)).toBeGreaterThanOrEqual(8 * block);
  });

  // The kernel puts a region in transparent huge pages when asked (madvise) or always; not when never.
  const hugePageMode = (() => {
    try {
      return /\[(always|madvise|never)\]/.exec(readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'))?.[1];
    } catch {
      return undefined;
    }
  })();

  it.skipIf(hugePageMode !== 'always' && hugePageMode !== 'madvise')('asks glibc to put the arena, and with it every argon2 block, in transparent huge pages', async () => {
    const { env } = executable()!;
    expect(env.GLIBC_TUNABLES).toBe('glibc.malloc.hugetlb=1');
    // Two hashes at once, as two logins: each block of 19 MiB holds at least eight whole 2 MiB pages
    // wherever it starts, so at least 32 MiB of the process is in huge pages.
    const script = `
      import argon2 from 'argon2';
      import { readFileSync } from 'node:fs';
      const options = ${JSON.stringify(ARGON2_OPTIONS)};
      await Promise.all([argon2.hash('one', options), argon2.hash('two', options)]);
      console.log(/AnonHugePages:\\s+(\\d+) kB/.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'))[1]);
    `;
    const run = async (extra: Record<string, string>) => {
      const result = await collect(spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...extra } }));
      expect(result.stderr).toBe('');
      return Number(result.stdout.trim()) * 1024;
    };
    expect(await run(env)).toBeGreaterThanOrEqual(2 * 8 * 2 ** 21);
    const { GLIBC_TUNABLES: _, ...withoutTunable } = env;
    if (hugePageMode === 'madvise') expect(await run(withoutTunable)).toBe(0);
  });

  it.skipIf(process.platform === 'win32')('the executable finds the launcher through the symlink npm makes, with the settings, flags and arguments', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-bin-'));
    try {
      mkdirSync(join(dir, 'package/bin'), { recursive: true });
      mkdirSync(join(dir, 'package/dist/src'), { recursive: true });
      mkdirSync(join(dir, '.bin'));
      copyFileSync(join(ROOT, 'bin/latchkey'), join(dir, 'package/bin/latchkey'));
      chmodSync(join(dir, 'package/bin/latchkey'), 0o755);
      writeFileSync(
        join(dir, 'package/dist/src/bin.cjs'),
        'console.log(JSON.stringify({ argv: process.argv.slice(2), execArgv: process.execArgv, env: Object.fromEntries(Object.entries(process.env).filter(([name]) => /^(MALLOC_|GLIBC_TUNABLES$)/.test(name))) }));',
      );
      symlinkSync('../package/bin/latchkey', join(dir, '.bin/latchkey'));
      const result = await collect(spawn(join(dir, '.bin/latchkey'), ['serve', 'two words'], { env: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin` } }));
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      const expected = executable()!;
      expect(JSON.parse(result.stdout)).toEqual({ argv: ['serve', 'two words'], execArgv: expected.flags, env: expected.env });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
