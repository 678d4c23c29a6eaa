import { loadConfig, type Config } from '../../src/config.js';

/**
 * A fixed, random-looking KEY_ENCRYPTION_KEY for tests (there is no built-in key any more).
 * Pass `KEY_ENCRYPTION_KEY: ''` to test the unset case.
 */
export const TEST_KEY_ENCRYPTION_KEY = 'kT3x9QvWm2Lr7Yc4Nd8Hp1Zs6Bf0Ja5Ug2Ee7Ro9Iw4';

/**
 * A valid configuration for tests: quiet logs, random port, the given overrides. PORT=0 cannot
 * derive an issuer, so one is named (the value an unset ISSUER used to default to).
 */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', PORT: '0', HOST: '127.0.0.1', ISSUER: 'http://localhost:3000', KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY, ...overrides });
}
