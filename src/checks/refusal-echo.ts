// What a refusal says back. A refusal must say "no" and nothing that helps an
// attacker or lands a secret in a log: no form of the key (or of a near miss
// of it, or of another secret of the run) and no stack trace, in the body or
// in any header (unstructured-api #578, dataverse #4954; a key echoed in an
// error, LiteLLM #39757; debug headers such as X-Debug-Exception left on in
// production). Error bodies and headers are what gateways, client error
// trackers and support tickets keep. Every refusal a check requires is judged
// this way: the auth checks and authz (through reverse-probe.ts), the
// foreign-environment keys, and the refusals of a disabled, expired or
// rotated-out key (refusal-judge.ts, through refusal-watch.ts).
//
// Secrets are looked for by the run's leak scanner, the same matcher as the
// scan of every report, so a check and the publish scan never disagree about
// what counts as a leak: the key in any encoding, escaping, case, reversed,
// split, or any run of it long enough to matter (12 characters: a near miss,
// the key truncated, the key case-flipped are all "the key"), and its sha256.
//
// One difference from the publish scan: a refusal may quote a key masked
// the way platforms mask it, which keeps the key's public type prefix
// ("kp_prod_8f3a****wxyz", "sk_live_...wxyz"). Where only parts of a secret
// (or of the key's near misses) are found, they count only when they reveal
// 12 characters past that secret's own public prefix (public-prefix.ts says
// how it is found and why that is safe). The rule is the same for every
// secret of the run, the key, the canary, another environment's key: each
// prefix is a type marker of that secret alone, and a secret with no
// recognisable prefix (an admin token, a base64 credential) still counts on
// any 12-character run, as before. A secret whole, a near miss whole (39 of
// 40 characters), and 12 characters past the prefix in any form (encoded,
// reversed) still count. The reports themselves are still withheld on any
// 12-character run.
//
// What names a key without being it (its id, "key_3f9a…", its name
// "crm-prod-agent-call") is not a secret of the run and is never found.
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
import { findingsIn, stackTraceIn } from './judged-texts.js';
import { revealsPastPublicPrefix } from './public-prefix.js';

/** Labels of secrets whose echo is not a finding (see the top of this file). */
const NOT_SECRET_BEARING = new Set(['random-key']);

/**
 * The secret a refusal answered, and what to call it where the profile's key
 * is not it ("the disabled canary", "the test key"): its echo is named as the
 * key's is ("the disabled canary itself") rather than as "another secret".
 */
export interface RefusedSecret {
  readonly secret: string;
  readonly name: string;
}

/**
 * The problems of an answer to a request that had to be refused: what its
 * body and each header reveal, named without quoting any secret
 * ("its body reveals part of the key (as is, 39 of 40 characters)",
 * "its set-cookie header reveals the key itself"). Judged on the raw answer:
 * the evidence copy is already redacted.
 */
export function refusalEchoes(
  response: Pick<HttpResponse, 'status' | 'body' | 'headers' | 'reasonPhrase'>,
  profile: Profile,
  secrets: SecretRegistry,
  refused?: RefusedSecret,
): string[] {
  return revealedProblems(
    response.status,
    bodyReveals(response.body, profile, secrets, refused),
    headerReveals(response.headers, profile, secrets, refused, response.reasonPhrase),
  );
}

/**
 * headerReveals' name for the status line's reason phrase (`HTTP/1.1 401
 * <text>`): HTTP/1.1 lets a server write any text there, proxies and client
 * libraries log it (an error's message is often "401 <reason>"), so a secret
 * there is an echo like one in a header. A header name cannot hold a space,
 * so this never names a real header.
 */
const REASON_PHRASE = 'status line reason phrase';

/**
 * Why a refusal's body could not be searched for what it says back, or
 * undefined: it is still content-coded (zstd on Node 20, an unknown coding),
 * so a key or a stack trace in it is unseen. Not a pass: what could not be
 * searched was not verified (docs/verdicts.md).
 */
export function unsearchedBody(response: Pick<HttpResponse, 'bodyNotDecoded'>): string | undefined {
  return response.bodyNotDecoded
    ? `its body could not be searched for a secret or a stack trace: it came with ${response.bodyNotDecoded}`
    : undefined;
}

