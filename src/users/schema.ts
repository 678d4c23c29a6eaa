import { z } from 'zod';
import { foldUsername, USERNAME_PATTERN, USERNAME_RULE } from './username.js';
import { PASSWORD_MAX_LENGTH } from './password-policy.js';

export { USERNAME_PATTERN } from './username.js';

/** Stores the folded form (users/username.ts), so creation accepts exactly what login accepts. */
export const usernameSchema = z.string().overwrite(foldUsername).regex(USERNAME_PATTERN, USERNAME_RULE);

/**
 * The shape of a password field only (a string, bounded so that no huge body reaches argon2);
 * whether it may be set is newPasswordProblem's decision (users/password-policy.ts), which knows
 * PASSWORD_MIN_LENGTH.
 */
export const passwordSchema = z
  .string()
  .max(PASSWORD_MAX_LENGTH * 4, `password must be at most ${PASSWORD_MAX_LENGTH} characters long`)
  .describe(`at least PASSWORD_MIN_LENGTH (default 8) and at most ${PASSWORD_MAX_LENGTH} characters`);

export const emailSchema = z.string().trim().max(254).email('email must be a valid email address');

export const newUserSchema = z.object({
  username: usernameSchema,
  password: passwordSchema,
  email: emailSchema.optional(),
  name: z.string().trim().min(1, 'name must not be empty').max(200).optional(),
});

export type NewUser = z.infer<typeof newUserSchema>;
