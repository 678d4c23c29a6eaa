import { readFileSync } from 'node:fs';

/** The largest logo Latchkey serves: a logo is a few KiB; anything larger is a mistake or an attack on memory. */
export const MAX_LOGO_BYTES = 256 * 1024;

export interface LogoFile {
  bytes: Buffer;
  /** From the allow-list below, decided by the file's content (never by its name alone). */
  contentType: 'image/png' | 'image/webp' | 'image/jpeg' | 'image/gif' | 'image/svg+xml';
}

function startsWith(bytes: Buffer, signature: string, offset = 0): boolean {
  return bytes.subarray(offset, offset + signature.length).toString('latin1') === signature;
}

/** What the bytes are, from their signature; SVG from its root element. undefined: not an allowed image. */
export function sniffImage(bytes: Buffer): LogoFile['contentType'] | undefined {
  if (startsWith(bytes, '\x89PNG\r\n\x1a\n')) return 'image/png';
  if (startsWith(bytes, 'RIFF') && startsWith(bytes, 'WEBP', 8)) return 'image/webp';
  if (startsWith(bytes, '\xff\xd8\xff')) return 'image/jpeg';
  if (startsWith(bytes, 'GIF87a') || startsWith(bytes, 'GIF89a')) return 'image/gif';
  const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
  // An XML declaration, comments and a doctype may come first; then the root must be <svg.
  const prologue = /^\s*(<\?xml[^>]*\?>\s*)?(<!--[\s\S]*?-->\s*)*(<!DOCTYPE[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*<svg[\s>]/i;
  if (prologue.test(text)) return 'image/svg+xml';
  return undefined;
}

/** Reads and checks BRAND_LOGO_FILE. Throws an Error whose message completes "BRAND_LOGO_FILE ...". */
export function readLogoFile(path: string): LogoFile {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new Error(`cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): ${path}`, { cause: error });
  }
  if (bytes.length === 0) throw new Error(`is empty: ${path}`);
  if (bytes.length > MAX_LOGO_BYTES) throw new Error(`is ${bytes.length} bytes; a logo may have at most ${MAX_LOGO_BYTES} bytes (${MAX_LOGO_BYTES / 1024} KiB)`);
  const contentType = sniffImage(bytes);
  if (!contentType) throw new Error('must be a PNG, WebP, JPEG, GIF or SVG image (decided by its content)');
  return { bytes, contentType };
}
