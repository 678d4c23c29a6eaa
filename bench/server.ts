import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** `[NAME=value ...] node [flags] ENTRY serve` from package.json's start script: the benchmark runs what `npm start` runs. */
function startScript(): { env: Record<string, string>; nodeFlags: string[]; entry: string } {
  const start = (JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { scripts: { start: string } }).scripts.start;
  const match = /&& ((?:[A-Z_]+=\S+ )*)node((?: --\S+)*) (\S+) serve$/.exec(start);
  if (!match) throw new Error(`package.json "start" is not "... && [NAME=value ...] node [flags] ENTRY serve": ${start}`);
  // At the first '=': a value may hold one (GLIBC_TUNABLES=glibc.malloc.hugetlb=1).
  const env = Object.fromEntries(match[1]!.split(' ').filter(Boolean).map((assignment) => /^([^=]+)=(.*)$/.exec(assignment)!.slice(1) as [string, string]));
  return { env, nodeFlags: match[2]!.split(' ').filter(Boolean), entry: match[3]! };
}

/** The compiled executable, as `npm start` runs it: the benchmark measures the production build. */
export const CLI = startScript().entry;
/**
 * The node flags `npm start` gives the server; BENCH_NODE_FLAGS replaces them to measure
 * alternatives (e.g. BENCH_NODE_FLAGS=--max-semi-space-size=16; an empty value: none).
 */
const SERVER_NODE_FLAGS = process.env.BENCH_NODE_FLAGS === undefined ? startScript().nodeFlags : process.env.BENCH_NODE_FLAGS.split(' ').filter(Boolean);

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function waitForHealth(url: string, timeoutMs: number, exited: () => boolean = () => false): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited()) throw new Error(`server at ${url} exited before it answered`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`server at ${url} did not start within ${timeoutMs} ms`);
}

export interface ChildServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** A server in its own process, so the load generator does not share its thread. */
export async function startChild(args: string[], env: Record<string, string>, port: number): Promise<ChildServer> {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let hasExited = false;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      hasExited = true;
      resolve();
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (!hasExited) child.kill('SIGTERM');
    await exited;
  };
  try {
    await waitForHealth(url, 60_000, () => hasExited);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, pid: child.pid!, stop };
}

const PASSED_THROUGH = /^(MALLOC_|GLIBC_TUNABLES$|UV_THREADPOOL_SIZE$|PASSWORD_HASH_CONCURRENCY$|PASSWORD_HASH_QUEUE_SIZE$|PASSWORD_HASH_NICE$)/;

export function latchkeyEnv(databaseUrl: string, port: number): Record<string, string> {
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    ISSUER: `http://127.0.0.1:${port}`,
    DATABASE_URL: databaseUrl,
    KEY_ENCRYPTION_KEY: 'latchkey-benchmark-key-encryption-key-0123456789',
    RATE_LIMIT_LOGIN: '0',
    RATE_LIMIT_TOKEN: '0',
    RATE_LIMIT_ADMIN: '0',
    RATE_LIMIT_AUTHORIZE: '0',
    LOGIN_LOCKOUT_THRESHOLD: '0',
    ...startEnv(),
  };
}

/**
 * What the start script sets before node (glibc's malloc settings), as `npm start` does, then the
 * knobs passed through for experiments: glibc's (MALLOC_MMAP_THRESHOLD_, GLIBC_TUNABLES, ...),
 * libuv's pool (UV_THREADPOOL_SIZE) and the argon2 bounds and priority (PASSWORD_HASH_CONCURRENCY,
 * PASSWORD_HASH_QUEUE_SIZE, PASSWORD_HASH_NICE).
 */
function startEnv(): Record<string, string> {
  return {
    ...startScript().env,
    ...Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => PASSED_THROUGH.test(entry[0]) && entry[1] !== undefined)),
  };
}

/** glibc's settings of startEnv() alone: what the server's allocator runs with. */
export function allocatorEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(startEnv()).filter(([name]) => /^(MALLOC_|GLIBC_TUNABLES$)/.test(name)));
}

/** A real compiled `latchkey serve` on `databaseUrl`, as `npm start` runs it, optionally under `node --cpu-prof`. */
export async function startLatchkey(databaseUrl: string, options: { cpuProfDir?: string } = {}): Promise<ChildServer> {
  const port = await freePort();
  const profile = options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : [];
  return startChild([...profile, ...SERVER_NODE_FLAGS, CLI, 'serve'], latchkeyEnv(databaseUrl, port), port);
}

const execFileAsync = promisify(execFile);

/** Runs the compiled `latchkey` CLI against `databaseUrl` and parses its JSON output. */
export async function latchkeyCli(databaseUrl: string, args: string[], stdin?: string): Promise<Record<string, unknown>> {
  const run = execFileAsync(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...latchkeyEnv(databaseUrl, 3000), LOG_LEVEL: 'silent' },
  });
  run.child.stdin?.end(stdin);
  const { stdout } = await run;
  return JSON.parse(stdout) as Record<string, unknown>;
}

export async function build(): Promise<void> {
  await execFileAsync('npm', ['run', '--silent', 'build'], { cwd: ROOT });
}
