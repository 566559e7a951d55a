// The command adapter runs real shell commands: small node scripts that call
// the reference target's /admin API, as a user's own scripts would.
import { describe, expect, it } from 'vitest';
import { InterruptedError } from '../../src/errors.js';
import { createLifecycleAdapter } from '../../src/lifecycle/index.js';
import type { ActionRecord } from '../../src/lifecycle/types.js';
import { findSecrets } from '../helpers/scan.js';
import { tempDir } from '../helpers/tmp.js';
import { canariesLeft, clientFor, fixture, runChecks, SCOPES, startTarget, type Fixture } from './helpers.js';

const ADMIN_SCRIPT = `
const [action] = process.argv.slice(2);
const e = process.env;
const admin = (method, path, body) => fetch(e.KEYPROBE_TARGET + '/admin/keys' + path, {
  method, headers: { authorization: 'Bearer ' + e.ADMIN_TOKEN, 'content-type': 'application/json' },
  body: body && JSON.stringify(body),
}).then(async (r) => { if (!r.ok) { console.error('admin API answered ' + r.status); process.exit(2); } return r.status === 204 ? {} : r.json(); });
if (action === 'create') {
  const k = await admin('POST', '', { name: e.KEYPROBE_KEY_NAME, scopes: e.KEYPROBE_KEY_SCOPES.split(' '), environment: e.KEYPROBE_KEY_ENVIRONMENT, ...(e.KEYPROBE_EXPIRES_IN_SECONDS ? { expiresInSeconds: Number(e.KEYPROBE_EXPIRES_IN_SECONDS) } : {}) });
  console.error('created ' + k.secret + ' for ' + e.KEYPROBE_KEY_NAME); // a careless script: keyprobe must redact it
  console.log(JSON.stringify({ id: k.id, secret: k.secret }));
} else if (action === 'rotate') {
  const k = await admin('POST', '/' + e.KEYPROBE_KEY_ID + '/rotate', { gracePeriodSeconds: Number(e.KEYPROBE_GRACE_SECONDS) });
  console.log(JSON.stringify({ secret: k.secret }));
} else if (action === 'delete') {
  await admin('DELETE', '/' + e.KEYPROBE_KEY_ID);
} else {
  await admin('POST', '/' + e.KEYPROBE_KEY_ID + '/' + action);
  console.log(action + 'd ' + e.KEYPROBE_KEY_ID);
}
`;

function commandFixture(f: (lifecycle: Record<string, unknown>) => Fixture, extra: Record<string, string> = {}) {
  const tmp = tempDir('keyprobe-command-');
  const script = tmp.file('admin.mjs', ADMIN_SCRIPT);
  const run = (a: string) => `node ${JSON.stringify(script)} ${a}`;
  const fx = f({
    adapter: 'command',
    command: {
      timeoutMs: 10_000,
      env: ['ADMIN_TOKEN'],
      create: run('create'),
      disable: run('disable'),
      enable: run('enable'),
      rotate: run('rotate'),
      delete: run('delete'),
      ...extra,
    },
  });
  return { fx, tmp };
}

function adapterFor(f: Fixture, signal = new AbortController().signal) {
  const { http, secrets, budget } = clientFor(f);
  const records: ActionRecord[] = [];
  const env = { PATH: process.env.PATH, ADMIN_TOKEN: f.target.adminToken };
  return {
    adapter: createLifecycleAdapter({ profile: f.profile, http, secrets, signal, interactive: false, env, records, allowCommands: true })!,
    secrets,
    budget,
    records,
  };
}

