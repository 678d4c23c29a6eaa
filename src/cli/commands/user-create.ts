import type { Config } from '../../config.js';
import { newUserSchema } from '../../users/schema.js';
import { newPasswordProblem } from '../../users/password-policy.js';
import { createUser, DuplicateUserError } from '../../users/store.js';
import { parseCommandArgs } from '../args.js';
import { withDatabase } from '../database.js';
import { printJson, UsageError, type CliIO } from '../io.js';
import { parseOrUsageError } from '../validation.js';

export const USER_CREATE_HELP = `Usage: latchkey user create --username U [--email E] [--name N] --password-stdin

Creates a user and prints it as JSON (with its id). The password is read from standard input
(one line; the trailing newline is dropped) so it never shows up in the process list or shell history.

  --username U       unique, case-insensitive; letters, digits and . _ @ + -
  --email E          optional, unique
  --name N           optional display name
  --password-stdin   read the password from standard input (required); at least
                     PASSWORD_MIN_LENGTH characters (default 8), at most 1024

Example: printf '%s' 'correct horse' | latchkey user create --username alice --password-stdin
`;

export async function userCreate(argv: string[], io: CliIO, config: () => Config): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    username: { type: 'string' },
    email: { type: 'string' },
    name: { type: 'string' },
    'password-stdin': { type: 'boolean' },
  });
  if (values.help) {
    io.out(USER_CREATE_HELP);
    return 0;
  }
  if (values.username === undefined) throw new UsageError('--username is required');
  if (!values['password-stdin']) throw new UsageError('--password-stdin is required: pipe the password on standard input');
  const password = (await io.readStdin()).replace(/\r?\n$/, '');
  const input = parseOrUsageError(newUserSchema, {
    username: values.username,
    email: values.email,
    name: values.name,
    password,
  });
  const settings = config();
  const passwordProblem = newPasswordProblem(input.password, { minLength: settings.PASSWORD_MIN_LENGTH });
  if (passwordProblem) throw new UsageError(passwordProblem);
  return withDatabase(settings, async ({ db }) => {
    try {
      const user = await createUser(db, input);
      printJson(io, { id: user.id, username: user.username, email: user.email, name: user.name, created_at: user.created_at });
      return 0;
    } catch (error) {
      if (error instanceof DuplicateUserError) throw new UsageError(error.message);
      throw error;
    }
  });
}
