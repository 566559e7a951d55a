// The ready mappings (--preset NAME), each on a fixture written from its
// platform's documented answer (the source is noted at the top of each
// fixture): read as a file export, and — for the platforms with a usable
// API — served over loopback HTTP with that platform's paging.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parse } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { runCli } from '../helpers/cli.js';
import { findSecrets } from '../helpers/scan.js';
import { tempDir } from '../helpers/tmp.js';

const AS_OF = '2026-06-01T00:00:00Z';
const FIXTURES = join(import.meta.dirname, 'fixtures', 'presets');
const fixture = (name: string) => readFileSync(join(FIXTURES, `${name}.yaml`), 'utf8');

interface Doc {
  inventory: { rows: number; keys: number; enabled: number; byEnvironment: Record<string, number>; byOwner: Record<string, number> };
  rules: { id: string; verdict: string }[];
  findings: { rule: string; id: string; name?: string; detail: string }[];
  notVerifiable: { rule: string; id: string; reason: string }[];
}

async function auditFile(tmp: ReturnType<typeof tempDir>, preset: string, text: string, ext = 'yaml') {
  const out = join(tmp.dir, `out-${preset}`);
  const r = await runCli(['audit', tmp.file(`${preset}.${ext}`, text), '--preset', preset, '--as-of', AS_OF, '--out', out]);
  const doc = JSON.parse(readFileSync(join(out, 'findings.json'), 'utf8')) as Doc;
  return { r, doc, out };
}

const findingIds = (doc: Doc, rule: string) => doc.findings.filter((f) => f.rule === rule).map((f) => f.id);
const verdictOf = (doc: Doc, rule: string) => doc.rules.find((r) => r.id === rule)?.verdict;

