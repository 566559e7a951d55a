// A refusal's texts are judged once per distinct text (src/checks/judged-texts.ts):
// the same refusal judged again does not search its texts again, and a
// secret registered after a text was judged is still found in it the next
// time, in the body and in a header, the key's and another secret's alike.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { refusalEchoes } from '../../src/checks/refusal-echo.js';
import type { ProfileInput } from '../../src/config/profile-schema.js';
import { SecretRegistry } from '../../src/secrets.js';
import { base62 } from '../helpers/random-keys.js';
import { findSecrets } from '../helpers/scan.js';
import { loadedProfile } from '../runner/profiles.js';

function setUp() {
  const key = `kp_live_${base62(32)}`;
  const later = `kp_live_${base62(32)}`;
  const { profile } = loadedProfile({
    key: { name: 'crm-prod-agent-call', system: 'crm', environment: 'prod', purpose: 'agent-call', secret: key },
    target: { origin: 'http://127.0.0.1:9' },
    allowed: ['GET /v1/agents'],
  } as ProfileInput);
  const secrets = new SecretRegistry();
  secrets.add(key, 'key');
  return { key, later, profile, secrets };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('judging the texts of refusals', () => {
  it('searches each distinct text once while no secret is added, and gives the same problems every time', () => {
    const { profile, secrets } = setUp();
    const find = vi.spyOn(secrets.scanner, 'find');
    const refusal = {
      status: 401,
      body: '{"error":{"code":"key_disabled","message":"This key is disabled."}}',
      headers: { 'content-type': 'application/json', 'www-authenticate': 'Bearer error="invalid_token"' },
    };
    const first = refusalEchoes(refusal, profile, secrets);
    for (let i = 0; i < 49; i++) expect(refusalEchoes(refusal, profile, secrets)).toEqual(first);
    expect(first).toEqual([]);
    // The body, two header names and two values: five texts, however often the refusal came.
    expect(find).toHaveBeenCalledTimes(5);
  });

  it('finds a secret registered after the text was judged, in the body and in a header', () => {
    const { later, profile, secrets } = setUp();
    const refusal = {
      status: 401,
      body: `{"error":{"message":"The API key ${later} is not valid."}}`,
      headers: { 'www-authenticate': `Bearer error_description="${later}"` },
    };
    // Not a secret of the run yet: nothing to find.
    expect(refusalEchoes(refusal, profile, secrets)).toEqual([]);
    secrets.add(later, 'canary');
    const problems = refusalEchoes(refusal, profile, secrets);
    expect(problems).toEqual([
      'its body reveals another secret of this run',
      'its www-authenticate header reveals another secret of this run',
    ]);
    // Named as the key when it is the refused secret, from the same remembered search.
    expect(refusalEchoes(refusal, profile, secrets, { secret: later, name: 'the created canary' })).toEqual([
      'its body reveals the created canary itself',
      'its www-authenticate header reveals the created canary itself',
    ]);
    expect(findSecrets([later], { texts: { problems: problems.join('\n') } })).toEqual([]);
  });

  it('judges a text too long to remember as it did before (searched every time)', () => {
    const { later, profile, secrets } = setUp();
    const find = vi.spyOn(secrets.scanner, 'find');
    const refusal = { status: 401, body: `${'x'.repeat(3000)} ${later}`, headers: {} };
    expect(refusalEchoes(refusal, profile, secrets)).toEqual([]);
    secrets.add(later, 'canary');
    expect(refusalEchoes(refusal, profile, secrets)).toEqual(['its body reveals another secret of this run']);
    expect(refusalEchoes(refusal, profile, secrets)).toEqual(['its body reveals another secret of this run']);
    expect(find).toHaveBeenCalledTimes(3);
  });

  it('still finds a secret found before, after more secrets are added', () => {
    const { key, profile, secrets } = setUp();
    const refusal = { status: 401, body: `no such key: ${key}`, headers: {} };
    const before = refusalEchoes(refusal, profile, secrets);
    expect(before).toEqual(['its body reveals the key itself']);
    secrets.add(`kp_live_${base62(32)}`, 'canary');
    expect(refusalEchoes(refusal, profile, secrets)).toEqual(before);
  });

  it('finds a stack trace in a body judged again, and none in a clean one', () => {
    const { profile, secrets } = setUp();
    const trace = { status: 500, body: 'Error: boom\n    at handler (/srv/app/auth.js:42:7)', headers: {} };
    for (let i = 0; i < 3; i++) expect(refusalEchoes(trace, profile, secrets)).toEqual(['its body reveals a Node.js stack trace']);
    expect(refusalEchoes({ ...trace, body: 'Error: boom' }, profile, secrets)).toEqual([]);
  });
});
