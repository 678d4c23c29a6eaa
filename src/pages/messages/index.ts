import Negotiator from 'negotiator';
import { de } from './de.js';
import { en, type Messages } from './en.js';

export type { Messages };

/** The shipped catalogues; the first is the fallback. A new language: its file and one line here. */
export const CATALOGUES = { en, de } as const satisfies Record<string, Messages>;

export type Language = keyof typeof CATALOGUES;
const LANGUAGES = Object.keys(CATALOGUES) as Language[];

/**
 * The language to answer in, from Accept-Language (RFC 9110 12.5.4, q-values honoured, "de-CH"
 * matches "de"); English when nothing offered matches.
 */
export function negotiateLanguage(acceptLanguage: string | undefined): Language {
  if (!acceptLanguage) return 'en';
  const [best] = new Negotiator({ headers: { 'accept-language': acceptLanguage.slice(0, 1024) } }).languages(LANGUAGES);
  return (best as Language | undefined) ?? 'en';
}

/** What the consent and device pages tell a person a scope gives away; the application defines any other scope. */
export function describeScope(t: Messages, scope: string): string {
  return Object.hasOwn(t.scopeDescriptions, scope) ? t.scopeDescriptions[scope]! : t.scopeOther;
}
