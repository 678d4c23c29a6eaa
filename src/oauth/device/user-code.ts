import { randomInt } from 'node:crypto';
import { sha256Hex } from '../../opaque-token.js';

/**
 * RFC 8628 6.1: the user code is typed by a person, often on a phone, so it is short and from an
 * alphabet without look-alikes. Twenty consonants: no vowels (so no words, rude or otherwise), no
 * digits (so no 0/O, 1/I/L, 5/S, 8/B confusion to repair), nothing that needs a shift or symbol
 * key. Eight of them give 20^8 ≈ 2.6e10 codes (about 34 bits): with a thousand codes live at once
 * a guess hits one with probability 4e-8, and guesses at /device are rate-limited per address
 * (RFC 8628 5.1).
 */
export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
export const USER_CODE_LENGTH = 8;

/** Longest input worth looking at: 8 letters plus generous spacing; anything longer is refused unread. */
const MAX_INPUT_LENGTH = 32;
const CANONICAL = new RegExp(`^[${USER_CODE_ALPHABET}]{${USER_CODE_LENGTH}}$`);
/** What a person may type: ASCII letters, spaces, tabs and hyphens; nothing else is folded. */
const TYPED = /^[A-Za-z \t-]*$/;

/** A new user code in canonical form (8 letters); randomInt draws each letter without modulo bias. */
export function newUserCode(): string {
  let code = '';
  for (let i = 0; i < USER_CODE_LENGTH; i++) code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  return code;
}

/** How a code is shown and handed to the device: BCDF-GHJK. */
export function formatUserCode(canonical: string): string {
  return `${canonical.slice(0, 4)}-${canonical.slice(4)}`;
}

/**
 * What a person typed, as the canonical 8 letters, or undefined when it cannot be a user code.
 * Case, spaces and hyphens do not matter (RFC 8628 6.1); any other character — a digit, a vowel,
 * punctuation, or a non-ASCII look-alike such as Cyrillic В or fullwidth Ｂ — makes the input
 * invalid rather than being guessed at, so exactly one typed form maps to each code and nothing
 * about Unicode case mapping (ß → SS, ſ → S) can widen what matches.
 */
export function normaliseUserCode(input: unknown): string | undefined {
  if (typeof input !== 'string' || input.length > MAX_INPUT_LENGTH || !TYPED.test(input)) return undefined;
  const letters = input.replace(/[ \t-]/g, '').toUpperCase();
  return CANONICAL.test(letters) ? letters : undefined;
}

/** The stored form of a canonical user code. */
export function hashUserCode(canonical: string): string {
  return sha256Hex(canonical);
}
