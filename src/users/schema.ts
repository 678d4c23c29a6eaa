import { z } from 'zod';
import { foldUsername, USERNAME_PATTERN, USERNAME_RULE } from './username.js';

export { USERNAME_PATTERN } from './username.js';

/** Stores the folded form (users/username.ts), so creation accepts exactly what login accepts. */
export const usernameSchema = z.string().overwrite(foldUsername).regex(USERNAME_PATTERN, USERNAME_RULE);

export const passwordSchema = z
  .string()
  .min(1, 'password must not be empty')
  .max(1024, 'password must be at most 1024 characters')
  .refine((p) => p.trim().length > 0, 'password must not be only white space');

export const emailSchema = z.string().trim().max(254).email('email must be a valid email address');

export const newUserSchema = z.object({
  username: usernameSchema,
  password: passwordSchema,
  email: emailSchema.optional(),
  name: z.string().trim().min(1, 'name must not be empty').max(200).optional(),
});

export type NewUser = z.infer<typeof newUserSchema>;
