/* global process, console */
// Fails unless every browser suite ran: each test file that uses test/helpers/chromium.ts must appear
// in vitest's JSON report with at least one test, every one of them passed (none skipped or todo).
// Usage: node .ci/assert-browser-suites.mjs <vitest-json-report> <label>
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const [reportPath, label = 'browser suites'] = process.argv.slice(2);
if (!reportPath) {
  console.error('usage: node .ci/assert-browser-suites.mjs <vitest-json-report> <label>');
  process.exit(2);
}
const root = resolve(import.meta.dirname, '..');
const usesBrowser = /from '(?:\.\.?\/)+(?:helpers\/)?chromium\.js'/;

function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

const browserFiles = testFiles(join(root, 'test')).filter((file) => usesBrowser.test(readFileSync(file, 'utf8')));
const report = JSON.parse(readFileSync(reportPath, 'utf8'));
const results = new Map(report.testResults.map((result) => [resolve(result.name), result]));

const problems = [];
let passed = 0;
for (const file of browserFiles) {
  const name = relative(root, file);
  const result = results.get(file);
  if (!result) {
    problems.push(`${name}: not in the report (did not run)`);
    continue;
  }
  const tests = result.assertionResults ?? [];
  const notPassed = tests.filter((test) => test.status !== 'passed');
  if (tests.length === 0) problems.push(`${name}: ran no test`);
  for (const test of notPassed) problems.push(`${name}: "${test.title}" ${test.status}`);
  passed += tests.length - notPassed.length;
}
if (browserFiles.length === 0) problems.push('no test file uses test/helpers/chromium.ts');

if (problems.length > 0) {
  console.error(`${label}: the browser suites did not all run and pass:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`${label}: ${browserFiles.length} browser suites, ${passed} tests passed, none skipped`);
