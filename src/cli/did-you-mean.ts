import { distance } from 'fastest-levenshtein';

/** Two neighbouring letters swapped ("nwo" for "now"): one slip of the fingers, two Levenshtein edits. */
function isTransposition(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  const differ = [...a].flatMap((ch, i) => (ch === b[i] ? [] : [i]));
  return differ.length === 2 && differ[1] === differ[0]! + 1 && a[differ[0]!] === b[differ[1]!] && a[differ[1]!] === b[differ[0]!];
}

/**
 * The candidate a mistyped word most likely meant: the nearest by edit distance, if it is within
 * a third of the word's length (at least one edit; a swap of neighbours counts as one), else the only candidate the word begins.
 * Leading dashes are ignored, so "--pasword-stdin" finds "--password-stdin".
 */
export function closestMatch(input: string, candidates: readonly string[]): string | undefined {
  const bare = (word: string) => word.replace(/^-+/, '').toLowerCase();
  const word = bare(input);
  if (word.length === 0) return undefined;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = isTransposition(word, bare(candidate)) ? 1 : distance(word, bare(candidate));
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  if (best !== undefined && bestDistance <= Math.max(1, Math.floor(word.length / 3))) return best;
  const extended = candidates.filter((candidate) => word.length >= 2 && bare(candidate).startsWith(word));
  return extended.length === 1 ? extended[0] : undefined;
}

/** " (did you mean X?)", or nothing. */
export function didYouMean(input: string, candidates: readonly string[], show: (match: string) => string = (m) => m): string {
  const match = closestMatch(input, candidates);
  return match === undefined ? '' : ` (did you mean ${show(match)}?)`;
}