describe('presets', () => {
  let tmp: ReturnType<typeof tempDir>;
  afterEach(() => tmp?.cleanup());

  it('--list-presets names every shipped preset with what it reads', async () => {
    const r = await runCli(['audit', '--list-presets']);
    expect(r.code).toBe(0);
    const shipped = readdirSync(join(PACKAGE_ROOT, 'presets')).map((f) => f.replace(/\.yaml$/, ''));
    expect(shipped.sort()).toEqual([
      'aws-api-gateway',
      'github-fine-grained-pats',
      'google-cloud-api-keys',
      'keyprobe-reference',
      'kong-key-auth',
    ]);
    for (const name of shipped) expect(r.stdout).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
    expect(r.stdout).toContain(join(PACKAGE_ROOT, 'presets'));
  });

  it('an unknown preset is exit 2 listing the known ones', async () => {
    const r = await runCli(['audit', 'k.json', '--preset', 'kong']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'unknown preset "kong"; known presets: aws-api-gateway, github-fine-grained-pats, google-cloud-api-keys, keyprobe-reference, kong-key-auth',
    );
  });

  it('aws-api-gateway: get-api-keys output, epoch-second dates, tags for owner and environment, stages as where a key calls', async () => {
    tmp = tempDir();
    const { r, doc } = await auditFile(tmp, 'aws-api-gateway', fixture('aws-api-gateway'));
    expect(r.stderr).toBe('');
    expect(doc.inventory).toMatchObject({ rows: 3, keys: 3, enabled: 2, byEnvironment: { prod: 1, test: 1, '(not recorded)': 1 } });
    // The test key is attached to a prod stage.
    expect(findingIds(doc, 'audit.test-key-in-production')).toEqual(['k9x2mp4qre']);
    // No tags on the console's "My key": no owner recorded for it.
    expect(findingIds(doc, 'audit.unclaimed-key')).toEqual(['zz81hq7w0d']);
    // API Gateway records no expiry and no last use: those rules cannot judge, and say so.
    expect(verdictOf(doc, 'audit.expiry-policy')).toBe('error');
    expect(doc.notVerifiable.find((n) => n.rule === 'audit.stale-key')?.reason).toBe(
      'the inventory does not record when a key was last used',
    );
    expect(verdictOf(doc, 'audit.inventory-rows-valid')).toBe('pass');
    expect(verdictOf(doc, 'audit.secret-in-inventory')).toBe('pass');
  });

  it('kong-key-auth: the key field is read as a secret by design, never printed, never a finding', async () => {
    tmp = tempDir();
    const keys = [randomKey(), randomKey()];
    const text = fixture('kong-key-auth').replace('__KONG_KEY_1__', keys[0]!).replace('__KONG_KEY_2__', keys[1]!);
    const { r, doc, out } = await auditFile(tmp, 'kong-key-auth', text);
    expect(r.stderr).toBe('');
    expect(doc.inventory).toMatchObject({ rows: 2, keys: 2, enabled: 2, byEnvironment: { prod: 2 } });
    expect(verdictOf(doc, 'audit.secret-in-inventory')).toBe('pass');
    expect(r.stdout).toContain('2 values of the secret field key were not read');
    // Kong keeps no name for a credential; the tag gives one where set.
    expect(doc.notVerifiable.filter((n) => n.rule === 'audit.key-naming').map((n) => n.id)).toEqual([
      '5d2e9f0a-7b6c-4c1d-8e3f-2a1b0c9d8e7f',
    ]);
    expect(findSecrets(keys, { dirs: [out], texts: { stdout: r.stdout, stderr: r.stderr } })).toEqual([]);
  });

  it('github-fine-grained-pats: permissions become scopes, token_expired disables, null expiry is "no expiry"', async () => {
    tmp = tempDir();
    const { r, doc } = await auditFile(tmp, 'github-fine-grained-pats', fixture('github-fine-grained-pats'));
    expect(r.stderr).toBe('');
    expect(doc.inventory).toMatchObject({ rows: 3, keys: 3, enabled: 2, byOwner: { octocat: 1, hubot: 1, monalisa: 1 } });
    expect(findingIds(doc, 'audit.expiry-policy')).toEqual(['25382']);
    // Expired on 2026-04-01, used 2026-05-20.
    expect(findingIds(doc, 'audit.revoked-key-in-use')).toEqual(['25383']);
    // Granted 2025-03-01, never used since: stale.
    expect(findingIds(doc, 'audit.stale-key')).toEqual(['25382']);
    expect(verdictOf(doc, 'audit.over-privileged-key')).toBe('pass');
  });

  it('google-cloud-api-keys: an unrestricted key is a wildcard, a deleted key is disabled', async () => {
    tmp = tempDir();
    const { r, doc } = await auditFile(tmp, 'google-cloud-api-keys', fixture('google-cloud-api-keys'));
    expect(r.stderr).toBe('');
    expect(doc.inventory).toMatchObject({ rows: 3, keys: 3, enabled: 2 });
    expect(findingIds(doc, 'audit.over-privileged-key')).toEqual(['0c9d3a6e-1f2b-4c3d-8e9f-0a1b2c3d4e5f']);
    expect(doc.findings.find((f) => f.rule === 'audit.over-privileged-key')?.detail).toBe('wildcard scope *');
    expect(findingIds(doc, 'audit.key-naming')).toEqual(['0c9d3a6e-1f2b-4c3d-8e9f-0a1b2c3d4e5f']);
  });
});

