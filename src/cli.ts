#!/usr/bin/env node
import { runCli } from './cli/run.js';
import type { CliIO } from './cli/io.js';
import { processEnvironment } from './config.js';

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const io: CliIO = {
  env: processEnvironment(),
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  readStdin,
};

const status = await runCli(process.argv.slice(2), io);
if (status !== 'running') process.exitCode = status;
