// A refusal that says back a secret is a finding for every reverse check that
// judges refusals of credentials, not only for authz: the auth checks fail on
// a 401 whose body or any header holds a form of the key (the near miss they
// sent, the real key under a wrong scheme, the canary from the URL) or whose
// body holds a stack trace. A refusal that echoes what holds no secret (the
// random key-shaped value auth.invalid-key-rejected made up, garbage, a masked
// key) passes, and so does a key masked the way platforms mask it, which keeps
// its public type prefix; 12 characters past the prefix still fail. Over real loopback HTTP, through the runner (runOne), and
// nothing the check returned holds the key or a near miss of it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { nearMissVariants } from '../../src/checks/auth.near-miss-key-rejected.js';
import type { ProfileInput } from '../../src/config/profile-schema.js';
import type { CheckResult } from '../../src/result.js';
import { base62 } from '../helpers/random-keys.js';
import { findSecrets } from '../helpers/scan.js';
import { json, startServer, type TestServer } from '../http/servers.js';
import { runOne } from './run-one.js';

/**
 * How the target's 401 answers what it was sent:
 * - clean: a plain error;
 * - body: the body quotes the credential it was sent ("invalid key kp_…");
 * - bearer-body: only a Bearer token is quoted (a wrong scheme gets the plain error);
 * - header: the WWW-Authenticate challenge quotes it (RFC 6750 error_description);
 * - masked: the body quotes it masked, first 4 and last 4 characters (as some platforms do);
 * - url: the body quotes the request line, query and all;
 * - trace: the body carries a Node.js stack trace;
 * - cookie: a cookie carries the real key, whatever was presented;
 * - openai-masked: the first 12 characters (here the `kp_live_` type prefix
 *   and 4 more), a row of `*`, the last 4 (OpenAI's "sk-abc1****wxyz");
 * - stripe-masked: the prefix, `...`, the last 4 (Stripe's "sk_live_...wxyz");
 * - prefix-and-12: the prefix and the 12 characters after it, then `****`;
 * - reversed-prefix-and-12: the same 20 characters, reversed.
 * GET /v1/admin is denied to the key (403) and says back the key itself the
 * same way, for authz.unauthorized-resource-denied.
 */
type Mode =
  | 'clean'
  | 'body'
  | 'bearer-body'
  | 'header'
  | 'masked'
  | 'url'
  | 'trace'
  | 'cookie'
  | 'openai-masked'
  | 'stripe-masked'
  | 'prefix-and-12'
  | 'reversed-prefix-and-12';

const KEY = `kp_live_${base62(32)}`;
/** A key with no type prefix: 40 random characters. */
const PLAIN_KEY = base62(40);
const CANARY = `kp_live_${base62(32)}`;
const NEAR_MISSES = [KEY, PLAIN_KEY].flatMap((k) => nearMissVariants(k).map((v) => v.secret));
let mode: Mode = 'clean';
let key = KEY;

/** What a masking mode quotes of a credential; undefined for the other modes. */
function masked(presented: string, as: Mode): string | undefined {
  if (as === 'openai-masked') return `${presented.slice(0, 12)}${'*'.repeat(16)}${presented.slice(-4)}`;
  if (as === 'stripe-masked') return `${presented.slice(0, 8)}...${presented.slice(-4)}`;
  if (as === 'prefix-and-12') return `${presented.slice(0, 20)}****`;
  if (as === 'reversed-prefix-and-12') return [...presented.slice(0, 20)].reverse().join('');
  return undefined;
}

