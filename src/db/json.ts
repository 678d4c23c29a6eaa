/**
 * jsonb values are sent as JSON text: the pg driver would otherwise turn a JS array into a
 * Postgres array literal, and PGlite and pg must store exactly the same thing.
 */
export function jsonb(value: unknown): string {
  return JSON.stringify(value);
}
