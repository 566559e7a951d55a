// The pure rules behind the lifecycle adapters: what in an answer or in
// command output counts as a secret, what is scrubbed, and which failed
// actions may be tried again.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isCredentialName, looksRandom, randomTokens, searchJson } from '../../src/lifecycle/answer-secrets.js';
import { backoffMs, retryableAnswer, retryableNoAnswer } from '../../src/lifecycle/retry.js';
import { scrubCredentials } from '../../src/lifecycle/scrub.js';

describe('what looks like a secret', () => {
  it('credential names, but not names about a credential', () => {
    for (const name of [
      'secret',
      'token',
      'apiKey',
      'api_key',
      'APIKEY',
      'access_token',
      'X-Admin-Token',
      'client-secret',
      'password',
      'privateKey',
      'key',
    ])
      expect(isCredentialName(name), name).toBe(true);
    for (const name of [
      'tokenName',
      'keyId',
      'key_id',
      'secretExpiresAt',
      'previousSecretValidUntil',
      'tokenType',
      'name',
      'scopes',
      'expiresAt',
      'keys',
    ])
      expect(isCredentialName(name), name).toBe(false);
  });

  it('random-looking tokens, but not slugs, names, dates, versions or UUIDs', () => {
    // Fixed values (made once with randomBytes): a test of a heuristic must not depend on the draw.
    const random = [
      'GGpcTq81Mx9RRl4QpBYOyhcak/OuXskJ',
      'f57d7877ab2990619e5675cfb9200ab3',
      'sk_live_xEadgFCceSIaAwAvSHDgaq-f1',
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
    ];
    for (const t of random) expect(looksRandom(t), t).toBe(true);
    const words = [
      'keyprobe-canary-ab12cd34',
      'crm-prod-agent-call-canary',
      '3f2504e0-4f89-11d3-9a0c-0305e82c3301',
      '2026-11-29T12:00:00.000Z',
      'v1.2.3-beta.4+build.5678',
      'http://127.0.0.1:41234/AdminPanel2',
      'key_3f9a2b1c4d5e',
      'crm-platform-team@example.com',
    ];
    for (const t of words) expect(looksRandom(t), t).toBe(false);
    expect(randomTokens(`created ${random[0]} for keyprobe-canary-ab12cd34\n`)).toEqual([random[0]]);
  });

  it('searchJson registers the secret field, credential fields and random values anywhere; keeps the rest and every field name', () => {
    const secret = `kp_prod_${randomBytes(16).toString('base64url')}`;
    const admin = 'Bearer admf57d7877ab2990619e5675cfb9200ab3';
    const blob = 'vC9kCnG+vr1wA0LnXD1V7PPlvQrEvgLzrl9GVjJf';
    const answer = {
      data: { token: secret, tokenName: 'keyprobe-canary-1', expiresAt: '2027-01-01T00:00:00Z', scopes: ['a:read', 'a:write'] },
      meta: { authorization: admin, notes: [blob, 'plain words here'], status: 'expired' },
      id: 'AbCdEfGhIjKlMnOpQrStUv0123456789', // random-looking, but the id: shown in reports, not a secret
      session: 'expired', // a credential name over a plain word: left out, not registered
    };
    const r = searchJson(answer, { secretPaths: ['data.token'], idPath: 'id', known: ['keyprobe-canary-1'] });
    // "Bearer adm…": the credential itself (the scheme word is not secret).
    expect(new Set(r.secrets)).toEqual(new Set([secret, admin.split(' ')[1], blob]));
    expect(r.fieldNames).toEqual([
      'data.token',
      'data.tokenName',
      'data.expiresAt',
      'data.scopes[]',
      'meta.authorization',
      'meta.notes[]',
      'meta.status',
      'id',
      'session',
    ]);
    expect(r.fields).toEqual({
      data: { tokenName: 'keyprobe-canary-1', expiresAt: '2027-01-01T00:00:00Z', scopes: ['a:read', 'a:write'] },
      meta: { notes: ['plain words here'], status: 'expired' },
      id: 'AbCdEfGhIjKlMnOpQrStUv0123456789',
    });
  });

  it('a hostile answer nested 50 000 deep is searched without overflowing the stack', () => {
    const secret = 'GGpcTq81Mx9RRl4QpBYOyhcak/OuXskJ';
    let deep: unknown = { password: secret };
    for (let i = 0; i < 50_000; i++) deep = [deep];
    const r = searchJson(deep);
    expect(r.secrets).toEqual([secret]);
  });
});

