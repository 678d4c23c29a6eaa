import type { z } from 'zod';
import { clientMetadataSchema, type ClientMetadata } from './schema.js';

/** One problem with client metadata, named by its wire field (`redirect_uris.0`); '' for the client as a whole. */
export interface FieldProblem {
  field: string;
  message: string;
}

export type MetadataCheck = { ok: true; metadata: ClientMetadata } | { ok: false; problems: FieldProblem[] };

/** Zod issues as field problems; `where` prefixes every name (the admin API says `body.`). */
export function fieldProblems(error: z.ZodError, where?: string): FieldProblem[] {
  return error.issues.map((issue) => ({ field: [...(where ? [where] : []), ...issue.path.map(String)].join('.'), message: issue.message }));
}

/** `field: message`, or the message alone when the problem is the client's as a whole. */
export function describeProblem({ field, message }: FieldProblem): string {
  return field ? `${field}: ${message}` : message;
}

/** Validates client metadata given by its wire names (admin API body, CLI flags). */
export function checkClientMetadata(input: unknown): MetadataCheck {
  const result = clientMetadataSchema.safeParse(input);
  return result.success ? { ok: true, metadata: result.data } : { ok: false, problems: fieldProblems(result.error) };
}
