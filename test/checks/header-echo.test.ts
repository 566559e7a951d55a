// A denial that echoes the key in a response header (a WWW-Authenticate
// challenge naming it, a debug header, a cookie) is the same finding as one
// that echoes it in the body: authz.unauthorized-resource-denied fails on it,
// in every form the leak scanner knows, and the evidence it records shows the
// header redacted. Over real loopback HTTP, through the runner (runOne).
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProfileInput } from '../../src/config/profile-schema.js';
import { findSecrets } from '../helpers/scan.js';
import { json, startServer, type TestServer } from '../http/servers.js';
import { ECHO_FORMS } from '../leaks/forms.js';
import { runOne } from './run-one.js';

const base62 = (n: number) =>
  [...randomBytes(n)].map((b) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'[b % 62]).join('');

/** What a header can carry: one line of visible ASCII (and spaces). */
const HEADER_FORMS = ECHO_FORMS.filter((f) => /^[\x20-\x7e]*$/.test(f.make('kp_live_abc/+~!\'()* &<>"=xyz')));

/**
 * A target that serves GET /ok and denies GET /deny/<i> with a 403 whose
 * `x-echo` header holds the presented key in HEADER_FORMS[i] (a name that says
 * nothing of credentials, so evidence redacts its value rather than masking
 * it); GET /clean is denied with ordinary headers only.
 */
function echoingTarget(req: IncomingMessage, res: ServerResponse): void {
  const presented = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
  const path = req.url ?? '';
  if (path === '/ok') {
    json(res, 200, { ok: true });
    return;
  }
  const form = /^\/deny\/(\d+)$/.exec(path);
  const headers: Record<string, string> = {
    'www-authenticate': 'Bearer realm="api", error="insufficient_scope"',
    'x-request-id': '0f8fad5b-d9cb-469f-a165-70867728950e',
    etag: '"9b2cf535f27731c974343645a3985328ab8c1a5f4a3f3d0f5b6a1c0e6f2d3a4b"',
  };
  if (form) headers['x-echo'] = HEADER_FORMS[Number(form[1])]!.make(presented);
  json(res, 403, { error: { code: 'insufficient_scope' } }, headers);
}

let target: TestServer;
beforeAll(async () => {
  target = await startServer(echoingTarget);
});
afterAll(async () => {
  await target.close();
});

function profile(secret: string, denied: string[]): ProfileInput {
  return {
    key: { name: 'crm-prod-agent-call', system: 'crm', environment: 'prod', purpose: 'agent-call', secret },
    target: { origin: target.origin },
    allowed: ['GET /ok'],
    denied,
  } as ProfileInput;
}

describe('a denial that echoes the key in a header', () => {
  for (const [kind, secret] of [
    ['a plain key', `kp_live_${base62(32)}`],
    ['a key with / + ~ ! \' ( ) * space & < > " =', `kp_live_${base62(10)}/+~!'()* &<>"=${base62(10)}`],
  ] as const) {
    it(`fails authz.unauthorized-resource-denied in every form a header can hold, and the evidence hides it (${kind})`, async () => {
      const r = await runOne(
        'authz.unauthorized-resource-denied',
        profile(
          secret,
          HEADER_FORMS.map((_, i) => `GET /deny/${i}`),
        ),
      );
      expect(r.verdict).toBe('fail');
      for (const [i, form] of HEADER_FORMS.entries()) {
        const finding = r.findings.find((f) => f.message.startsWith(`GET /deny/${i} `));
        // The first 12 characters are the public prefix kp_live_ and 4 more: the masked quote platforms
        // give (public-prefix.ts), no finding; 12 past the prefix are one (refusal-echo.test.ts).
        if (form.name === 'first 12 characters') expect(finding, form.name).toBeUndefined();
        else expect(finding?.message, form.name).toMatch(/its x-echo header reveals (the key|part of the key|the key's sha256 hash)/);
      }
      // The body is clean: only the header is named.
      expect(r.message).not.toMatch(/its body/);
      // Every form the redactor knows is gone from what is recorded; the rest the publish scan withholds (exit 4).
      // As in the forms matrix (test/leaks/scanner.test.ts), a spelled-out key is redacted whole only when made of what keys are made of.
      const redactable = HEADER_FORMS.flatMap((form, i) => (form.redacted && !(form.spelledOut && kind !== 'a plain key') ? [i] : []));
      const evidence = r.evidence.filter((e) => redactable.some((i) => e.path === `/deny/${i}`));
      expect(evidence.length).toBeGreaterThanOrEqual(redactable.length);
      for (const e of evidence) expect(findSecrets([secret], { texts: { [e.path]: JSON.stringify(e.responseHeaders) } })).toEqual([]);
      expect(evidence.every((e) => /\[key sha256:[0-9a-f]{8}\]/.test(e.responseHeaders['x-echo'] ?? ''))).toBe(true);
    });
  }

  it('passes a denial whose headers hold no key: a challenge, a request id (UUID), an ETag (a hash)', async () => {
    const r = await runOne('authz.unauthorized-resource-denied', profile(`kp_live_${base62(32)}`, ['GET /clean']));
    expect(r.verdict, r.message).toBe('pass');
    expect(r.message).toMatch(/nor any header a key/);
  });
});
