// `keyprobe init --from-openapi` on real public OpenAPI documents of API-key
// platforms (test/fixtures/openapi/, sources and licences in
// test/fixtures/SOURCES.md), not only on documents written for keyprobe:
// - Linode API v4: scopes per operation, each beside a scope-less personal
//   access token alternative;
// - Qdrant: an `api-key` header, no scopes, `{}` (no key) among the root
//   requirements, path parameters everywhere;
// - Kong Admin API: no security declared at all, `get: []` placeholders.
// What each writes must pass `keyprobe validate`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parse } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { matchPath } from '../../src/init/select.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'openapi');
const LINODE = join(FIXTURES, 'linode.openapi.yaml');
const QDRANT = join(FIXTURES, 'qdrant.openapi.json');
const KONG = join(FIXTURES, 'kong-admin-api.yml');
const NAME = ['--system', 'crm', '--environment', 'prod', '--purpose', 'agent-call', '--owner', 'crm-platform-team@example.com'];

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir('keyprobe-init-openapi-');
});
afterEach(() => tmp.cleanup());

interface Written {
  key: Record<string, unknown>;
  target: { origin: string; auth: unknown };
  allowed: { method: string; path: string; expect?: unknown; scope?: string }[];
  denied?: { method: string; path: string }[];
}

async function init(args: string[], answers?: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(['init', ...NAME, ...args, '--out', 'p.yaml', '--force'], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { PATH: process.env.PATH, NO_COLOR: '1' },
    cwd: tmp.dir,
    stdin: answers ? Readable.from(answers.map((a) => `${a}\n`)) : undefined,
  });
  const file = join(tmp.dir, 'p.yaml');
  const text = code === 0 ? readFileSync(file, 'utf8') : '';
  return { code, stdout, stderr, file, text, profile: code === 0 ? (parse(text) as Written) : undefined };
}

const requests = (list: { method: string; path: string }[] | undefined) => (list ?? []).map((r) => `${r.method} ${r.path}`);

/**
 * No problem in the file; `validate` then names what the prelaunch suite still
 * needs (exit 3): a document says nothing of the key's rate limit or how to
 * disable a key.
 */
async function expectValid(file: string): Promise<void> {
  const run = await runCli(['validate', file]);
  expect(run.stderr).not.toMatch(/in the input/);
  expect(run.code, run.stderr).toBe(3);
  const needs = run.stderr.split('\n').filter((l) => l.startsWith('  '));
  expect(needs.map((l) => /: (\w+): ([\w.-]+) is required by suite prelaunch and cannot run/.exec(l)?.slice(1).join(' '))).toEqual([
    'lifecycle lifecycle.disabled-key-rejected',
    'rateLimit rate.limit-triggered',
  ]);
}

