/** What a CLI command may touch, so it can run in-process in tests and for real in cli.ts. */
export interface CliIO {
  env: Record<string, string | undefined>;
  out(text: string): void;
  err(text: string): void;
  readStdin(): Promise<string>;
}

/** Bad input: the command prints the message and exits with status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function printJson(io: CliIO, value: unknown): void {
  io.out(`${JSON.stringify(value, null, 2)}\n`);
}
