// A create or rotate answer holds a new live secret, whatever keyprobe makes
// of the answer: every secret-looking value in it is registered before
// anything else happens to it, only its field names are kept, and a key it
// made is deleted even when keyprobe counts the create as failed. End to end
// through the CLI against a hostile management API (a proxy in front of the
// reference target), scanning every file written and everything printed.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/result.js';
import { runCli } from '../helpers/cli.js';
import { findSecrets } from '../helpers/scan.js';
import { tempDir } from '../helpers/tmp.js';
import { startAdminProxy, type AdminProxy } from './admin-proxy.js';
import { canariesLeft, referenceLifecycle, SCOPES, startTarget } from './helpers.js';
import type { ReferenceTarget } from '../../src/reference/index.js';

const KEYS = /^\/admin\/keys$/;

/** A profile file for `target`, its management API reached through `proxy`; secrets only by reference. */
function writeProfile(dir: ReturnType<typeof tempDir>, proxy: AdminProxy, target: ReferenceTarget, create: Record<string, unknown> = {}) {
  const lc = referenceLifecycle(target) as { http: Record<string, unknown> };
  const profile = {
    key: {
      name: 'crm-prod-agent-call',
      system: 'crm',
      environment: 'prod',
      purpose: 'agent-call',
      secret: '${env:KP_KEY}',
      scopes: SCOPES,
    },
    target: { origin: target.origin },
    allowed: ['GET /v1/agents'],
    lifecycle: {
      ...lc,
      stabilityWindowMs: 300,
      http: {
        ...lc.http,
        origin: proxy.origin,
        credential: { secret: '${env:KP_ADMIN_TOKEN}' },
        create: { ...(lc.http.create as object), ...create },
      },
    },
  };
  return dir.file('profile.yaml', JSON.stringify(profile, null, 2));
}

async function runDisableCheck(profile: string, out: string, env: Record<string, string>) {
  const run = await runCli(['run', profile, '--only', 'lifecycle.disabled-key-rejected', '--out', out], {
    env: { PATH: process.env.PATH, ...env },
  });
  const results = JSON.parse(readFileSync(`${out}/results.json`, 'utf8')) as RunResult;
  return { run, results, check: results.profiles[0]!.checks[0]! };
}

/** The new secrets in the answers the real API gave. */
function answerSecrets(proxy: AdminProxy): string[] {
  return proxy.answers.filter(Boolean).flatMap((a) => {
    const v = JSON.parse(a) as { secret?: unknown };
    return typeof v.secret === 'string' ? [v.secret] : [];
  });
}

describe('create answers are secrets first', () => {
  it('a create answered 201 where 200 was expected: its secret never reaches a report, and its key is deleted', async () => {
    const target = await startTarget();
    const key = target.createKey({ name: 'crm-prod-agent-call', scopes: SCOPES });
    const proxy = await startAdminProxy(target);
    const tmp = tempDir('keyprobe-answer-');
    try {
      const profile = writeProfile(tmp, proxy, target, { expect: 200 });
      const { run, results, check } = await runDisableCheck(profile, `${tmp.dir}/out`, {
        KP_KEY: key.secret,
        KP_ADMIN_TOKEN: target.adminToken,
      });
      expect(check.verdict).toBe('error');
      expect(check.message).toMatch(/could not create a canary key: .*answered 201, expected 200/);
      const created = JSON.parse(proxy.answers[0]!) as { id: string; secret: string };
      // Only the answer's field names are kept; the key it made was deleted by cleanup.
      const create = check.lifecycleActions!.find((a) => a.action === 'create')!;
      expect(create.output).toMatch(/^answer fields: id, name, .*secret/);
      expect(check.lifecycleActions!.map((a) => `${a.action}:${a.outcome}`)).toEqual(['create:failed', 'delete:done']);
      expect(target.getKey(created.id)).toBeUndefined();
      expect(canariesLeft(target)).toEqual([]);
      expect(results.profiles[0]!.notes.join('\n')).toMatch(/cleanup: delete created canary/);
      expect(run.code).toBe(3);
      const secrets = [key.secret, target.adminToken, created.secret];
      expect(findSecrets(secrets, { dirs: [`${tmp.dir}/out`], texts: { stdout: run.stdout, stderr: run.stderr } })).toEqual([]);
    } finally {
      tmp.cleanup();
    }
  });

  it('extra credentials in a create answer (an admin token, a nested password, an unnamed random blob) are registered too', async () => {
    const target = await startTarget();
    const key = target.createKey({ name: 'crm-prod-agent-call', scopes: SCOPES });
    const proxy = await startAdminProxy(target);
    // Fixed values: whether an unnamed value looks random is a heuristic, and must not depend on a draw.
    const extras = {
      adminToken: 'adm_f57d7877ab2990619e5675cfb9200ab3',
      password: 'pw-xEadgFCceSIaAwAvSHDg',
      blob: 'vC9kCnG+vr1wA0LnXD1V7PPlvQrEvgLzrl9GVjJf',
    };
    proxy.script('POST', KEYS, {
      forward: true,
      body: (real: unknown) => ({
        ...(real as object),
        adminToken: extras.adminToken,
        owner: { password: extras.password },
        data: [extras.blob],
      }),
    });
    const tmp = tempDir('keyprobe-answer-');
    try {
      const profile = writeProfile(tmp, proxy, target);
      const { run, check } = await runDisableCheck(profile, `${tmp.dir}/out`, { KP_KEY: key.secret, KP_ADMIN_TOKEN: target.adminToken });
      expect(check.verdict, check.message).toBe('pass');
      const create = check.lifecycleActions!.find((a) => a.action === 'create')!;
      expect(create.output).toMatch(/adminToken/);
      expect(create.output).toMatch(/owner\.password/);
      expect(canariesLeft(target)).toEqual([]);
      const secrets = [key.secret, target.adminToken, ...answerSecrets(proxy), ...Object.values(extras)];
      expect(findSecrets(secrets, { dirs: [`${tmp.dir}/out`], texts: { stdout: run.stdout, stderr: run.stderr } })).toEqual([]);
      expect(run.code).toBe(0);
    } finally {
      tmp.cleanup();
    }
  });
});
