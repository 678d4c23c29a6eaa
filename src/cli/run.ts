import { loadConfig, ConfigError, type Config } from '../config.js';
import { UsageError, type CliIO } from './io.js';
import { closestMatch } from './did-you-mean.js';
import { userCreate, USER_CREATE_HELP } from './commands/user-create.js';
import { clientCreate, CLIENT_CREATE_HELP } from './commands/client-create.js';
import { migrate } from './commands/migrate.js';
import { serve } from './commands/serve.js';
import { GENERATED_KEY_NOTICE } from '../db/embedded-key-file.js';
import { userMfaReset, userTotpEnroll, USER_MFA_RESET_HELP, USER_TOTP_ENROLL_HELP } from './commands/user-factors.js';
import { keysList, keysRotate, KEYS_LIST_HELP, KEYS_ROTATE_HELP } from './commands/keys.js';

export const MAIN_HELP = `Usage: latchkey <command> [options]

Commands:
  serve                 run the issuer (what \`npm start\` and the container run)
  migrate               bring the database schema up to date
  user create           create a user (password on standard input)
  user totp enroll      turn on TOTP for a user (prints the otpauth URI and recovery codes)
  user mfa reset        remove every second factor of a user
  client create         register an OAuth client
  keys list             show the signing keys and their states
  keys rotate [--now]   publish the next signing key (--now: switch to it at once)

Run \`latchkey <command> --help\` for a command's options. Configuration is read from the
environment only (see .env.example). Exit status: 0 success, 2 bad input or configuration, 1 failure.
In a checkout, run it as \`npm run --silent latchkey -- <command>\` (never \`npx latchkey\`: outside
the checkout npx would fetch whatever the public registry holds under that name).
`;

type Command = (argv: string[], io: CliIO, config: () => Config) => Promise<number | 'running'>;

// Each command's help begins with its own Usage line (user has three, so a summary line first).
const GROUP_HELP: Record<string, string> = {
  user: `Usage: latchkey user create | user totp enroll | user mfa reset\n\n${USER_CREATE_HELP}\n${USER_TOTP_ENROLL_HELP}\n${USER_MFA_RESET_HELP}`,
  client: CLIENT_CREATE_HELP,
  keys: `${KEYS_LIST_HELP}\n${KEYS_ROTATE_HELP}`,
};

const COMMANDS: Record<string, Command> = {
  serve,
  migrate,
  'user create': userCreate,
  'user totp': (argv, io, config) => (argv[0] === 'enroll' ? userTotpEnroll(argv.slice(1), io, config) : unknownSubcommand(io, 'user totp', argv[0])),
  'user mfa': (argv, io, config) => (argv[0] === 'reset' ? userMfaReset(argv.slice(1), io, config) : unknownSubcommand(io, 'user mfa', argv[0])),
  'client create': clientCreate,
  'keys list': keysList,
  'keys rotate': keysRotate,
};

/** What the user probably meant by an unknown command: a command ("serv"), or a group's ("user craete"). */
function suggestion(argv: string[]): string {
  const names = Object.keys(COMMANDS);
  const twoWords = argv.length >= 2 ? closestMatch(argv.slice(0, 2).join(' '), names) : undefined;
  const match = twoWords ?? closestMatch(argv[0]!, names);
  return match ? `; did you mean "latchkey ${match}"?` : '';
}

async function unknownSubcommand(io: CliIO, group: string, given: string | undefined): Promise<number> {
  io.err(`latchkey: unknown command "${group}${given ? ` ${given}` : ''}"\n\n${MAIN_HELP}`);
  return 2;
}

function resolveCommand(argv: string[]): { command?: Command; rest: string[]; group?: string } {
  const [first = '', second] = argv;
  if (first in GROUP_HELP) {
    const command = second ? COMMANDS[`${first} ${second}`] : undefined;
    return { command, rest: argv.slice(2), group: first };
  }
  return { command: COMMANDS[first], rest: argv.slice(1) };
}

/** Runs one command. Returns its exit status, or 'running' when it started the server. */
export async function runCli(argv: string[], io: CliIO): Promise<number | 'running'> {
  if (argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.out(MAIN_HELP);
    return 0;
  }
  // No command is a mistake, not a request to serve: `npm start` and the image say `serve`.
  if (argv.length === 0) {
    io.err(MAIN_HELP);
    return 2;
  }
  const { command, rest, group } = resolveCommand(argv);
  if (!command) {
    if (group && (argv[1] === '--help' || argv[1] === '-h')) {
      io.out(GROUP_HELP[group] ?? MAIN_HELP);
      return 0;
    }
    if (group && argv[1] === undefined) {
      io.err(GROUP_HELP[group] ?? MAIN_HELP);
      return 2;
    }
    const hint = suggestion(argv);
    io.err(`latchkey: unknown command "${argv.slice(0, group ? 2 : 1).join(' ')}"${hint}\n\n${hint ? 'Run `latchkey --help` for every command.\n' : MAIN_HELP}`);
    return 2;
  }
  let config: Config | undefined;
  const lazyConfig = () => {
    if (config) return config;
    config = loadConfig(io.env);
    // `serve` logs this itself; other commands say it on stderr, keeping stdout JSON.
    if (config.keyEncryptionKeySource === 'generated' && command !== serve) io.err(`latchkey: ${GENERATED_KEY_NOTICE}\n`);
    return config;
  };
  try {
    return await command(rest, io, lazyConfig);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`latchkey: ${error.message}\n`);
      return 2;
    }
    if (error instanceof ConfigError) {
      io.err(`latchkey: invalid configuration:\n${error.message.replace(/^/gm, '  ')}\n`);
      return 2;
    }
    io.err(`latchkey: ${(error as Error).message ?? String(error)}\n`);
    return 1;
  }
}
