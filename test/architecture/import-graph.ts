import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';

/**
 * The import graph of src/, read from the source text (no dependency: a regex over the import
 * and export statements). Only relative specifiers count; packages are not part of the map.
 * Type-only imports count too: they couple the folders just the same.
 */

const SPECIFIER = /(?:^|[\n;])\s*(?:import|export)\b[^;'"`]*?\bfrom\s*['"]([^'"]+)['"]|(?:^|[\n;])\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The relative module specifiers a source text imports or re-exports. */
export function importSpecifiers(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(SPECIFIER)) {
    const specifier = match[1] ?? match[2] ?? match[3];
    if (specifier?.startsWith('.')) found.push(specifier);
  }
  return found;
}

function listTypeScript(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return listTypeScript(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

const toPosix = (path: string) => path.split(sep).join(posix.sep);

export type Graph = Map<string, Set<string>>;

function addEdge(graph: Graph, from: string, to: string): void {
  if (!graph.has(from)) graph.set(from, new Set());
  if (!graph.has(to)) graph.set(to, new Set());
  graph.get(from)!.add(to);
}

/** File-level graph over src/: paths relative to the repository ("src/oauth/routes.ts"). */
export function fileGraph(repoRoot: string): Graph {
  const graph: Graph = new Map();
  for (const absolute of listTypeScript(join(repoRoot, 'src'))) {
    const from = toPosix(relative(repoRoot, absolute));
    graph.set(from, graph.get(from) ?? new Set());
    for (const specifier of importSpecifiers(readFileSync(absolute, 'utf8'))) {
      const to = toPosix(relative(repoRoot, resolve(dirname(absolute), specifier.replace(/\.js$/, '.ts'))));
      addEdge(graph, from, to);
    }
  }
  return graph;
}

/**
 * The unit of the folder-level rule: a top-level folder of src/ ("oauth"), a top-level file
 * ("config.ts"), or anything outside src/ by its own top folder ("../migrations").
 */
export function unitOf(path: string): string {
  const parts = path.split('/');
  if (parts[0] !== 'src') return `../${parts[0]}`;
  return parts[1]!;
}

/** Folder-level graph: an edge for every import that crosses from one unit into another. */
export function unitGraph(files: Graph): Graph {
  const graph: Graph = new Map();
  for (const [from, targets] of files) {
    graph.set(unitOf(from), graph.get(unitOf(from)) ?? new Set());
    for (const to of targets) if (unitOf(from) !== unitOf(to)) addEdge(graph, unitOf(from), unitOf(to));
  }
  return graph;
}

/** Every strongly connected component with more than one node (or a node importing itself). */
function cyclicComponents(graph: Graph): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (node: string) => {
    indices.set(node, index);
    low.set(node, index);
    index += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!indices.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, indices.get(next)!));
      }
    }
    if (low.get(node) === indices.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || graph.get(node)?.has(node)) components.push(component.sort());
    }
  };
  for (const node of [...graph.keys()].sort()) if (!indices.has(node)) visit(node);
  return components;
}

/** One concrete cycle through a component's first node, printed as "a -> b -> a". */
function cycleThrough(graph: Graph, members: Set<string>, start: string): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const node = queue.shift()!;
    for (const next of [...(graph.get(node) ?? [])].sort()) {
      if (!members.has(next)) continue;
      if (next === start) {
        const path = [node];
        while (path[0] !== start) path.unshift(previous.get(path[0]!)!);
        return [...path, start];
      }
      if (!previous.has(next)) {
        previous.set(next, node);
        queue.push(next);
      }
    }
  }
  return [start, start];
}

/** The cycles of a graph, one printed example per strongly connected component. */
export function findCycles(graph: Graph): string[] {
  return cyclicComponents(graph).map((component) => cycleThrough(graph, new Set(component), component[0]!).join(' -> '));
}
