// What keyprobe itself writes about the requests it sent holds no secret, no
// matter how the request carried it: a key with ~ ! ' ( ) * and a space in
// the query (URLSearchParams encoding), a header-auth profile's canary sent in
// the query, a second credential pulled into a header from ${env:…}, a literal
// token in a header whose name says it is a credential. Over real loopback
// HTTP, through the CLI; everything written and printed is scanned by the
// tests' own scanner.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/result.js';
import { findSecrets } from '../helpers/scan.js';
import { tempDir } from '../helpers/tmp.js';
import { expectNoCrash, expectNoSecrets, listen, newSecret, runKeyprobe, type Listener } from './helpers.js';

/** Every character URLSearchParams encodes differently from encodeURIComponent, and a space. */
const QUERY_HOSTILE = "~!'()* ";

let server: Listener | undefined;
let tmp: ReturnType<typeof tempDir> | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  tmp?.cleanup();
  tmp = undefined;
});

/** A target that accepts `keys` as Bearer tokens or, when `queryParam` is set, in that query parameter. */
async function target(keys: readonly string[], queryParam?: string): Promise<Listener> {
  return listen(
    createServer((req: IncomingMessage, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const bearer = /^Bearer (.*)$/.exec(req.headers.authorization ?? '')?.[1];
      const presented = queryParam ? url.searchParams.get(queryParam) : bearer;
      if (!presented) return void res.writeHead(401, { 'www-authenticate': 'Bearer' }).end('{"error":"missing_key"}');
      if (!keys.includes(presented)) return void res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_key"}');
      if (url.pathname === '/v1/agents') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"agents":[]}');
      res.writeHead(403, { 'content-type': 'application/json' }).end('{"error":"insufficient_scope"}');
    }),
  );
}

function curlLines(result: RunResult | undefined): string[] {
  return (result?.profiles ?? []).flatMap((p) => p.checks.flatMap((c) => c.evidence.map((e) => e.curl)));
}

/**
 * Runs every recorded curl line with the real curl binary, as a reviewer
 * would: the key in $KEY, each other secret in the variable its lines name
 * (label and fingerprint), and expects the status the run recorded.
 */
async function replayEveryCurlLine(result: RunResult | undefined, key: string, others: readonly string[]): Promise<number> {
  const byPrint = new Map(others.map((s) => [createHash('sha256').update(s).digest('hex').slice(0, 8), s]));
  const exchanges = (result?.profiles ?? []).flatMap((p) => p.checks.flatMap((c) => c.evidence));
  for (const e of exchanges) {
    const vars: NodeJS.ProcessEnv = { PATH: process.env.PATH, KEY: key };
    for (const [, name, print] of e.curl.matchAll(/\$\{([A-Z0-9_]+_([0-9a-f]{8}))\}/g)) vars[name!] = byPrint.get(print!);
    const { stdout } = await promisify(execFile)('sh', ['-c', e.curl], { env: vars, encoding: 'latin1' });
    expect(Number(/^HTTP\/[\d.]+ (\d{3})/.exec(stdout)?.[1]), `${e.label}\n${e.curl}`).toBe(e.status);
  }
  return exchanges.length;
}

describe("a key with ~ ! ' ( ) * and a space", () => {
  it('sent in the query (target.auth.query) is never written unredacted; its curl lines reproduce every request', async () => {
    const key = `${newSecret()}${QUERY_HOSTILE}${newSecret()}`;
    server = await target([key], 'api_key');
    tmp = tempDir('keyprobe-query-key-');
    const run = await runKeyprobe(
      tmp,
      { origin: server.origin, denied: ['GET /v1/billing'], targetExtra: '  auth: { query: api_key }' },
      {
        secret: key,
        checks: [
          'auth.valid-key-accepted',
          'auth.missing-key-rejected',
          'auth.near-miss-key-rejected',
          'authz.unauthorized-resource-denied',
        ],
      },
    );
    expectNoCrash(run);
    expect(run.code, run.stderr).toBe(0);
    // The key really went in the query, form-encoded, as URLSearchParams writes it; its curl lines
    // hand it to curl to encode the same way, and reproduce every request.
    expect(run.result).toBeDefined();
    expect(curlLines(run.result).some((c) => c.includes('--url-query "api_key=${KEY}"'))).toBe(true);
    expect(await replayEveryCurlLine(run.result, key, [])).toBeGreaterThan(5);
    expectNoSecrets([key], run);
    // The scan can fail: the form-encoded key in a text is found.
    expect(findSecrets([key], { texts: { url: `/v1/agents?${new URLSearchParams({ api_key: key })}` } })).toEqual(['url']);
  });

  it("as a header-auth profile's canary, sent in the query by auth.key-in-query-rejected, is never written unredacted", async () => {
    const key = newSecret();
    const canary = `${newSecret('canary')}${QUERY_HOSTILE}${newSecret()}`;
    server = await target([key, canary]);
    tmp = tempDir('keyprobe-query-canary-');
    const run = await runKeyprobe(
      tmp,
      { origin: server.origin },
      { secret: key, otherSecrets: [canary], checks: ['auth.key-in-query-rejected'] },
    );
    expectNoCrash(run);
    expect(run.code, run.stderr).toBe(0);
    const check = run.checks.find((c) => c.id === 'auth.key-in-query-rejected')!;
    expect(check.verdict).toBe('pass');
    // The canary went in the query, and its evidence shows only its fingerprint.
    expect(check.evidence.some((e) => /\?api_key=\[[a-z-]+ sha256:[0-9a-f]{8}\]$/.test(e.path))).toBe(true);
    expect(await replayEveryCurlLine(run.result, key, [canary])).toBeGreaterThan(3);
    expectNoSecrets([key, canary], run);
  });
});

