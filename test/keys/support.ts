import type { Clock } from '../../src/clock.js';
export { ManualClock } from '../helpers/manual-clock.js';
import type { Config } from '../../src/config.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import type { SigningAlg } from '../../src/keys/lifecycle.js';
import { rotationDeps } from '../../src/keys/setup.js';
import type { RotationDeps } from '../../src/keys/rotation.js';
import { startServer, type RunningServer } from '../../src/main.js';
import { testConfig } from '../helpers/config.js';

export const SECOND = 1000;

/** A real Latchkey on 127.0.0.1 over `database`, on `clock`. */
export function startKeyedServer(database: DatabaseHandle, clock: Clock, overrides: Record<string, string> = {}): Promise<RunningServer> {
  return startServer(testConfig(overrides), database, { clock });
}

/** Rotation deps as the server builds them, optionally generating another algorithm. */
export function rotationFor(database: DatabaseHandle, config: Config, clock: Clock, alg?: SigningAlg): RotationDeps {
  const deps = rotationDeps(database.db, config, clock);
  return alg ? { ...deps, policy: { ...deps.policy, alg } } : deps;
}

export async function fetchJwks(url: string): Promise<{ keys: Record<string, unknown>[] }> {
  const response = await fetch(`${url}/.well-known/jwks.json`);
  if (response.status !== 200) throw new Error(`JWKS answered ${response.status}`);
  return (await response.json()) as { keys: Record<string, unknown>[] };
}

export async function publishedKids(url: string): Promise<string[]> {
  return (await fetchJwks(url)).keys.map((key) => String(key.kid));
}
