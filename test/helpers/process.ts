import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitUntil } from './wait-until.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ProcessResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * The real `latchkey` executable (src/bin.cts, through tsx, so no build is needed), as its own
 * process. tsx starts libuv's pool before the launcher runs, so the pool keeps its default size
 * here; test/cli/launcher.test.ts checks the sizing on the launcher as node runs it.
 */
export function spawnLatchkey(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/bin.cts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

export function collect(child: ChildProcess, stdin?: string): Promise<ProcessResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  if (stdin !== undefined) child.stdin?.end(stdin);
  return new Promise((resolve) => child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr })));
}

export function runLatchkey(args: string[], env: Record<string, string>, stdin = ''): Promise<ProcessResult> {
  return collect(spawnLatchkey(args, env), stdin);
}

/** Polls until `url` answers 200, or throws after timeoutMs. */
export async function waitForHttp(url: string, timeoutMs = 30_000): Promise<void> {
  const answers200 = () => fetch(url).then((response) => response.status === 200, () => false); // refused: not listening yet
  await waitUntil(answers200, { timeoutMs, intervalMs: 150, what: `${url} answering 200` });
}