describe('every secret is known before it can leak', () => {
  it('a second credential from ${env:…} in allowed[].headers is a secret; a literal token in a credential-like header is withheld', async () => {
    const key = newSecret();
    const keySecret = newSecret('second');
    const literal = 'lit-9f8e7d6c5b4a3210ZYXWvu';
    server = await target([key]);
    tmp = tempDir('keyprobe-header-secrets-');
    const run = await runKeyprobe(
      tmp,
      {
        origin: server.origin,
        allowed: [`{ method: GET, path: /v1/agents, headers: { X-Key-Secret: "\${env:KP_KEY_SECRET}", X-Session-Token: ${literal} } }`],
      },
      { secret: key, env: { KP_KEY_SECRET: keySecret }, checks: ['auth.valid-key-accepted'] },
    );
    expectNoCrash(run);
    expect(run.code, run.stderr).toBe(0);
    const sent = run.checks[0]!.evidence[0]!;
    expect(sent.requestHeaders['x-key-secret']).toMatch(/^\[secret sha256:[0-9a-f]{8}\]$/);
    expect(sent.requestHeaders['x-session-token']).toBe('[withheld]');
    expect(sent.curl).toContain('x-session-token: [withheld]');
    expectNoSecrets([key, keySecret, literal], run);
  });

  it('a referenced value shorter than 16 characters is refused with its place (exit 2) unless the profile accepts short secrets', async () => {
    server = await target([]);
    tmp = tempDir('keyprobe-short-secret-');
    const run = await runKeyprobe(tmp, { origin: server.origin }, { secret: 'Ab3xY9zQ', checks: ['auth.valid-key-accepted'] });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /profile\.yaml:7:\d+: key\.secret: resolves to a secret of 8 characters, shorter than 16.*key\.acceptShortSecrets/,
    );
    expect(run.stderr).not.toContain('Ab3xY9zQ');
    expect(server.connections()).toBe(0);
  });

  it('with key.acceptShortSecrets a short key runs and stays out of every output; a plain word is refused even then', async () => {
    const key = 'Ab3xY9zQ';
    server = await target([key]);
    tmp = tempDir('keyprobe-short-accepted-');
    const accepted = await runKeyprobe(
      tmp,
      { origin: server.origin, extra: 'governance: { maxLifetimeDays: 365 }' },
      {
        secret: key,
        env: { KP_REL_CANARY: 'Cq7wE2rT', KP_REL_FOREIGN: 'Fz4kL8mN' },
        checks: ['auth.valid-key-accepted', 'auth.near-miss-key-rejected'],
        profileEdit: (yaml) => yaml.replace('  secret: ${env:KP_REL_KEY}', '  secret: ${env:KP_REL_KEY}\n  acceptShortSecrets: true'),
      },
    );
    expectNoCrash(accepted);
    expect(accepted.code, accepted.stderr).toBe(0);
    expectNoSecrets([key], accepted);

    const word = await runKeyprobe(
      tmp,
      { origin: server.origin },
      {
        secret: 'password',
        env: { KP_REL_CANARY: 'Cq7wE2rT', KP_REL_FOREIGN: 'Fz4kL8mN' },
        checks: ['auth.valid-key-accepted'],
        profileEdit: (yaml) => yaml.replace('  secret: ${env:KP_REL_KEY}', '  secret: ${env:KP_REL_KEY}\n  acceptShortSecrets: true'),
      },
    );
    expect(word.code).toBe(2);
    expect(word.stderr).toContain('key.secret: resolves to a short secret that is a plain word or number');
  });
});
