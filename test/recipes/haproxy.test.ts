// docs/recipes/haproxy, run for real: Debian's HAProxy in the foreground in
// a copy of the recipe folder on free loopback ports, keys made by the
// recipe's keys.sh through the admin socket (socat), the prelaunch suite run
// through the built CLI exactly as the recipe's README says, and every
// verdict confirmed by plain requests. Then the ACL mistake the README warns
// about (two fetches on one `acl` line) is shown to make the authorization
// check fail, as requests confirm.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findSecrets } from '../helpers/scan.js';
import { CONFIRM_PASS, type ConfirmContext, PROFILE_ONLY, type RecipeKeys } from './confirm.js';
import {
  copyRecipe,
  createKey,
  entriesOf,
  findBinary,
  freePort,
  type Gateway,
  keysSh,
  probe,
  type RecipeCopy,
  requireBinaries,
  runKeyprobe,
  setupKeys,
  startGateway,
  sleep,
  unknownKey,
} from './gateway.js';

const HAVE = requireBinaries('HAProxy', ['haproxy', 'socat']);

/** HAProxy in the foreground, started in the copy (its admin socket is made there). */
function startHaproxy(copy: RecipeCopy, port: number): Promise<Gateway> {
  return startGateway(findBinary('haproxy')!, ['-f', join(copy.dir, 'haproxy.cfg')], copy.dir, [port]);
}

function profileEnv(keys: RecipeKeys): Record<string, string> {
  return {
    HAPROXY_KEY: keys.main.secret,
    HAPROXY_KEY_ID: keys.main.id,
    HAPROXY_CANARY_KEY: keys.canary.secret,
    HAPROXY_CANARY_KEY_ID: keys.canary.id,
    HAPROXY_SECOND_KEY: keys.second.secret,
    HAPROXY_STAGING_KEY: keys.staging.secret,
  };
}