describe('command lifecycle adapter', () => {
  it('passes the key in the environment, reads the new key from stdout JSON, and redacts it everywhere', async () => {
    const target = await startTarget();
    const { fx, tmp } = commandFixture((lifecycle) => fixture(target, { lifecycle }));
    try {
      const { adapter, secrets, budget, records } = adapterFor(fx);
      const created = await adapter.create({ name: 'keyprobe-canary-cmd', scopes: SCOPES, environment: 'prod', expiresInSeconds: 60 });
      expect(created.outcome).toBe('done');
      if (created.outcome !== 'done') return;
      expect(secrets.has(created.value.secret)).toBe(true);
      expect(target.getKey(created.value.id!)).toMatchObject({ name: 'keyprobe-canary-cmd', scopes: SCOPES });
      expect(target.getKey(created.value.id!)!.expiresAt).not.toBeNull();
      const ref = { name: 'keyprobe-canary-cmd', id: created.value.id! };
      expect((await adapter.disable(ref)).outcome).toBe('done');
      expect(target.getKey(ref.id)!.enabled).toBe(false);
      expect((await adapter.enable(ref)).outcome).toBe('done');
      const rotated = await adapter.rotate(ref, 0);
      expect(rotated.outcome === 'done' && secrets.has(rotated.value.secret)).toBe(true);
      expect((await adapter.delete(ref)).outcome).toBe('done');
      expect(target.getKey(ref.id)).toBeUndefined();
      expect(budget.spent).toBe(5); // each command counts as one request
      // Output is kept only when a command fails (command-safety.test.ts); these all succeeded.
      expect(records.map((r) => r.output)).toEqual([undefined, undefined, undefined, undefined, undefined]);
      const all = rotated.outcome === 'done' ? [created.value.secret, rotated.value.secret, target.adminToken] : [];
      expect(findSecrets(all, { texts: { records: JSON.stringify(records) } })).toEqual([]);
    } finally {
      tmp.cleanup();
    }
  });

  it('a failing command, a command without JSON and a hung command each fail with the reason', async () => {
    const target = await startTarget();
    const commands = { disable: 'echo "no such key" >&2; exit 3', create: 'echo created it', enable: 'sleep 5' };
    // The commands that end at once get the default timeout: a short one could run
    // out while a busy machine pauses keyprobe, and make their exit look like a hang.
    const f = fixture(target, { lifecycle: { adapter: 'command', command: commands } });
    const { adapter, records } = adapterFor(f);
    const failed = await adapter.disable({ name: 'k', id: 'key_x' });
    expect(failed).toMatchObject({ outcome: 'failed', reason: 'disable command exited with code 3: no such key' });
    const noJson = await adapter.create({ name: 'c', scopes: SCOPES, environment: 'prod' });
    expect(noJson.outcome === 'failed' && noJson.reason).toMatch(/printed no \{"id":…,"secret":…\} JSON on stdout/);
    expect(records[1]!.output ?? '').not.toContain('created it'); // stdout that should have held a secret is not shown
    expect(adapter.can('rotate')).toBe(false);
    const short = adapterFor(fixture(target, { lifecycle: { adapter: 'command', command: { ...commands, timeoutMs: 300 } } })).adapter;
    const t0 = performance.now();
    const hung = await short.enable({ name: 'k', id: 'key_x' });
    expect(hung.outcome === 'failed' && hung.reason).toMatch(/did not finish within 300 ms \(killed\)/);
    expect(performance.now() - t0).toBeLessThan(3000);
  });

  it('Ctrl-C kills a running command and ends the check', async () => {
    const target = await startTarget();
    const f = fixture(target, { lifecycle: { adapter: 'command', command: { disable: 'sleep 5' } } });
    const abort = new AbortController();
    const { adapter } = adapterFor(f, abort.signal);
    setTimeout(() => abort.abort('SIGINT'), 100);
    const t0 = performance.now();
    await expect(adapter.disable({ name: 'k', id: 'key_x' })).rejects.toBeInstanceOf(InterruptedError);
    expect(performance.now() - t0).toBeLessThan(3000);
  });

  it('drives lifecycle.disabled-key-rejected end to end, deleting its canary afterwards', async () => {
    const target = await startTarget();
    const { fx, tmp } = commandFixture((lifecycle) => fixture(target, { lifecycle: { ...lifecycle, stabilityWindowMs: 300 } }));
    try {
      const result = await runChecks(fx, ['lifecycle.disabled-key-rejected'], {
        env: { PATH: process.env.PATH, ADMIN_TOKEN: target.adminToken },
        allowCommands: true,
      });
      const c = result.profiles[0]!.checks[0]!;
      expect(c.verdict, c.message).toBe('pass');
      expect(c.measurements.subject).toBe('created canary');
      expect(c.lifecycleActions?.map((a) => `${a.action}:${a.outcome}`)).toEqual(['create:done', 'disable:done', 'delete:done']);
      expect(canariesLeft(target)).toEqual([]);
    } finally {
      tmp.cleanup();
    }
  });
});
