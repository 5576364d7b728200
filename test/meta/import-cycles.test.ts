/**
 * Issue 18: shard merging recomputes every derived figure from merged raw data, so the analysis must be a pure
 * function of the results vocabulary. That holds only while src/results/ sits at the bottom (it imports no
 * analysis, run, lab, probe, load or report module) and no import circle ties the layers back together.
 * Reads the TypeScript sources (not dist/), so `import type` edges count too: a type-only circle still couples
 * the modules' vocabularies.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// dist/test/meta/ → the repository root.
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const TREES = ['src', 'commands'];

/**
 * Circles that exist today outside results/analysis/run, each to be broken by its own change. Keyed by the sorted
 * files of the strongly-connected component, so a new circle, or one of these taking in another file, still fails;
 * one that is broken must be taken off this list (the last test says so).
 */
const KNOWN_CYCLES: ReadonlyMap<string, string> = new Map<string, string>([
  // Issue 19: the lab's starter and its fault injector call each other.
  ['src/lab/faults.ts src/lab/start.ts', 'issue 19: lab start ↔ faults'],
  // The proxy's server starts instances, which import its option types back.
  ['src/proxy/instance.ts src/proxy/server.ts', 'proxy option types live in server.ts'],
  // scenario/types.ts re-exports the flow types, which take SourceLocation from it.
  ['src/scenario/flow-types.ts src/scenario/types.ts', 'SourceLocation lives in scenario/types.ts'],
  // The client factory picks an engine; each engine imports the LoadClient interface back from the factory.
  [[
    'src/load/client.ts', 'src/load/dns-client.ts', 'src/load/engineio-client.ts', 'src/load/engineio-transports.ts',
    'src/load/orchestrated-client.ts', 'src/load/socketio-connect.ts', 'src/load/socketio-engine.ts', 'src/load/ws-client.ts',
    'src/load/ws-lean-open.ts', 'src/load/ws-lean.ts', 'src/load/ws-pick.ts',
  ].join(' '), 'LoadClient lives in the factory, load/client.ts'],
]);

/** `import … from '…'`, `import '…'`, `export … from '…'`, including `import type` and multi-line lists. */
const SPECIFIER = /(?:^|[;\s])(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/g;

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...tsFiles(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Repository-relative file → repository-relative files it imports (relative specifiers only). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const files = TREES.flatMap((t) => tsFiles(join(ROOT, t)));
  for (const file of files) {
    const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    const deps = new Set<string>();
    for (const m of text.matchAll(SPECIFIER)) {
      const spec = m[1] ?? '';
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
      deps.add(relative(ROOT, target));
    }
    graph.set(relative(ROOT, file), [...deps].sort());
  }
  return graph;
}

/** Tarjan's strongly-connected components; iterative, so deep import chains cannot overflow the stack. */
function components(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  let next = 0;
  for (const root of graph.keys()) {
    if (index.has(root)) continue;
    const work: Array<{ node: string; edge: number }> = [{ node: root, edge: 0 }];
    index.set(root, next); low.set(root, next); next++; stack.push(root); onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const deps = (graph.get(frame.node) ?? []).filter((d) => graph.has(d));
      if (frame.edge < deps.length) {
        const dep = deps[frame.edge++]!;
        if (!index.has(dep)) {
          index.set(dep, next); low.set(dep, next); next++; stack.push(dep); onStack.add(dep);
          work.push({ node: dep, edge: 0 });
        } else if (onStack.has(dep)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(dep)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) === index.get(frame.node)) {
        const scc: string[] = [];
        let member: string;
        do { member = stack.pop()!; onStack.delete(member); scc.push(member); } while (member !== frame.node);
        out.push(scc.sort());
      }
    }
  }
  return out;
}

/** One concrete loop through an SCC's files, for the failure message. */
function loopIn(scc: string[], graph: Map<string, string[]>): string {
  const members = new Set(scc);
  const start = scc[0]!;
  const path = [start];
  const seen = new Set([start]);
  let at = start;
  for (let i = 0; i < scc.length; i++) {
    const deps = (graph.get(at) ?? []).filter((d) => members.has(d));
    if (deps.includes(start) && path.length > 1) break;
    const step = deps.find((d) => !seen.has(d)) ?? deps[0]!;
    path.push(step); seen.add(step); at = step;
    if (step === start) break;
  }
  if (path[path.length - 1] !== start) path.push(start);
  return path.join(' → ');
}

describe('import structure', () => {
  const graph = importGraph();

  test('the parser sees the edges (a sanity check on the regex)', () => {
    assert.ok(graph.size > 100, `only ${graph.size} files found under ${TREES.join(', ')}`);
    assert.ok(graph.get('src/analysis/analyze.ts')?.includes('src/results/types.ts'), 'analyze.ts → results/types.ts not seen');
  });

  test('no import circle (type-only imports included)', () => {
    const circles = components(graph).filter((c) => c.length > 1);
    const unknown = circles.filter((c) => !KNOWN_CYCLES.has(c.join(' ')));
    assert.deepEqual(unknown.map((c) => `${loopIn(c, graph)} (files: ${c.join(' ')})`), [], `import circles (${unknown.length}); break each by moving the shared types down a layer`);
  });

  test('every allow-listed circle still exists (a broken one comes off the list)', () => {
    const present = new Set(components(graph).filter((c) => c.length > 1).map((c) => c.join(' ')));
    assert.deepEqual([...KNOWN_CYCLES.keys()].filter((k) => !present.has(k)), []);
  });

  test('src/results/ is the bottom layer: it imports no analysis, run, lab, probe, load or report module', () => {
    const forbidden = /^src\/(analysis|run|lab|probes|load|report)\//;
    const bad: string[] = [];
    for (const [file, deps] of graph) {
      if (!file.startsWith('src/results/')) continue;
      for (const d of deps) if (forbidden.test(d)) bad.push(`${file} → ${d}`);
    }
    assert.deepEqual(bad, []);
  });
});
