import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../../src/db/transaction.js';
import { insertPasskey } from '../../src/users/passkey-store.js';
import { enrolledFactorKinds, listFactors, removeAllFactors } from '../../src/users/second-factors.js';
import { makeUser } from '../helpers/fixtures.js';
import { injectableApp, type InjectableApp } from '../unit/app.js';

/** Passkeys are a kind of second factor: they count, are listed (for the admin API and /account) and go with an operator's reset. */
describe('passkeys among the second factors', () => {
  let subject: InjectableApp;
  beforeAll(async () => {
    subject = await injectableApp();
  });
  afterAll(async () => subject?.close());

  it('a user with only a passkey has a second factor; the list shows it without its key; the reset removes it', async () => {
    const user = await makeUser(subject.db);
    const other = await makeUser(subject.db);
    expect(await enrolledFactorKinds(subject.db, user.id)).toEqual([]);
    const now = new Date(subject.clock.now());
    for (const [owner, id] of [[user, 'Y3JlZC1h'], [other, 'Y3JlZC1i']] as const) {
      await insertPasskey(subject.db, { userId: owner.id, credentialId: id, publicKey: 'cHVibGlj', signCount: 0, transports: ['internal'], backupEligible: true, backedUp: true, aaguid: '00000000-0000-0000-0000-000000000000', name: 'Phone', createdAt: now });
    }
    expect(await enrolledFactorKinds(subject.db, user.id)).toEqual(['passkey']);
    const listed = await listFactors(subject.db, user.id);
    expect(listed).toEqual([{ kind: 'passkey', id: expect.any(String), name: 'Phone', synced: true, createdAt: now, lastUsedAt: null }]);
    expect(JSON.stringify(listed)).not.toContain('cHVibGlj');
    expect(await withTransaction(subject.db, (trx) => removeAllFactors(trx, user.id))).toEqual(['passkey']);
    expect(await enrolledFactorKinds(subject.db, user.id)).toEqual([]);
    expect(await enrolledFactorKinds(subject.db, other.id)).toEqual(['passkey']);
  });
});
