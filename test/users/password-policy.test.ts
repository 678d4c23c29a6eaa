import { describe, expect, it } from 'vitest';
import { newPasswordProblem, PASSWORD_MAX_LENGTH } from '../../src/users/password-policy.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { TEST_KEY_ENCRYPTION_KEY } from '../helpers/config.js';

describe('the rule for a password being set', () => {
  const policy = { minLength: 8 };

  it.each([
    ['', 'password must not be empty'],
    ['   \t ', 'password must not be only white space'],
    ['x', 'password must be at least 8 characters'],
    ['1234567', 'password must be at least 8 characters'],
    // four emoji are eight UTF-16 units but four characters, as NIST SP 800-63B counts them
    ['🔑🔑🔑🔑', 'password must be at least 8 characters'],
    ['x'.repeat(PASSWORD_MAX_LENGTH + 1), 'password must be at most 1024 characters'],
  ])('refuses %j', (password, problem) => {
    expect(newPasswordProblem(password, policy)).toBe(problem);
  });

  it.each(['12345678', '🔑'.repeat(8), 'correct horse battery staple', ' padded  ', 'ü'.repeat(PASSWORD_MAX_LENGTH)])('accepts %j (no composition rules)', (password) => {
    expect(newPasswordProblem(password, policy)).toBeUndefined();
  });

  it('uses the configured minimum', () => {
    expect(newPasswordProblem('twelve chars', { minLength: 13 })).toBe('password must be at least 13 characters');
    expect(newPasswordProblem('ab', { minLength: 1 })).toBeUndefined();
  });
});

describe('PASSWORD_MIN_LENGTH', () => {
  const env = { KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY };
  it('defaults to 8 (NIST SP 800-63B)', () => {
    expect(loadConfig(env).PASSWORD_MIN_LENGTH).toBe(8);
  });
  it.each(['0', '1025', 'eight', '-1'])('refuses %s', (value) => {
    expect(() => loadConfig({ ...env, PASSWORD_MIN_LENGTH: value })).toThrow(ConfigError);
    expect(() => loadConfig({ ...env, PASSWORD_MIN_LENGTH: value })).toThrow(/^PASSWORD_MIN_LENGTH must be a whole number from 1 to 1024/);
  });
});
