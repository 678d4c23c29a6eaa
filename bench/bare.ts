import formbody from '@fastify/formbody';
import Fastify from 'fastify';
import { fileURLToPath } from 'node:url';
import { freePort, startChild, type ChildServer } from './server.js';

/**
 * The ceiling of this machine: a bare Fastify server (no logger, @fastify/formbody) whose
 * POST /echo parses a urlencoded body and answers a small JSON. It runs in a child process like
 * the Latchkey under test, so both share the machine with the load generator the same way.
 */
async function serveBare(): Promise<void> {
  const app = Fastify({ logger: false });
  await app.register(formbody);
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.post('/echo', async (request) => {
    const body = request.body as Record<string, string | undefined>;
    return { ok: true, grant_type: body.grant_type ?? null, fields: Object.keys(body).length };
  });
  await app.listen({ host: process.env.HOST ?? '127.0.0.1', port: Number(process.env.PORT) });
  const close = () => void app.close().then(() => process.exit(0));
  process.once('SIGTERM', close);
  process.once('SIGINT', close);
}

export async function startBare(): Promise<ChildServer> {
  const port = await freePort();
  return startChild(['--import', 'tsx', fileURLToPath(import.meta.url), 'serve'], { NODE_ENV: 'production' }, port);
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'serve') await serveBare();
