import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../../src/users/password.js';

describe('password hashing', () => {
  it('produces an argon2id hash with the OWASP parameters that verifies', async () => {
    const hash = await hashPassword('s3cret pass');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await verifyPassword(hash, 's3cret pass')).toBe(true);
    expect(await verifyPassword(hash, 's3cret pasS')).toBe(false);
    expect(await verifyPassword(hash, '')).toBe(false);
  });

  it('salts: the same password hashes differently twice', async () => {
    expect(await hashPassword('same')).not.toBe(await hashPassword('same'));
  });

  it('refuses a malformed stored hash instead of throwing', async () => {
    expect(await verifyPassword('not-a-hash', 'x')).toBe(false);
  });

  it('spends an argon2 verification on an unknown user, then refuses', async () => {
    await verifyPassword(null, 'warm-up'); // creates the dummy hash once
    const known = await hashPassword('pw');
    const time = async (fn: () => Promise<unknown>) => {
      const start = process.hrtime.bigint();
      await fn();
      return Number(process.hrtime.bigint() - start) / 1e6;
    };
    expect(await verifyPassword(undefined, 'pw')).toBe(false);
    // Not a timing benchmark: an argon2id verification at m=19 MiB cannot finish in under 2 ms,
    // so this only proves the unknown-user path does one, like the known-user path.
    expect(await time(() => verifyPassword(null, 'pw'))).toBeGreaterThan(2);
    expect(await time(() => verifyPassword(known, 'wrong'))).toBeGreaterThan(2);
  });
});
