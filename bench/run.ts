import { jwksRequests, signAndVerify } from './keys.js';

/**
 * `npm run bench`: each scenario bounds its own running time (seconds, not minutes) and prints
 * its own table. Add scenarios to this list.
 */
const SCENARIOS: { name: string; run: () => Promise<void> }[] = [
  { name: 'sign and verify per algorithm', run: signAndVerify },
  { name: 'JWKS requests', run: jwksRequests },
];

const only = process.argv[2];
for (const scenario of SCENARIOS) {
  if (only && !scenario.name.includes(only)) continue;
  const started = performance.now();
  console.log(`\n== ${scenario.name}`);
  await scenario.run();
  console.log(`(${((performance.now() - started) / 1000).toFixed(1)} s)`);
}
