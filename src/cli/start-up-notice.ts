import { resolve } from 'node:path';
import type { Config } from '../config.js';
import { GENERATED_KEY_NOTICE } from '../db/embedded-key-file.js';

/**
 * What `serve` tells the person who started it, in sentences on stderr (stdout carries the JSON
 * log, for machines). Said once; the log has the same facts as fields.
 */

/** Before the store opens: a first start on the embedded store takes seconds, so say why. */
export function beforeOpening(config: Config, storeExists: boolean): string {
  const lines: string[] = [];
  if (config.keyEncryptionKeySource === 'generated') lines.push(GENERATED_KEY_NOTICE);
  if (!config.DATABASE_URL && !storeExists) lines.push(`creating the embedded store in ${resolve(config.DATA_DIR)} (first start; this takes a few seconds)`);
  return lines.map((line) => `latchkey: ${line}\n`).join('');
}

/** Once listening: where, and the issuer clients must use (and where it came from). */
export function onceListening(config: Config, listeningUrl: string): string {
  const origin =
    config.issuerSource === 'derived'
      ? ` (ISSUER is unset, so it is derived from HOST and PORT; set ISSUER to the URL clients reach Latchkey at if it differs)`
      : '';
  const store = config.DATABASE_URL ? 'Postgres' : `the embedded store in ${resolve(config.DATA_DIR)}`;
  return `latchkey: listening on ${listeningUrl}, using ${store}\nlatchkey: issuer ${config.ISSUER}${origin}\n`;
}
