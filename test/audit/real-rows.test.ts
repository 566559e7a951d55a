// Real platforms, real rows: a management API shaped like Directus' /users
// (static tokens) answered over loopback HTTP, paged by offset/limit, with
// masked secrets, no creation date at all, and a "suspended" status. Every row
// is audited; masks are not secrets; rules that need a field the platform does
// not record say which keys they could not judge.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSecretLike } from '../../src/audit/secret-like.js';
import { runCli } from '../helpers/cli.js';
import { findSecrets } from '../helpers/scan.js';
import { tempDir } from '../helpers/tmp.js';

const AS_OF = '2026-06-01T00:00:00Z';

// Directus answers GET /users with { data: [...] }; password, token and tfa_secret come back masked.
const USERS = [
  {
    id: '0b2c8a1e-7f3d-4a59-8c6e-1d2f3a4b5c6d',
    email: 'crm-prod-agent-call@example.com',
    first_name: 'CRM',
    password: '**********',
    token: '**********',
    tfa_secret: null,
    status: 'active',
    role: '5f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f',
    last_access: '2026-05-30T10:00:00.000Z',
  },
  {
    id: '1c3d9b2f-8a4e-4b6a-9d7f-2e3a4b5c6d7e',
    email: 'billing-prod-sync@example.com',
    first_name: 'Billing',
    password: '**********',
    token: '**********',
    tfa_secret: '**********',
    status: 'suspended',
    role: '5f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f',
    last_access: '2026-01-10T10:00:00.000Z',
  },
  {
    id: '2d4e0c3a-9b5f-4c7b-8e8a-3f4b5c6d7e8f',
    email: 'reporting-prod-export@example.com',
    first_name: 'Reporting',
    password: '********abcd',
    token: '[REDACTED]',
    tfa_secret: null,
    status: 'active',
    role: null,
    last_access: null,
  },
  {
    id: '3e5f1d4b-0c6a-4d8c-9f9b-4a5c6d7e8f90',
    email: 'ops-prod-maintenance@example.com',
    first_name: 'Ops',
    password: 'xxxxxxxxxxxxxxxx',
    token: null,
    tfa_secret: null,
    status: 'active',
    role: null,
    last_access: null,
  },
];

const MAPPING = [
  'credential: { secret: "${env:DIRECTUS_TOKEN}" }',
  'items: data',
  'pagination: { type: offset, param: offset, limitParam: limit, limit: 2 }',
  'fields:',
  '  id: id',
  '  name: { path: email, match: "^([^@]+)@" }',
  '  owner: email',
  '  environment: { const: prod }',
  '  enabled:',
  '    path: status',
  '    values: { active: true, suspended: false, draft: false, invited: false, archived: false }',
  '  lastUsed: last_access',
  '',
].join('\n');

describe('a Directus-shaped management API: masks, no creation date, suspended users, offset paging', () => {
  let server: Server;
  let origin: string;
  const token = `dir_${'Q7z'.repeat(12)}`;
  const requests: string[] = [];
  let tmp: ReturnType<typeof tempDir>;

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      if (req.headers.authorization !== `Bearer ${token}`) {
        res.writeHead(401).end();
        return;
      }
      const url = new URL(req.url ?? '/', 'http://x');
      const limit = Number(url.searchParams.get('limit') ?? 100);
      const offset = Number(url.searchParams.get('offset') ?? 0);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: USERS.slice(offset, offset + limit) }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    tmp = tempDir();
  });
  afterAll(async () => {
    tmp.cleanup();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('audits all four users, reads every page, finds no secret in masks, and lists what it could not judge', async () => {
    const out = join(tmp.dir, 'out');
    const r = await runCli(
      ['audit', '--inventory-url', `${origin}/users`, '--mapping', tmp.file('directus.yaml', MAPPING), '--as-of', AS_OF, '--out', out],
      { env: { DIRECTUS_TOKEN: token } },
    );
    expect(r.stderr).toBe('');
    // Pages of 2: two full pages, then an empty one ends the list.
    expect(requests).toEqual(['/users?limit=2&offset=0', '/users?limit=2&offset=2', '/users?limit=2&offset=4']);
    expect(r.stdout).toContain(`4 keys from ${origin}/users (4 rows, 3 pages)`);
    expect(r.stdout).toMatch(/PASS\s+audit\.inventory-rows-valid/);
    expect(r.stdout).toMatch(/PASS\s+audit\.secret-in-inventory/);

    const doc = JSON.parse(readFileSync(join(out, 'findings.json'), 'utf8'));
    expect(doc.inventory).toMatchObject({ rows: 4, keys: 4, enabled: 3 });
    const verdicts = Object.fromEntries(doc.rules.map((r: { id: string; verdict: string }) => [r.id, r.verdict]));
    // No creation date: the never-used keys cannot be judged stale, no expiry is recorded at all.
    expect(verdicts['audit.stale-key']).toBe('error');
    expect(verdicts['audit.expiry-policy']).toBe('error');
    expect(verdicts['audit.rotation-overdue']).toBe('error');
    expect(verdicts['audit.unclaimed-key']).toBe('pass');
    const stale = doc.notVerifiable.filter((n: { rule: string }) => n.rule === 'audit.stale-key');
    expect(stale.map((n: { name: string }) => n.name).sort()).toEqual(['ops-prod-maintenance', 'reporting-prod-export']);
    expect(stale[0].reason).toBe('never used, and no creation date recorded');
    // The suspended user is a disabled key, not a bad row; its old use is no "revoked key in use".
    expect(verdicts['audit.revoked-key-in-use']).toBe('pass');
    expect(r.stdout).toMatch(
      /ERROR\s+audit\.stale-key — could not judge 2 keys: never used, and no creation date recorded \(reporting-prod-export \(2d4e/,
    );

    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    const staleCheck = results.profiles[0].checks.find((c: { id: string }) => c.id === 'audit.stale-key');
    expect(staleCheck.measurements).toMatchObject({ keys: 4, findings: 0, notVerifiable: 2 });
    // No rule failed, but some could not judge every key: the audit is not verified, exit 3.
    expect(r.stdout).toContain('Audit verdict: ERROR — exit 3');
    expect(r.code).toBe(3);
    expect(findSecrets([token], { dirs: [out], texts: { stdout: r.stdout, stderr: r.stderr } })).toEqual([]);
  });
});

describe('masks are not secrets', () => {
  it.each([
    ['token', '**********'],
    ['password', '********abcd'],
    ['secret', '[REDACTED]'],
    ['api_key', '<redacted>'],
    ['token', 'sk_live_****************4242'],
    ['key', '••••••••1234'],
    ['password', 'xxxxxxxxxxxxxxxx'],
    ['token', '0000000000000000000000000000000000000000'],
    ['note', 'XXXX-XXXX-XXXX-1234'],
    ['credential', '(hidden)'],
  ])('%s: %s', (field, value) => {
    expect(isSecretLike(field, value)).toBe(false);
  });

  it.each([
    ['token', 'hunter2hunter2'],
    ['password', 'correct horse battery staple'],
    ['note', `kp_prod_${'Ab3'.repeat(11)}`],
    ['token', 'sk_live_4eC39HqLyjWDarjtT1zdp7dc'],
  ])('but %s: %s is', (field, value) => {
    expect(isSecretLike(field, value)).toBe(true);
  });
});
