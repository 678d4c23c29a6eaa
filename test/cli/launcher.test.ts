import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  /** The node flags before the launcher in each way of starting the server. */
  const shebangFlags = () => /^#!\/usr\/bin\/env -S MALLOC_ARENA_MAX=2 node((?: --\S+)*)\n/.exec(read('src/bin.cts'))?.[1]?.trim().split(' ');
  const startScriptFlags = () =>
    /&& MALLOC_ARENA_MAX=2 node((?: --\S+)*) dist\/src\/bin\.cjs serve$/.exec((JSON.parse(read('package.json')) as { scripts: { start: string } }).scripts.start)?.[1]?.trim().split(' ');
  const dockerFlags = () => {
    const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(read('Dockerfile'))?.[1];
    const [node, ...rest] = JSON.parse(entrypoint ?? '[]') as string[];
    return node === 'node' && rest.at(-1) === 'dist/src/bin.cjs' ? rest.slice(0, -1) : undefined;
  };

  it('runs the launcher with the same node flags from the bin, `npm start` and the container image', () => {
    expect((JSON.parse(read('package.json')) as { bin: Record<string, string> }).bin.latchkey).toBe('dist/src/bin.cjs');
    const flags = shebangFlags();
    expect(flags).toContainEqual(expect.stringMatching(/^--max-semi-space-size=\d+$/));
    expect(flags).toContainEqual(expect.stringMatching(/^--heap-growing-percent=\d+$/));
    expect(startScriptFlags()).toEqual(flags);
    expect(dockerFlags()).toEqual(flags);
  });

  it('limits glibc to two malloc arenas in each of them (read at process start, so before node)', () => {
    // The bin and `npm start` are checked by the patterns above; the image sets it for its entry point.
    expect(read('Dockerfile')).toMatch(/^ENV NODE_ENV=production \\\n\s+MALLOC_ARENA_MAX=2 \\$/m);
  });
});
