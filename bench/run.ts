import { signAndVerify } from './keys.js';
import { floodScenario } from './flood.js';
import { loadScenarios } from './load.js';

/**
 * `npm run bench [-- [--cpu-prof=DIR] [FILTER]]`: every scenario bounds its own running time.
 * FILTER (a substring of a scenario name: client_credentials, jwks, introspect, refresh, login,
 * dpop (the two DPoP scenarios with their unbound baselines), sign; `load` for the whole load
 * table; `peer` for node-oidc-provider's scenarios alone; `flood` for issue 16's login flood) runs
 * only the matching ones, on Latchkey and on the peer (the bare ceiling always runs with the load table);
 * several filters joined by commas (`client_credentials,jwks`) run each of them, in the table's order;
 * --cpu-prof=DIR writes a `node --cpu-prof` profile of the Latchkey server to DIR.
 */
const args = process.argv.slice(2);
const cpuProfDir = args.find((a) => a.startsWith('--cpu-prof='))?.slice('--cpu-prof='.length);
const only = args.find((a) => !a.startsWith('--'));

const SCENARIOS: { name: string; run: () => Promise<void> }[] = [
  { name: 'HTTP load (client_credentials, jwks, introspect, refresh, login, dpop; peer)', run: () => loadScenarios({ only: only === 'load' ? undefined : only, cpuProfDir }) },
  { name: 'sign and verify per algorithm', run: signAndVerify },
  { name: 'password flood (issue 16)', run: floodScenario },
];

for (const scenario of SCENARIOS) {
  if (only && !only.split(',').some((filter) => scenario.name.includes(filter))) continue;
  const started = performance.now();
  console.log(`\n== ${scenario.name}`);
  await scenario.run();
  console.log(`(${((performance.now() - started) / 1000).toFixed(1)} s)`);
}
