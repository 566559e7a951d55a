// `keyprobe validate` tells everything before anything is sent, in one pass:
// every `${env:…}` this environment does not set and every `${file:…}` that
// cannot be read (names only, never values) beside every other problem and
// the suite's plan. Without --resolve they are listed and the exit code is
// the file's (a pull-request job holds no secrets); with --resolve they are
// errors (exit 2), reported together with the rest.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const SECRET = `kp_prod_${'a'.repeat(32)}`;
const CANARY = `kp_prod_${'b'.repeat(32)}`;

const profile = `key:
  name: crm-prod-agent-call
  system: crm
  environment: prod
  purpose: agent-call
  owner: team-crm
  secret: \${env:CRM_KEY}
target:
  origin: http://127.0.0.1:9
allowed:
  - GET /v1/agents
canary:
  secret: \${file:secrets/canary.txt}
  id: \${env:CRM_CANARY_ID}
secondKey:
  secret: \${file:../outside.txt}
`;

let tmp: ReturnType<typeof tempDir>;
afterEach(() => tmp?.cleanup());

function setup(text = profile) {
  tmp = tempDir();
  mkdirSync(join(tmp.dir, 'profiles', 'secrets'), { recursive: true });
  writeFileSync(join(tmp.dir, 'outside.txt'), CANARY);
  const file = join(tmp.dir, 'profiles', 'p.yaml');
  writeFileSync(file, text);
  return file;
}

const env = (extra: Record<string, string> = {}) => ({ PATH: process.env.PATH, ...extra });

describe('validate reports every unresolvable reference with everything else', () => {
  it('without --resolve: lists each unset variable and unreadable or out-of-folder file by name, with the plan', async () => {
    const file = setup();
    const r = await runCli(['validate', '--suite', 'prelaunch', file], { env: env(), cwd: tmp.dir });
    const unresolved = r.stdout.split('\n').filter((l) => l.startsWith('unresolved  '));
    expect(unresolved).toEqual([
      expect.stringMatching(/p\.yaml:7:11: key\.secret: environment variable CRM_KEY is not set$/),
      expect.stringMatching(/p\.yaml:13:11: canary\.secret: the file secrets\/canary\.txt /),
      expect.stringMatching(/p\.yaml:14:7: canary\.id: environment variable CRM_CANARY_ID is not set$/),
      expect.stringMatching(/p\.yaml:16:11: secondKey\.secret: the file \.\.\/outside\.txt is outside the profile's folder/),
    ]);
    expect(r.stdout).toMatch(/4 references not resolvable here: run needs them; validate --resolve makes them errors/);
    // The suite's plan is still there: what will run, what is required and cannot.
    expect(r.stdout).toMatch(/REQUIRED {2}lifecycle\.disabled-key-rejected — cannot run/);
    // The prelaunch suite's required checks that cannot run still decide the code (exit 3), not the references.
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout + r.stderr).not.toContain(CANARY);
  });

  it('a sound profile whose references all resolve here has no unresolved line', async () => {
    const file = setup(profile.replace('secondKey:\n  secret: ${file:../outside.txt}\n', ''));
    writeFileSync(join(tmp.dir, 'profiles', 'secrets', 'canary.txt'), CANARY);
    const r = await runCli(['validate', '--suite', 'prelaunch', file], {
      env: env({ CRM_KEY: SECRET, CRM_CANARY_ID: 'canary-1' }),
      cwd: tmp.dir,
    });
    expect(r.stdout).not.toContain('unresolved');
    expect(r.stdout).not.toContain('not resolvable');
    expect(r.stdout + r.stderr).not.toContain(SECRET);
    expect(r.stdout + r.stderr).not.toContain(CANARY);
  });

  it('with --resolve: exit 2, every reference, every other problem and the unmet requirements in one list, no value shown', async () => {
    const file = setup(`${profile}denied:\n  - GET /v1/agents\n`);
    writeFileSync(join(tmp.dir, 'profiles', 'secrets', 'canary.txt'), `${CANARY}\r\n`);
    const r = await runCli(['validate', '--resolve', '--suite', 'prelaunch', file], { env: env(), cwd: tmp.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/key\.secret: environment variable CRM_KEY is not set/);
    expect(r.stderr).toMatch(/canary\.secret: the file secrets\/canary\.txt ends with a carriage return/);
    expect(r.stderr).toMatch(/canary\.id: environment variable CRM_CANARY_ID is not set/);
    expect(r.stderr).toMatch(/secondKey\.secret: the file \.\.\/outside\.txt is outside the profile's folder/);
    expect(r.stderr).toMatch(/denied\[0\]: GET \/v1\/agents is listed as both allowed and denied/);
    expect(r.stderr).toMatch(/lifecycle\.disabled-key-rejected is required by suite prelaunch and cannot run/);
    // A field whose reference is unresolved is reported once, not again as a schema mismatch of its stand-in text.
    expect(r.stderr.match(/key\.secret:/g)).toHaveLength(1);
    expect(r.stdout + r.stderr).not.toContain(CANARY);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
