import { generateKeyPairSync } from 'node:crypto';
import { compactVerify, importJWK, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { inPoolBurst } from '../../src/keys/pool-dispatch.js';
import { JwsSigner } from '../../src/keys/jws-signer.js';
import { JwsVerifier } from '../../src/keys/jws-verifier.js';

/** Resolves in the check phase after the one inPoolBurst schedules when called before it. */
const nextCheckPhase = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('inPoolBurst: pool jobs asked for in one turn start together', () => {
  it('starts nothing synchronously, then every job of the turn in one check phase, in order', async () => {
    const started: number[] = [];
    const answers = [1, 2, 3].map((n) =>
      inPoolBurst<number>((resolve) => {
        started.push(n);
        resolve(n * 10);
      }),
    );
    expect(started).toEqual([]);
    // A callback queued after the burst's own setImmediate runs after all three have started.
    await nextCheckPhase();
    expect(started).toEqual([1, 2, 3]);
    expect(await Promise.all(answers)).toEqual([10, 20, 30]);
  });

  it('rejects only the promise whose start throws; the rest of the burst still starts', async () => {
    const started: string[] = [];
    const ok = inPoolBurst<string>((resolve) => {
      started.push('before');
      resolve('before');
    });
    const thrown = inPoolBurst<string>(() => {
      throw new Error('refused synchronously');
    });
    const after = inPoolBurst<string>((resolve) => {
      started.push('after');
      resolve('after');
    });
    await expect(thrown).rejects.toThrow('refused synchronously');
    expect(await ok).toBe('before');
    expect(await after).toBe('after');
    expect(started).toEqual(['before', 'after']);
  });

  it('a job asked for while a burst starts goes to a later burst, and still runs', async () => {
    const order: string[] = [];
    const inner = new Promise<string>((resolveInner) => {
      void inPoolBurst<void>((resolve) => {
        order.push('outer');
        void inPoolBurst<string>((resolveNested) => {
          order.push('nested');
          resolveNested('nested');
        }).then(resolveInner);
        order.push('outer done');
        resolve();
      });
    });
    expect(await inner).toBe('nested');
    expect(order).toEqual(['outer', 'outer done', 'nested']);
  });

  it('a burst later in the same process is scheduled again (the queue is not left stuck)', async () => {
    expect(await inPoolBurst<string>((resolve) => resolve('first'))).toBe('first');
    await nextCheckPhase();
    expect(await inPoolBurst<string>((resolve) => resolve('second'))).toBe('second');
  });
});

describe('signing and verifying through the bursts (real node:crypto on the pool)', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const privateJwk = { ...privateKey.export({ format: 'jwk' }), kid: 'burst', alg: 'ES256' } as JWK;
  const publicJwk = { ...publicKey.export({ format: 'jwk' }), kid: 'burst', alg: 'ES256' } as JWK;

  it('forty tokens signed in one turn are each a valid, distinct ES256 JWS that jose accepts', async () => {
    const signer = new JwsSigner('burst', 'ES256', privateJwk);
    const tokens = await Promise.all(Array.from({ length: 40 }, (_, n) => signer.signOffLoop({ n }, 'at+jwt')));
    expect(new Set(tokens).size).toBe(40);
    const key = await importJWK(publicJwk, 'ES256');
    const payloads = await Promise.all(tokens.map(async (token) => JSON.parse(new TextDecoder().decode((await compactVerify(token, key)).payload)) as { n: number }));
    expect(payloads.map((payload) => payload.n)).toEqual(Array.from({ length: 40 }, (_, n) => n));
  });

  it('in one burst, a good signature verifies and a tampered or malformed one does not', async () => {
    const signer = new JwsSigner('burst', 'ES256', privateJwk);
    const verifier = new JwsVerifier('ES256', publicJwk);
    const token = await signer.signOffLoop({ sub: 'alice' }, 'at+jwt');
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const input = Buffer.from(`${header}.${payload}`, 'ascii');
    const good = Buffer.from(signature, 'base64url');
    const tampered = Buffer.from(good);
    tampered[5] = tampered[5]! ^ 0xff;
    const answers = await Promise.all([
      verifier.verifyOffLoop(input, good),
      verifier.verifyOffLoop(input, tampered),
      verifier.verifyOffLoop(input, Buffer.alloc(3)),
      verifier.verifyOffLoop(Buffer.from(`${header}.${payload}x`, 'ascii'), good),
    ]);
    expect(answers).toEqual([true, false, false, false]);
  });
});
