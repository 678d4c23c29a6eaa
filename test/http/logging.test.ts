import { Writable } from 'node:stream';
import Fastify from 'fastify';
import formbody from '@fastify/formbody';
import { describe, expect, it } from 'vitest';
import { loggerOptions, redactUrl } from '../../src/http/logger.js';

describe('log redaction', () => {
  it('redacts credentials in query strings', () => {
    expect(redactUrl('/logout?id_token_hint=eyJ.secret.sig&state=abc')).toBe('/logout?id_token_hint=%5BRedacted%5D&state=abc');
    expect(redactUrl('/cb?code=abc&state=s')).toBe('/cb?code=%5BRedacted%5D&state=s');
    expect(redactUrl('/healthz')).toBe('/healthz');
  });

  it('keeps passwords, secrets, tokens, cookies and Authorization headers out of log lines', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const options = { ...(loggerOptions({ LOG_LEVEL: 'trace' }) as object), stream };
    const app = Fastify({ logger: options });
    await app.register(formbody);
    app.post('/echo', async (request) => {
      request.log.info({ body: request.body, headers: request.headers }, 'got body');
      request.log.info(request.body as object, 'flat body');
      return { ok: true };
    });
    await app.inject({
      method: 'POST',
      url: '/echo?code=THECODE&token=THETOKEN',
      headers: { authorization: 'Basic QUxBRERJTjpPUEVOU0VTQU1F', cookie: 'lk_session=SESSIONVALUE', 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'password=hunter2&client_secret=lk_cs_SECRET&refresh_token=lk_rt_REFRESH&username=alice',
    });
    await app.close();
    const log = lines.join('');
    expect(log).toContain('got body');
    expect(log).toContain('alice');
    for (const secret of ['THECODE', 'THETOKEN', 'QUxBRERJTjpPUEVOU0VTQU1F', 'SESSIONVALUE', 'hunter2', 'lk_cs_SECRET', 'lk_rt_REFRESH']) {
      expect(log).not.toContain(secret);
    }
  });
});
