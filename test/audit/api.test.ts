// The management-API source against a live reference target on loopback
// (its GET /admin/keys, out of the box), a custom mapping against another
// shape, credential handling, and `keyprobe audit --demo`.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startReferenceTarget, type ReferenceTarget } from '../../src/reference/index.js';
import { runCli } from '../helpers/cli.js';
import { findSecrets } from '../helpers/scan.js';
import { tempDir } from '../helpers/tmp.js';

const DAY = 86_400_000;

describe('keyprobe audit --inventory-url (reference target)', () => {
  let target: ReferenceTarget;
  const secrets: string[] = [];
  let tmp: ReturnType<typeof tempDir>;

  beforeAll(async () => {
    target = await startReferenceTarget({ environment: 'prod' });
    secrets.push(target.adminToken);
    const expiresAt = new Date(Date.now() + 100 * DAY).toISOString();
    secrets.push(
      target.createKey({ name: 'crm-prod-agent-call', scopes: ['agents:read'], owner: 'crm-team@example.com', expiresAt }).secret,
    );
    secrets.push(target.createKey({ name: 'ops-prod-maintenance', scopes: ['*'], owner: 'ops-team@example.com', expiresAt }).secret);
  });
  afterAll(async () => target.close());
  afterEach(() => tmp?.cleanup());

  it('reads GET /admin/keys with the default mapping and the token from KEYPROBE_ADMIN_TOKEN', async () => {
    tmp = tempDir();
    const out = join(tmp.dir, 'out');
    const r = await runCli(['audit', '--inventory-url', `${target.origin}/admin/keys`, '--out', out], {
      env: { KEYPROBE_ADMIN_TOKEN: target.adminToken },
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`2 keys from ${target.origin}/admin/keys`);
    expect(r.stdout).toMatch(/FAIL\s+audit\.over-privileged-key — .*ops-prod-maintenance \(key_[0-9a-f]{12}\)/);
    expect(r.stdout).toMatch(/PASS\s+audit\.unclaimed-key/);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.profiles[0].profile.targetOrigin).toBe(target.origin);
    expect(results.profiles[0].requestsSent).toBe(1);
    expect(findSecrets(secrets, { dirs: [out], texts: { stdout: r.stdout, stderr: r.stderr } })).toEqual([]);
  });

  it('a refused credential is exit 3 with a clear message and no token in it', async () => {
    const r = await runCli(['audit', '--inventory-url', `${target.origin}/admin/keys`], {
      env: { KEYPROBE_ADMIN_TOKEN: 'kp-wrong-admin-token-123456' },
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('answered 401: the admin credential was refused');
    expect(r.stderr + r.stdout).not.toContain('kp-wrong-admin-token-123456');
  });

  it('a missing credential variable, or a literal secret in the mapping file, is exit 2 naming the field', async () => {
    const unset = await runCli(['audit', '--inventory-url', `${target.origin}/admin/keys`], { env: {} });
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('environment variable KEYPROBE_ADMIN_TOKEN is not set');
    tmp = tempDir();
    const mapping = tmp.file('mapping.yaml', `credential:\n  secret: ${target.adminToken}\n`);
    const literal = await runCli(['audit', '--inventory-url', `${target.origin}/admin/keys`, '--mapping', mapping]);
    expect(literal.code).toBe(2);
    expect(literal.stderr).toContain('mapping.yaml:2:11: credential.secret: a literal secret is not allowed here');
    expect(findSecrets(secrets, { texts: { stdout: literal.stdout, stderr: literal.stderr } })).toEqual([]);
  });

  it('an unreachable management API is exit 3, not a hang or a stack trace', async () => {
    const closed = await startReferenceTarget();
    const origin = closed.origin;
    await closed.close();
    const r = await runCli(['audit', '--inventory-url', `${origin}/admin/keys`], { env: { KEYPROBE_ADMIN_TOKEN: 'x'.repeat(20) } });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^keyprobe: the inventory could not be fetched: /);
    expect(r.stderr).not.toContain('    at ');
  });
});

describe('keyprobe audit --inventory-url with a field mapping', () => {
  let server: Server;
  let origin: string;
  const token = `tok_${'Zx9'.repeat(10)}`;
  let tmp: ReturnType<typeof tempDir>;

  beforeAll(async () => {
    // Another platform's shape: nested list, other field names, its own auth header.
    server = createServer((req, res) => {
      if (req.headers['x-admin-key'] !== token) {
        res.writeHead(401).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          data: {
            items: [
              {
                key_id: 'k1',
                label: 'crm-prod-agent-call',
                team: { email: 'crm@example.com' },
                env: 'prod',
                permissions: ['agents:read'],
                created_on: '2026-03-01',
                valid_until: '2026-12-01',
                last_seen: '2026-05-30',
                active: 'yes',
              },
              {
                key_id: 'k2',
                label: 'crm-prod-agent-call',
                team: {},
                env: 'prod',
                permissions: ['agents:read'],
                created_on: '2026-03-01',
                valid_until: '2026-12-01',
                last_seen: '2026-05-30',
                active: 'yes',
              },
            ],
          },
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));
  afterEach(() => tmp?.cleanup());

  it('maps nested fields and a custom credential header', async () => {
    tmp = tempDir();
    const mapping = tmp.file(
      'mapping.yaml',
      [
        'credential: { header: X-Admin-Key, scheme: "", secret: "${env:PLATFORM_ADMIN_KEY}" }',
        'items: data.items',
        'fields: { id: key_id, name: label, owner: team.email, environment: env, scopes: permissions, created: created_on, expires: valid_until, lastUsed: last_seen, enabled: active }',
        '',
      ].join('\n'),
    );
    const out = join(tmp.dir, 'out');
    const r = await runCli(['audit', '--inventory-url', `${origin}/v2/keys`, '--mapping', mapping, '--as-of', '2026-06-01', '--out', out], {
      env: { PLATFORM_ADMIN_KEY: token },
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL\s+audit\.unclaimed-key — Keys without an owner \(1\): crm-prod-agent-call \(k2\)/);
    expect(r.stdout).toMatch(/FAIL\s+audit\.key-naming — .*\(1\): crm-prod-agent-call \(k2\)/);
    expect(r.stdout).toMatch(/PASS\s+audit\.inventory-rows-valid/);
    expect(findSecrets([token], { dirs: [out], texts: { stdout: r.stdout } })).toEqual([]);
  });

  it('a wrong "items" path is exit 3 saying how to fix it', async () => {
    tmp = tempDir();
    const mapping = tmp.file(
      'mapping.yaml',
      'credential: { header: X-Admin-Key, scheme: "", secret: "${env:PLATFORM_ADMIN_KEY}" }\nitems: keys\n',
    );
    const r = await runCli(['audit', '--inventory-url', `${origin}/v2/keys`, '--mapping', mapping], { env: { PLATFORM_ADMIN_KEY: token } });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('the answer has no list at "keys"; set "items" in the mapping file');
  });
});

describe('keyprobe audit --demo', () => {
  it('starts the reference target with a seeded inventory and audits it end to end', async () => {
    const tmp = tempDir();
    try {
      const out = join(tmp.dir, 'out');
      const r = await runCli(['audit', '--demo', '--out', out]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(1);
      const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
      const verdicts = Object.fromEntries(results.profiles[0].checks.map((c: { id: string; verdict: string }) => [c.id, c.verdict]));
      expect(verdicts).toEqual({
        'audit.inventory-rows-valid': 'pass',
        'audit.secret-in-inventory': 'pass',
        'audit.unclaimed-key': 'fail',
        'audit.stale-key': 'pass',
        'audit.over-privileged-key': 'fail',
        'audit.test-key-in-production': 'fail',
        'audit.key-naming': 'fail',
        'audit.expiry-policy': 'fail',
        'audit.rotation-overdue': 'fail',
        'audit.rotation-due-soon': 'fail',
        'audit.revoked-key-in-use': 'fail',
      });
      const html = readFileSync(join(out, 'report.html'), 'utf8');
      expect(html).toContain('support-prod-agent-call');
      // The demo's secrets are random per run; none may be in the output. They are not returned, so scan for their shape.
      expect(r.stdout + html + readFileSync(join(out, 'results.json'), 'utf8')).not.toMatch(/kp_[a-z]+_[A-Za-z0-9]{32}/);
    } finally {
      tmp.cleanup();
    }
  });
});
