// The http adapter against management APIs shaped like real ones: a token
// API that has no id and addresses a token by its secret (as Unleash does),
// one that wants an absolute expiry, ids with "/" and spaces, and platforms
// without a disable.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { checkProfileFile } from '../../src/config/load-profile.js';
import { profileSchema } from '../../src/config/profile-schema.js';
import { createLifecycleAdapter } from '../../src/lifecycle/index.js';
import type { ActionRecord } from '../../src/lifecycle/types.js';
import type { ReferenceTarget } from '../../src/reference/index.js';
import { findSecrets } from '../helpers/scan.js';
import { tempDir } from '../helpers/tmp.js';
import { startAdminProxy } from './admin-proxy.js';
import { canariesLeft, clientFor, fixture, referenceLifecycle, runChecks, SCOPES, startTarget, type Fixture } from './helpers.js';

function adapterFor(f: Fixture) {
  const { http, secrets } = clientFor(f);
  const records: ActionRecord[] = [];
  const adapter = createLifecycleAdapter({
    profile: f.profile,
    http,
    secrets,
    signal: new AbortController().signal,
    interactive: false,
    env: {},
    records,
  })!;
  return { adapter, secrets, records };
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

/**
 * A token API in front of the reference target, shaped like Unleash's: the
 * create answer has no id (`{secret, tokenName, expiresAt, …}`) and a token
 * is addressed by its secret in the path. It keeps the raw paths it got.
 */
async function startTokenApi(target: ReferenceTarget): Promise<{ origin: string; rawPaths: string[] }> {
  const idOf = new Map<string, string>();
  const rawPaths: string[] = [];
  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${target.origin}/admin/keys${path}`, {
      method,
      headers: { authorization: `Bearer ${target.adminToken}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    rawPaths.push(req.url!);
    let body = '';
    for await (const c of req) body += c;
    const parts = req.url!.split('/').map(decodeURIComponent); // "", "api", "admin", "api-tokens", secret?, action?
    const [secret, action] = [parts[4], parts[5]];
    if (req.method === 'POST' && secret === undefined) {
      const input = JSON.parse(body) as { tokenName: string; environment: string; expiresAt: string };
      const made = (await (
        await admin('POST', '', { name: input.tokenName, environment: input.environment, scopes: SCOPES, expiresAt: input.expiresAt })
      ).json()) as { id: string; secret: string; expiresAt: string; createdAt: string };
      idOf.set(made.secret, made.id);
      const answer = {
        secret: made.secret,
        tokenName: input.tokenName,
        type: 'client',
        environment: input.environment,
        expiresAt: made.expiresAt,
        createdAt: made.createdAt,
      };
      return void res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    }
    const id = secret !== undefined ? idOf.get(secret) : undefined;
    if (!id) return void res.writeHead(404).end();
    const r =
      req.method === 'DELETE'
        ? await admin('DELETE', `/${id}`)
        : req.method === 'POST' && action
          ? await admin('POST', `/${id}/${action}`)
          : undefined;
    res.writeHead(r?.ok ? 200 : 400, { 'content-type': 'application/json' }).end('{}');
  };
  const server = createServer((req, res) => void handle(req, res).catch(() => res.writeHead(500).end()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, rawPaths };
}

function tokenApiLifecycle(origin: string, target: ReferenceTarget): Record<string, unknown> {
  return {
    adapter: 'http',
    stabilityWindowMs: 300,
    http: {
      origin,
      credential: { secret: target.adminToken },
      create: {
        method: 'POST',
        path: '/api/admin/api-tokens',
        body: { tokenName: '{{name}}', environment: '{{environment}}', expiresAt: '{{expiresAt}}' },
        extract: { id: 'secret' },
      },
      disable: 'POST /api/admin/api-tokens/{{id}}/disable',
      delete: 'DELETE /api/admin/api-tokens/{{id}}',
    },
  };
}

describe('extract may take the id from any field, the secret included', () => {
  it('a profile may write `extract: { id: secret, secret: secret }` (field names, not a literal secret)', () => {
    const tmp = tempDir('keyprobe-extract-');
    try {
      const file = tmp.file(
        'p.yaml',
        [
          'key: { name: a-prod-c, system: a, environment: prod, purpose: c, secret: "${env:K}" }',
          'target: { origin: "http://127.0.0.1:1" }',
          'allowed: [GET /x]',
          'lifecycle:',
          '  adapter: http',
          '  http:',
          '    create: { method: POST, path: /tokens, extract: { id: secret, secret: secret } }',
          '    delete: DELETE /tokens/{{id}}',
          '',
        ].join('\n'),
      );
      const { problems } = checkProfileFile(file, { K: `kp_prod_${randomBytes(16).toString('hex')}` });
      expect(problems).toEqual([]);
    } finally {
      tmp.cleanup();
    }
  });

  it('an id that is the secret is registered and redacted everywhere; the canary is still deleted', async () => {
    const target = await startTarget({ environment: 'prod' });
    const api = await startTokenApi(target);
    const f = fixture(target, { lifecycle: tokenApiLifecycle(api.origin, target) });
    const result = await runChecks(f, ['lifecycle.disabled-key-rejected']);
    const c = result.profiles[0]!.checks[0]!;
    expect(c.verdict, c.message).toBe('pass');
    expect(c.lifecycleActions!.map((a) => `${a.action}:${a.outcome}`)).toEqual(['create:done', 'disable:done', 'delete:done']);
    expect(canariesLeft(target)).toEqual([]);
    // The paths carried the secret (url-encoded); the records show it only as a fingerprint.
    const deletePath = api.rawPaths.find((p) => p.startsWith('/api/admin/api-tokens/') && !p.endsWith('/disable'))!;
    const secret = decodeURIComponent(deletePath.split('/')[4]!);
    expect(secret).toMatch(/^kp_prod_/);
    expect(c.lifecycleActions![2]!.detail).toMatch(/^DELETE \/api\/admin\/api-tokens\/\[canary sha256:[0-9a-f]{8}\] → 200/);
    const everything = JSON.stringify(result);
    expect(findSecrets([secret, target.adminToken], { texts: { everything } })).toEqual([]);
  });
});

describe('expiry placeholders', () => {
  it('offer the expiry as relative seconds, ISO 8601, epoch seconds and epoch milliseconds', async () => {
    const target = await startTarget();
    const proxy = await startAdminProxy(target);
    const lc = referenceLifecycle(target) as { http: Record<string, unknown> };
    const f = fixture(target, {
      lifecycle: {
        ...lc,
        http: {
          ...lc.http,
          origin: proxy.origin,
          create: {
            method: 'POST',
            path: '/admin/keys/expiring/{{expiresAt}}',
            body: { rel: '{{expiresInSeconds}}', iso: '{{expiresAt}}', s: '{{expiresAtEpochSeconds}}', ms: '{{expiresAtEpochMs}}' },
          },
        },
      },
    });
    proxy.script('POST', /^\/admin\/keys\/expiring\//, {
      status: 201,
      body: { id: 'key_x', secret: `kp_prod_${randomBytes(12).toString('hex')}` },
    });
    const { adapter } = adapterFor(f);
    const before = Date.now();
    const r = await adapter.create({ name: 'keyprobe-canary-e', scopes: SCOPES, environment: 'prod', expiresInSeconds: 30 });
    expect(r.outcome).toBe('done');
    const sent = proxy.seen[0]!;
    const body = JSON.parse(sent.body) as { rel: number; iso: string; s: number; ms: number };
    expect(body.rel).toBe(30);
    expect(body.iso).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(Number.isInteger(body.s) && Number.isInteger(body.ms)).toBe(true);
    for (const at of [Date.parse(body.iso), body.s * 1000, body.ms]) {
      expect(at).toBeGreaterThanOrEqual(before + 29_000);
      expect(at).toBeLessThanOrEqual(Date.now() + 31_000);
    }
    // In a path the ISO date is url-encoded (its colons).
    expect(sent.rawPath).toBe(`/admin/keys/expiring/${encodeURIComponent(body.iso)}`);
  });

  it('the profile schema lists them, and refuses unknown ones', () => {
    const base = {
      key: { name: 'a-b-c', system: 'a', environment: 'prod', purpose: 'c', secret: 's' },
      target: { origin: 'http://127.0.0.1:1' },
      allowed: ['GET /x'],
    };
    const ok = profileSchema.safeParse({
      ...base,
      lifecycle: { adapter: 'http', http: { create: { method: 'POST', path: '/k', body: { at: '{{expiresAtEpochMs}}' } } } },
    });
    expect(ok.success).toBe(true);
    const bad = profileSchema.safeParse({
      ...base,
      lifecycle: { adapter: 'http', http: { create: { method: 'POST', path: '/k', body: { at: '{{expiresOn}}' } } } },
    });
    expect(bad.error!.issues[0]!.message).toMatch(/\{\{expiresAt\}\}, \{\{expiresAtEpochSeconds\}\}, \{\{expiresAtEpochMs\}\}/);
  });
});

