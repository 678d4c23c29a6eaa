import argon2 from 'argon2';
import { afterEach, describe, expect, it } from 'vitest';
import { ARGON2_OPTIONS, DUMMY_HASH, hashPassword, limitPasswordHashing, passwordHashing, PasswordWorkRefused, verifyPassword } from '../../src/users/password.js';

describe('password hashing through the gate', () => {
  afterEach(() => limitPasswordHashing(2, 8));

  it('keeps the unknown-user hash in step with ARGON2_OPTIONS, so its verification costs what a real one does', () => {
    const params = /^\$argon2id\$v=19\$m=(\d+),p=(\d+),t=(\d+)\$/.exec(DUMMY_HASH);
    expect(params).not.toBeNull();
    expect(ARGON2_OPTIONS.type).toBe(argon2.argon2id);
    expect({ m: Number(params![1]), p: Number(params![2]), t: Number(params![3]) }).toEqual({ m: ARGON2_OPTIONS.memoryCost, p: ARGON2_OPTIONS.parallelism, t: ARGON2_OPTIONS.timeCost });
  });

  it('verifies through one slot each: a right password, a wrong one, no stored hash (one throwaway verification), a malformed hash', async () => {
    limitPasswordHashing(1, 4);
    const hash = await hashPassword('correct horse');
    const before = passwordHashing().load().started;
    expect(await verifyPassword(hash, 'correct horse')).toBe(true);
    expect(await verifyPassword(hash, 'wrong horse')).toBe(false);
    expect(await verifyPassword(null, 'anything')).toBe(false);
    expect(await verifyPassword('$argon2id$not-a-hash', 'anything')).toBe(false);
    expect(passwordHashing().load().started - before).toBe(4);
  });

  it('rejects with PasswordWorkRefused when the gate is full, never answering "wrong password"', async () => {
    limitPasswordHashing(1, 0);
    let open!: () => void;
    const held = passwordHashing().run(() => new Promise<void>((resolve) => (open = resolve)));
    try {
      await expect(verifyPassword(DUMMY_HASH, 'x')).rejects.toBeInstanceOf(PasswordWorkRefused);
      await expect(verifyPassword(null, 'x')).rejects.toMatchObject({ reason: 'queue_full' });
      await expect(hashPassword('x')).rejects.toMatchObject({ reason: 'queue_full' });
      await expect(hashPassword('x', AbortSignal.abort('client_gone'))).rejects.toMatchObject({ reason: 'client_gone' });
    } finally {
      open();
      await held;
    }
  });
});
