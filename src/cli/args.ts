import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './io.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, with its errors turned into usage errors. */
export function parseCommandArgs<T extends Options>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false });
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0] ?? 'bad arguments');
  }
}

/** "a,b, c" -> ["a","b","c"]; "openid profile" -> ["openid","profile"] */
export function splitList(value: string | undefined, separator: RegExp): string[] | undefined {
  if (value === undefined) return undefined;
  return value.split(separator).map((s) => s.trim()).filter(Boolean);
}
