// A launch cannot pass on a check that did not run. The prelaunch suite marks
// the checks the launch exists for as required; a half-configured profile
// (lifecycle.actOnOwnKey without key.id, an adapter without enable) used to
// validate "ok", skip lifecycle.disabled-key-rejected and pass with exit 0.
// Now `validate` names every requirement the suite cannot meet, located, and
// `run` ends "not verified" (exit 3) naming what the profile must add.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { loadSuite } from '../../src/checks/suite.js';
import { startDemo, type Demo } from '../../src/demo/seed.js';
import { BUNDLED_SUITES_DIR, DEMO_PROFILE } from '../../src/paths.js';
import type { RunResult } from '../../src/result.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { expectNoCrash, expectNoSecrets } from '../reliability/helpers.js';

const PRELAUNCH = join(BUNDLED_SUITES_DIR, 'prelaunch.yaml');

let demo: Demo | undefined;
let tmp: ReturnType<typeof tempDir> | undefined;
afterEach(async () => {
  await demo?.target.close();
  tmp?.cleanup();
  demo = tmp = undefined;
});

/** The demo profile, edited: `edit` gets the parsed document (references intact). */
function demoVariant(edit: (doc: ReturnType<typeof parseDocument>) => void): string {
  const doc = parseDocument(readFileSync(DEMO_PROFILE, 'utf8'));
  edit(doc);
  tmp ??= tempDir('keyprobe-required-');
  return tmp.file('profile.yaml', doc.toString());
}

/** Acts on the profile's own key, but gives no key.id to address it with. */
const ownKeyWithoutId = (doc: ReturnType<typeof parseDocument>) => {
  doc.setIn(['lifecycle', 'actOnOwnKey'], true);
  doc.deleteIn(['key', 'id']);
};

describe('suites/prelaunch.yaml', () => {
  it('requires the valid-key check and the three reverse validations the launch exists for', () => {
    const required = loadSuite(PRELAUNCH)
      .checks.filter((c) => c.required)
      .map((c) => c.check.id);
    expect(required).toEqual(
      expect.arrayContaining([
        'auth.valid-key-accepted',
        'authz.unauthorized-resource-denied',
        'lifecycle.disabled-key-rejected',
        'rate.limit-triggered',
      ]),
    );
  });
});

describe('keyprobe run: a required check that skips', () => {
  async function run(profile: string, only = 'lifecycle.disabled-key-rejected') {
    demo ??= await startDemo();
    tmp ??= tempDir('keyprobe-required-');
    const outDir = join(tmp.dir, 'out');
    const r = await runCli(['run', profile, '--only', only, '--out', outDir], {
      env: { PATH: process.env.PATH, ...demo.env },
      cwd: tmp.dir,
    });
    const result = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')) as RunResult;
    return { ...r, outDir, result };
  }

  it('actOnOwnKey without key.id: not verified (exit 3), naming key.id, and no key was touched', async () => {
    const r = await run(demoVariant(ownKeyWithoutId));
    expectNoCrash(r);
    const check = r.result.profiles[0]!.checks[0]!;
    expect(check).toMatchObject({ id: 'lifecycle.disabled-key-rejected', verdict: 'skip', required: true });
    expect(r.code).toBe(3);
    expect(r.result).toMatchObject({ verdict: 'error', exitCode: 3 });
    expect(r.stdout).toMatch(/Launch verdict: NOT VERIFIED — exit 3/);
    // The summary names the required check and what the profile must add.
    expect(r.stdout).toMatch(/required check lifecycle\.disabled-key-rejected did not run: .*key\.id/);
    // --only left the other required checks out: the operator's choice, but said so.
    expect(r.result.requiredLeftOut).toEqual(['auth.valid-key-accepted', 'authz.unauthorized-resource-denied', 'rate.limit-triggered']);
    expect(r.stdout).toMatch(
      /Left out with --only\/--skip, so not part of this verdict: required checks auth\.valid-key-accepted, authz\.unauthorized-resource-denied, rate\.limit-triggered\./,
    );
    expect(demo!.target.listKeys().every((k) => k.enabled)).toBe(true);
    // CI gates read junit.xml: the required check that did not run is an error there, not a skip.
    const xml = readFileSync(join(r.outDir, 'junit.xml'), 'utf8');
    expect(xml).toMatch(/name="lifecycle\.disabled-key-rejected"[^>]*>\s*<error message="required check did not run: [^"]*key\.id/);
    expectNoSecrets(demo!.secrets, r);
  });

  it('an adapter without enable, acting on the own key: not verified, naming the enable action', async () => {
    const r = await run(
      demoVariant((doc) => {
        doc.setIn(['lifecycle', 'actOnOwnKey'], true);
        doc.deleteIn(['lifecycle', 'http', 'enable']);
      }),
    );
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/required check lifecycle\.disabled-key-rejected did not run: .*enable/);
    expect(demo!.target.listKeys().every((k) => k.enabled)).toBe(true);
  });

  it('a required check that is not required by the suite still skips quietly (exit 0)', async () => {
    tmp = tempDir('keyprobe-required-');
    const suite = tmp.file('suite.yaml', 'name: relaxed\nchecks:\n  - lifecycle.disabled-key-rejected\n');
    demo = await startDemo();
    const profile = demoVariant(ownKeyWithoutId);
    const r = await runCli(['run', profile, '--suite', suite, '--out', join(tmp.dir, 'out2')], {
      env: { PATH: process.env.PATH, ...demo.env },
      cwd: tmp.dir,
    });
    expect(r.code).toBe(0);
  });
});

