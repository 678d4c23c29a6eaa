import { describe, expect, it } from 'vitest';
import { OutageLog } from '../../src/http/outage-log.js';
import { redisAddress } from '../../src/http/rate-limits.js';
import { ManualClock } from '../helpers/manual-clock.js';

function recordingLog() {
  const lines: { level: 'warn' | 'info'; fields: object; message: string }[] = [];
  return {
    lines,
    warn: (fields: object, message: string) => void lines.push({ level: 'warn', fields, message }),
    info: (fields: object, message: string) => void lines.push({ level: 'info', fields, message }),
  };
}

describe('an outage in the log', () => {
  const setup = () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const log = recordingLog();
    const outage = new OutageLog({ what: 'rate-limit store (Redis) at cache:6379', consequence: 'rate limits are not enforced until it is back', log, clock });
    return { clock, log, outage };
  };

  it('logs one line however many attempts fail, then a reminder each minute, then one line on recovery', () => {
    const { clock, log, outage } = setup();
    // ioredis's first seconds: an attempt every few hundred milliseconds
    for (let i = 0; i < 7; i++) {
      outage.failed('connect ECONNREFUSED 127.0.0.1:6379');
      clock.advance(570);
    }
    expect(log.lines).toEqual([
      {
        level: 'warn',
        fields: { reason: 'connect ECONNREFUSED 127.0.0.1:6379' },
        message: 'rate-limit store (Redis) at cache:6379 unavailable (connect ECONNREFUSED 127.0.0.1:6379); rate limits are not enforced until it is back',
      },
    ]);
    // attempts every 2 s (ioredis's longest back-off) for the next three minutes
    while (clock.now() < Date.UTC(2026, 0, 1) + 185_000) {
      outage.failed('connect ECONNREFUSED 127.0.0.1:6379');
      clock.advance(2000);
    }
    const reminders = log.lines.slice(1);
    expect(reminders.map((l) => l.message.replace(/ \(connect.*$/, ''))).toEqual([
      'rate-limit store (Redis) at cache:6379 still unavailable after 62 s',
      'rate-limit store (Redis) at cache:6379 still unavailable after 2 min',
      'rate-limit store (Redis) at cache:6379 still unavailable after 3 min',
    ]);
    expect(reminders.every((l) => l.level === 'warn')).toBe(true);

    outage.recovered();
    outage.recovered(); // a second 'ready' says nothing more
    expect(log.lines.slice(4)).toEqual([{ level: 'info', fields: { downForSeconds: 186 }, message: 'rate-limit store (Redis) at cache:6379 reachable again after 3 min' }]);
  });

  it('says nothing on a first connection, and starts afresh on the next outage', () => {
    const { clock, log, outage } = setup();
    outage.recovered();
    expect(log.lines).toEqual([]);
    outage.failed('ECONNRESET');
    clock.advance(5000);
    outage.recovered();
    clock.advance(10_000);
    outage.failed('ETIMEDOUT');
    expect(log.lines.map((l) => l.message)).toEqual([
      'rate-limit store (Redis) at cache:6379 unavailable (ECONNRESET); rate limits are not enforced until it is back',
      'rate-limit store (Redis) at cache:6379 reachable again after 5 s',
      'rate-limit store (Redis) at cache:6379 unavailable (ETIMEDOUT); rate limits are not enforced until it is back',
    ]);
  });

  it('names the Redis address without its password', () => {
    expect(redisAddress('redis://:hunter2@cache.internal:6380/0')).toBe('cache.internal:6380');
    expect(redisAddress('rediss://user:hunter2@cache.internal')).toBe('cache.internal:6379');
  });
});