describe('Linode API v4 (scopes per operation)', () => {
  it('--scopes linodes:read_only allows what that scope reaches and denies what needs another, though a scope-less token is listed beside each', async () => {
    const run = await init(['--from-openapi', LINODE, '--scopes', 'linodes:read_only']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const p = run.profile!;
    expect(p.target.origin).toBe('https://api.linode.com'); // from servers
    expect(p.target.auth).toEqual({ header: 'Authorization', scheme: 'Bearer' }); // the personal access token (http bearer)
    expect(run.text).toContain("(the document's security scheme personalAccessToken)");
    expect(p.key.scopes).toEqual(['linodes:read_only']);
    expect(p.allowed).toEqual([
      { method: 'GET', path: '/v4/linode/instances', expect: 200, scope: 'linodes:read_only' }, // {apiVersion} from its enum/default
      { method: 'GET', path: '/v4/linode/instances/{linodeId}', expect: 200, scope: 'linodes:read_only' },
      { method: 'GET', path: '/v4/linode/instances/{linodeId}/backups', expect: 200, scope: 'linodes:read_only' },
      { method: 'GET', path: '/v4/linode/instances/{linodeId}/ips', expect: 200, scope: 'linodes:read_only' },
      { method: 'GET', path: '/v4/profile', expect: 200 }, // any token may read its own profile
    ]);
    expect(requests(p.denied)).toContain('POST /v4/linode/instances');
    expect(requests(p.denied)).toContain('GET /v4/domains');
    expect(requests(p.denied)).toContain('GET /v4/profile/tokens');
    expect(run.text).toContain('# post-linode-instance · needs linodes:read_write');
    expect(run.text).toContain('TODO: replace {linodeId} with a real id');
    await expectValid(run.file);
  });

  it('picks operations by method and path without scopes too', async () => {
    const run = await init(['--from-openapi', LINODE, '--allow', 'GET /v4/domains*', '--deny', 'DELETE /v4/domains/*']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(requests(run.profile!.allowed)).toEqual(['GET /v4/domains', 'GET /v4/domains/{domainId}', 'GET /v4/domains/{domainId}/records']);
    expect(requests(run.profile!.denied)).toEqual(['DELETE /v4/domains/{domainId}']);
    expect(run.profile!.key.scopes).toBeUndefined();
    await expectValid(run.file);
  });
});

describe('Qdrant (an api-key header, no scopes)', () => {
  const ORIGIN = ['--origin', 'http://127.0.0.1:6333']; // its server URL has variables

  it('--allow "GET /collections/agents*" fills {collection_name} with agents, and the key goes bare in the api-key header', async () => {
    const run = await init(['--from-openapi', QDRANT, ...ORIGIN, '--allow', 'GET /collections/agents*']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const p = run.profile!;
    expect(p.target.auth).toEqual({ header: 'api-key', scheme: '' });
    const allowed = requests(p.allowed);
    expect(allowed).toContain('GET /collections/agents');
    expect(allowed).toContain('GET /collections/agents/points/{id}');
    expect(allowed.every((r) => r.startsWith('GET /collections/agents'))).toBe(true);
    // Every other operation that needs a key is denied, {collection_name} filled in as in --allow.
    const denied = requests(p.denied);
    expect(denied).toContain('PUT /collections/agents');
    expect(denied).toContain('DELETE /collections/agents');
    expect(denied).toContain('GET /collections');
    expect(denied.some((r) => r.includes('{collection_name}'))).toBe(false);
    expect(allowed.length + denied.length).toBe(69); // every operation of the document, none public
    // Its root security lists {} (no key) beside the schemes: said, not hidden.
    expect(run.stdout).toMatch(
      /Note: the document makes the key optional \(\{\} among its security requirements\) on \d+ allowed operation/,
    );
    await expectValid(run.file);
  });

  it('--deny patterns choose the denied operations; a pattern that matches nothing is refused with the nearest operations', async () => {
    const run = await init([
      '--from-openapi',
      QDRANT,
      ...ORIGIN,
      '--allow',
      'GET /collections/agents',
      '--allow',
      'POST /collections/agents/points/query',
      '--deny',
      'DELETE /collections/agents',
      '--deny',
      'PUT /collections/agents',
    ]);
    expect(run.code).toBe(0);
    expect(requests(run.profile!.allowed)).toEqual(['GET /collections/agents', 'POST /collections/agents/points/query']);
    expect(requests(run.profile!.denied)).toEqual(['PUT /collections/agents', 'DELETE /collections/agents']);

    const typo = await init(['--from-openapi', QDRANT, ...ORIGIN, '--allow', 'POST /collections/agents/points/search']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('"POST /collections/agents/points/search" matches no operation');
    expect(typo.stderr).toContain('nearest: POST /collections/{collection_name}/points/search/matrix/pairs');
    const both = await init(['--from-openapi', QDRANT, ...ORIGIN, '--allow', 'GET /collections', '--deny', 'GET /collections*']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('GET /collections is matched by both --allow and --deny');
  });

  it('asks for operation patterns when the document has no scopes to choose from', async () => {
    const run = await init(
      ['--from-openapi', QDRANT, ...ORIGIN, '--key-env', 'QDRANT_KEY'],
      ['', 'collections/agents', 'GET /collections/agents', 'DELETE /collections/agents', '', '', '', '', ''],
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('How the key is sent: "header NAME [SCHEME]" or "query NAME" [header api-key]: ');
    expect(run.stdout).toContain('Qdrant API has 69 operation(s) that need a key, e.g.:');
    expect(run.stdout).toContain('expected "METHOD /path" with * for any characters');
    expect(requests(run.profile!.allowed)).toEqual(['GET /collections/agents']);
    expect(requests(run.profile!.denied)).toEqual(['DELETE /collections/agents']);
  });
});

describe('Kong Admin API (no security declared)', () => {
  it('takes every operation to need the key, says so, and fills path parameters from the patterns', async () => {
    const run = await init([
      '--from-openapi',
      KONG,
      '--allow',
      'GET /status',
      '--allow',
      'GET /upstreams/billing-upstream/health',
      '--deny',
      'POST /plugins',
      '--deny',
      'DELETE /cache*',
      '--deny',
      'PATCH /upstreams/*/targets/*',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Note: the document declares no security at all; every operation is taken to need the key');
    expect(run.stdout).not.toContain('Left out');
    const p = run.profile!;
    expect(p.target.origin).toBe('http://localhost:8001');
    expect(p.target.auth).toEqual({ header: 'Authorization', scheme: 'Bearer' }); // nothing declared: the default
    // In the document's order.
    expect(requests(p.allowed)).toEqual(['GET /upstreams/billing-upstream/health', 'GET /status']);
    expect(requests(p.denied)).toEqual([
      'DELETE /cache',
      'PATCH /upstreams/billing-upstream/targets/{targets}', // {upstreams} as in --allow
      'DELETE /cache/{key}',
      'POST /plugins',
    ]);
    await expectValid(run.file);
  });
});

describe('where the document sends the key', () => {
  /**
   * A document shaped like the one a live Directus 11.3.5 serves at
   * /server/specs/oas (recorded in docs/recipes/directus/README.md; its licence
   * keeps it out of the fixtures): the token as an API key "in the
   * Authorization header", or as ?access_token=; no document-wide security,
   * and only the GET of each collection stating any.
   */
  const directusLike = (schemes: Record<string, unknown>, readSecurity: unknown[]) =>
    JSON.stringify({
      openapi: '3.0.1',
      info: { title: 'Dynamic API Specification', version: '11.3.5' },
      paths: {
        '/items/{collection}': {
          parameters: [{ name: 'collection', in: 'path', required: true, schema: { type: 'string' } }],
          get: { operationId: 'readItems', security: readSecurity, responses: { '200': { description: '' } } },
          post: { operationId: 'createItem', responses: { '200': { description: '' } } },
        },
        '/items/{collection}/{id}': {
          parameters: [
            { name: 'collection', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
          ],
          get: { operationId: 'readItem', responses: { '200': { description: '' } } },
          delete: { operationId: 'deleteItem', responses: { '204': { description: '' } } },
        },
        '/server/ping': { get: { operationId: 'ping', responses: { '200': { description: '' } } } },
        '/server/health': { get: { operationId: 'health', security: [], responses: { '200': { description: '' } } } },
      },
      components: { securitySchemes: schemes },
    });
  const DIRECTUS_SCHEMES = {
    KeyAuth: { type: 'apiKey', in: 'query', name: 'access_token' },
    Auth: { type: 'apiKey', in: 'header', name: 'Authorization' },
  };

  it('Directus: the key in the Authorization header as Bearer, the query scheme pointed out, silence not taken for openness', async () => {
    const doc = tmp.file('directus-like.json', directusLike(DIRECTUS_SCHEMES, [{ Auth: [] }]));
    const run = await init(['--from-openapi', doc, '--origin', 'http://127.0.0.1:8055', '--allow', 'GET /items/agents*']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.profile!.target.auth).toEqual({ header: 'Authorization', scheme: 'Bearer' });
    expect(run.stdout).toContain(
      'Note: the document\'s Auth puts the key in the Authorization header without saying how; the profile sends "Bearer <key>"',
    );
    expect(run.stdout).toContain('the document also accepts the key in the URL query (KeyAuth: ?access_token=)');
    expect(run.stdout).toContain('auth.key-in-query-rejected expects a key in a URL to be refused');
    expect(run.text).toContain('# Note: the document also accepts the key in the URL query');
    // Only the explicitly open operation is left out; those that state nothing are taken to need the key, and said so.
    expect(run.stdout).toContain('Left out 1 public operation(s) (no security): GET /server/health');
    expect(run.stdout).toContain('Note: 4 operation(s) of the document state no security');
    expect(requests(run.profile!.allowed)).toEqual(['GET /items/agents', 'GET /items/agents/{id}']);
    expect(requests(run.profile!.denied)).toEqual(['POST /items/agents', 'DELETE /items/agents/{id}', 'GET /server/ping']);
    await expectValid(run.file);
  });

  it('only a query scheme: the profile sends the key in the query, and says what that means', async () => {
    const doc = tmp.file('query-only.json', directusLike({ KeyAuth: DIRECTUS_SCHEMES.KeyAuth }, [{ KeyAuth: [] }]));
    const run = await init(['--from-openapi', doc, '--origin', 'http://127.0.0.1:8055', '--allow', 'GET /items/agents']);
    expect(run.code).toBe(0);
    expect(run.profile!.target.auth).toEqual({ query: 'access_token' });
    expect(run.stdout).toContain('the document declares the key in the URL query (KeyAuth: ?access_token=), so the profile sends it there');
    expect(run.stdout).toContain('auth.key-in-query-rejected is skipped for a query contract');
    await expectValid(run.file);
    // The operator's flag wins over the document.
    const header = await init([
      '--from-openapi',
      doc,
      '--origin',
      'http://127.0.0.1:8055',
      '--allow',
      'GET /items/agents',
      '--auth-header',
      'X-Directus-Token',
    ]);
    expect(header.profile!.target.auth).toEqual({ header: 'X-Directus-Token', scheme: '' });
  });
});

describe('operation patterns', () => {
  it('* spans any characters; a document parameter takes one segment of the pattern', () => {
    const bound = (pattern: string, path: string) => {
      const m = matchPath(pattern, path);
      return m ? Object.fromEntries(m) : undefined;
    };
    expect(bound('/items/agents', '/items/{collection}')).toEqual({ collection: 'agents' });
    expect(bound('/items/agents*', '/items/{collection}/{id}')).toEqual({ collection: 'agents' });
    expect(bound('/items/agents*', '/items/agents_archive')).toEqual({});
    expect(bound('/items/agents', '/items/{collection}/{id}')).toBeUndefined();
    expect(bound('/items/a/b', '/items/{collection}')).toBeUndefined(); // a parameter never spans a "/"
    expect(bound('/upstreams/*/targets/*', '/upstreams/{u}/targets/{t}')).toEqual({});
    expect(bound('/v4/linode/instances/123', '/v4/linode/instances/{linodeId}')).toEqual({ linodeId: '123' });
    expect(bound('*', '/anything/{x}')).toEqual({});
  });
});
