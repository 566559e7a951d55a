// Every secret keyprobe knows goes through here: keys show as a fingerprint
// (`sha256:` + 8 hex), and text is redacted before it is stored or printed.
//
// The redactor lists the forms a secret can take in text (as is, reversed,
// URL-encoded every way, JSON, HTML and XML escapes, hex, base64 at every
// alignment, its sha256) and replaces any of them, ignoring letter case and
// line breaks, and any run of one long enough to matter (secret-policy.ts).
// The leak scanner (leaks/scanner.ts) finds secrets a different way, by
// decoding the text it searches; the registry feeds it every secret too, but
// the redactor never asks it: invariant 9 wants two independent nets.
//
// Where secrets are registered (SecretRegistry.add), each before the value
// can reach a request, a record or an output; the first label a secret gets
// is the one reports show. test/architecture/secret-registration.test.ts keeps
// this list whole: a new registration site fails it until it is added here.
// - The profile's secrets: every ${env:…}/${file:…} value the loader resolved
//   (config/load-profile.ts, LoadedProfile.secrets), registered by runSuite
//   before any request (runner/run.ts): the key, canary, second key, the
//   other environments' keys, the lifecycle credentials.
// - What a lifecycle action meets: LifecycleAdapterBase.registerSecret
//   (lifecycle/adapter-base.ts), used by the http and command adapters for a
//   created or rotated key and every secret-looking value in an answer, a
//   command's output or the variables a command is given.
// - The HTTP client's request signer: the signature of a signed request
//   (http/client.ts), before the request is sent or recorded.
// - Credentials a check derives from the key (a random key, a Basic
//   credential, near-miss variants: checks/auth.*), with their shell form so
//   a reproduce line rebuilds them from $KEY.
// - The audit: secret-like values found in the inventory (audit/audit.ts),
//   and on the command line the inventory API's credential and the demo's
//   keys (cli/commands/audit.ts).
// - keyprobe demo: the reference target's keys and admin token
//   (cli/commands/demo.ts).
// - A big run's worker threads (runner/shards.ts, runner/shard-worker.ts):
//   each worker registers its profiles' secrets (as runSuite does) and
//   tells the main thread of every secret it learns through the sites above
//   (SecretRegistry.onLearn); the main thread adds what its workers learn
//   to its leak scanner (registry.scanner: the console screen and the
//   publish scan), not to its redactor (the workers redact).
import { LeakScanner } from './leaks/scanner.js';
import { WindowIndex } from './leaks/window-index.js';
import { fingerprint, sha256Hex } from './fingerprint.js';
import { FormTable, type FormText, type NewForm } from './secret-form-table.js';
import { leakFragmentLength, SHORT_SECRET_FLOOR, UNSEARCHABLE_BELOW } from './secret-policy.js';

export { fingerprint } from './fingerprint.js';

/** Forms are looked up by runs of this many characters. */
export const WINDOW = 8;
/**
 * Windows are looked up by a rolling hash of their characters, so a text is
 * searched without cutting a string out of it at every position (a thousand
 * profiles' secrets make every recorded exchange search an index of hundreds
 * of thousands of windows); a hit is then compared character by character.
 */
const BASE = 0x01000193;
const WINDOW_POWER = (() => {
  let p = 1;
  for (let i = 1; i < WINDOW; i++) p = Math.imul(p, BASE);
  return p;
})();
/**
 * A bit per hash prefix of this many bits says "some window may have this
 * hash": most positions of a text stop there. A thousand profiles index about
 * 900,000 windows (some 14,000 secrets of ~66 windows each): 2^22 bits were a
 * fifth set, and a fifth of every text's positions went on to the index (or,
 * checking a remembered answer, to recentWindows); 2^24 bits (2 MiB, as the
 * leak scanner's) are 5% set. The filter only ever sends fewer positions on:
 * what redact() finds is the same (bench/cpu-at-scale.md).
 */
const BLOOM_BITS = 24;
/** redact() remembers its answers for texts up to this long (an evidence body excerpt is 2048 characters)… */
const REMEMBERED_TEXT_CHARS = 4096;
/** …and for at most this many texts at once (then it starts again). */
const REMEMBERED_TEXTS = 1024;
/**
 * A remembered redaction outlives the secrets added after it where they
 * cannot occur in its text; the window hashes of this many of the last
 * secrets added are kept to tell (an answer older than that is worked out again).
 */
const RECENT_SECRETS = 256;

/**
 * The rolling hash of `WINDOW` characters of `text` from `at`, read folded
 * (foldCode): the same for a form's folded text (folding twice changes
 * nothing) and for a text redact() reads as it is.
 */
function windowHash(text: string, at: number): number {
  let h = 0;
  for (let k = 0; k < WINDOW; k++) h = (Math.imul(h, BASE) + foldCode(text.charCodeAt(at + k))) | 0;
  return h;
}

/** A number for the last UNSEARCHABLE_BELOW characters before `end`, to look secrets up by their ending without a substring. */
function endingKey(text: string, end: number): number {
  let h = 0;
  for (let k = end - UNSEARCHABLE_BELOW; k < end; k++) h = (Math.imul(h, BASE) + text.charCodeAt(k)) | 0;
  return h;
}

