// `keyprobe merge`: shards of real runs against the reference target combined
// into one report, with the verdict recomputed from every gating check.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PROFILE } from '../../src/paths.js';
import { verifyManifest } from '../../src/reporters/manifest.js';
import { startDemo } from '../../src/demo/seed.js';
import type { RunResult } from '../../src/result.js';
import { runCli } from '../helpers/cli.js';
import { findSecrets } from '../helpers/scan.js';
import { tempDir } from '../helpers/tmp.js';

const ONLY = 'auth.valid-key-accepted,auth.missing-key-rejected';
let tmp: ReturnType<typeof tempDir>;
const secrets: string[] = [];

/** One shard: the demo profile run against its own reference target, `faults` switched on. */
async function shard(name: string, faults: string[] = []): Promise<string> {
  const demo = await startDemo(faults);
  try {
    secrets.push(...demo.secrets);
    const out = join(tmp.dir, name);
    const run = await runCli(['run', DEMO_PROFILE, '--only', ONLY, '--out', out, '--quiet'], {
      env: { PATH: process.env.PATH, ...demo.env },
    });
    expect(run.code).toBe(faults.length === 0 ? 0 : 1);
    return join(out, 'results.json');
  } finally {
    await demo.target.close();
  }
}

const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as RunResult;
/** A copy of a shard's results with some fields changed, as another run (or a tampered file) would have them. */
function variant(file: string, name: string, change: (r: Record<string, unknown>) => void): string {
  const data = read(file) as unknown as Record<string, unknown>;
  change(data);
  mkdirSync(join(tmp.dir, name), { recursive: true });
  const out = join(tmp.dir, name, 'results.json');
  writeFileSync(out, JSON.stringify(data));
  return out;
}

let passA: string;
let passB: string;
let failing: string;
beforeAll(async () => {
  tmp = tempDir('keyprobe-merge-');
  passA = await shard('crm-a');
  passB = await shard('crm-b');
  failing = await shard('crm-anon', ['anonymous-access']);
});
afterAll(() => tmp.cleanup());

describe('keyprobe merge', () => {
  it('combines passing shards into one passing run with every profile, a new run id and every report format', async () => {
    const out = join(tmp.dir, 'merged-pass');
    const run = await runCli(['merge', passA, join(tmp.dir, 'crm-b'), '--out', out]); // a report directory works as well as its results.json
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Merged 2 run(s): 2 profile(s), 4 check(s): 4 passed, 0 failed, 0 errors, 0 skipped');
    expect(run.stdout).toContain('Launch verdict: PASS — exit 0');
    const merged = read(join(out, 'results.json'));
    const [a, b] = [read(passA), read(passB)];
    expect(merged.schemaVersion).toBe(3);
    expect(merged.runId).not.toBe(a.runId);
    expect(merged.runId).not.toBe(b.runId);
    expect(merged.profiles.map((p) => p.profile.keyFingerprint)).toEqual([
      a.profiles[0]!.profile.keyFingerprint,
      b.profiles[0]!.profile.keyFingerprint,
    ]);
    expect(merged.profiles[0]!.checks).toEqual(a.profiles[0]!.checks);
    expect(merged.profiles[1]!.notes.at(-1)).toBe(`merged from ${passB} (run ${b.runId}, keyprobe ${b.tool.version})`);
    expect(merged.startedAt).toBe([a.startedAt, b.startedAt].sort()[0]);
    expect(merged.finishedAt).toBe([a.finishedAt, b.finishedAt].sort()[1]);
    expect([merged.verdict, merged.exitCode, merged.incomplete]).toEqual(['pass', 0, false]);
    // The same report files as a single run writes, and a manifest that checks out.
    expect(readdirSync(out).sort()).toEqual(readdirSync(join(tmp.dir, 'crm-a')).sort());
    expect(await verifyManifest(join(out, 'manifest.sha256'))).toEqual([]);
    expect(findSecrets(secrets, { dirs: [out], texts: { stdout: run.stdout, stderr: run.stderr } })).toEqual([]);
  });

  it('fails when any shard has a failing gating check', async () => {
    const run = await runCli(['merge', passA, failing, '--out', join(tmp.dir, 'merged-fail')]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('3 passed, 1 failed');
    expect(run.stdout).toContain('Launch verdict: FAIL');
    expect(read(join(tmp.dir, 'merged-fail', 'results.json')).verdict).toBe('fail');
  });

  it('recomputes the verdict from the checks, not from what a shard claimed', async () => {
    const claimsPass = variant(failing, 'claims-pass', (r) => {
      r.verdict = 'pass';
      r.exitCode = 0;
    });
    expect((await runCli(['merge', claimsPass, '--out', join(tmp.dir, 'merged-claims')])).code).toBe(1);
    const nonGating = variant(failing, 'non-gating', (r) => {
      for (const p of r.profiles as { checks: { gating: boolean }[] }[]) for (const c of p.checks) c.gating = false;
    });
    expect((await runCli(['merge', passA, nonGating, '--out', join(tmp.dir, 'merged-non-gating')])).code).toBe(0);
  });

  it('is incomplete (exit 3) when a shard was interrupted and nothing failed', async () => {
    const interrupted = variant(passB, 'interrupted', (r) => {
      r.incomplete = true;
    });
    const run = await runCli(['merge', passA, interrupted, '--out', join(tmp.dir, 'merged-incomplete')]);
    expect(run.code).toBe(3);
    expect(run.stdout).toContain('(a run was incomplete)');
    expect(read(join(tmp.dir, 'merged-incomplete', 'results.json'))).toMatchObject({ incomplete: true, verdict: 'error', exitCode: 3 });
  });

  it('refuses the same key against the same target twice, naming both inputs', async () => {
    const copy = variant(passA, 'crm-a-retry', () => {});
    const run = await runCli(['merge', passA, passB, copy, '--out', join(tmp.dir, 'merged-dup')]);
    expect(run.code).toBe(2);
    const fp = read(passA).profiles[0]!.profile.keyFingerprint;
    expect(run.stderr).toContain('the same key ran against the same target in more than one input');
    expect(run.stderr).toContain(
      `crm-prod-agent-call (${fp}) on ${read(passA).profiles[0]!.profile.targetOrigin}: in ${passA} and ${copy}`,
    );
    expect(readdirSync(tmp.dir)).not.toContain('merged-dup');
  });

  it('refuses another schema version, a file that is not a results.json, and a missing file, with exit 2', async () => {
    const v2 = variant(passA, 'v2', (r) => {
      r.schemaVersion = 1;
    });
    const notJson = tmp.file('notes.txt', 'hello');
    const other = tmp.file('other.json', '{"name":"x"}');
    const missing = join(tmp.dir, 'nope.json');
    // Every bad input is named at once, with what is wrong with it.
    const run = await runCli(['merge', v2, passB, notJson, other, missing]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('4 problems in the input');
    expect(run.stderr).toContain(
      `${v2}: schemaVersion: this keyprobe renders results of schema version 3, the file has 1 (an older keyprobe wrote it: render it with that keyprobe, or run again)`,
    );
    expect(run.stderr).toContain(`${notJson}: is not JSON`);
    expect(run.stderr).toContain(`${other}: schemaVersion: this keyprobe renders results of schema version 3, the file has none`);
    expect(run.stderr).toContain(`${missing}: cannot be read (ENOENT)`);
    const truncated = variant(passA, 'truncated', (r) => {
      delete (r.profiles as { checks?: unknown }[])[0]!.checks;
    });
    const bad = await runCli(['merge', truncated]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`${truncated}: profiles[0].checks:`);
    for (const r of [run, bad]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