/**
 * What a body and headers reveal (bodyReveals, headerReveals; authz adds its
 * declared markers to the body's), as problems: "its body reveals …", "its
 * set-cookie header also reveals …" ("also" where the answer was served).
 */
export function revealedProblems(status: number, body: readonly string[], headers: readonly [string, readonly string[]][]): string[] {
  const also = isSuccess(status) ? 'also ' : '';
  const problems: string[] = [];
  if (body.length > 0) problems.push(`its body ${also}reveals ${body.join(', ')}`);
  for (const [name, revealed] of headers)
    problems.push(`its ${name === REASON_PHRASE ? "status line's reason phrase" : `${name} header`} ${also}reveals ${revealed.join(', ')}`);
  return problems;
}

/**
 * refusalEchoes as a reverse check's `echoes` rule (reverse-probe.ts); `refused`
 * names the secret each request presented, where it is not the profile's key.
 */
export function judgeEchoes<R = unknown>(
  ctx: CheckContext,
  refused?: (request: R) => RefusedSecret,
): (response: HttpResponse, request: R) => string[] {
  return (response, request) => refusalEchoes(response, ctx.profile, ctx.secrets, refused?.(request));
}

/** What a body reveals: secrets in any form the leak scanner knows, then a stack trace. */
export function bodyReveals(body: string, profile: Profile, secrets: SecretRegistry, refused?: RefusedSecret): string[] {
  const found = secretsIn(body, profile, secrets, refused);
  const trace = stackTraceIn(body);
  if (trace) found.push(`a ${trace} stack trace`);
  return found;
}

/**
 * The headers of an answer that reveal a secret or hold a stack trace, by
 * name, each with what it reveals: judged as a body is, by the same scanner
 * and the same trace patterns. A header cannot hold a line break, so a trace
 * there comes on one line or percent-encoded (Symfony's X-Debug-Exception):
 * the value is searched as it is and decoded. The name is judged for secrets
 * too (`X-Denied-<key>: 1`), and one that reveals a secret is given redacted.
 * The status line's reason phrase, where given, is judged as one more header.
 */
export function headerReveals(
  headers: Readonly<Record<string, string>>,
  profile: Profile,
  secrets: SecretRegistry,
  refused?: RefusedSecret,
  reasonPhrase?: string,
): [string, string[]][] {
  const found: [string, string[]][] = [];
  const fields = Object.entries(headers);
  if (reasonPhrase) fields.push([REASON_PHRASE, reasonPhrase]);
  for (const [name, value] of fields) {
    const inName = secretsIn(name, profile, secrets, refused);
    const revealed = [...inName, ...secretsIn(value, profile, secrets, refused)];
    const trace =
      stackTraceIn(value) ??
      percentDecodings(value)
        .map(stackTraceIn)
        .find((t) => t !== undefined);
    if (trace) revealed.push(`a ${trace} stack trace`);
    if (revealed.length > 0) found.push([inName.length > 0 ? secrets.redact(name) : name, revealed]);
  }
  return found;
}

/** A header value with its percent-escapes decoded, `+` kept and read as a space (PHP's urlencode); none where it has no valid escapes. */
function percentDecodings(value: string): string[] {
  if (!/%[0-9a-f]{2}/i.test(value)) return [];
  try {
    return [decodeURIComponent(value), decodeURIComponent(value.replace(/\+/g, ' '))];
  } catch {
    return [];
  }
}

