import { loadConfig, type Config } from '../../src/config.js';

/** A valid configuration for tests: quiet logs, random port, the given overrides. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', PORT: '0', HOST: '127.0.0.1', ...overrides });
}
