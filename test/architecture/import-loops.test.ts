// No folder-level import loops in src/. The allowed direction of imports,
// top to bottom (a folder imports only folders below it, and the files
// directly in src/):
//
//   cli.ts → cli → init, demo, merge, schema, reporters → audit → governance
//     → runner → checks → config → lifecycle → http → errors.ts, result.ts, secrets.ts, …
//
// which is the flow of a run read upwards: the CLI loads the profile
// (config), the runner schedules checks, a check judges what the lifecycle
// adapters and the one HTTP client did.
// - The profile schema (config) is built from the lifecycle adapters' own
//   schemas, so config imports lifecycle; lifecycle never imports config
//   (an adapter sees the profile through AdapterProfile, lifecycle/deps.ts).
// - Reporters see only the result: a run's, or an audit's report (so
//   reporters → audit, and the audit's own reporters live in reporters/).
// - The audit applies waivers and acceptance (audit → governance); governance
//   names no catalogue: the CLI hands loadWaivers the audit rule and check ids
//   (cli/waiver-targets.ts).
// - The suite loader reads the check catalogue, so it lives in checks/
//   (checks/suite.ts), above the profile it and every check read (config).
// - src/reference, the deliberately faulty target, imports nothing of the
//   harness: it must stay an independent party to what it is tested against.
//
// A loop makes two folders one module in all but name: neither can be read,
// tested or changed without the other, and ES module evaluation order between
// them becomes an accident. To break one, move the shared piece to where it
// belongs (lifecycle/canary.ts, a check helper, moved to checks/; the request
// shapes the profile and the adapters share, moved to http/request-schema.ts;
// a date check both the audit and waivers need, moved to calendar-day.ts), or
// let the caller hand the lower folder what it needs (the waiver targets).
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { cycles, type Edge, folderEdges } from './import-graph.js';

const SRC = resolve(PACKAGE_ROOT, 'src');

function describeLoop(loop: readonly string[], edges: readonly Edge[]): string {
  const inside = edges.filter((e) => loop.includes(e.from) && loop.includes(e.to));
  return `${loop.join(' ⇄ ')}\n${inside.map((e) => `    ${e.from} → ${e.to}: ${e.example}`).join('\n')}`;
}

/** Folders (or src/ files) that `node` imports. */
function importsOf(edges: readonly Edge[], node: string): string[] {
  return [...new Set(edges.filter((e) => e.from === node).map((e) => e.to))].sort();
}

describe('the folder-level import graph of src/', () => {
  const edges = folderEdges(SRC);

  it('is read from the source (it sees the edges every reader can see)', () => {
    expect(edges.length).toBeGreaterThan(30);
    expect(importsOf(edges, 'cli')).toContain('config');
    expect(importsOf(edges, 'config')).toContain('lifecycle');
  });

  it('has no loop between folders', () => {
    expect(
      cycles(edges).map((l) => describeLoop(l, edges)),
      'import loops (see the allowed direction above)',
    ).toEqual([]);
  });

  it('keeps the lower layers below: lifecycle and http import nothing above them', () => {
    const isRootFile = (n: string) => n.endsWith('.ts');
    expect(importsOf(edges, 'http').filter((n) => !isRootFile(n))).toEqual([]);
    expect(importsOf(edges, 'lifecycle').filter((n) => !isRootFile(n))).toEqual(['http']);
  });

  it('keeps the reference target independent of the harness', () => {
    expect(importsOf(edges, 'reference')).toEqual([]);
  });

  it('lets nothing but the entry point import the CLI', () => {
    expect(edges.filter((e) => e.to === 'cli').map((e) => e.from)).toEqual(['cli.ts']);
  });

  it('finds a loop when there is one (the detector itself)', () => {
    const e = (from: string, to: string): Edge => ({ from, to, example: '' });
    expect(cycles([e('a', 'b'), e('b', 'c'), e('c', 'a'), e('c', 'd')])).toEqual([['a', 'b', 'c']]);
    expect(cycles([e('a', 'b'), e('b', 'c')])).toEqual([]);
  });
});
