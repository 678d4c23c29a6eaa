import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './io.js';
import { closestMatch, didYouMean } from './did-you-mean.js';
import { CONFIG_VARIABLES } from '../config.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** The option names a command accepts, as typed: --name and -n. */
function optionSpellings(options: Options): string[] {
  return Object.entries(options).flatMap(([name, option]) => [`--${name}`, ...(option.short ? [`-${option.short}`] : [])]);
}

/** "--port" is not an option but a setting: settings come from the environment only. */
function settingHint(option: string): string {
  const variable = closestMatch(option.replace(/^-+/, '').replace(/-/g, '_').toUpperCase(), CONFIG_VARIABLES);
  return variable ? ` (did you mean the environment variable ${variable}? Settings are read from the environment only)` : '';
}

/** node:util parseArgs, with its errors turned into usage errors (naming the option meant, for a typo). */
export function parseCommandArgs<T extends Options>(argv: string[], options: T) {
  const withHelp = { ...options, help: { type: 'boolean', short: 'h' } } as const;
  try {
    return parseArgs({ args: argv, options: withHelp, strict: true, allowPositionals: false });
  } catch (error) {
    const message = (error as Error).message.split('\n')[0] ?? 'bad arguments';
    const unknown = /^Unknown option '([^']+)'/.exec(message)?.[1];
    // node's advice about positionals after '--' does not apply: no command takes positionals.
    const shown = unknown ? `Unknown option '${unknown}'${didYouMean(unknown, optionSpellings(withHelp)) || settingHint(unknown)}` : message;
    throw new UsageError(shown);
  }
}

/** "a,b, c" -> ["a","b","c"]; "openid profile" -> ["openid","profile"] */
export function splitList(value: string | undefined, separator: RegExp): string[] | undefined {
  if (value === undefined) return undefined;
  return value.split(separator).map((s) => s.trim()).filter(Boolean);
}