/**
 * Letter case is ignored, and so is the one difference between base64 and
 * base64url ('-' for '+', '_' for '/'): a form matches in either.
 */
function fold(text: string): string {
  // ASCII-only text (nearly all of it) folds natively; elsewhere lower-casing could change the length.
  if (!/[^\x00-\x7f]/.test(text)) return text.toLowerCase().replace(/-/g, '+').replace(/_/g, '/');
  return text.replace(/[A-Z_-]/g, (c) => String.fromCharCode(foldCode(c.charCodeAt(0))));
}

/** One character as fold() writes it: the same change, character by character (fold never changes a text's length). */
function foldCode(c: number): number {
  if (c >= 65 && c <= 90) return c + 32;
  if (c === 45) return 43; // '-' reads as '+'
  if (c === 95) return 47; // '_' reads as '/'
  return c;
}

/**
 * Where to index a form: any run of `min` characters of it holds a window
 * starting at one of these offsets (one every `min - WINDOW + 1`). They start
 * at the last of the first `step` offsets, not at 0, so keys that share a
 * prefix (`kp_prod_`, `sk_live_`) do not share their first window; a form that
 * only counts whole is indexed by its last window, for the same reason.
 */
function windowOffsets(length: number, min: number): number[] {
  if (min >= length) return [length - WINDOW];
  // secretForms never asks for runs shorter than a window; were one to, every window is indexed rather than a step of 0 or less looping forever.
  const step = Math.max(1, min - WINDOW + 1);
  const offsets: number[] = [];
  for (let offset = step - 1; offset + WINDOW <= length; offset += step) offsets.push(offset);
  return offsets;
}

/** The HTML names of ASCII punctuation (`&sol;` for '/'…), as some escapers write them ('_' and '.' are left as they are). */
const HTML_NAMES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '/': '&sol;',
  '\\': '&bsol;',
  '!': '&excl;',
  '(': '&lpar;',
  ')': '&rpar;',
  '*': '&ast;',
  '+': '&plus;',
  '=': '&equals;',
  '#': '&num;',
  $: '&dollar;',
  '%': '&percnt;',
  ',': '&comma;',
  ':': '&colon;',
  ';': '&semi;',
  '?': '&quest;',
  '@': '&commat;',
  '[': '&lsqb;',
  ']': '&rsqb;',
  '^': '&Hat;',
  '`': '&grave;',
  '{': '&lcub;',
  '|': '&verbar;',
  '}': '&rcub;',
  '~': '&tilde;',
};

/** A form of a secret: its text, and the shortest run of it that counts (its length for whole-only forms). */
export interface WrittenForm {
  readonly text: string;
  readonly min: number;
}

/** One way a secret is written (URL-encoded, base64 at one alignment…); undefined where it does not apply to this secret. */
type FormWriter = (secret: string) => WrittenForm | undefined;

const whole = (text: string): WrittenForm => ({ text, min: text.length });

/**
 * Any run of the form at least as long as the secret's fragment (times
 * `scale`, for an encoding that writes each character as more). A run shorter
 * than a window cannot be looked up (and would let a few escape characters
 * stand for a secret): it only happens for a secret of 4-7 characters, which
 * counts whole (leakFragmentLength), and so does every form of it that an
 * encoding made longer (`a"b"` → `a%22b%22`).
 */
function runs(secret: string, text: string, scale = 1): WrittenForm {
  const min = Math.min(text.length, Math.ceil(leakFragmentLength(secret.length) * scale));
  return { text, min: min < WINDOW ? text.length : min };
}

