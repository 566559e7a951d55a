// The pure rules behind the request checks: stack-trace recognition,
// environment markers, name problems, near-miss derivation, key-shaped
// random values and what a denial body leaks.
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keyShapedRandom } from '../../src/checks/auth.invalid-key-rejected.js';
import { nearMissVariants } from '../../src/checks/auth.near-miss-key-rejected.js';
import { leaksIn } from '../../src/checks/authz.unauthorized-resource-denied.js';
import { environmentInName } from '../../src/checks/env.key-matches-environment.js';
import { canonicalEnvironment, environmentMarker } from '../../src/rules/environments.js';
import { nameProblems } from '../../src/checks/naming.key-name-convention.js';
import { findStackTrace } from '../../src/checks/stack-traces.js';
import { profileSchema } from '../../src/config/profile-schema.js';
import { SecretRegistry } from '../../src/secrets.js';

const key = () => `kp_prod_${randomBytes(24).toString('base64url').replace(/[-_]/g, 'Z')}`;

describe('stack traces', () => {
  const samples: [string, string][] = [
    [
      'Node.js',
      'TypeError: x\n    at parseApiKey (/srv/app/keys.js:17:31)\n    at Layer.handle [as handle_request] (/srv/node_modules/express/lib/router/layer.js:95:5)',
    ],
    ['Node.js', JSON.stringify({ stack: 'Error: insufficient scope\n    at authorize (/srv/app/auth.js:42:7)' })],
    ['Node.js', 'Error\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)'],
    [
      'Java',
      'java.lang.NullPointerException\n\tat com.example.auth.KeyFilter.doFilter(KeyFilter.java:42)\n\tat org.apache.catalina.core.ApplicationFilterChain.internalDoFilter(ApplicationFilterChain.java:193)',
    ],
    ['Java', 'Caused by: java.sql.SQLException: no such table key_scopes'],
    ['Python', 'Traceback (most recent call last):\n  File "/app/auth.py", line 12, in check\n    raise KeyError(k)'],
    ['Python', JSON.stringify({ detail: 'File "/app/views.py", line 88, in get' })],
    [
      '.NET',
      '   at Api.Auth.KeyValidator.Validate(String key) in C:\\src\\Api\\Auth\\KeyValidator.cs:line 42\n--- End of stack trace from previous location ---',
    ],
    ['Go', 'panic: runtime error: invalid memory address\n\ngoroutine 1 [running]:\nmain.auth(...)\n\t/go/src/app/main.go:42 +0x1d'],
    ['Ruby', "/app/models/api_key.rb:12:in `find_by_secret': undefined method"],
    ['PHP', '#0 /var/www/src/Auth.php(42): App\\Auth->check()'],
  ];
  for (const [runtime, text] of samples)
    it(`recognises a ${runtime} trace: ${text.slice(0, 40).replace(/\n/g, ' ')}…`, () => expect(findStackTrace(text)).toBe(runtime));

  it('does not mistake ordinary denial text for a trace', () => {
    for (const text of [
      '{"error":{"code":"insufficient_scope","message":"The API key lacks the \\"agents:write\\" scope.","required":"agents:write"}}',
      'Look at the docs at https://example.com/auth.html: line 3 explains keys.',
      'Forbidden',
      'retry at 12:30:00',
    ]) {
      expect(findStackTrace(text)).toBeUndefined();
    }
  });
});

describe('environment markers', () => {
  it('finds the environment marker at the start of a key, and only there', () => {
    expect(environmentMarker('kp_test_AbC123')).toEqual({ prefix: 'kp_test_', environment: 'test' });
    expect(environmentMarker('sk_live_xyz')).toEqual({ prefix: 'sk_live_', environment: 'prod' });
    expect(environmentMarker('rk_test_1')).toEqual({ prefix: 'rk_test_', environment: 'test' });
    expect(environmentMarker('test_abc')).toEqual({ prefix: 'test_', environment: 'test' });
    expect(environmentMarker('ghp_abcdef_test_x')).toBeUndefined();
    expect(environmentMarker('AKIAIOSFODNN7EXAMPLE')).toBeUndefined();
    expect(canonicalEnvironment('Production')).toBe('prod');
  });

  it('reads the environment part of a name', () => {
    expect(environmentInName('crm-prod-agent-call', 'crm')).toBe('prod');
    expect(environmentInName('crm-test-agent-call', 'crm')).toBe('test');
    expect(environmentInName('billing-api-staging', 'crm')).toBe('staging');
    expect(environmentInName('new-key', 'crm')).toBeUndefined();
  });
});

