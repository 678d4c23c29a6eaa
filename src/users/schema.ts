import { z } from 'zod';

export const USERNAME_PATTERN = /^[A-Za-z0-9._@+-]{1,64}$/;

export const usernameSchema = z
  .string()
  .trim()
  .regex(USERNAME_PATTERN, 'username must be 1-64 characters of letters, digits and . _ @ + -');

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