/** URLSearchParams (form) encoding: encodes ~ ! ' ( ) and writes a space as '+'. */
const formEncoded = (text: string) => new URLSearchParams({ k: text }).toString().slice(2);
const jsonEscaped = (text: string) => JSON.stringify(text).slice(1, -1);
/** Every byte percent-encoded, as some clients and logs write any value. */
const everyBytePercentEncoded = (text: string) => [...Buffer.from(text, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
const xmlEscaped = (text: string, apostrophe: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, apostrophe);

/**
 * Base64 at one of the three byte alignments, so it is found inside a larger
 * blob such as `Basic base64(user:secret)`: the characters touched by the
 * bytes around the secret are left out. The same for its UTF-16 text (either
 * byte order), where each character is two bytes.
 */
function base64Writer(encode: (secret: string) => Buffer, scale: number, pad: number): FormWriter {
  return (secret) => {
    const b64 = Buffer.concat([Buffer.alloc(pad), encode(secret)]).toString('base64');
    const start = pad === 0 ? 0 : Math.ceil((pad * 4) / 3);
    const core = b64.replace(/=+$/, '').slice(start, -2 || undefined);
    return core.length >= WINDOW ? runs(secret, core, scale) : undefined;
  };
}

const BASE64_ENCODINGS: readonly [encode: (secret: string) => Buffer, scale: number][] = [
  [(secret) => Buffer.from(secret, 'utf8'), 4 / 3],
  [(secret) => Buffer.from(secret, 'utf16le'), 8 / 3],
  [(secret) => Buffer.from(secret, 'utf16le').swap16(), 8 / 3],
];

/**
 * Every form, in the order secretForms lists them. The redactor keeps only
 * a form's number and length and writes its text again when a text it
 * searches may hold it (issue #15: the text of every form of ten thousand
 * secrets was a quarter of a big run's memory), so a writer must always
 * write the same text for the same secret.
 */
const FORM_WRITERS: readonly FormWriter[] = [
  // The secret as is, then reversed.
  (secret) => runs(secret, secret),
  (secret) => runs(secret, [...secret].reverse().join('')),
  (secret) => runs(secret, encodeURIComponent(secret)),
  (secret) => runs(secret, formEncoded(secret)),
  (secret) => whole(encodeURIComponent(encodeURIComponent(secret))),
  (secret) => whole(formEncoded(formEncoded(secret))),
  (secret) => whole(jsonEscaped(secret)),
  (secret) => whole(jsonEscaped(secret).replace(/\//g, '\\/')),
  (secret) => whole(everyBytePercentEncoded(secret)),
  (secret) => whole(everyBytePercentEncoded(secret).replace(/%/g, '%25')),
  (secret) => whole([...secret].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')),
  (secret) => whole(xmlEscaped(secret, '&#39;')),
  (secret) => whole(xmlEscaped(secret, '&#039;')),
  (secret) => whole(xmlEscaped(secret, '&apos;')),
  (secret) => whole([...secret].map((c) => HTML_NAMES[c] ?? c).join('')),
  (secret) => whole([...secret].map((c) => `&#${c.codePointAt(0)};`).join('')),
  (secret) => whole([...secret].map((c) => `&#x${c.codePointAt(0)!.toString(16)};`).join('')),
  (secret) => runs(secret, Buffer.from(secret, 'utf8').toString('hex'), 2),
  (secret) => whole(sha256Hex(secret)),
  ...BASE64_ENCODINGS.flatMap(([encode, scale]) => [0, 1, 2].map((pad) => base64Writer(encode, scale, pad))),
  // Forms a red-team review found servers echo (2026-11-30): rot13, the
  // secret without its separators (what a spelled-out echo, `k p _ l…`, reads
  // as once redactDecodedRuns removes them), base64 of its base64.
  (secret) => runs(secret, rot13(secret)),
  (secret) => {
    const compacted = withoutSeparators(secret);
    // Shorter, it would be a few letters any text may hold (the leak scanner does not look for it either).
    return compacted !== secret && compacted.length >= SHORT_SECRET_FLOOR ? runs(secret, compacted) : undefined;
  },
  (secret) => whole(Buffer.from(Buffer.from(secret).toString('base64')).toString('base64').replace(/=+$/, '')),
];

/** The number of the writer that writes a secret as it is (the first). */
const AS_IT_IS = 0;

/** The forms a secret takes in the text a server or a report writes, each with the shortest run of it that counts. */
export function secretForms(secret: string): WrittenForm[] {
  return writtenForms(secret).map(({ form }) => form);
}

/** secretForms, each with the number of its writer (what writeForm takes to write it again). */
function writtenForms(secret: string): { form: WrittenForm; writer: number }[] {
  const forms: { form: WrittenForm; writer: number }[] = [];
  for (const [writer, write] of FORM_WRITERS.entries()) {
    const form = write(secret);
    if (form) forms.push({ form, writer });
  }
  return forms;
}

/**
 * One form of a secret written again, by its writer's number, as the registry
 * holds it: folded, and as written (letter case and separators kept), so
 * that a text is named after the secret it is letter for letter: the
 * case-flipped near miss of `ABCD-EFGH-…` folds to the key's forms too.
 */
function formText(secret: string, writer: number): FormText {
  const form = FORM_WRITERS[writer]!(secret);
  if (!form) throw new Error(`form ${writer} does not apply to this secret`);
  const folded = fold(form.text);
  // Most forms that fold to themselves (hex, sha256, escapes) share the one string.
  return { folded, exact: folded === form.text ? folded : form.text };
}

function rot13(text: string): string {
  return text.replace(/[A-Za-z]/g, (c) => {
    const base = c <= 'Z' ? 65 : 97;
    return String.fromCharCode(((c.charCodeAt(0) - base + 13) % 26) + base);
  });
}

/**
 * Where an echo is spelled out or escaped byte by byte, no list of forms has
 * it: such a run is decoded, and where what it decodes to holds a secret
 * (redact finds a form of one in it), the whole run is replaced. A spelled-out
 * run is read with its separators removed, and the secret is listed that way
 * too (moreSecretForms): an underscore of the key and a space between its
 * letters read alike.
 */
const DECODED_RUNS: readonly {
  readonly run: RegExp;
  readonly decode: (run: string) => string;
  /** A cheap test of the whole text first: without it, the run cannot occur (a regex pass saved). */
  readonly onlyIf?: (text: string) => boolean;
}[] = [
  {
    // Groups of 1-4 characters joined by spaces, dashes, dots, colons, underscores, commas, tabs or no-break spaces: `k p _ l`, `kp_l-ive_`.
    run: /(?<![A-Za-z0-9+/])(?:[A-Za-z0-9+/]{1,4}[ .,:_\t\u00a0-]{1,5}){2,}[A-Za-z0-9+/]{1,4}(?![A-Za-z0-9+/])/g,
    decode: withoutSeparators,
  },
  // Quoted-printable wrapped at 76 columns: soft line breaks (`=` at a line's end) inside a run of printable characters or `=6B` bytes.
  {
    // Starting only where a run of printable characters starts, so a long one without a soft line break is read once, not once per character.
    run: /(?<![!-~])(?:[!-<>-~]|=[0-9A-Fa-f]{2})*(?:=\r?\n(?:[!-<>-~]|=[0-9A-Fa-f]{2})+)+/g,
    decode: (run) => quotedPrintableDecoded(run.replace(/=\r?\n/g, '')),
    onlyIf: (text) => text.includes('=\n') || text.includes('=\r\n'),
  },
  // C-style octal escapes, `\153\160`, or, in a JSON string, `\\153\\160`.
  { run: /(?:\\{1,2}[0-7]{1,3}){4,}/g, decode: (run) => bytesOf(run.split(/\\+/).slice(1), 8) },
  // `\\u006b` escaped again, as a JSON string holding a JSON-escaped echo writes it (or more times).
  {
    run: /(?:\\{2,}u[0-9a-fA-F]{4}){4,}/g,
    decode: (run) =>
      String.fromCharCode(
        ...run
          .split(/\\+u/)
          .slice(1)
          .map((hex) => Number.parseInt(hex, 16)),
      ),
  },
  // Quoted-printable, `=6B=70`.
  { run: /(?:=[0-9A-Fa-f]{2}){4,}/g, decode: (run) => bytesOf(run.split('=').slice(1), 16) },
];

function withoutSeparators(text: string): string {
  return text.replace(/[ .,:_\t\u00a0-]/g, '');
}

/** Quoted-printable text: `=6B` is a byte, anything else itself; read as UTF-8. */
function quotedPrintableDecoded(text: string): string {
  return Buffer.from(
    text.replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
    'latin1',
  ).toString('utf8');
}

function bytesOf(codes: string[], radix: number): string {
  return Buffer.from(codes.map((code) => Number.parseInt(code, radix) & 0xff)).toString('utf8');
}

/** Text split into literal parts and shell expressions that stand for secrets, for a line a reviewer can run. */
export type ShellPiece = { readonly literal: string } | { readonly expr: string };

/** The shell variable every reproduce line reads the profile's own key from. */
export const KEY_VARIABLE = 'KEY';

export class SecretRegistry {
  private readonly labels = new Map<string, string>();
  /** How a secret is written in a reproduce line when it is derived from the key, e.g. `${KEY}x`. */
  private readonly shellForms = new Map<string, string>();
  private readonly replacements: string[] = [];
  /**
   * Every form of every secret, folded (see fold), with the shortest run of
   * it that is replaced (its length for whole-only forms), and as written,
   * to prefer the secret that matches letter for letter: the key over its
   * case-flipped near miss, and the near miss over the key.
   */
  private readonly forms = new FormTable(formText);
  /**
   * The rolling hash of folded runs of WINDOW characters → where they are
   * indexed: form and offset (windows whose hashes collide share a hash,
   * told apart by comparing characters).
   */
  private readonly windows = new WindowIndex();
  /** One bit per BLOOM_BITS-bit hash prefix of an indexed window (windows). */
  private readonly bloom = new Uint32Array(1 << (BLOOM_BITS - 5));
  /** Whole forms shorter than a window, searched for plainly. */
  private readonly shortForms: number[] = [];
  /** The independent leak scanner, told about every secret registered here. */
  readonly scanner = new LeakScanner();
  /**
   * Searchable secrets by their last UNSEARCHABLE_BELOW characters, each with
   * the order it was added in: shellPieces finds them in one pass over the
   * text, however many secrets the run holds (a thousand profiles hold
   * thousands, and every recorded exchange asks).
   */
  private readonly byEnding = new Map<number, { secret: string; order: number }[]>();
  /** fingerprint() of each secret, worked out once (shellVariable names one per reproduce line). */
  private readonly fingerprints = new Map<string, string>();
  /** Told of every secret added after it was set (onLearn). */
  private learned?: (secret: string, label: string) => void;

  /**
   * From now on, `listener` is told of each new secret as it is added, before
   * add() returns, so before the secret can reach a request or a record: a
   * worker thread's registry tells the main thread's (src/runner/shard-worker.ts).
   */
  onLearn(listener: (secret: string, label: string) => void): void {
    this.learned = listener;
  }
  /**
   * What redact() made of each text. A run redacts the same texts over and
   * over (the key's header in every exchange, a refusal's body, a reproduce
   * line's URL), and adds secrets all along (near misses, canaries, rotated
   * keys: one every ninety calls of a 200-profile run). Only a new secret
   * changes what a text redacts to, and only where one of its forms can
   * occur in it: an answer is kept across an add and checked when it is next
   * asked for (stillHolds).
   */
  private readonly redacted = new Map<string, RememberedRedaction>();
  /** How many searchable secrets have been added: the generation a remembered redaction was worked out (or last checked) in. */
  private generation = 0;
  /** The hash of every window indexed for the last RECENT_SECRETS secrets → the latest generation that indexed it. */
  private readonly recentWindows = new Map<number, number>();
  /** Those secrets' generations and window hashes, oldest first, to forget them from recentWindows. */
  private readonly recentSecrets: { generation: number; windows: number[] }[] = [];
  /** Redactions worked out before this generation cannot be checked (the secrets after them are no longer all in recentWindows). */
  private checkableFrom = 0;
  /** The last generation that added a form shorter than a window (searched for plainly, not by window): it changes any text's answer. */
  private lastShortForm = 0;
  /** What shellPieces() made of each text (keyed by the profile's key and the text), forgotten as `redacted` is and when a secret gets another shell form. */
  private readonly pieces = new Map<string, readonly ShellPiece[]>();

  /**
   * Registers a secret; `label` shows in redactions, e.g. "key", "canary".
   * `shell` is a POSIX shell expression that makes the secret from the
   * profile's key, e.g. `${KEY%?}` for the key cut by one character.
   */
  add(secret: string, label = 'secret', opts: { shell?: string } = {}): void {
    if (opts.shell && secret && this.shellForms.get(secret) !== opts.shell) {
      this.shellForms.set(secret, opts.shell);
      this.pieces.clear();
    }
    if (!secret || this.labels.has(secret)) return;
    this.labels.set(secret, label);
    this.learned?.(secret, label);
    this.pieces.clear();
    this.scanner.add(secret, label);
    if (secret.length < UNSEARCHABLE_BELOW) return;
    const ending = endingKey(secret, secret.length);
    const sameEnding = this.byEnding.get(ending) ?? [];
    sameEnding.push({ secret, order: this.labels.size });
    this.byEnding.set(ending, sameEnding);
    const entry = this.replacements.length;
    this.fingerprints.set(secret, fingerprint(secret));
    this.replacements.push(`[${label} ${this.fingerprints.get(secret)}]`);
    const added = new Set<string>();
    const forms: NewForm[] = [];
    for (const { form, writer } of writtenForms(secret)) {
      const folded = fold(form.text);
      if (added.has(folded)) continue;
      added.add(folded);
      forms.push({ folded, min: form.min, writer });
    }
    const first = this.forms.add(entry, secret, forms);
    const generation = ++this.generation;
    const windows: number[] = [];
    for (const [i, { folded, min }] of forms.entries()) {
      const id = first + i;
      if (folded.length < WINDOW) {
        this.shortForms.push(id);
        this.lastShortForm = generation;
        continue;
      }
      for (const offset of windowOffsets(folded.length, min)) {
        const key = windowHash(folded, offset);
        this.windows.add(key, id, offset);
        const bit = key >>> (32 - BLOOM_BITS);
        this.bloom[bit >>> 5]! |= 1 << (bit & 31);
        windows.push(key);
        this.recentWindows.set(key, generation);
      }
    }
    this.recentSecrets.push({ generation, windows });
    if (this.recentSecrets.length > RECENT_SECRETS) {
      const oldest = this.recentSecrets.shift()!;
      for (const key of oldest.windows) if (this.recentWindows.get(key) === oldest.generation) this.recentWindows.delete(key);
      this.checkableFrom = oldest.generation;
    }
  }

  has(secret: string): boolean {
    return this.labels.has(secret);
  }

  all(): string[] {
    return [...this.labels.keys()];
  }

  /** The label a secret was registered with. */
  labelOf(secret: string): string | undefined {
    return this.labels.get(secret);
  }

  /** Replaces every form of every registered secret (and every long enough run of one) with `[label sha256:…]`. */
  redact(text: string): string {
    if (this.forms.size === 0 || text.length < UNSEARCHABLE_BELOW) return text;
    const remembered = this.redacted.get(text);
    if (remembered !== undefined && this.stillHolds(text, remembered)) return remembered.redacted;
    const { redacted, decodes } = this.replaceForms(text);
    if (text.length <= REMEMBERED_TEXT_CHARS) {
      if (remembered !== undefined) this.redacted.delete(text);
      else if (this.redacted.size >= REMEMBERED_TEXTS) this.redacted.clear();
      const kept = ownCopy(text);
      this.redacted.set(kept, { redacted: redacted === text ? kept : ownCopy(redacted), generation: this.generation, decodes });
    }
    return redacted;
  }

  /**
   * Whether a redaction remembered for `text` is still what redact() would
   * make of it, checked exactly: no secret added since has a form shorter
   * than a window, and none indexed a window whose hash a window of the text
   * has (a form is only ever found from such a window: replaceForms). A text
   * with a run that decodes (redactDecodedRuns) is worked out again: what
   * the run decodes to is another text.
   */
  private stillHolds(text: string, remembered: RememberedRedaction): boolean {
    const since = remembered.generation;
    if (since === this.generation) return true;
    if (remembered.decodes || since < this.checkableFrom || since < this.lastShortForm) return false;
    const { raw } = withoutLineBreaks(text);
    const { bloom, recentWindows } = this;
    let h = raw.length >= WINDOW ? windowHash(raw, 0) : 0;
    for (let i = 0; i + WINDOW <= raw.length; i++) {
      if (i > 0)
        h = (Math.imul(h - Math.imul(foldCode(raw.charCodeAt(i - 1)), WINDOW_POWER), BASE) + foldCode(raw.charCodeAt(i + WINDOW - 1))) | 0;
      // Every recent window is in the bloom filter too: most positions stop at one bit.
      const bit = h >>> (32 - BLOOM_BITS);
      if ((bloom[bit >>> 5]! & (1 << (bit & 31))) === 0) continue;
      if ((recentWindows.get(h) ?? 0) > since) return false;
    }
    remembered.generation = this.generation;
    return true;
  }

  /**
   * redact() without remembering: every form of every secret, and every long
   * enough run of one, found and replaced; `decodes` when a run of the text
   * was decoded and searched (redactDecodedRuns).
   */
  private replaceForms(text: string): { redacted: string; decodes: boolean } {
    const { redacted: decodedRuns, decodes } = this.redactDecodedRuns(text);
    if (decodedRuns !== text) return { redacted: this.redact(decodedRuns), decodes };
    const spans = this.findSpans(text);
    return { redacted: spans.length === 0 ? text : replaceSpans(text, spans, this.replacements), decodes };
  }

  /** Where the text holds a form of a secret (or a long enough run of one), as it is: no run of it decoded. */
  private findSpans(text: string): Span[] {
    // The text without its line breaks and the indentation after them (a
    // secret split over two lines is still one secret), and where each of
    // its characters came from. It is read folded (foldCode) character by
    // character: every exchange keyprobe records is redacted a dozen times
    // over (label, path, each header, body, reproduce line), and a folded
    // copy of each text was most of what that cost.
    const { raw, at } = withoutLineBreaks(text);
    const spans: Span[] = [];
    // Nothing shorter than a window can hold a form, unless a secret is that short.
    if (raw.length < WINDOW && this.shortForms.length === 0) return spans;
    const { forms } = this;
    const span = (start: number, end: number, id: number, offset = 0) => {
      const { exact } = forms.text(id);
      spans.push({
        from: at ? at[start]! : start,
        to: at ? at[end - 1]! + 1 : end,
        entry: forms.entry(id),
        length: end - start,
        whole: end - start === forms.length(id),
        exact: raw.slice(start, end) === exact.slice(offset, offset + end - start),
        asItIs: forms.writer(id) === AS_IT_IS,
      });
    };

    if (this.shortForms.length > 0) {
      const view = fold(raw);
      for (const id of this.shortForms) {
        const { folded } = forms.text(id);
        for (let i = view.indexOf(folded); i >= 0; i = view.indexOf(folded, i + 1)) span(i, i + folded.length, id);
      }
    }
    // Where the last match of each form ended, so one occurrence is not matched again window by window.
    let matchedUntil: Map<number, number> | undefined;
    const { bloom, windows } = this;
    const n = raw.length;
    // The hash of the folded window starting at i, rolled one character on per step.
    let h = n >= WINDOW ? windowHash(raw, 0) : 0;
    for (let i = 0; i + WINDOW <= n; i++) {
      if (i > 0)
        h = (Math.imul(h - Math.imul(foldCode(raw.charCodeAt(i - 1)), WINDOW_POWER), BASE) + foldCode(raw.charCodeAt(i + WINDOW - 1))) | 0;
      const bit = h >>> (32 - BLOOM_BITS);
      if ((bloom[bit >>> 5]! & (1 << (bit & 31))) === 0) continue;
      for (let found = windows.first(h); found >= 0; found = windows.next(found)) {
        const id = windows.item(found);
        const offset = windows.offset(found);
        if ((matchedUntil?.get(id) ?? -1) > i) continue;
        const { folded } = forms.text(id);
        if (!sameWindow(raw, i, folded, offset)) continue;
        let a = i;
        let b = offset;
        while (a > 0 && b > 0 && foldCode(raw.charCodeAt(a - 1)) === folded.charCodeAt(b - 1)) {
          a--;
          b--;
        }
        const length = folded.length;
        let e = i + WINDOW;
        let g = offset + WINDOW;
        while (e < n && g < length && foldCode(raw.charCodeAt(e)) === folded.charCodeAt(g)) {
          e++;
          g++;
        }
        const min = forms.min(id);
        const counts = min >= length ? b === 0 && g === length : e - a >= min;
        if (!counts) continue;
        matchedUntil ??= new Map();
        matchedUntil.set(id, e);
        span(a, e, id, b);
      }
    }
    return spans;
  }

  /**
   * The text with every run of DECODED_RUNS that decodes to a form of a
   * secret replaced as a whole, by that secret's `[label sha256:…]`;
   * `decodes` when any run was long enough to be searched.
   */
  private redactDecodedRuns(text: string): { redacted: string; decodes: boolean } {
    let out = text;
    let decodes = false;
    for (const { run, decode, onlyIf } of DECODED_RUNS) {
      if (onlyIf && !onlyIf(out)) continue;
      out = out.replace(run, (found) => {
        const decoded = decode(found);
        if (decoded.length < SHORT_SECRET_FLOOR) return found;
        decodes = true;
        const redacted = this.redact(decoded);
        return redacted === decoded ? found : this.replacements[this.decodedRunEntry(found, decoded, redacted)]!;
      });
    }
    return { redacted: out, decodes };
  }

  /**
   * Which secret a run that decodes to a secret's form is named after. A run
   * may read as several secrets: `abcd-efgh-…` is, as it is, the near miss
   * that flipped the case of the key `ABCD-EFGH-…`, and with its dashes
   * removed it folds to the key's forms too. The secret it is letter for
   * letter as it stands wins; then the best of what it decodes to (whole,
   * then letter for letter, then longest: replaceSpans); then, where only a
   * decoding of the decoded text found a secret, the first one redact() named.
   */
  private decodedRunEntry(found: string, decoded: string, redacted: string): number {
    const asItIs = bestSpan(this.findSpans(found));
    if (asItIs?.exact) return asItIs.entry;
    const inDecoded = bestSpan(this.findSpans(decoded));
    if (inDecoded) return inDecoded.entry;
    if (asItIs) return asItIs.entry;
    let first = -1;
    let firstAt = Number.POSITIVE_INFINITY;
    for (const [entry, replacement] of this.replacements.entries()) {
      const at = redacted.indexOf(replacement);
      if (at >= 0 && at < firstAt) {
        first = entry;
        firstAt = at;
      }
    }
    return first;
  }

  /** The shell variable a reproduce line reads a secret from: KEY for the profile's key, else its label and fingerprint, e.g. CANARY_1a2b3c4d. */
  shellVariable(secret: string, primaryKey: string): string {
    if (secret === primaryKey) return KEY_VARIABLE;
    const label = (this.labels.get(secret) ?? 'secret').toUpperCase().replace(/[^A-Z0-9]+/g, '_');
    return `${label}_${(this.fingerprints.get(secret) ?? fingerprint(secret)).slice('sha256:'.length)}`;
  }

  /** Every variable a reproduce line of this profile may read, with its value: for running those lines (tests, or a reviewer's own script). */
  shellVariables(primaryKey: string): Record<string, string> {
    const vars: Record<string, string> = { [KEY_VARIABLE]: primaryKey };
    for (const secret of this.labels.keys()) if (!this.shellForms.has(secret)) vars[this.shellVariable(secret, primaryKey)] = secret;
    return vars;
  }

  /**
   * The text with every registered secret, as it is, replaced by the shell
   * expression that produces it: `${KEY}` for the profile's key, the
   * derivation a check registered (`${KEY}x`), else a variable named after the
   * secret. Whatever else still holds a secret form is redacted: an encoded
   * secret is not replaced by an expression that would expand to it unencoded
   * (curl.ts hands a query value to curl to encode instead).
   */
  shellPieces(text: string, primaryKey: string): readonly ShellPiece[] {
    // The same request's reproduce line is written again and again (a stability window's probes): remembered as redact() is.
    const key = `${primaryKey}\n${text}`;
    const remembered = this.pieces.get(key);
    if (remembered !== undefined) return remembered;
    const pieces = this.findPieces(text, primaryKey);
    if (text.length <= REMEMBERED_TEXT_CHARS) {
      if (this.pieces.size >= REMEMBERED_TEXTS) this.pieces.clear();
      this.pieces.set(
        ownCopy(key),
        pieces.map((p) => ('literal' in p ? { literal: ownCopy(p.literal) } : p)),
      );
    }
    return pieces;
  }

  /** shellPieces() without remembering. */
  private findPieces(text: string, primaryKey: string): readonly ShellPiece[] {
    const found: { at: number; length: number; expr: string }[] = [];
    // Too short to stand for a secret: it would match by accident (the redactor leaves it too).
    const candidates = this.secretsIn(text, primaryKey).filter((c) => c.secret.length >= UNSEARCHABLE_BELOW);
    // Longest first, so a near miss that contains the key is taken whole; the profile's key, then the order they were added in, among equals.
    candidates.sort((a, b) => b.secret.length - a.secret.length || a.order - b.order);
    const taken = (at: number, length: number) => found.some((f) => at < f.at + f.length && f.at < at + length);
    for (const { secret, starts } of candidates) {
      const expr =
        secret === primaryKey ? `\${${KEY_VARIABLE}}` : (this.shellForms.get(secret) ?? `\${${this.shellVariable(secret, primaryKey)}}`);
      // Occurrences of one secret do not overlap one another: each search resumes after the last one found.
      let next = 0;
      for (const at of starts) {
        if (at < next) continue;
        if (!taken(at, secret.length)) found.push({ at, length: secret.length, expr });
        next = at + secret.length;
      }
    }
    found.sort((a, b) => a.at - b.at);
    const pieces: ShellPiece[] = [];
    let from = 0;
    for (const f of found) {
      if (f.at > from) pieces.push({ literal: this.redact(text.slice(from, f.at)) });
      pieces.push({ expr: f.expr });
      from = f.at + f.length;
    }
    if (from < text.length) pieces.push({ literal: this.redact(text.slice(from)) });
    return pieces;
  }

  /** The secrets (the profile's key among them, registered or not) found as they are in `text`, with where each starts, in order. */
  private secretsIn(text: string, primaryKey: string): { secret: string; order: number; starts: number[] }[] {
    const bySecret = new Map<string, { secret: string; order: number; starts: number[] }>();
    const note = (secret: string, order: number, at: number) => {
      const known = bySecret.get(secret);
      if (known) known.starts.push(at);
      else bySecret.set(secret, { secret, order: secret === primaryKey ? -1 : order, starts: [at] });
    };
    for (let end = UNSEARCHABLE_BELOW; end <= text.length; end++) {
      // Endings whose keys collide share a list: startsWith below tells them apart.
      const sameEnding = this.byEnding.get(endingKey(text, end));
      if (!sameEnding) continue;
      for (const { secret, order } of sameEnding) {
        const at = end - secret.length;
        if (at >= 0 && text.startsWith(secret, at)) note(secret, order, at);
      }
    }
    // The key of a profile whose secrets were never registered (a unit test's client) is looked for plainly.
    if (!this.labels.has(primaryKey) && primaryKey.length >= UNSEARCHABLE_BELOW)
      for (let at = text.indexOf(primaryKey); at !== -1; at = text.indexOf(primaryKey, at + 1)) note(primaryKey, -1, at);
    return [...bySecret.values()];
  }

  /** True when the text holds any registered secret, as the leak scanner sees it. */
  leaks(text: string): boolean {
    return this.scanner.leaks(text);
  }
}

/**
 * The same characters in a string of their own. A remembered text may be a
 * cut of a much longer one (a body's first 2,048 characters, a piece of a
 * line) that V8 keeps whole for as long as the cut lives; a copy keeps only
 * itself (utf16le: every code unit as it is, lone surrogates included).
 */
export function ownCopy(text: string): string {
  return Buffer.from(text, 'utf16le').toString('utf16le');
}

/** Whether `raw` from `at`, folded, and `folded` from `offset` hold the same WINDOW characters (a hash hit is only a candidate). */
function sameWindow(raw: string, at: number, folded: string, offset: number): boolean {
  for (let k = 0; k < WINDOW; k++) if (foldCode(raw.charCodeAt(at + k)) !== folded.charCodeAt(offset + k)) return false;
  return true;
}

/**
 * The text without its line breaks and the indentation after them, and where
 * each character came from (`at`; undefined when nothing was removed).
 */
function withoutLineBreaks(text: string): { raw: string; at?: number[] } {
  if (!text.includes('\n') && !text.includes('\r')) return { raw: text };
  const at: number[] = [];
  const kept: string[] = [];
  let lineStart = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n' || c === '\r') lineStart = true;
    else if (!(lineStart && (c === ' ' || c === '\t'))) {
      lineStart = false;
      at.push(i);
      kept.push(c);
    }
  }
  return { raw: kept.join(''), at };
}

/** What redact() made of a text, in which generation of the registry (SecretRegistry.generation), and whether a run of it was decoded. */
interface RememberedRedaction {
  readonly redacted: string;
  generation: number;
  readonly decodes: boolean;
}

/** Where in the text a form of a secret was found; `whole` when all of the form, not a run of it. */
interface Span {
  readonly from: number;
  readonly to: number;
  readonly entry: number;
  readonly length: number;
  readonly whole: boolean;
  readonly exact: boolean;
  /** Found as the secret itself is written, not an encoding or a rewriting of it (FORM_WRITERS[AS_IT_IS]). */
  readonly asItIs: boolean;
}

/** Whether span `s` explains a text better than `than` (replaceSpans). */
function better(s: Span, than: Span): boolean {
  if (s.whole !== than.whole) return s.whole;
  if (s.exact !== than.exact) return s.exact;
  if (s.length !== than.length) return s.length > than.length;
  // `ABCDEFGH` is the secret `ABCDEFGH` before it is `ABCD-EFGH` without its dash.
  return s.asItIs && !than.asItIs;
}

/** The span that explains a text best (replaceSpans), the first found among equals; undefined when there is none. */
function bestSpan(spans: readonly Span[]): Span | undefined {
  let best: Span | undefined;
  for (const s of spans) if (!best || better(s, best)) best = s;
  return best;
}

/**
 * Overlapping spans become one, named after the secret that explains it best:
 * one found whole (a near miss sent as itself is not "part of the key"), then
 * one found letter for letter, then the longest run, then the secret as it is written.
 */
function replaceSpans(text: string, spans: Span[], replacements: readonly string[]): string {
  spans.sort((x, y) => x.from - y.from || y.to - x.to);
  let out = '';
  let pos = 0;
  let i = 0;
  while (i < spans.length) {
    let best = spans[i]!;
    const from = best.from;
    let to = best.to;
    for (i++; i < spans.length && spans[i]!.from < to; i++) {
      const s = spans[i]!;
      to = Math.max(to, s.to);
      if (better(s, best)) best = s;
    }
    const entry = best.entry;
    out += text.slice(pos, from) + replacements[entry];
    pos = to;
  }
  return out + text.slice(pos);
}
