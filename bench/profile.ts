import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Where a function lives: a package under node_modules, Node's own code, or Latchkey's. */
function origin(url: string): string {
  if (!url) return '(native/VM)';
  if (url.startsWith('node:')) return 'node core';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const own = /\/(dist\/)?(src|migrations)\/(.*)$/.exec(url);
  return own ? `latchkey ${own[2]}/${own[3]}` : url;
}

/** Self time per function and per package/module of a `node --cpu-prof` profile. */
export function summarize(file: string, top = 25): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map<number, number>();
  profile.samples.forEach((id, i) => selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = profile.endTime - profile.startTime;
  const busy = [...selfMicros].filter(([id]) => byId.get(id)?.callFrame.functionName !== '(idle)').reduce((sum, [, us]) => sum + us, 0);

  const byFunction = new Map<string, number>();
  const byOrigin = new Map<string, number>();
  for (const [id, micros] of selfMicros) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const where = url ? `${origin(url)}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'} ${where}`.trim();
    byFunction.set(key, (byFunction.get(key) ?? 0) + micros);
    const group = functionName.startsWith('(') ? functionName : origin(url);
    byOrigin.set(group, (byOrigin.get(group) ?? 0) + micros);
  }
  const rows = (map: Map<string, number>, n: number) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, micros]) => ({ name, 'self ms': Math.round(micros / 1000), '% of wall': `${((micros / total) * 100).toFixed(1)} %`, '% of busy': name.startsWith('(idle)') ? '-' : `${((micros / busy) * 100).toFixed(1)} %` }));
  console.log(`${file}: ${(total / 1e6).toFixed(1)} s profiled, main thread busy ${((busy / total) * 100).toFixed(0)} %`);
  console.log('Top self time by function:');
  console.table(rows(byFunction, top));
  console.log('Self time by package / module:');
  console.table(rows(byOrigin, 15));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const file of process.argv.slice(2)) summarize(file);
}