describe('key names', () => {
  const declared = { system: 'crm', environment: 'prod', purpose: 'agent-call' };
  const params = {
    genericNames: ['test', 'api', 'system', 'key', 'default', 'new-key', 'my-key'],
    genericPurposes: ['key', 'test', 'default', 'general'],
  };
  it('accepts the conventional name', () => expect(nameProblems('crm-prod-agent-call', declared, params)).toEqual([]));
  it('refuses generic names', () => {
    for (const name of ['test', 'api', 'system', 'key', 'default', 'my-key', 'new-key'])
      expect(nameProblems(name, declared, params)[0]).toMatch(/generic name/);
  });
  it('names each disagreement with the declared fields', () => {
    expect(nameProblems('crm-test-agent-call', declared, params)).toEqual(['its environment part is "test", not "prod"']);
    expect(nameProblems('crm-prod-agent', declared, params)).toEqual(['its purpose part is "agent", not "agent-call"']);
    expect(nameProblems('sales-prod-agent-call', declared, params)).toEqual(['it does not start with the system "crm"']);
    expect(nameProblems('CRM_prod_agent_call', declared, params)).toEqual(
      expect.arrayContaining(['it has upper-case letters', 'it has characters other than letters, digits and hyphens']),
    );
    expect(nameProblems('crm-prod-key', { ...declared, purpose: 'key' }, params)).toEqual([
      'the purpose "key" is generic: say what the key does (e.g. agent-call)',
    ]);
  });
});

describe('near misses', () => {
  it('derives five distinct keys, each one edit from the key, the same way every time', () => {
    const k = key();
    const variants = nearMissVariants(k);
    expect(variants.map((v) => v.label)).toEqual([
      'truncated by one character',
      'last character changed',
      'middle character changed',
      'case flipped',
      'extended by one character',
    ]);
    expect(new Set(variants.map((v) => v.secret)).size).toBe(5);
    for (const v of variants) expect(v.secret).not.toBe(k);
    expect(variants[0]!.secret).toBe(k.slice(0, -1));
    expect(variants[1]!.secret.slice(0, -1)).toBe(k.slice(0, -1));
    expect(variants[3]!.secret.toLowerCase()).toBe(k.toLowerCase());
    expect(variants[4]!.secret.startsWith(k)).toBe(true);
    // Shape kept: a key-shaped near miss stays key-shaped (the reference target's shape test).
    for (const v of variants) expect(v.secret).toMatch(/^kp_[a-z]+_[A-Za-z0-9]+$/i);
    expect(nearMissVariants(k)).toEqual(variants);
  });

  it('keeps the key type prefix and length for a random key-shaped value', () => {
    const k = key();
    const r = keyShapedRandom(k);
    expect(r.startsWith('kp_prod_')).toBe(true);
    expect(r).toHaveLength(k.length);
    expect(r).not.toBe(k);
  });
});

describe('what a denial body leaks', () => {
  const k = key();
  const profile = profileSchema.parse({
    key: { name: 'crm-prod-agent-call', system: 'crm', environment: 'prod', purpose: 'agent-call', secret: k },
    target: { origin: 'http://127.0.0.1:1' },
    allowed: ['GET /a'],
    denied: [{ method: 'GET', path: '/b', markers: ['tbl_internal'] }],
    denial: { markers: ['res-internal-ledger'] },
  });
  const secrets = new SecretRegistry();
  secrets.add(k, 'key');
  const denied = profile.denied[0]!;
  const leaks = (body: string) => leaksIn(body, denied, profile, secrets);

  it('finds nothing in a clean denial', () => expect(leaks('{"error":{"code":"insufficient_scope"}}')).toEqual([]));
  it('names the key, its base64 and its hash without quoting them', () => {
    expect(leaks(`{"presented":"${k}"}`)).toEqual(['the key itself']);
    expect(leaks(`{"auth":"Basic ${Buffer.from(`${k}:`).toString('base64')}"}`)).toEqual(['the key (base64)']);
    expect(leaks(`{"hash":"${createHash('sha256').update(k).digest('hex').toUpperCase()}"}`)).toEqual(["the key's sha256 hash"]);
    for (const l of leaks(`${k} ${createHash('sha256').update(k).digest('hex')}`)) expect(l).not.toContain(k.slice(8, 20));
  });
  it('names declared markers of the profile and of the resource, and stack traces', () => {
    expect(leaks('SELECT * FROM tbl_internal; res-internal-ledger')).toEqual(['declared markers "res-internal-ledger", "tbl_internal"']);
    expect(leaks('Traceback (most recent call last):')).toEqual(['a Python stack trace']);
  });
  it('names other secrets of the run, and does not count near misses of the key twice', () => {
    const other = key();
    const s = new SecretRegistry();
    s.add(k, 'key');
    s.add(other, 'canary');
    for (const v of nearMissVariants(k)) s.add(v.secret, 'near-miss');
    expect(leaksIn(`x ${other} y`, denied, profile, s)).toEqual(['another secret of this run']);
    expect(leaksIn(`x ${k} y`, denied, profile, s)).toEqual(['the key itself']);
  });
});
