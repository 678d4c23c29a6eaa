import type { z } from 'zod';
import { UsageError } from './io.js';

/** Parses with a zod schema; the first problem becomes a one-line usage error. */
export function parseOrUsageError<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new UsageError(issue?.message ?? 'invalid input');
}