function refusingTarget(req: IncomingMessage, res: ServerResponse): void {
  const authorization = String(req.headers.authorization ?? '');
  if (req.url === '/v1/admin' && authorization === `Bearer ${key}`) {
    const quoted = masked(key, mode);
    json(res, 403, quoted ? { error: `key ${quoted} may not read this resource` } : { error: 'forbidden' });
    return;
  }
  if (authorization === `Bearer ${key}` || authorization === `Bearer ${CANARY}`) {
    json(res, 200, { agents: [{ id: 'agt-support', name: 'Support agent' }] });
    return;
  }
  const presented = authorization.replace(/^Bearer /, '');
  const headers: Record<string, string> = { 'www-authenticate': 'Bearer realm="api", error="invalid_token"' };
  let body: unknown = { error: 'invalid_key' };
  if (mode === 'body' || (mode === 'bearer-body' && authorization.startsWith('Bearer '))) body = { error: `invalid key ${presented}` };
  if (mode === 'header')
    headers['www-authenticate'] = `Bearer realm="api", error="invalid_token", error_description="the key ${presented} is not valid"`;
  if (mode === 'masked') body = { error: `Incorrect API key provided: ${presented.slice(0, 4)}***${presented.slice(-4)}` };
  if (mode === 'url') body = { error: 'no key', request: `${req.method} ${req.url}` };
  if (mode === 'trace') body = { error: 'invalid_key', stack: 'Error: no key\n    at authenticate (/srv/app/auth.js:12:19)' };
  if (mode === 'cookie') headers['set-cookie'] = `last_key=${key}; Path=/; HttpOnly`;
  const quoted = masked(presented, mode);
  if (quoted) body = { error: `Incorrect API key provided: ${quoted}` };
  json(res, 401, body, headers);
}

let target: TestServer;
beforeAll(async () => {
  target = await startServer(refusingTarget);
});
afterAll(async () => {
  await target.close();
});
beforeEach(() => {
  mode = 'clean';
  key = KEY;
});

function profile(): ProfileInput {
  return {
    key: { name: 'crm-prod-agent-call', system: 'crm', environment: 'prod', purpose: 'agent-call', secret: key },
    target: { origin: target.origin },
    allowed: ['GET /v1/agents'],
    denied: ['GET /v1/admin'],
    canary: { secret: CANARY },
  } as ProfileInput;
}

async function run(id: string, as: Mode, withKey = KEY): Promise<CheckResult> {
  mode = as;
  key = withKey;
  const r = await runOne(id, profile());
  // Whatever the verdict, nothing the check returned holds the key, a near miss of it or the canary.
  expect(findSecrets([KEY, PLAIN_KEY, CANARY, ...NEAR_MISSES], { texts: { result: JSON.stringify(r) } })).toEqual([]);
  return r;
}

// Platforms mask a key they quote and keep its public type prefix (kp_live_):
// 12 characters of the key, but only 4 of them secret. Only 12 characters
// past the prefix count; a key with no prefix counts on any 12.
describe('a refusal may quote the key masked the way platforms mask it', () => {
  for (const id of ['auth.near-miss-key-rejected', 'authz.unauthorized-resource-denied']) {
    it(`${id}: passes the type prefix and 4 characters, then the last 4 (OpenAI), and the prefix and the last 4 (Stripe)`, async () => {
      for (const as of ['openai-masked', 'stripe-masked'] as const) {
        const r = await run(id, as);
        expect(r.verdict, `${as}: ${r.message}`).toBe('pass');
      }
    });

    it(`${id}: fails the prefix and 12 characters past it, as is or reversed`, async () => {
      for (const as of ['prefix-and-12', 'reversed-prefix-and-12'] as const) {
        const r = await run(id, as);
        expect(r.verdict, `${as}: ${r.message}`).toBe('fail');
        expect(r.message).toMatch(/reveals part of the key/);
      }
    });

    it(`${id}: fails the first 12 characters of a key with no prefix`, async () => {
      const r = await run(id, 'openai-masked', PLAIN_KEY);
      expect(r.verdict, r.message).toBe('fail');
      expect(r.message).toMatch(/reveals part of the key \(as is, 12 of 40 characters\)/);
    });
  }
});

