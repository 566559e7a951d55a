// Finished profiles wait on disk (src/runner/spool.ts), not in the runner's
// memory: a spooled run gives the same RunResult, in profile order, and the
// runner keeps no finished ProfileRun; results.json, written one profile at a
// time, is byte for byte what JSON.stringify(result, null, 2) gave.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSuite } from '../../src/checks/suite.js';
import { startReferenceTarget, type ReferenceTarget } from '../../src/reference/index.js';
import type { CheckResult, ProfileRun, RunResult } from '../../src/result.js';
import { jsonReporter, resultsJsonChunks } from '../../src/reporters/json.js';
import { runSuite } from '../../src/runner/run.js';
import { ProfileSpool } from '../../src/runner/spool.js';
import { PRELAUNCH_SUITE } from '../detection/run-case.js';
import { ALL_SHAPES } from '../reporters/sample-results.js';
import { loadedProfile, minimalInput } from './profiles.js';

const PROFILES = 4;
let target: ReferenceTarget;
let dir: string;

beforeAll(async () => {
  target = await startReferenceTarget();
  dir = mkdtempSync(join(tmpdir(), 'keyprobe-spool-'));
});
afterAll(async () => {
  await target.close();
  rmSync(dir, { recursive: true, force: true });
});

function profiles() {
  return Array.from({ length: PROFILES }, (_, i) => {
    const name = `crm-prod-agent-call${i}`;
    const { secret } = target.createKey({ name, scopes: ['agents:read'], rateLimit: { limit: 1000, windowSeconds: 1 } });
    const input = minimalInput(target.origin, secret);
    return loadedProfile({ ...input, key: { ...input.key, purpose: `agent-call${i}` } }, `svc${i}.yaml`);
  });
}

/** A spool that records what the runner gave it (as JSON, and as a WeakRef to the object itself). */
function recordingSpool(folder: string) {
  const spool = new ProfileSpool(folder);
  const given = new Map<number, string>();
  const refs: WeakRef<object>[] = [];
  // As JSON: holding the results themselves would keep them alive.
  const checks = new Map<number, string[]>();
  const putCheck = spool.putCheck.bind(spool);
  spool.putCheck = (profile, position, result) => {
    checks.set(profile, Object.assign(checks.get(profile) ?? [], { [position]: JSON.stringify(result) }));
    refs.push(new WeakRef(result));
    putCheck(profile, position, result);
  };
  const put = spool.put.bind(spool);
  spool.put = (index, run) => {
    // Each check was put as it finished; the profile's run comes without them.
    expect(run.checks).toEqual([]);
    given.set(index, JSON.stringify({ ...run, checks: (checks.get(index) ?? []).map((c) => JSON.parse(c) as CheckResult) }));
    refs.push(new WeakRef(run));
    put(index, run);
  };
  return { spool, given, refs };
}