describe("presets over the platforms' own paging (loopback HTTP)", () => {
  let server: Server;
  let origin: string;
  const seen: { path: string; headers: Record<string, string | string[] | undefined> }[] = [];
  const token = `tok_${'Pw4'.repeat(12)}`;
  const kongKeys = [randomKey(), randomKey()];
  let tmp: ReturnType<typeof tempDir>;

  beforeAll(async () => {
    const github = parse(fixture('github-fine-grained-pats')) as unknown[];
    const google = parse(fixture('google-cloud-api-keys')) as { keys: unknown[] };
    const kong = parse(fixture('kong-key-auth').replace('__KONG_KEY_1__', kongKeys[0]!).replace('__KONG_KEY_2__', kongKeys[1]!)) as {
      data: unknown[];
    };
    server = createServer((req, res) => {
      seen.push({ path: req.url ?? '', headers: req.headers });
      const url = new URL(req.url ?? '/', 'http://x');
      const json = (body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(200, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      };
      const auth = req.headers.authorization === `Bearer ${token}` || req.headers['kong-admin-token'] === token;
      if (!auth) return void res.writeHead(401).end();
      if (url.pathname === '/orgs/acme/personal-access-tokens') {
        // GitHub: one token per page, the next page in the Link header.
        const page = Number(url.searchParams.get('page') ?? 1);
        const next = page < github.length ? `<${origin}/orgs/acme/personal-access-tokens?per_page=1&page=${page + 1}>; rel="next"` : '';
        return json(github.slice(page - 1, page), next ? { link: next } : {});
      }
      if (url.pathname === '/v2/projects/p/locations/global/keys') {
        // Google: pageToken / nextPageToken, "" on the last page.
        const at = Number(url.searchParams.get('pageToken') || 0);
        return json({ keys: google.keys.slice(at, at + 2), nextPageToken: at + 2 < google.keys.length ? String(at + 2) : '' });
      }
      if (url.pathname === '/key-auths') {
        // Kong: offset in the answer while more pages follow.
        const at = Number(url.searchParams.get('offset') || 0);
        const more = at + 1 < kong.data.length;
        return json({
          data: kong.data.slice(at, at + 1),
          next: more ? `/key-auths?offset=${at + 1}` : null,
          ...(more ? { offset: String(at + 1) } : {}),
        });
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));
  afterEach(() => tmp?.cleanup());

  const audit = (url: string, preset: string, env: Record<string, string>) => {
    tmp = tempDir();
    return runCli(['audit', '--inventory-url', url, '--preset', preset, '--as-of', AS_OF, '--out', join(tmp.dir, 'out')], { env });
  };

  it('github-fine-grained-pats: follows Link rel="next", sends the API version and Accept headers', async () => {
    const r = await audit(`${origin}/orgs/acme/personal-access-tokens?per_page=1`, 'github-fine-grained-pats', { GITHUB_TOKEN: token });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('(3 rows, 3 pages)');
    const gh = seen.filter((s) => s.path.startsWith('/orgs/'));
    expect(gh.map((s) => s.path)).toEqual([
      '/orgs/acme/personal-access-tokens?per_page=1',
      '/orgs/acme/personal-access-tokens?per_page=1&page=2',
      '/orgs/acme/personal-access-tokens?per_page=1&page=3',
    ]);
    expect(gh[0]!.headers.accept).toBe('application/vnd.github+json');
    expect(gh[0]!.headers['x-github-api-version']).toBe('2022-11-28');
  });

  it('google-cloud-api-keys: follows nextPageToken until it is empty', async () => {
    const r = await audit(`${origin}/v2/projects/p/locations/global/keys`, 'google-cloud-api-keys', { GOOGLE_ACCESS_TOKEN: token });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('(3 rows, 2 pages)');
  });

  it('kong-key-auth: follows the offset, with the Kong-Admin-Token header; the keys it returns are never printed', async () => {
    tmp = tempDir();
    const out = join(tmp.dir, 'out');
    const r = await runCli(
      ['audit', '--inventory-url', `${origin}/key-auths`, '--preset', 'kong-key-auth', '--as-of', AS_OF, '--out', out],
      {
        env: { KONG_ADMIN_TOKEN: token },
      },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('(2 rows, 2 pages)');
    expect(findSecrets([...kongKeys, token], { dirs: [out], texts: { stdout: r.stdout, stderr: r.stderr } })).toEqual([]);
  });
});

function randomKey(): string {
  return randomBytes(24)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 32)
    .padEnd(32, 'k');
}
