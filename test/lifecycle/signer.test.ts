// The request-signer hook: a management API that authenticates every request
// by an HMAC signature (no bearer token) is an `http` lifecycle section with
// a `signer`, not an adapter of its own. The loopback API below verifies each
// signature itself, with node:crypto, from the documented scheme (not with
// keyprobe's signing code), and refuses anything unsigned, mis-signed,
// tampered with or stale. The signing key and every signature must stay out
// of all that keyprobe keeps.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { checkProfileFile, loadProfile } from '../../src/config/load-profile.js';
import { createDispatcher, HttpClient, RequestBudget } from '../../src/http/client.js';
import { createSigner } from '../../src/http/signers.js';
import { createLifecycleAdapter } from '../../src/lifecycle/index.js';
import { restoreInstruction } from '../../src/lifecycle/restore.js';
import type { ActionRecord } from '../../src/lifecycle/types.js';
import { SecretRegistry } from '../../src/secrets.js';
import { tempDir } from '../helpers/tmp.js';
import { clientFor, fixture, startTarget } from './helpers.js';

const SIGNING_KEY = 'sk_sign_9f3KqL2vX8mP4tR7wZ1nB6yC5hJ0dE';
const KEY_ID = 'keyprobe-admin';
const MINTED_SECRET = 'kp_prod_minted_Q7wE4rT1yU8iO5pA2sD9fG6h';

interface Seen {
  readonly method: string;
  readonly path: string;
  readonly verdict: 'ok' | string;
}

