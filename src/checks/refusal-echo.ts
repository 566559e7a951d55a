// What a refusal says back. A refusal must say "no" and nothing that helps an
// attacker or lands a secret in a log: no form of the key (or of a near miss
// of it, or of another secret of the run) in the body or in any header, and
// no stack trace in the body (unstructured-api #578, dataverse #4954; a key
// echoed in an error, LiteLLM #39757). Error bodies and headers are what
// gateways, client error trackers and support tickets keep.
//
// Secrets are looked for by the run's leak scanner, the same matcher as the
// scan of every report, so a check and the publish scan never disagree about
// what counts as a leak: the key in any encoding, escaping, case, reversed,
// split, or any run of it long enough to matter (12 characters: a near miss,
// the key truncated, the key case-flipped are all "the key"), and its sha256.
//
// One difference from the publish scan: a refusal may quote the key masked
// the way platforms mask it, which keeps the key's public type prefix
// ("kp_prod_8f3a****wxyz", "sk_live_...wxyz"). Where only parts of the key or
// of its near misses are found, they count only when they reveal 12
// characters past that prefix (public-prefix.ts says how it is found and why
// that is safe). The key whole, a near miss whole (39 of 40 characters), and
// 12 characters past the prefix in any form (encoded, reversed) still count;
// a key with no recognisable prefix still counts on any 12-character run. The
// reports themselves are still withheld on any 12-character run.
//
// One value is echoed without a finding: the random key-shaped value that
// auth.invalid-key-rejected makes up. It is registered as a secret only so
// that reports do not show key-shaped text; it opens nothing and says nothing
// of the key (its `word_word_` prefix is the key type, not the key). Values
// never registered (garbage, an empty credential) are not found at all.
import type { HttpResponse } from '../http/client.js';
import type { LeakFinding } from '../leaks/scanner.js';
import type { Profile } from '../config/profile-schema.js';
import { fingerprint, type SecretRegistry } from '../secrets.js';
import type { CheckContext } from './check.js';
import { isSuccess } from './describe.js';
import { revealsPastPublicPrefix } from './public-prefix.js';
import { findStackTrace } from './stack-traces.js';

/** Labels of secrets whose echo is not a finding (see the top of this file). */
const NOT_SECRET_BEARING = new Set(['random-key']);

/**
 * The problems of an answer to a request that had to be refused: what its
 * body and each header reveal, named without quoting any secret
 * ("its body reveals part of the key (as is, 39 of 40 characters)",
 * "its set-cookie header reveals the key itself"). Judged on the raw answer:
 * the evidence copy is already redacted.
 */
export function refusalEchoes(
  response: Pick<HttpResponse, 'status' | 'body' | 'headers'>,
  profile: Profile,
  secrets: SecretRegistry,
): string[] {
  return revealedProblems(response.status, bodyReveals(response.body, profile, secrets), headerLeaks(response.headers, profile, secrets));
}

/**
 * What a body and headers reveal (bodyReveals, headerLeaks; authz adds its
 * declared markers to the body's), as problems: "its body reveals …", "its
 * set-cookie header also reveals …" ("also" where the answer was served).
 */
export function revealedProblems(status: number, body: readonly string[], headers: readonly [string, readonly string[]][]): string[] {
  const also = isSuccess(status) ? 'also ' : '';
  const problems: string[] = [];
  if (body.length > 0) problems.push(`its body ${also}reveals ${body.join(', ')}`);
  for (const [name, revealed] of headers) problems.push(`its ${name} header ${also}reveals ${revealed.join(', ')}`);
  return problems;
}

/** refusalEchoes as a reverse check's `echoes` rule (reverse-probe.ts). */
export function judgeEchoes(ctx: CheckContext): (response: HttpResponse) => string[] {
  return (response) => refusalEchoes(response, ctx.profile, ctx.secrets);
}

