import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { systemClock } from '../../src/clock.js';
import { KeyBox, KeyDecryptionError } from '../../src/keys/crypto-box.js';
import { rotateNow } from '../../src/keys/rotation.js';
import { startServer } from '../../src/main.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { rotationFor } from './support.js';

const KEK = 'k'.repeat(40);
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi'];

interface RawRow {
  kid: string;
  alg: string;
  public_jwk: Record<string, string>;
  private_key_encrypted: string;
}

describe('signing keys at rest', () => {
  let database: TestDatabase;
  const config = testConfig({ KEY_ENCRYPTION_KEY: KEK });

  beforeAll(async () => {
    database = await createTestDatabase();
    for (const alg of ['ES256', 'EdDSA', 'RS256', 'PS256'] as const) await rotateNow(rotationFor(database.handle, config, systemClock, alg));
  });
  afterAll(async () => database?.destroy());

  it('hold no plaintext private key in any column, for every algorithm', async () => {
    const { rows } = await sql<RawRow>`select kid, alg, public_jwk, private_key_encrypted from signing_keys`.execute(database.handle.db);
    expect(rows.map((row) => row.alg).sort()).toEqual(['ES256', 'EdDSA', 'PS256', 'RS256']);
    const box = new KeyBox(KEK);
    for (const row of rows) {
      for (const member of PRIVATE_MEMBERS) expect(row.public_jwk).not.toHaveProperty(member);
      expect(row.private_key_encrypted).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
      // The real private key, opened with the right KEY_ENCRYPTION_KEY, appears nowhere in the row.
      const privateJwk = JSON.parse(box.open(row.private_key_encrypted, row.kid)) as Record<string, string>;
      expect(privateJwk.d).toEqual(expect.any(String));
      const wholeRow = JSON.stringify(row);
      for (const member of PRIVATE_MEMBERS.filter((m) => privateJwk[m])) expect(wholeRow).not.toContain(privateJwk[member]);
      expect(wholeRow).not.toMatch(/"d"\s*:/);
      expect(wholeRow).not.toContain('PRIVATE KEY');
    }
  });

  it('stop the start with a clear error when KEY_ENCRYPTION_KEY is not the one they were encrypted with', async () => {
    const start = startServer(testConfig({ KEY_ENCRYPTION_KEY: 'w'.repeat(40) }), database.handle);
    await expect(start).rejects.toBeInstanceOf(KeyDecryptionError);
    await expect(start).rejects.toThrow(/^cannot decrypt signing keys: KEY_ENCRYPTION_KEY is not the key they were encrypted with/);
  });

  it('start fine with the right KEY_ENCRYPTION_KEY', async () => {
    const server = await startServer(config, database.handle);
    try {
      expect((await fetch(`${server.url}/.well-known/jwks.json`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
