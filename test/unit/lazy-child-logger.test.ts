import { Writable } from 'node:stream';
import Fastify from 'fastify';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { lazyChildLogger } from '../../src/http/lazy-child-logger.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, stream };
}

describe('the per-request child logger is made only when it logs', () => {
  it('logs at an enabled level with the request bindings, and nothing at a disabled one', () => {
    const { lines, stream } = capture();
    const parent = pino({ level: 'warn' }, stream);
    let made = 0;
    const counting = Object.assign(Object.create(parent) as typeof parent, {
      child: (...args: Parameters<typeof parent.child>) => {
        made += 1;
        return parent.child(...args);
      },
    });
    const log = lazyChildLogger(counting, { reqId: 'r-1' });
    log.info('not written');
    log.debug('not written either');
    expect(made).toBe(0);
    expect(log.level).toBe('warn');
    log.warn({ detail: 1 }, 'written');
    log.error('also written');
    expect(made).toBe(1);
    expect(lines.map((l) => [l.reqId, l.msg, l.level])).toEqual([
      ['r-1', 'written', 40],
      ['r-1', 'also written', 50],
    ]);
  });

  it('a level raised on the child (fastify route logLevel) applies to it', () => {
    const { lines, stream } = capture();
    const log = lazyChildLogger(pino({ level: 'warn' }, stream), { reqId: 'r-2' });
    log.level = 'info';
    log.info('now written');
    expect(lines.map((l) => l.msg)).toEqual(['now written']);
  });

  it("a child of it carries both the request's bindings and its own", () => {
    const { lines, stream } = capture();
    const log = lazyChildLogger(pino({ level: 'warn' }, stream), { reqId: 'r-3' });
    log.child({ step: 'mfa' }).warn('nested');
    log.info('dropped');
    log.error('direct');
    expect(lines.map((l) => [l.reqId, l.step, l.msg])).toEqual([
      ['r-3', 'mfa', 'nested'],
      ['r-3', undefined, 'direct'],
    ]);
  });

  it("fastify uses it: a request's warning carries its id, a quiet request logs nothing", async () => {
    const { lines, stream } = capture();
    const app = Fastify({ loggerInstance: pino({ level: 'warn' }, stream), childLoggerFactory: lazyChildLogger, genReqId: () => 'req-42' });
    app.get('/quiet', async () => 'ok');
    app.get('/loud', async (request) => {
      request.log.warn('something odd');
      return 'ok';
    });
    expect((await app.inject('/quiet')).statusCode).toBe(200);
    expect(lines).toEqual([]);
    expect((await app.inject('/loud')).statusCode).toBe(200);
    expect(lines.map((l) => [l.reqId, l.msg])).toEqual([['req-42', 'something odd']]);
    await app.close();
  });
});