describe('path placeholders are url-encoded', () => {
  it('an id with "/" and spaces stays one path segment', async () => {
    const target = await startTarget();
    const proxy = await startAdminProxy(target);
    const f = fixture(target, {
      lifecycle: { ...referenceLifecycle(target), http: { ...(referenceLifecycle(target).http as object), origin: proxy.origin } },
    });
    proxy.script('POST', /disable$/, { status: 200, body: {} });
    const { adapter } = adapterFor(f);
    expect((await adapter.disable({ name: 'k', id: 'team a/key 1' })).outcome).toBe('done');
    expect(proxy.seen[0]!.rawPath).toBe('/admin/keys/team%20a%2Fkey%201/disable');
  });

  it('an id of "." or ".." is refused, never sent (the URL would climb out of the path)', async () => {
    const target = await startTarget();
    const proxy = await startAdminProxy(target);
    const f = fixture(target, {
      lifecycle: { ...referenceLifecycle(target), http: { ...(referenceLifecycle(target).http as object), origin: proxy.origin } },
    });
    const { adapter } = adapterFor(f);
    for (const id of ['..', '.']) {
      const r = await adapter.delete({ name: 'k', id });
      expect(r.outcome).toBe('failed');
      expect(r.outcome === 'failed' && r.reason).toMatch(/would not stay one path segment/);
    }
    expect(proxy.seen).toEqual([]);
  });
});