/** The secrets a text reveals, in any form the leak scanner knows, named without quoting them. */
function secretsIn(text: string, profile: Profile, secrets: SecretRegistry, refused?: RefusedSecret): string[] {
  // Remembered per text while no secret is added (judged-texts.ts): a run's refusals say the same things again and again.
  const findings = findingsIn(secrets.scanner, text).filter((f) => !NOT_SECRET_BEARING.has(f.label));
  if (findings.length === 0) return [];
  const found: string[] = [];
  const key = profile.key.secret;
  const keyPrint = fingerprint(key);
  const ofKey = findings.filter((f) => f.fingerprint === keyPrint);
  const nearMisses = findings.filter((f) => f.label === 'near-miss');
  // Parts of the key or of its near misses, none whole, may be a masked quote that shows only the public prefix.
  const nearMissSecrets = secrets.all().filter((s) => secrets.labelOf(s) === 'near-miss');
  const masked = maskedQuote(text, [...ofKey, ...nearMisses], key, nearMissSecrets);
  const keyForms = masked ? [] : ofKey;
  found.push(...named(refused?.secret === key ? refused.name : 'the key', keyForms, ofKey));
  // Any other secret the run knows (canary, other keys) must not show up
  // either. Near misses of the key share most of its text: where one was found
  // inside the key's own match, or beside a form of the key (the key extended
  // by one character), it is the key, not a second secret.
  const insideKey = (f: LeakFinding) => ofKey.some((k) => k.view === f.view && k.start <= f.start && f.end <= k.end);
  const keyShown = keyForms.some((f) => !isHash(f));
  const nearMissOfFoundKey = (f: LeakFinding) => f.label === 'near-miss' && keyShown;
  const rest = findings.filter(
    (f) => f.fingerprint !== keyPrint && !(masked && f.label === 'near-miss') && !insideKey(f) && !nearMissOfFoundKey(f),
  );
  const others = new Set<string>();
  const refusedPrint = refused && refused.secret !== key ? fingerprint(refused.secret) : undefined;
  for (const [print, forms] of byFingerprint(rest)) {
    // Each secret is masked by its own public prefix (a canary "kp_live_8f3a****wxyz" as the key is).
    const secret = forms[0]!.label === 'near-miss' ? undefined : secretWithPrint(secrets, print, refused);
    if (secret !== undefined && maskedQuote(text, forms, secret, [])) continue;
    if (print === refusedPrint) found.push(...named(refused!.name, forms, forms));
    else others.add(print);
  }
  if (others.size > 0) found.push(`${others.size === 1 ? 'another secret' : `${others.size} other secrets`} of this run`);
  return found;
}

/** How a secret shows ("the key itself", "part of the key (as is, 39 of 40 characters)", "the key's sha256 hash"); `forms` are those that count. */
function named(name: string, forms: readonly LeakFinding[], all: readonly LeakFinding[]): string[] {
  const found: string[] = [];
  const shown = forms.filter((f) => !isHash(f));
  if (shown.some((f) => f.whole && f.form === 'as is')) found.push(`${name} itself`);
  else if (shown.length > 0) {
    const whole = shown.filter((f) => f.whole);
    found.push(
      whole.length > 0 ? `${name} (${whole.map((f) => f.form).join('; ')})` : `part of ${name} (${shown.map((f) => f.form).join('; ')})`,
    );
  }
  if (all.some(isHash)) found.push(`${name}'s sha256 hash`);
  return found;
}

function isHash(f: LeakFinding): boolean {
  return f.form.startsWith('its sha256');
}

function byFingerprint(findings: readonly LeakFinding[]): Map<string, LeakFinding[]> {
  const groups = new Map<string, LeakFinding[]>();
  for (const f of findings) groups.set(f.fingerprint, [...(groups.get(f.fingerprint) ?? []), f]);
  return groups;
}

/** The registered secret with this fingerprint (asked only of a text that holds part of one: rare). */
function secretWithPrint(secrets: SecretRegistry, print: string, refused?: RefusedSecret): string | undefined {
  if (refused && fingerprint(refused.secret) === print) return refused.secret;
  return secrets.all().find((s) => fingerprint(s) === print);
}

/**
 * Whether what was found of a secret (and of its near misses; no sha256) is
 * only parts of them that show nothing past the secret's public prefix: a key
 * masked the way platforms mask it ("kp_prod_8f3a****wxyz"), not a finding. A
 * secret or a near miss found whole is never masked.
 */
function maskedQuote(text: string, found: readonly LeakFinding[], secret: string, nearMisses: readonly string[]): boolean {
  const forms = found.filter((f) => !isHash(f));
  if (forms.length === 0 || forms.some((f) => f.whole)) return false;
  return !revealsPastPublicPrefix(text, secret, nearMisses);
}