describe('runner: finished profiles go to the spool', () => {
  it('gives every profile back in profile order, as the runner finished it, over real HTTP', async () => {
    const folder = mkdtempSync(join(dir, 'run-'));
    const { spool, given } = recordingSpool(folder);
    const run = await runSuite({
      profiles: profiles(),
      suite: loadSuite(PRELAUNCH_SUITE),
      only: ['auth.valid-key-accepted', 'auth.missing-key-rejected', 'auth.invalid-key-rejected'],
      concurrency: 2,
      spool,
    });
    expect(spool.length).toBe(PROFILES);
    // The result reads its profiles from the spool (src/result.ts ProfileSource), as often as asked.
    expect(run.profiles).toBe(spool);
    expect([...run.profiles].map((p) => p.profile.file)).toEqual(['svc0.yaml', 'svc1.yaml', 'svc2.yaml', 'svc3.yaml']);
    expect([...run.profiles].map((p) => JSON.stringify(p))).toEqual([0, 1, 2, 3].map((i) => given.get(i)));
    // Real checks ran: every profile sent requests and has a verdict per check.
    for (const p of run.profiles) {
      expect(p.requestsSent).toBeGreaterThan(0);
      expect(p.checks.map((c) => c.verdict)).toEqual(['pass', 'pass', 'pass']);
    }
    expect(run.exitCode).toBe(0);
    // The header is frozen; each profile read is a fresh copy of what is on disk.
    expect(Object.isFrozen(run)).toBe(true);
    expect(run.profiles.at(-1)).toEqual(run.profiles.at(3));
    expect(run.profiles.at(0)).not.toBe(run.profiles.at(0));
    spool.close();
  });

  it('keeps no finished ProfileRun: each is garbage once it is on disk', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const folder = mkdtempSync(join(dir, 'gc-'));
    const { spool, refs } = recordingSpool(folder);
    const run = await runSuite({ profiles: profiles(), suite: loadSuite(PRELAUNCH_SUITE), only: ['auth.valid-key-accepted'], spool });
    spool.close();
    // Each profile's run and its one check, each handed over as it finished.
    expect(refs).toHaveLength(PROFILES * 2);
    // Two collections and a turn of the event loop between them (a WeakRef lives to the end of the turn that made it).
    gc();
    await new Promise((r) => setImmediate(r));
    gc();
    // The result (still held here) was read back from disk: the runner's own objects are gone.
    expect(run.profiles).toHaveLength(PROFILES);
    expect(refs.filter((r) => r.deref() !== undefined)).toHaveLength(0);
  });

  it('reads profiles back in profile order, whatever order they finished in', () => {
    const folder = mkdtempSync(join(dir, 'order-'));
    const spool = new ProfileSpool(folder);
    const sample = ALL_SHAPES.severalProfiles!();
    // Finished last to first, with a non-ASCII key name so lengths are counted in bytes.
    const runs = sample.profiles.map((p, i) => ({ ...p, notes: [`note ${i}: délai ✓`] }));
    for (let i = runs.length - 1; i >= 0; i--) spool.put(i, runs[i]!);
    expect([...spool.runs()]).toEqual(runs);
    expect(spool.get(1)).toEqual(runs[1]);
    expect(() => spool.put(0, runs[0]!)).toThrow(/already in the spool/);
    spool.close();
    // The file is JSON lines, one profile each, in the order they finished.
    const lines = readFileSync(spool.file, 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as ProfileRun).notes[0])).toEqual(runs.map((_, i) => `note ${i}: délai ✓`).reverse());
  });

  it('takes each check as it finishes and gives the profile back with its checks in plan order', () => {
    const folder = mkdtempSync(join(dir, 'checks-'));
    const spool = new ProfileSpool(folder);
    const [first, second] = ALL_SHAPES.mixed!().profiles.concat(ALL_SHAPES.severalProfiles!().profiles);
    // Checks finish in any order, interleaved with another profile's; the run comes last, without them.
    const order = first!.checks.map((_, i) => i).reverse();
    for (const [k, i] of order.entries()) {
      spool.putCheck(0, i, first!.checks[i]!);
      if (k < second!.checks.length) spool.putCheck(1, k, second!.checks[k]!);
    }
    expect(() => spool.putCheck(0, 0, first!.checks[0]!)).toThrow(/already in the spool/);
    spool.put(1, { ...second!, checks: [] });
    spool.put(0, { ...first!, checks: [] });
    // Byte for byte what the profile held, fields in their order (results.json is written from what is read here).
    expect(JSON.stringify(spool.get(0))).toBe(JSON.stringify(first));
    expect(JSON.stringify([...spool])).toBe(JSON.stringify([first, second]));
    expect(() => spool.putCheck(0, 1, first!.checks[1]!)).toThrow(/already in the spool/);
    spool.close();
  });
});

describe('results.json written one profile at a time', () => {
  for (const [shape, make] of Object.entries(ALL_SHAPES))
    it(`is byte for byte JSON.stringify(result, null, 2) for ${shape}`, async () => {
      const result = make();
      expect([...resultsJsonChunks(result)].join('')).toBe(`${JSON.stringify(result, null, 2)}\n`);
      const out = mkdtempSync(join(dir, 'json-'));
      const [file] = await jsonReporter.write(result, out);
      expect(readFileSync(file!, 'utf8')).toBe(`${JSON.stringify(result, null, 2)}\n`);
    });

  it('leaves out undefined fields as JSON.stringify does', () => {
    const result = { ...ALL_SHAPES.allPass!(), requiredLeftOut: undefined } as unknown as RunResult;
    expect([...resultsJsonChunks(result)].join('')).toBe(`${JSON.stringify(result, null, 2)}\n`);
  });
});
