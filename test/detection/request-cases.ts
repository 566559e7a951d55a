// Detection cases for the request-phase checks: with each defect on, exactly
// the named check fails and every other request-phase check still passes
// (request-matrix.test.ts proves it against the reference target).
import type { DetectionCase } from './case.js';

export const REQUEST_CASES: readonly DetectionCase[] = [
  { name: 'scope-bypass', faults: ['scope-bypass'], expectFail: 'authz.unauthorized-resource-denied' },
  { name: 'leaky-denial', faults: ['leaky-denial'], expectFail: 'authz.unauthorized-resource-denied' },
  { name: 'key-in-error', faults: ['key-in-error'], expectFail: 'authz.unauthorized-resource-denied' },
  {
    name: 'key-echo',
    faults: ['key-echo=split'],
    expectFail: 'authz.unauthorized-resource-denied',
    // Every other FORM is run, through the CLI, by key-echo.test.ts.
    defect:
      '403 bodies echo the presented key broken over two lines; with every other FORM (URL-encoded, JSON- and HTML-escaped, hex, base64 in MIME or PEM lines, reversed, truncated, partial, its SHA-256, spelled out, octal, quoted-printable, base64 of base64 or of UTF-16, rot13) the check fails too',
  },
  {
    name: 'key-echo-header',
    faults: ['key-echo-header=www-authenticate'],
    expectFail: 'authz.unauthorized-resource-denied',
    // The other HEADERs are run by key-echo-header.test.ts.
    defect:
      '403 answers echo the presented key in WWW-Authenticate (error_description); with X-Debug-Key or Set-Cookie the check fails too',
  },
  { name: 'prefix-match', faults: ['prefix-match=16'], expectFail: 'auth.near-miss-key-rejected' },
  // auth.invalid-key-rejected passes here: the random key-shaped value it made up is quoted back too, and holds no secret.
  { name: 'refusal-echo', faults: ['refusal-echo=body'], expectFail: 'auth.near-miss-key-rejected' },
  {
    name: 'refusal-echo-header',
    faults: ['refusal-echo=header'],
    expectFail: 'auth.near-miss-key-rejected',
    defect:
      'The 401 for a credential that opens no key quotes it in the WWW-Authenticate challenge (error_description): a near miss of the key comes back with all but one character of it.',
    seenIn: 'Challenges that name the rejected credential (RFC 6750 error_description)',
  },
  { name: 'case-insensitive-keys', faults: ['case-insensitive-keys'], expectFail: 'auth.near-miss-key-rejected' },
  { name: 'server-error-on-bad-key', faults: ['server-error-on-bad-key'], expectFail: 'auth.invalid-key-rejected' },
  { name: 'query-key-accepted', faults: ['query-key-accepted'], expectFail: 'auth.key-in-query-rejected' },
  { name: 'cross-environment', faults: ['cross-environment'], expectFail: 'env.foreign-environment-key-rejected' },
  // The foreign key is refused with the right status, but the refusal says too much.
  { name: 'foreign-key-echo', faults: ['foreign-key-echo=body'], expectFail: 'env.foreign-environment-key-rejected' },
  {
    name: 'foreign-key-echo-header',
    faults: ['foreign-key-echo=header'],
    expectFail: 'env.foreign-environment-key-rejected',
    defect: 'The 401 for a key of another environment quotes it in the WWW-Authenticate challenge (error_description).',
    seenIn: 'Challenges that name the rejected credential (RFC 6750 error_description)',
  },
  {
    name: 'foreign-key-echo-trace-header',
    faults: ['foreign-key-echo=trace-header'],
    expectFail: 'env.foreign-environment-key-rejected',
    defect: 'The 401 for a key of another environment carries a Java stack trace in an X-Debug-Exception header (the key is not quoted).',
    seenIn: 'Debug headers left on in production (Symfony X-Debug-Exception, Spring debug filters)',
  },
  {
    name: 'over-broad-scopes',
    faults: [],
    profileVariant: 'over-broad-scopes',
    expectFail: 'privilege.least-privilege',
    defect:
      'The key was created with a scope no allowed resource needs (billing:admin); the profile still declares only the scopes it needs.',
    seenIn:
      'Integration keys issued with more scopes than they use, the reason Stripe offers restricted keys; the platform (introspection) tells, not the declaration',
  },
  {
    name: 'bad-name',
    faults: [],
    profileVariant: 'bad-name',
    expectFail: 'naming.key-name-convention',
    defect: 'The key was created and declared with the generic name "new-key".',
    seenIn:
      'Keys named test, default or new-key that nobody can trace to a system or owner; OpenAI, Google and AWS keys carry no marker, so only the name can tell',
  },
  {
    name: 'declared-for-test',
    faults: [],
    profileVariant: 'declared-for-test',
    expectFail: 'env.key-matches-environment',
    defect: 'The key is declared (and named) for test but points at the production target.',
    seenIn:
      "Test keys wired into production; Stripe's sk_test_/sk_live_ prefixes make it visible, keys without a marker only by their declaration and name",
  },
  {
    name: 'lifetime-too-long',
    faults: [],
    profileVariant: 'lifetime-too-long',
    expectFail: 'governance.owner-and-expiry',
    defect: "The key was created to expire three years from now, beyond the profile's 365-day maximum lifetime.",
    seenIn: 'Long-lived keys that outlive the people who knew about them (no expiry, or years of lifetime)',
  },
];
