import { describe, expect, it } from 'vitest';
import { KeyBox } from '../../src/keys/crypto-box.js';
import { generateSigningKey } from '../../src/keys/generate.js';
import { KeyRing } from '../../src/keys/ring.js';
import type { StoredKey } from '../../src/keys/store.js';
import { TEST_KEY_ENCRYPTION_KEY } from '../helpers/config.js';
import { ManualClock } from '../helpers/manual-clock.js';

const NOW = Date.parse('2032-01-01T00:00:00Z');
const HOUR = 3_600_000;

describe('the JWKS document of the key ring', () => {
  it('is built once per change of the published keys, not on every reload', async () => {
    const box = new KeyBox(TEST_KEY_ENCRYPTION_KEY);
    const clock = new ManualClock(NOW);
    const row = async (activatesAt: number, removesAt: number | null = null): Promise<StoredKey> => {
      const key = await generateSigningKey('ES256');
      return { ...key, privateKeyEncrypted: box.seal(JSON.stringify(key.privateJwk), key.kid), activatesAt, retiresAt: null, removesAt, createdAt: activatesAt };
    };
    const rows = [await row(NOW - HOUR, NOW + HOUR)];
    const ring = new KeyRing(() => Promise.resolve([...rows]), box, clock);
    await ring.reload();
    const first = ring.jwks();

    await ring.reload();
    expect(ring.jwks()).toBe(first);

    rows.push(await row(NOW + HOUR / 2)); // a next key: published at once
    await ring.reload();
    const second = ring.jwks();
    expect(second.etag).not.toBe(first.etag);
    expect(JSON.parse(second.body).keys).toHaveLength(2);

    clock.set(NOW + HOUR); // the first key is removed: the document follows the clock
    const third = ring.jwks();
    expect(JSON.parse(third.body).keys.map((key: { kid: string }) => key.kid)).toEqual([rows[1]!.kid]);
    expect(third.etag).not.toBe(second.etag);
    await ring.reload();
    expect(ring.jwks()).toBe(third);
  });
});
