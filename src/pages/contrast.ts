/** WCAG 2.2 contrast arithmetic (relative luminance, 1.4.3 / 1.4.11) for the operator's accent colour. */

export type Rgb = readonly [number, number, number];

/** "#rgb" or "#rrggbb" (any case) -> [r, g, b]; undefined for anything else. */
export function parseHexColour(value: string): Rgb | undefined {
  const match = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(value.trim());
  if (!match) return undefined;
  const hex = match[1]!.length === 3 ? [...match[1]!].map((c) => c + c).join('') : match[1]!;
  return [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16)) as unknown as Rgb;
}

export function toHex(rgb: Rgb): string {
  return `#${rgb.map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`;
}

/** WCAG relative luminance. */
export function luminance(rgb: Rgb): number {
  const [r, g, b] = rgb.map((c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG contrast ratio, 1 to 21. */
export function contrast(a: Rgb, b: Rgb): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

function mix(from: Rgb, to: Rgb, share: number): Rgb {
  return from.map((c, i) => c + (to[i]! - c) * share) as unknown as Rgb;
}

/**
 * The colour nearest to `colour` (mixed towards black or white, whichever moves away from the
 * background) that reaches `ratio` against `background`; `colour` itself when it already does.
 */
export function ensureContrast(colour: Rgb, background: Rgb, ratio: number): Rgb {
  if (contrast(colour, background) >= ratio) return colour;
  const towards: Rgb = luminance(background) > 0.18 ? [0, 0, 0] : [255, 255, 255];
  for (let step = 1; step <= 100; step++) {
    const candidate = mix(colour, towards, step / 100).map(Math.round) as unknown as Rgb;
    if (contrast(candidate, background) >= ratio) return candidate;
  }
  return towards;
}

/** White or black text on `background`, whichever contrasts more: one of them always reaches 4.58:1 (the worst case is a background of luminance 0.18). */
export function textOn(background: Rgb): Rgb {
  const white: Rgb = [255, 255, 255];
  const dark: Rgb = [0, 0, 0];
  return contrast(white, background) >= contrast(dark, background) ? white : dark;
}