describe('auth.near-miss-key-rejected judges what the refusal says back', () => {
  const id = 'auth.near-miss-key-rejected';

  it('fails a 401 whose body quotes the near miss, naming it as the key without quoting it', async () => {
    const r = await run(id, 'body');
    expect(r.verdict).toBe('fail');
    expect(r.message).toMatch(/truncated by one character → refused with 401 Unauthorized, but its body reveals part of the key/);
    expect(r.message).toMatch(/case flipped → refused with 401 Unauthorized, but its body reveals the key \(as is, in other letter case\)/);
    expect(r.message).toMatch(/extended by one character → refused with 401 Unauthorized, but its body reveals the key itself/);
    expect(r.evidence.some((e) => /\[near-miss sha256:[0-9a-f]{8}\]/.test(e.bodyExcerpt))).toBe(true);
  });

  it('fails a 401 whose WWW-Authenticate challenge quotes the near miss', async () => {
    const r = await run(id, 'header');
    expect(r.verdict).toBe('fail');
    expect(r.message).toMatch(/its www-authenticate header reveals (the key|part of the key)/);
    expect(r.message).not.toMatch(/its body/);
  });

  it('passes a clean 401, and one that quotes only 4 + 4 characters of what it was sent', async () => {
    for (const as of ['clean', 'masked'] as const) {
      const r = await run(id, as);
      expect(r.verdict, `${as}: ${r.message}`).toBe('pass');
    }
  });
});

describe('auth.invalid-key-rejected judges what the refusal says back', () => {
  const id = 'auth.invalid-key-rejected';

  it('fails a 401 that quotes the real key sent under a wrong scheme', async () => {
    const r = await run(id, 'body');
    expect(r.verdict).toBe('fail');
    expect(r.message).toMatch(/real key with scheme Basic → refused with 401 Unauthorized, but its body reveals the key \(base64/);
    expect(r.message).toMatch(/real key with scheme Token → refused with 401 Unauthorized, but its body reveals the key itself/);
    // The made-up credentials were quoted too, and are not findings.
    expect(r.message).not.toMatch(/random key-shaped value →|random garbage →|empty credential →/);
  });

  it('passes a 401 that quotes only the random key-shaped value, garbage and malformed values it made up', async () => {
    const r = await run(id, 'bearer-body');
    expect(r.verdict, r.message).toBe('pass');
    // They were quoted back: the random key-shaped value shows redacted, by its own tag.
    expect(r.evidence.some((e) => /invalid key \[random-key sha256:[0-9a-f]{8}\]/.test(e.bodyExcerpt))).toBe(true);
    expect(r.evidence.some((e) => e.bodyExcerpt.includes('invalid key !!not-a-key-'))).toBe(true);
  });

  it('fails a 401 with a stack trace', async () => {
    const r = await run(id, 'trace');
    expect(r.verdict).toBe('fail');
    expect(r.message).toMatch(/random key-shaped value → refused with 401 Unauthorized, but its body reveals a Node\.js stack trace/);
  });
});

describe('auth.missing-key-rejected judges what the refusal says back', () => {
  const id = 'auth.missing-key-rejected';

  it('fails a 401 that sets a cookie holding the key', async () => {
    const r = await run(id, 'cookie');
    expect(r.verdict).toBe('fail');
    expect(r.message).toMatch(/GET \/v1\/agents refused with 401 Unauthorized, but its set-cookie header reveals the key itself/);
  });

  it('fails a 401 with a stack trace', async () => {
    const r = await run(id, 'trace');
    expect(r.verdict).toBe('fail');
    expect(r.message).toMatch(/GET \/v1\/agents refused with 401 Unauthorized, but its body reveals a Node\.js stack trace/);
  });

  it('passes a 401 that quotes its request line: nothing secret was sent', async () => {
    const r = await run(id, 'url');
    expect(r.verdict, r.message).toBe('pass');
  });
});

describe('auth.key-in-query-rejected judges what the refusal says back', () => {
  const id = 'auth.key-in-query-rejected';

  it('fails a refusal that quotes the URL with the canary in its query', async () => {
    const r = await run(id, 'url');
    expect(r.verdict).toBe('fail');
    expect(r.message).toMatch(
      /^the canary key was refused in the URL query, but the refusal said too much: \?api_key= refused with 401 Unauthorized, but its body reveals another secret of this run/,
    );
    expect(r.findings.length).toBeGreaterThan(0);
  });

  it('passes a clean refusal', async () => {
    const r = await run(id, 'clean');
    expect(r.verdict, r.message).toBe('pass');
  });
});