/** What a body reveals: secrets in any form the leak scanner knows, then a stack trace. */
export function bodyReveals(body: string, profile: Profile, secrets: SecretRegistry): string[] {
  const found = secretsIn(body, profile, secrets);
  const trace = findStackTrace(body);
  if (trace) found.push(`a ${trace} stack trace`);
  return found;
}

/**
 * The headers of an answer that reveal a secret, by name, each with what it
 * reveals: judged as a body is, by the same scanner, but only for secrets
 * (a header is not where stack traces are looked for). The name is judged
 * too (`X-Denied-<key>: 1`), and one that reveals a secret is given redacted.
 */
export function headerLeaks(headers: Readonly<Record<string, string>>, profile: Profile, secrets: SecretRegistry): [string, string[]][] {
  const found: [string, string[]][] = [];
  for (const [name, value] of Object.entries(headers)) {
    const inName = secretsIn(name, profile, secrets);
    const revealed = [...inName, ...secretsIn(value, profile, secrets)];
    if (revealed.length > 0) found.push([inName.length > 0 ? secrets.redact(name) : name, revealed]);
  }
  return found;
}

/** The secrets a text reveals, in any form the leak scanner knows, named without quoting them. */
function secretsIn(text: string, profile: Profile, secrets: SecretRegistry): string[] {
  const found: string[] = [];
  const findings = secrets.scanner.find(text).filter((f) => !NOT_SECRET_BEARING.has(f.label));
  if (findings.length === 0) return found;
  const keyPrint = fingerprint(profile.key.secret);
  const ofKey = findings.filter((f) => f.fingerprint === keyPrint);
  const nearMisses = findings.filter((f) => f.label === 'near-miss');
  // Parts of the key or of its near misses, none whole, may be a masked quote that shows only the public prefix.
  const masked = maskedQuote(text, [...ofKey, ...nearMisses], profile, secrets);
  const keyForms = masked ? [] : ofKey.filter((f) => !f.form.startsWith('its sha256'));
  if (keyForms.some((f) => f.whole && f.form === 'as is')) found.push('the key itself');
  else if (keyForms.length > 0) {
    const whole = keyForms.filter((f) => f.whole);
    found.push(
      whole.length > 0 ? `the key (${whole.map((f) => f.form).join('; ')})` : `part of the key (${keyForms.map((f) => f.form).join('; ')})`,
    );
  }
  if (ofKey.some((f) => f.form.startsWith('its sha256'))) found.push("the key's sha256 hash");
  // Any other secret the run knows (canary, other keys) must not show up
  // either. Near misses of the key share most of its text: where one was found
  // inside the key's own match, or beside a form of the key (the key extended
  // by one character), it is the key, not a second secret.
  const insideKey = (f: LeakFinding) => ofKey.some((k) => k.view === f.view && k.start <= f.start && f.end <= k.end);
  const nearMissOfFoundKey = (f: LeakFinding) => f.label === 'near-miss' && keyForms.length > 0;
  const others = new Set(
    findings
      .filter((f) => f.fingerprint !== keyPrint && !(masked && f.label === 'near-miss') && !insideKey(f) && !nearMissOfFoundKey(f))
      .map((f) => f.fingerprint),
  );
  if (others.size > 0) found.push(`${others.size === 1 ? 'another secret' : `${others.size} other secrets`} of this run`);
  return found;
}

/**
 * Whether what was found of the key and its near misses (no sha256) is only
 * parts of them that show nothing past the key's public prefix: a key masked
 * the way platforms mask it ("kp_prod_8f3a****wxyz"), not a finding. The key
 * or a near miss found whole is never masked.
 */
function maskedQuote(text: string, found: readonly LeakFinding[], profile: Profile, secrets: SecretRegistry): boolean {
  const forms = found.filter((f) => !f.form.startsWith('its sha256'));
  if (forms.length === 0 || forms.some((f) => f.whole)) return false;
  const nearMisses = secrets.all().filter((s) => secrets.labelOf(s) === 'near-miss');
  return !revealsPastPublicPrefix(text, profile.key.secret, nearMisses);
}
