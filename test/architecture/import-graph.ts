// The folder-level import graph of src/, read from the source text: every
// `import … from './x'`, `export … from './x'` and `import('./x')` with a
// relative path, type-only imports included (a type is a dependency on what a
// folder means, even if the compiler erases it). A node is a top-level folder
// of src/ ("config", "lifecycle") or, for a file directly in src/, that file
// ("errors.ts"). No dependency needed: the import syntax the project uses is
// regular enough for one regular expression.
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { tsFiles } from './ts-files.js';

const IMPORT =
  /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

export interface Edge {
  readonly from: string;
  readonly to: string;
  /** One import that makes the edge, "src/a/b.ts imports ../c/d.js", to show in a failure. */
  readonly example: string;
}

/** The node a file belongs to. */
export function nodeOf(srcDir: string, file: string): string {
  const parts = relative(srcDir, file).split(sep);
  return parts.length > 1 ? parts[0]! : parts[0]!;
}

/** Every edge between two different nodes, once per pair. */
export function folderEdges(srcDir: string): Edge[] {
  const edges = new Map<string, Edge>();
  for (const file of tsFiles(srcDir)) {
    const from = nodeOf(srcDir, file);
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const spec = (m[1] ?? m[2])!;
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(srcDir + sep)) continue;
      const to = nodeOf(srcDir, target.replace(/\.js$/, '.ts'));
      const key = `${from} -> ${to}`;
      if (from !== to && !edges.has(key)) edges.set(key, { from, to, example: `${relative(srcDir, file)} imports ${spec}` });
    }
  }
  return [...edges.values()];
}

/** The cycles of the graph: its strongly connected components of more than one node (Tarjan), each sorted. */
export function cycles(edges: readonly Edge[]): string[][] {
  const out = new Map<string, string[]>();
  for (const e of edges) {
    if (!out.has(e.from)) out.set(e.from, []);
    out.get(e.from)!.push(e.to);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of out.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of out.keys()) if (!index.has(v)) visit(v);
  return found.sort((a, b) => a.join().localeCompare(b.join()));
}
