// API sources follow pagination (a next cursor, Link rel="next", offset/limit —
// the last in real-rows.test.ts) up to a cap, stay on the origin they were
// given, and say how many pages and keys they read. The paged source is the
// reference target's own GET /admin/keys?limit=N.
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

describe('the reference target pages GET /admin/keys', () => {
  let target: ReferenceTarget;
  const secrets: string[] = [];
  let tmp: ReturnType<typeof tempDir>;

  beforeAll(async () => {
    target = await startReferenceTarget({ environment: 'prod' });
    secrets.push(target.adminToken);
    const expiresAt = new Date(Date.now() + 100 * DAY).toISOString();
    for (let i = 0; i < 5; i++)
      secrets.push(target.createKey({ name: `crm-prod-agent-${i}`, scopes: ['agents:read'], owner: 'crm@example.com', expiresAt }).secret);
  });
  afterAll(async () => target.close());
  afterEach(() => tmp?.cleanup());

  const admin = async (path: string) => {
    const res = await fetch(`${target.origin}${path}`, { headers: { authorization: `Bearer ${target.adminToken}` } });
    return {
      status: res.status,
      link: res.headers.get('link'),
      body: (await res.json()) as { keys: { id: string }[]; nextCursor?: string | null },
    };
  };

  it('answers pages of ?limit=N with a nextCursor and a Link rel="next"; without limit, the whole list', async () => {
    const all = await admin('/admin/keys');
    expect(all.body.keys).toHaveLength(5);
    expect(all.link).toBeNull();
    const first = await admin('/admin/keys?limit=2');
    expect(first.body.keys.map((k) => k.id)).toEqual(all.body.keys.slice(0, 2).map((k) => k.id));
    expect(first.body.nextCursor).toEqual(expect.any(String));
    expect(first.link).toBe(`</admin/keys?limit=2&cursor=${first.body.nextCursor}>; rel="next"`);
    const last = await admin(`/admin/keys?limit=2&cursor=${first.body.nextCursor}`);
    const third = await admin(`/admin/keys?limit=2&cursor=${last.body.nextCursor}`);
    expect(third.body.keys).toHaveLength(1);
    expect(third.body.nextCursor).toBeNull();
    expect(third.link).toBeNull();
    expect((await admin('/admin/keys?limit=0')).status).toBe(400);
    expect((await admin('/admin/keys?limit=2&cursor=nonsense')).status).toBe(400);
  });

  it('the keyprobe-reference preset follows the cursor and says how many pages and keys it read', async () => {
    tmp = tempDir();
    const out = join(tmp.dir, 'out');
    const r = await runCli(
      ['audit', '--inventory-url', `${target.origin}/admin/keys?limit=2`, '--preset', 'keyprobe-reference', '--out', out],
      {
        env: { KEYPROBE_ADMIN_TOKEN: target.adminToken },
      },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`5 keys from ${target.origin}/admin/keys (5 rows, 3 pages)`);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.profiles[0].requestsSent).toBe(3);
    expect(results.profiles[0].notes.join('\n')).toContain('Read 3 pages');
    expect(findSecrets(secrets, { dirs: [out], texts: { stdout: r.stdout, stderr: r.stderr } })).toEqual([]);
  });

  it('a mapping can follow Link rel="next" instead', async () => {
    tmp = tempDir();
    const mapping = tmp.file(
      'm.yaml',
      'credential: { secret: "${env:KEYPROBE_ADMIN_TOKEN}" }\npagination: { type: link }\nfields: { created: createdAt, expires: expiresAt, lastUsed: lastUsedAt }\n',
    );
    const r = await runCli(
      ['audit', '--inventory-url', `${target.origin}/admin/keys?limit=2`, '--mapping', mapping, '--out', join(tmp.dir, 'o')],
      {
        env: { KEYPROBE_ADMIN_TOKEN: target.adminToken },
      },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('5 keys from');
    expect(r.stdout).toContain('(5 rows, 3 pages)');
  });

  it('more pages than maxPages is exit 3: an incomplete inventory is not audited', async () => {
    tmp = tempDir();
    const mapping = tmp.file(
      'm.yaml',
      'credential: { secret: "${env:KEYPROBE_ADMIN_TOKEN}" }\npagination: { type: cursor, cursor: nextCursor, param: cursor, maxPages: 2 }\n',
    );
    const r = await runCli(['audit', '--inventory-url', `${target.origin}/admin/keys?limit=2`, '--mapping', mapping], {
      env: { KEYPROBE_ADMIN_TOKEN: target.adminToken },
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('more than 2 pages (pagination.maxPages); raise it to read the whole inventory');
  });
});

describe('pagination that misbehaves', () => {
  let server: Server;
  let origin: string;
  let tmp: ReturnType<typeof tempDir>;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/loop') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ keys: [{ id: `k${url.searchParams.get('c') ?? 0}` }], next: 'same' }));
        return;
      }
      // A Link to another origin: the credential must not follow it.
      res.writeHead(200, { 'content-type': 'application/json', link: '<http://127.0.0.2:9/steal?page=2>; rel="next"' });
      res.end(JSON.stringify([{ id: 'k1' }]));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));
  afterEach(() => tmp?.cleanup());

  it('a Link rel="next" to another origin is refused (exit 3), the credential stays home', async () => {
    tmp = tempDir();
    const mapping = tmp.file('m.yaml', 'credential: { secret: "${env:T}" }\npagination: { type: link }\n');
    const r = await runCli(['audit', '--inventory-url', `${origin}/keys`, '--mapping', mapping], { env: { T: 'tok_abcdefghijklmnop' } });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      'the next page (http://127.0.0.2:9/steal?page=2) is on another origin; keyprobe sends the credential only to',
    );
  });

  it('a cursor that repeats is a loop, not an endless audit', async () => {
    tmp = tempDir();
    const mapping = tmp.file('m.yaml', 'credential: { secret: "${env:T}" }\npagination: { type: cursor, cursor: next, param: c }\n');
    const r = await runCli(['audit', '--inventory-url', `${origin}/loop`, '--mapping', mapping], { env: { T: 'tok_abcdefghijklmnop' } });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('asks for a page it already answered (/loop?c=same)');
  });
});