describe('what a create answered, for checks to verify', () => {
  it('the created key carries the answer’s non-secret fields and the names of all its fields', async () => {
    const target = await startTarget();
    const f = fixture(target);
    const { adapter } = adapterFor(f);
    const r = await adapter.create({ name: 'keyprobe-canary-f', scopes: SCOPES, environment: 'prod', expiresInSeconds: 60 });
    expect(r.outcome).toBe('done');
    if (r.outcome !== 'done') return;
    expect(r.value.fieldNames).toEqual(expect.arrayContaining(['id', 'name', 'scopes[]', 'expiresAt', 'secret']));
    expect(r.value.fields.scopes).toEqual(SCOPES);
    expect(Date.parse(r.value.fields.expiresAt as string)).toBeGreaterThan(Date.now() + 50_000);
    expect(r.value.fields.secret).toBeUndefined();
    expect(JSON.stringify(r.value.fields)).not.toContain(r.value.secret);
  });
});

describe('which actions an adapter has', () => {
  it('an http adapter without disable, and a manual adapter told the platform can only delete, both answer can("disable") = false', async () => {
    const target = await startTarget();
    const lc = referenceLifecycle(target) as { http: Record<string, unknown> };
    const { disable: _d, enable: _e, ...deleteOnly } = lc.http;
    const http = adapterFor(fixture(target, { lifecycle: { ...lc, http: deleteOnly } })).adapter;
    expect(http.can('disable')).toBe(false);
    expect(http.can('delete')).toBe(true);
    const manual = adapterFor(fixture(target, { lifecycle: { adapter: 'manual', manual: { actions: ['delete'] } } })).adapter;
    expect(manual.can('disable')).toBe(false);
    expect(manual.can('enable')).toBe(false);
    expect(manual.can('delete')).toBe(true);
    const r = await manual.disable({ name: 'k' });
    expect(r).toMatchObject({ outcome: 'skipped' });
  });
});
