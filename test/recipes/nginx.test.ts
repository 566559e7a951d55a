// docs/recipes/nginx, run for real: Debian's nginx in the foreground with
// its own prefix on free loopback ports, keys made by the recipe's keys.sh,
// the prelaunch suite run through the built CLI exactly as the recipe's
// README says, and every verdict confirmed by plain requests. Then the two
// mistakes the README warns about (map strings match ignoring case; a
// `return` answers before limit_req runs) are shown to make the matching
// checks fail, as requests confirm.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyWalkthroughEdit, walkthroughKeyprobeCommands } from '../docs/walkthrough.js';
import { findSecrets } from '../helpers/scan.js';
import type { RunResult } from '../../src/result.js';
import { CONFIRM_PASS, type ConfirmContext, PROFILE_ONLY, type RecipeKeys } from './confirm.js';
import {
  burst,
  copyRecipe,
  findBinary,
  flipCase,
  freePort,
  type Gateway,
  keysSh,
  probe,
  type RecipeCopy,
  requireBinaries,
  runKeyprobe,
  runKeyprobeArgs,
  setupKeys,
  startGateway,
  sleep,
  unknownKey,
} from './gateway.js';

const HAVE = requireBinaries('nginx', ['nginx']);

/** nginx in the foreground, everything it writes inside the copy. */
async function startNginx(copy: RecipeCopy, ports: number[]): Promise<Gateway> {
  return startGateway(
    findBinary('nginx')!,
    ['-p', copy.dir, '-c', join(copy.dir, 'nginx.conf'), '-e', 'stderr', '-g', 'daemon off;'],
    copy.dir,
    ports,
  );
}

function profileEnv(keys: RecipeKeys): Record<string, string> {
  return {
    NGINX_KEY: keys.main.secret,
    NGINX_KEY_ID: keys.main.id,
    NGINX_CANARY_KEY: keys.canary.secret,
    NGINX_CANARY_KEY_ID: keys.canary.id,
    NGINX_SECOND_KEY: keys.second.secret,
    NGINX_STAGING_KEY: keys.staging.secret,
  };
}

const allSecrets = (keys: RecipeKeys) => Object.values(keys).map((k) => k.secret);