/** A management API that accepts only requests signed with SIGNING_KEY, at most 5 minutes old. */
async function signedAdminApi(signingKey = SIGNING_KEY) {
  const seen: Seen[] = [];
  const keys = new Map<string, { disabled: boolean }>();
  const verify = (req: IncomingMessage, body: string): string => {
    const date = req.headers['x-date'];
    const auth = req.headers.authorization;
    if (typeof date !== 'string' || typeof auth !== 'string') return 'unsigned';
    const m = /^HMAC ([^:]+):([0-9a-f]{64})$/.exec(auth);
    if (!m || m[1] !== KEY_ID) return 'bad authorization header';
    const at = Date.parse(date.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
    if (!Number.isFinite(at) || Math.abs(Date.now() - at) > 300_000) return 'stale or unreadable x-date';
    const bodyHash = createHash('sha256').update(body).digest('hex');
    const expected = createHmac('sha256', signingKey).update(`${req.method}\n${req.url}\n${date}\n${bodyHash}`).digest();
    return timingSafeEqual(expected, Buffer.from(m[2]!, 'hex')) ? 'ok' : 'signature mismatch';
  };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString('utf8');
    });
    req.on('end', () => {
      const verdict = verify(req, body);
      seen.push({ method: req.method ?? '', path: req.url ?? '', verdict });
      const send = (status: number, json?: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(json === undefined ? '' : JSON.stringify(json));
      };
      if (verdict !== 'ok') return send(401, { error: verdict });
      if (req.method === 'POST' && req.url === '/keys') {
        const id = `key_${keys.size + 1}`;
        keys.set(id, { disabled: false });
        return send(201, { id, secret: MINTED_SECRET, name: JSON.parse(body).name });
      }
      const disable = /^\/keys\/([^/]+)\/disable$/.exec(req.url ?? '');
      if (req.method === 'POST' && disable && keys.has(disable[1]!)) {
        keys.get(disable[1]!)!.disabled = true;
        return send(200, { id: disable[1], disabled: true });
      }
      const del = /^\/keys\/([^/]+)$/.exec(req.url ?? '');
      if (req.method === 'DELETE' && del && keys.delete(del[1]!)) return send(204);
      return send(404, { error: 'no such key' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { origin, seen, keys };
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

function signedSection(origin: string, secret = SIGNING_KEY) {
  return {
    adapter: 'http',
    http: {
      origin,
      signer: { kind: 'hmac-sha256', keyId: KEY_ID, secret },
      create: { method: 'POST', path: '/keys', body: { name: '{{name}}', scopes: '{{scopes}}' }, expect: 201 },
      disable: 'POST /keys/{{id}}/disable',
      delete: { method: 'DELETE', path: '/keys/{{id}}', expect: 204 },
    },
  };
}

async function adapterFor(lifecycle: Record<string, unknown>) {
  const target = await startTarget();
  const f = fixture(target, { lifecycle });
  const { http, secrets } = clientFor(f);
  secrets.add(SIGNING_KEY, 'secret');
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
  return { adapter, records, secrets };
}

describe('a signed management API as an http preset', () => {
  it('creates, disables and deletes a key with every request signed, and keeps no signature', async () => {
    const api = await signedAdminApi();
    const { adapter, records, secrets } = await adapterFor(signedSection(api.origin));

    const created = await adapter.create({ name: 'keyprobe-canary-1', scopes: ['agents:read'], environment: 'prod' });
    expect(created.outcome).toBe('done');
    const id = created.outcome === 'done' ? created.value.id! : '';
    expect(await adapter.disable({ name: 'keyprobe-canary-1', id })).toMatchObject({ outcome: 'done' });
    expect(api.keys.get(id)?.disabled).toBe(true);
    expect(await adapter.delete({ name: 'keyprobe-canary-1', id })).toMatchObject({ outcome: 'done' });
    expect(api.keys.size).toBe(0);

    expect(api.seen.map((s) => `${s.method} ${s.path} ${s.verdict}`)).toEqual([
      'POST /keys ok',
      `POST /keys/${id}/disable ok`,
      `DELETE /keys/${id} ok`,
    ]);
    // Each signature was registered before the request went out, so nothing keyprobe writes can hold it.
    const signatures = secrets.all().filter((s) => /^[0-9a-f]{64}$/.test(s));
    expect(signatures).toHaveLength(3);
    const kept = JSON.stringify(records);
    for (const s of [SIGNING_KEY, MINTED_SECRET, ...signatures]) expect(kept).not.toContain(s);
  });

  it('fails the action, saying so, when the API refuses the signature (wrong signing key)', async () => {
    const api = await signedAdminApi();
    const wrongKey = 'sk_sign_WRONG_aB3dE6gH9jK2mN5pQ8sT1vW4y';
    const { adapter, records } = await adapterFor(signedSection(api.origin, wrongKey));
    const r = await adapter.disable({ name: 'k', id: 'key_1' });
    expect(r.outcome).toBe('failed');
    expect(r.outcome === 'failed' ? r.reason : '').toMatch(/answered 401/);
    expect(api.seen[0]?.verdict).toBe('signature mismatch');
    expect(JSON.stringify(records)).not.toContain(wrongKey);
  });

  it('without a signer the same API refuses every request (the signature is what authenticates)', async () => {
    const api = await signedAdminApi();
    const section = signedSection(api.origin);
    const { signer: _unused, ...unsigned } = section.http;
    const { adapter } = await adapterFor({ adapter: 'http', http: unsigned });
    expect((await adapter.disable({ name: 'k', id: 'key_1' })).outcome).toBe('failed');
    expect(api.seen[0]?.verdict).toBe('unsigned');
  });
});

describe('the signer hook in the HTTP client', () => {
  it('signs the request as sent, after the credential, and redacts the signature from the recorded exchange', async () => {
    const api = await signedAdminApi();
    const secrets = new SecretRegistry();
    const dispatcher = createDispatcher();
    closers.push(() => dispatcher.close());
    const client = new HttpClient({
      origin: api.origin,
      auth: { header: 'Authorization', scheme: 'Bearer' },
      primaryKey: 'kp_prod_primary_aaaaaaaaaaaaaaaaaaaaaaaa',
      timeoutMs: 3000,
      budget: new RequestBudget(10),
      secrets,
      dispatcher,
    });
    const sign = createSigner({ kind: 'hmac-sha256', keyId: KEY_ID, secret: SIGNING_KEY, header: 'Authorization' });
    const res = await client.send({
      label: 'signed',
      method: 'POST',
      path: '/keys',
      body: { name: 'n' },
      credential: { kind: 'none' },
      sign,
    });
    expect(res.status).toBe(201);
    expect(api.seen[0]?.verdict).toBe('ok');
    const evidence = JSON.stringify(client.evidence());
    const signature = secrets.all().find((s) => /^[0-9a-f]{64}$/.test(s))!;
    expect(signature).toBeDefined();
    expect(evidence).not.toContain(signature);
    expect(evidence).not.toContain(SIGNING_KEY);
    expect(evidence).toContain('x-date');
  });
});

describe('declaring a signer in a profile', () => {
  const profileText = (secret: string) => `key:
  name: crm-prod-agent-call
  system: crm
  environment: prod
  purpose: agent-call
  secret: \${env:TEST_KEY}
target:
  origin: http://127.0.0.1:9
allowed:
  - GET /v1/agents
lifecycle:
  adapter: http
  http:
    origin: http://127.0.0.1:8
    signer:
      kind: hmac-sha256
      keyId: ${KEY_ID}
      secret: ${secret}
    disable: POST /keys/{{id}}/disable
    delete: DELETE /keys/{{id}}
`;
  const env = { TEST_KEY: `kp_prod_${'x'.repeat(32)}`, ADMIN_SIGNING_KEY: SIGNING_KEY };

  it('takes the signing key as a secret reference, and counts it among the profile secrets', () => {
    const tmp = tempDir();
    try {
      const loaded = loadProfile(tmp.file('p.yaml', profileText('${env:ADMIN_SIGNING_KEY}')), env);
      expect(loaded.profile.lifecycle?.http?.signer).toMatchObject({ kind: 'hmac-sha256', keyId: KEY_ID, header: 'Authorization' });
      expect(loaded.secrets).toContain(SIGNING_KEY);
      const restore = restoreInstruction(loaded.profile, 'delete', { name: 'k', id: 'key_1' });
      expect(restore).not.toContain(SIGNING_KEY);
      expect(restore).toMatch(/^curl .*# unsigned: add the hmac-sha256 signature headers first/);
    } finally {
      tmp.cleanup();
    }
  });

  it('refuses a literal signing key, and an unknown signer kind, with the field named', () => {
    const tmp = tempDir();
    try {
      const literal = checkProfileFile(tmp.file('a.yaml', profileText(SIGNING_KEY)), env).problems;
      expect(literal.map((p) => `${p.path}: ${p.message}`)).toContainEqual(
        expect.stringMatching(/^lifecycle\.http\.signer\.secret: a literal secret/),
      );
      expect(JSON.stringify(literal)).not.toContain(SIGNING_KEY);
      const unknown = checkProfileFile(
        tmp.file('b.yaml', profileText('${env:ADMIN_SIGNING_KEY}').replace('hmac-sha256', 'hmac-md5')),
        env,
      ).problems;
      expect(unknown.map((p) => p.path)).toContain('lifecycle.http.signer.kind');
    } finally {
      tmp.cleanup();
    }
  });
});

describe('the aws-sigv4 signer', () => {
  it("signs AWS's published example request to AWS's published signature", () => {
    // "Create a signed AWS API request" (AWS IAM User Guide, Signature Version 4): IAM ListUsers on 30 August 2015.
    const sign = createSigner(
      {
        kind: 'aws-sigv4',
        accessKeyId: 'AKIDEXAMPLE',
        secret: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
        region: 'us-east-1',
        service: 'iam',
      },
      () => new Date('2015-08-30T12:36:00Z'),
    );
    const signed = sign({
      method: 'GET',
      url: new URL('https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08'),
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: undefined,
    });
    const signature = '5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7';
    expect(signed.headers).toEqual({
      'x-amz-date': '20150830T123600Z',
      authorization: `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=${signature}`,
    });
    expect(signed.secrets).toEqual([signature]);
  });
});