describe.skipIf(!HAVE)('the HAProxy recipe (docs/recipes/haproxy)', () => {
  let copy: RecipeCopy;
  let gateway: Gateway;
  let origin: string;
  let keys: RecipeKeys;

  beforeAll(async () => {
    const port = await freePort();
    copy = copyRecipe('haproxy', { 8080: port });
    origin = `http://127.0.0.1:${port}`;
    gateway = await startHaproxy(copy, port);
    keys = await setupKeys(copy.dir, 'HAPROXY');
  });

  afterAll(async () => {
    await gateway?.stop();
    copy?.cleanup();
  });

  it('passes the whole prelaunch suite as the README runs it, and every verdict is what HAProxy really does', async () => {
    const out = join(copy.dir, 'reports');
    const run = await runKeyprobe(copy.dir, out, [], profileEnv(keys));
    expect(run.stderr).toBe('');
    expect(run.result, run.stdout).toBeDefined();
    const checkIds = [...Object.keys(CONFIRM_PASS), ...PROFILE_ONLY, 'lifecycle.expired-key-rejected'];
    // A check that did not pass says why, with its measurements, in the failure.
    const notPassed = run.result!.profiles[0]!.checks.filter((c) => c.verdict !== 'pass');
    const why = JSON.stringify(
      notPassed.map((c) => ({ id: c.id, message: c.message, measurements: c.measurements })),
      null,
      1,
    );
    expect(run.verdicts, why).toEqual(Object.fromEntries(checkIds.map((id) => [id, 'pass'])));
    expect(run.code).toBe(0);
    // keys.sh states the expiry HAProxy enforces (a whole second): the lag is measured from it, not from a
    // guess up to a second early, which a busy runner's late probe turned into "could not judge".
    const expired = run.result!.profiles[0]!.checks.find((c) => c.id === 'lifecycle.expired-key-rejected')!;
    expect(expired.measurements.expiryVerifiedFrom).toBe('the create answer');
    expect(Date.parse(expired.measurements.expiresAt as string) % 1000).toBe(0);

    for (const c of run.result!.profiles[0]!.checks.filter((c) => (PROFILE_ONLY as readonly string[]).includes(c.id)))
      expect(c.evidence).toEqual([]);
    // keyprobe left the gateway as it found it, in memory and in the files:
    // its canaries deleted, the declared canary enabled again.
    const ids = Object.values(keys).map((k) => k.id);
    ids.sort();
    const inMemory = (await keysSh(copy.dir, ['list'])).stdout.trim().split('\n');
    expect(inMemory.map((l) => l.split(' ')[0]).sort()).toEqual(ids);
    const inFile = entriesOf(copy.read('keys.map'));
    expect(inFile.map((l) => l.split(' ')[1]).sort()).toEqual(ids);
    expect(entriesOf(copy.read('disabled.acl'))).toEqual([]);
    const secrets = Object.values(keys).map((k) => k.secret);
    expect(findSecrets(secrets, { dirs: [out], texts: { stdout: run.stdout, stderr: run.stderr } })).toEqual([]);

    // Now without keyprobe. The per-key counter forgets a burst after 2 s.
    await sleep(2100);
    const c: ConfirmContext = { origin, dir: copy.dir, keys, acceptedBeforeThrottle: 20, refillPerSecond: 20, retryAfter: '2' };
    const confirmations = { ...CONFIRM_PASS, 'lifecycle.expired-key-rejected': confirmExpiry };
    for (const [id, confirm] of Object.entries(confirmations)) {
      try {
        await confirm(c);
      } catch (err) {
        throw new Error(`${id}: keyprobe said pass, but HAProxy does not behave so: ${(err as Error).message}`);
      }
    }
  }, 90_000);

  it('changes keys without a reload: the same HAProxy process serves before and after', async () => {
    const pid = gateway.child.pid;
    const key = await createKey(copy.dir, 'no-reload', 'prod', ['agents:read']);
    expect((await probe(origin, 'GET', '/v1/agents', { key: key.secret })).status).toBe(200);
    expect((await keysSh(copy.dir, ['disable', key.id])).code).toBe(0);
    expect((await probe(origin, 'GET', '/v1/agents', { key: key.secret })).status).toBe(401);
    expect((await keysSh(copy.dir, ['delete', key.id])).code).toBe(0);
    expect(gateway.child.pid).toBe(pid);
    expect(gateway.child.exitCode).toBeNull();
    expect(gateway.output()).not.toMatch(/reload|ALERT/i);
  });

  it('with two fetches on one `acl` line, lets every GET and POST through, and keyprobe says so', async () => {
    const port = await freePort();
    const broken = copyRecipe('haproxy', { 8080: port });
    const brokenOrigin = `http://127.0.0.1:${port}`;
    let haproxy: Gateway | undefined;
    try {
      // The route ACLs as first written: "method GET path -m reg …" reads as
      // one ACL on `method` whose patterns are GET, path, -m, reg and the regex.
      broken.edit('haproxy.cfg', (text) => {
        const fixed = [
          'acl route_agents_read path -m reg',
          'acl route_agents_call path -m reg',
          'if METH_GET route_agents_read',
          'if METH_POST route_agents_call',
        ];
        for (const f of fixed) expect(text).toContain(f);
        return text
          .replace(fixed[0]!, 'acl route_agents_read method GET path -m reg')
          .replace(fixed[1]!, 'acl route_agents_call method POST path -m reg')
          .replace(fixed[2]!, 'if route_agents_read')
          .replace(fixed[3]!, 'if route_agents_call');
      });
      const secrets = Object.fromEntries(['main', 'canary', 'second', 'staging'].map((k) => [k, unknownKey()]));
      broken.edit('keys.map', (text) =>
        [
          text.trimEnd(),
          ...['main', 'canary', 'second'].map((k, i) => `${secrets[k]} k_0000000${i} prod agents:read,agents:call 0`),
          `${secrets.staging} k_00000009 staging agents:read,agents:call 0`,
          '',
        ].join('\n'),
      );
      haproxy = await startHaproxy(broken, port);
      const keyOf = (name: string) => ({ id: 'k_00000000', secret: secrets[name]! });
      const brokenKeys: RecipeKeys = { main: keyOf('main'), canary: keyOf('canary'), second: keyOf('second'), staging: keyOf('staging') };
      const out = join(broken.dir, 'reports');
      const run = await runKeyprobe(broken.dir, out, ['--only', 'authz.unauthorized-resource-denied'], profileEnv(brokenKeys));
      expect(run.verdicts).toEqual({ 'authz.unauthorized-resource-denied': 'fail' });
      expect(run.stdout).toContain('POST /v1/agents answered 404 Not Found, expected 403 Forbidden');
      expect(run.code).toBe(1);
      expect(findSecrets(Object.values(secrets), { dirs: [out], texts: { stdout: run.stdout, stderr: run.stderr } })).toEqual([]);
      // By plain requests: the denied calls reach the application (its 404), no 403 from the gateway.
      expect((await probe(brokenOrigin, 'POST', '/v1/agents', { key: secrets.main!, body: {} })).body).toContain('not_found');
      expect((await probe(brokenOrigin, 'GET', '/v1/admin/keys', { key: secrets.main! })).status).toBe(404);
    } finally {
      await haproxy?.stop();
      broken.cleanup();
    }
  }, 60_000);
});

/** A key created with an expiry two seconds ahead works until then and is refused after. */
async function confirmExpiry(c: ConfirmContext): Promise<void> {
  const expiresAt = Math.floor(Date.now() / 1000) + 2;
  const made = await keysSh(c.dir, ['create', 'confirm-expiry', 'prod', 'agents:read'], {
    KEYPROBE_EXPIRES_AT_EPOCH_SECONDS: String(expiresAt),
  });
  expect(made.code).toBe(0);
  const key = JSON.parse(made.stdout) as { id: string; secret: string; expiresAt: number };
  expect(key.expiresAt).toBe(expiresAt);
  expect((await probe(c.origin, 'GET', '/v1/agents', { key: key.secret })).status).toBe(200);
  await sleep(expiresAt * 1000 - Date.now() + 100);
  expect((await probe(c.origin, 'GET', '/v1/agents', { key: key.secret })).status).toBe(401);
  expect((await keysSh(c.dir, ['delete', key.id])).code).toBe(0);
}