describe.skipIf(!HAVE)('the nginx recipe (docs/recipes/nginx)', () => {
  let copy: RecipeCopy;
  let gateway: Gateway;
  let origin: string;
  let keys: RecipeKeys;

  beforeAll(async () => {
    const ports = [await freePort(), await freePort()];
    copy = copyRecipe('nginx', { 8080: ports[0]!, 8081: ports[1]! });
    origin = `http://127.0.0.1:${ports[0]}`;
    gateway = await startNginx(copy, ports);
    keys = await setupKeys(copy.dir, 'NGINX');
  });

  afterAll(async () => {
    await gateway?.stop();
    copy?.cleanup();
  });

  it('passes the prelaunch suite as the README runs it, and every verdict is what nginx really does', async () => {
    const out = join(copy.dir, 'reports');
    const run = await runKeyprobe(copy.dir, out, ['--skip', 'lifecycle.expired-key-rejected'], profileEnv(keys));
    expect(run.stderr).toBe('');
    expect(run.result, run.stdout).toBeDefined();
    const expected = Object.fromEntries([...Object.keys(CONFIRM_PASS), ...PROFILE_ONLY].map((id) => [id, 'pass']));
    expect(run.verdicts).toEqual(expected);
    expect(run.code).toBe(0);

    // The checks judged from the profile alone sent nothing to nginx.
    for (const c of run.result!.profiles[0]!.checks.filter((c) => (PROFILE_ONLY as readonly string[]).includes(c.id)))
      expect(c.evidence).toEqual([]);
    // keyprobe left the gateway as it found it: its canaries deleted, the declared canary enabled again.
    expect(copy.read('keys.map')).not.toContain('keyprobe-canary-');
    expect(copy.read('keys.map')).not.toMatch(/^#off /m);
    expect(findSecrets(allSecrets(keys), { dirs: [out], texts: { stdout: run.stdout, stderr: run.stderr } })).toEqual([]);

    // Now without keyprobe: each pass confirmed by plain requests and keys.sh. Rate
    // confirmations use keys of their own, on a bucket that has drained (1 s).
    await sleep(1100);
    const c: ConfirmContext = { origin, dir: copy.dir, keys, acceptedBeforeThrottle: 21, refillPerSecond: 20, retryAfter: '1' };
    for (const [id, confirm] of Object.entries(CONFIRM_PASS)) {
      try {
        await confirm(c);
      } catch (err) {
        throw new Error(`${id}: keyprobe said pass, but nginx does not behave so: ${(err as Error).message}`);
      }
    }
  }, 90_000);

  it('runs the README walk-through ("Your first real profile") as written: init, the edit, validate, then a passing run', async () => {
    const env = profileEnv(keys);
    const [init, validate, run] = walkthroughKeyprobeCommands().map((args) => args.map((a) => a.replace('http://127.0.0.1:8080', origin)));
    const made = await runKeyprobeArgs(copy.dir, init!, env);
    expect(made.code, made.stderr).toBe(0);
    const file = join(copy.dir, 'my-profile.yaml');
    writeFileSync(file, applyWalkthroughEdit(readFileSync(file, 'utf8')));
    const valid = await runKeyprobeArgs(copy.dir, validate!, env);
    expect(valid.code, valid.stderr).toBe(0);
    expect(valid.stdout).not.toContain('unresolved');
    const out = join(copy.dir, 'reports-walkthrough');
    const gate = await runKeyprobeArgs(copy.dir, [...run!, '--out', out], env);
    const result = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResult;
    const verdicts = Object.fromEntries(result.profiles[0]!.checks.map((c) => [c.id, c.verdict]));
    expect(
      Object.values(verdicts).every((v) => v === 'pass'),
      JSON.stringify(verdicts),
    ).toBe(true);
    expect(Object.keys(verdicts)).toHaveLength(17);
    expect(gate.stdout).toContain('Launch verdict: PASS');
    expect(gate.code).toBe(0);
    expect(copy.read('keys.map')).not.toContain('keyprobe-canary-');
    expect(findSecrets(allSecrets(keys), { dirs: [out], texts: { stdout: gate.stdout, stderr: gate.stderr } })).toEqual([]);
  }, 90_000);

  it('cannot verify expiry: nginx keys cannot expire, and keys.sh refuses to make one that would not', async () => {
    const out = join(copy.dir, 'reports-expiry');
    const run = await runKeyprobe(copy.dir, out, ['--only', 'lifecycle.expired-key-rejected'], profileEnv(keys));
    expect(run.verdicts).toEqual({ 'lifecycle.expired-key-rejected': 'error' });
    expect(run.stdout).toContain('nginx keys cannot expire');
    expect(run.code).toBe(3);
    // The refusal is the script's, before any key is made.
    const made = await keysSh(copy.dir, ['create', 'expiring', 'prod', 'agents:read'], { KEYPROBE_EXPIRES_IN_SECONDS: '5' });
    expect(made.code).toBe(1);
    expect(made.stderr).toContain('nginx keys cannot expire');
    expect(copy.read('keys.map')).not.toContain('expiring');
    expect(copy.read('keys.map')).not.toContain('keyprobe-canary-');
  }, 60_000);

  it('as first written (plain map strings, `return 200`), fails near-miss and the rate limit, as requests confirm', async () => {
    const ports = [await freePort(), await freePort()];
    const broken = copyRecipe('nginx', { 8080: ports[0]!, 8081: ports[1]! });
    const brokenOrigin = `http://127.0.0.1:${ports[0]}`;
    let nginx: Gateway | undefined;
    try {
      // The keys as plain map strings, and the answer given by `return` in the location itself.
      const secrets = Object.fromEntries(['main', 'canary', 'second', 'staging'].map((k) => [k, unknownKey()]));
      const line = (secret: string, id: string, env: string) => `"${secret}" "${id} ${env} agents:read,agents:call";`;
      broken.edit('keys.map', (text) =>
        [
          text,
          line(secrets.main!, 'k_00000001', 'prod'),
          line(secrets.canary!, 'k_00000002', 'prod'),
          line(secrets.second!, 'k_00000003', 'prod'),
          line(secrets.staging!, 'k_00000004', 'staging'),
          '',
        ].join('\n'),
      );
      broken.edit('nginx.conf', (text) => {
        const fixed = `proxy_pass http://127.0.0.1:${ports[1]};`;
        expect(text).toContain(fixed);
        return text.replace(fixed, `return 200 '{"data":[]}';`);
      });
      nginx = await startNginx(broken, ports);
      const keyOf = (name: string) => ({ id: 'k_0', secret: secrets[name]! });
      const brokenKeys: RecipeKeys = { main: keyOf('main'), canary: keyOf('canary'), second: keyOf('second'), staging: keyOf('staging') };
      const out = join(broken.dir, 'reports');
      const run = await runKeyprobe(
        broken.dir,
        out,
        ['--only', 'auth.near-miss-key-rejected,rate.limit-triggered'],
        profileEnv(brokenKeys),
      );
      expect(run.verdicts).toEqual({ 'auth.near-miss-key-rejected': 'fail', 'rate.limit-triggered': 'fail' });
      expect(run.stdout).toMatch(/case flipped/);
      expect(run.stdout).toMatch(/no rate limit/);
      expect(run.code).toBe(1);
      expect(findSecrets(Object.values(secrets), { dirs: [out], texts: { stdout: run.stdout, stderr: run.stderr } })).toEqual([]);

      // What keyprobe said, by plain requests: the key with its case flipped is served…
      expect((await probe(brokenOrigin, 'GET', '/v1/agents', { key: flipCase(secrets.main!) })).status).toBe(200);
      // …and a burst of twice the limit meets no 429.
      await sleep(1100);
      const { statuses } = await burst(brokenOrigin, '/v1/agents', secrets.second!, 42);
      expect(statuses.every((s) => s === 200)).toBe(true);
    } finally {
      await nginx?.stop();
      broken.cleanup();
    }
  }, 60_000);

  it('keys.sh refuses what it cannot do, without touching keys.map', async () => {
    const before = copy.read('keys.map');
    const unknown = await keysSh(copy.dir, ['disable', 'k_deadbeef']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('disable: no key k_deadbeef in keys.map');
    const badId = await keysSh(copy.dir, ['enable', '../etc']);
    expect(badId.code).toBe(2);
    expect(badId.stderr).toContain('expected a key id like k_0a1b2c3d');
    const grace = await keysSh(copy.dir, ['rotate', keys.main.id], { KEYPROBE_GRACE_SECONDS: '30' });
    expect(grace.code).toBe(1);
    expect(grace.stderr).toContain('nginx cannot keep the old key working for a grace period');
    expect((await keysSh(copy.dir, ['delete', `k_${randomBytes(4).toString('hex')}`])).code).toBe(0); // already gone: done
    expect(copy.read('keys.map')).toBe(before);
  });
});