describe('scrubbing command output', () => {
  it('removes Authorization, Cookie and Set-Cookie values, token=/password= assignments and JSON credentials, and returns them', () => {
    const text = [
      '> GET /admin/keys HTTP/1.1',
      '> Authorization: Bearer adm_9f8e7d6c5b4a3928',
      "+ curl -H 'X-Api-Key: kq_0123456789abcdef' https://x",
      '< Set-Cookie: sid=an0th3rS3ss10n; Path=/; HttpOnly',
      'retry with token=abc123XYZ789&password=hunter2hunter2&page=2',
      '{"id":"key_1","client_secret":"cs_0123456789abcdef"}',
      'token: expired',
    ].join('\n');
    const r = scrubCredentials(text);
    expect(r.text).toBe(
      [
        '> GET /admin/keys HTTP/1.1',
        '> Authorization: [scrubbed]',
        "+ curl -H 'X-Api-Key: [scrubbed]' https://x",
        '< Set-Cookie: [scrubbed]',
        'retry with token=[scrubbed]&password=[scrubbed]&page=2',
        '{"id":"key_1","client_secret":"[scrubbed]"}',
        'token: [scrubbed]',
      ].join('\n'),
    );
    expect(r.removed).toEqual(
      expect.arrayContaining([
        'adm_9f8e7d6c5b4a3928',
        'kq_0123456789abcdef',
        'an0th3rS3ss10n',
        'abc123XYZ789',
        'hunter2hunter2',
        'cs_0123456789abcdef',
      ]),
    );
    // A plain word is scrubbed from the text but not registered: it would be redacted (or taken for a leak) everywhere.
    expect(r.removed).not.toContain('expired');
  });
});

describe('which failed actions are tried again', () => {
  it('disable, enable and delete on 429, 502, 503 and 504; create and rotate only on a 429 or a 503 with Retry-After that holds no key', () => {
    for (const action of ['disable', 'enable', 'delete'] as const) {
      for (const status of [429, 502, 503, 504]) expect(retryableAnswer(action, status, false, false)).toBe(true);
      for (const status of [400, 401, 403, 404, 409, 500]) expect(retryableAnswer(action, status, true, false)).toBe(false);
    }
    for (const action of ['create', 'rotate'] as const) {
      expect(retryableAnswer(action, 429, false, false)).toBe(true);
      expect(retryableAnswer(action, 503, true, false)).toBe(true);
      expect(retryableAnswer(action, 503, false, false)).toBe(false); // a gateway may have lost the answer
      expect(retryableAnswer(action, 429, true, true)).toBe(false); // the answer holds a key: it was made
      expect(retryableAnswer(action, 502, true, false)).toBe(false);
      expect(retryableAnswer(action, 504, true, false)).toBe(false);
    }
  });

  it('no answer: idempotent actions on any transient failure; create and rotate only when nothing was sent', () => {
    const refused = { transient: true, mayHaveArrived: false };
    const reset = { transient: true, mayHaveArrived: true };
    const badCertificate = { transient: false, mayHaveArrived: true };
    expect(retryableNoAnswer('delete', reset)).toBe(true);
    expect(retryableNoAnswer('delete', badCertificate)).toBe(false);
    expect(retryableNoAnswer('create', refused)).toBe(true);
    expect(retryableNoAnswer('create', reset)).toBe(false);
    expect(retryableNoAnswer('rotate', reset)).toBe(false);
  });

  it('backoff grows exponentially with jitter, within half and all of each step, capped at 4 s', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffMs(n, () => 0))).toEqual([125, 250, 500, 1000, 2000, 2000]);
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffMs(n, () => 1))).toEqual([250, 500, 1000, 2000, 4000, 4000]);
  });
});
