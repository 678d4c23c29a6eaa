import { createHash } from 'node:crypto';
import { parseHexColour, type Rgb } from './contrast.js';
import type { LogoFile } from './logo-file.js';

/** What operators brand the pages with (BRAND_* settings, read in config.ts). */
export interface Branding {
  productName: string;
  /** Served by Latchkey itself at LOGO_PATH; never fetched from anywhere. */
  logo?: LogoFile;
  /** The operator's colour; the pages derive contrast-safe variants of it (stylesheet.ts). */
  accent: Rgb;
  /** Where the "contact support" link on every page goes (https, http or mailto). */
  supportUrl?: string;
}

export const DEFAULT_ACCENT = '#2457d6';
export const DEFAULT_BRANDING: Branding = { productName: 'Latchkey', accent: parseHexColour(DEFAULT_ACCENT)! };

export const LOGO_PATH = '/assets/logo';

/** The logo's URL with a content hash, so a changed logo is fetched again though the old one is cached. */
export function logoUrl(logo: LogoFile): string {
  return `${LOGO_PATH}?v=${createHash('sha256').update(logo.bytes).digest('hex').slice(0, 16)}`;
}