describe('keyprobe validate --suite: every requirement the suite cannot meet, at once, located', () => {
  it('lists each unmet requirement of each required check with file:line:col and exits 3, sending nothing', async () => {
    const profile = demoVariant((doc) => {
      ownKeyWithoutId(doc);
      doc.deleteIn(['lifecycle', 'http', 'enable']);
      doc.delete('rateLimit');
      doc.delete('denied');
    });
    const r = await runCli(['validate', '--suite', 'prelaunch', profile]);
    expectNoCrash(r);
    expect(r.code).toBe(3);
    const lines = r.stderr.split('\n');
    const problem = (re: RegExp) => lines.find((l) => re.test(l));
    const esc = profile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    // Each one located in the profile, naming the check it stops.
    expect(problem(new RegExp(`^  ${esc}:\\d+:\\d+: key\\.id: .*lifecycle\\.disabled-key-rejected`))).toBeDefined();
    expect(problem(new RegExp(`^  ${esc}:\\d+:\\d+: lifecycle\\.http\\.enable: .*lifecycle\\.disabled-key-rejected`))).toBeDefined();
    expect(problem(new RegExp(`^  ${esc}(:\\d+:\\d+)?: rateLimit: .*rate\\.limit-triggered`))).toBeDefined();
    expect(problem(new RegExp(`^  ${esc}(:\\d+:\\d+)?: denied: .*authz\\.unauthorized-resource-denied`))).toBeDefined();
    // The plan: what will run, what will skip and why.
    expect(r.stdout).toMatch(/run\s+auth\.valid-key-accepted/);
    expect(r.stdout).toMatch(/skip\s+rate\.recovers — the profile declares no rateLimit/);
    expect(r.stdout).toMatch(/REQUIRED\s+lifecycle\.disabled-key-rejected — cannot run: /);
    expect(r.stdout).not.toMatch(/^ok {2}/m);
  });

  it('a profile that meets every requirement validates ok (exit 0), and lists what will run', async () => {
    const r = await runCli(['validate', '--suite', 'prelaunch', DEMO_PROFILE]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`ok  ${DEMO_PROFILE}`);
    expect(r.stdout).toMatch(/18 checks will run/);
  });

  it('without --suite, validate judges against prelaunch, as `run` does', async () => {
    const r = await runCli(['validate', demoVariant(ownKeyWithoutId)]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/key\.id: .*lifecycle\.disabled-key-rejected/);
  });
});
