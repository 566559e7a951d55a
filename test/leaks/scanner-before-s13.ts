// The leak scanner's search as it was before session 13 made it faster
// (src/leaks/scanner.ts and views.ts at b538c6e, issue #15): the rolling hash
// folding each character twice, and decodeOnce a regular expression's
// replace. Kept only as the reference test/leaks/scanner-equivalence.test.ts
// compares the scanner with: it must find exactly what this finds, in the
// same order and forms, on any text. Only what changed is copied; the views
// and the window index that did not change are imported. Not used by keyprobe itself.
import { isUtf8 } from 'node:buffer';
import { fingerprint, sha256Hex } from '../../src/fingerprint.js';
import type { LeakFinding } from '../../src/leaks/scanner.js';
import {
  base64Decoded,
  base64Views,
  byteEscapesDecoded,
  hexDecoded,
  longGroupsJoined,
  SHORTEST_COMPACTED,
  separatorsRemoved,
  withoutSeparators,
} from '../../src/leaks/views.js';
import { WindowIndex } from '../../src/leaks/window-index.js';
import { leakFragmentLength, UNSEARCHABLE_BELOW } from '../../src/secret-policy.js';

const MAX_DECODE_ROUNDS = 4;
const CHUNK_SEPARATOR = '\u0000';

/** HTML/XML character references that stand for ASCII characters (names are matched case-insensitively). */
const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  sol: '/',
  bsol: '\\',
  excl: '!',
  lpar: '(',
  rpar: ')',
  ast: '*',
  midast: '*',
  plus: '+',
  equals: '=',
  num: '#',
  dollar: '$',
  percnt: '%',
  comma: ',',
  period: '.',
  colon: ':',
  semi: ';',
  quest: '?',
  commat: '@',
  lsqb: '[',
  lbrack: '[',
  rsqb: ']',
  rbrack: ']',
  hat: '^',
  lowbar: '_',
  underbar: '_',
  grave: '`',
  lcub: '{',
  lbrace: '{',
  rcub: '}',
  rbrace: '}',
  verbar: '|',
  vert: '|',
  vertbar: '|',
  tilde: '~',
  tab: '\t',
  newline: '\n',
  nbsp: ' ',
};

/** One pass finds every escape of every kind: a JSON/JS escape, an HTML/XML character reference, or a run of percent-encoded bytes. */
const ESCAPE =
  /\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[\\/"'nrtbf])|&(?:#[xX]([0-9a-fA-F]{1,6})|#([0-9]{1,7})|([A-Za-z]{2,9}));?|((?:%[0-9a-fA-F]{2})+)/g;

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f' };

function decodeOnce(text: string): string {
  return text.replace(
    ESCAPE,
    (
      whole,
      js: string | undefined,
      hex: string | undefined,
      dec: string | undefined,
      name: string | undefined,
      pct: string | undefined,
    ) => {
      if (js !== undefined) {
        if (js[0] === 'u' || js[0] === 'x') return String.fromCharCode(Number.parseInt(js.slice(1), 16));
        return SIMPLE_ESCAPES[js] ?? js;
      }
      if (pct !== undefined) {
        const bytes = Buffer.from(pct.replace(/%/g, ''), 'hex');
        // UTF-8 where the bytes are UTF-8 (a non-ASCII secret), byte by byte otherwise.
        return isUtf8(bytes) ? bytes.toString('utf8') : bytes.toString('latin1');
      }
      if (name !== undefined) return NAMED_ENTITIES[name.toLowerCase()] ?? whole;
      const code = Number.parseInt(hex ?? dec ?? '', hex !== undefined ? 16 : 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    },
  );
}

/**
 * The text with every layer of JSON/JavaScript escapes (`\u002F`, `\/`),
 * HTML/XML character references (named, decimal, hex) and percent-encoding
 * (any case, doubly encoded…) undone, and line breaks (with the indentation
 * after them) removed, so a value split over two lines reads as one.
 * `plusIsSpace` also reads `+` as a space, as form encoding writes it.
 */
export function decodeLayers(text: string, plusIsSpace = false): string {
  let out = plusIsSpace ? text.replace(/\+/g, ' ') : text;
  for (let round = 0; round < MAX_DECODE_ROUNDS; round++) {
    const next = decodeOnce(out);
    if (next === out) break;
    out = next;
  }
  return out.replace(/[\r\n]+[ \t]*/g, '');
}

/**
 * The runs a quoted-printable soft line break (`=` at a line's end, which
 * the decoder removes with the line break: RFC 2045 §6.7) cut, joined again
 * and decoded (decodeLayers): a value a mail or multipart dump wrapped at 76
 * columns reads whole again. Only those runs (non-space characters either
 * side of each break), not the whole text: keyprobe's own reports end many
 * lines with `=` (`?api_key=`), and a second copy of each would cost a whole view.
 */
function softLineBreaksJoined(text: string): string {
  const chunks: string[] = [];
  let at = text.indexOf('=\n');
  let atCrLf = text.indexOf('=\r\n');
  if (at < 0 && atCrLf < 0) return '';
  const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11;
  let searchedTo = 0;
  for (;;) {
    const brk = at < 0 ? atCrLf : atCrLf < 0 ? at : Math.min(at, atCrLf);
    if (brk < 0) break;
    // The run: back to the space before the break's line part, on past every break that follows directly.
    let start = brk;
    while (start > searchedTo && !isSpace(text.charCodeAt(start - 1))) start--;
    let end = brk;
    for (;;) {
      end += text.startsWith('=\r\n', end) ? 3 : 2;
      while (end < text.length && !isSpace(text.charCodeAt(end)) && !(text.charCodeAt(end) === 61 && isBreakAfter(text, end + 1))) end++;
      if (!(end < text.length && text.charCodeAt(end) === 61 && isBreakAfter(text, end + 1))) break;
    }
    chunks.push(decodeLayers(text.slice(start, end).replace(/=\r?\n/g, '')));
    searchedTo = end;
    if (at >= 0 && at < end) at = text.indexOf('=\n', end);
    if (atCrLf >= 0 && atCrLf < end) atCrLf = text.indexOf('=\r\n', end);
  }
  return chunks.join(CHUNK_SEPARATOR);
}

/** Whether a line break (LF or CRLF) starts at `at`. */
function isBreakAfter(text: string, at: number): boolean {
  const c = text.charCodeAt(at);
  return c === 10 || (c === 13 && text.charCodeAt(at + 1) === 10);
}

/** Candidate matches are looked up by windows of this many characters: the shortest fragment that can count. */
const WINDOW = 8;
const BASE = 0x01000193;
const WINDOW_POWER = (() => {
  let p = 1;
  for (let i = 1; i < WINDOW; i++) p = Math.imul(p, BASE);
  return p;
})();
/** Windows are indexed at offsets below this in a pattern (a secret of a million characters is searched by its first million). */
const OFFSETS = 1 << 20;
const BLOOM_BITS = 24;
/** `compacted`: the secret without its separators (`_`, `-`…), looked for only where the text spelled something out (SPELLED_OUT_VIEW). */
type Kind = 'secret' | 'reversed' | 'rot13' | 'compacted' | 'sha256';

interface Pattern {
  /** Case-folded (ASCII) text. */
  readonly folded: string;
  /** As registered (or reversed), to tell a case change. */
  readonly exact: string;
  readonly secret: number;
  readonly kind: Kind;
  /** Only the whole pattern counts (a hash); otherwise any run of at least `min` characters. */
  readonly min: number;
}

interface Known {
  readonly secret: string;
  readonly fingerprint: string;
  readonly label: string;
  readonly length: number;
}

const VIEW_LABELS = [
  'as is',
  'decoded from escapes or encodings (JSON, HTML, XML, URL), or split across lines',
  'decoded from URL form encoding',
  'base64',
  'hex',
  'base64 of base64',
  'base64 of UTF-16 text',
  'spelled out with separators (spaces, dashes, dots, colons, underscores, commas)',
  'decoded from octal escapes or quoted-printable',
  'in groups of 5 to 11 characters joined by one separator',
  'joined at quoted-printable soft line breaks',
  'joined at quoted-printable soft line breaks and decoded',
] as const;
/** Views that hold the text's own characters again (decoded, or joined across line breaks): a secret found whole as is is not found there a second time. */
const REREADS_THE_TEXT = new Set([1, 2, VIEW_LABELS.indexOf('joined at quoted-printable soft line breaks')]);
const SPELLED_OUT_VIEW = VIEW_LABELS.indexOf('spelled out with separators (spaces, dashes, dots, colons, underscores, commas)');

function fold(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

function rot13(s: string): string {
  return s.replace(/[A-Za-z]/g, (c) => {
    const base = c <= 'Z' ? 65 : 97;
    return String.fromCharCode(((c.charCodeAt(0) - base + 13) % 26) + base);
  });
}

function foldText(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

export class LeakScannerBefore {
  private readonly known: Known[] = [];
  private readonly values = new Set<string>();
  private readonly patterns: Pattern[] = [];
  /** Patterns shorter than a window, found by a plain search instead. */
  private readonly shortPatterns: number[] = [];
  /** The hash of indexed windows → the pattern and offset they are at. */
  private readonly buckets = new WindowIndex();
  private readonly bloom = new Uint32Array(1 << (BLOOM_BITS - 3));
  private anySpace = false;
  private anyNonAscii = false;

  constructor(secrets: Iterable<string> = []) {
    for (const s of secrets) this.add(s);
  }

  /** Starts looking for a secret (and its sha256 hex). Secrets shorter than 4 characters cannot be told from text and are not searched. */
  add(secret: string, label = 'secret'): void {
    this.learn(secret, label);
  }

  private learn(secret: string, label: string): void {
    if (!secret || this.values.has(secret) || secret.length < UNSEARCHABLE_BELOW) return;
    this.values.add(secret);
    const index = this.known.length;
    this.known.push({ secret, fingerprint: fingerprint(secret), label, length: secret.length });
    if (/ /.test(secret)) this.anySpace = true;
    if (/[^\x00-\x7f]/.test(secret)) this.anyNonAscii = true;
    const min = leakFragmentLength(secret.length);
    const reversed = [...secret].reverse().join('');
    this.addPattern({ folded: foldText(secret), exact: secret, secret: index, kind: 'secret', min });
    if (reversed !== secret) this.addPattern({ folded: foldText(reversed), exact: reversed, secret: index, kind: 'reversed', min });
    // A rot13 echo is one more pattern (like the reversed one), not one more view of every text.
    const rotated = rot13(secret);
    if (rotated !== secret) this.addPattern({ folded: foldText(rotated), exact: rotated, secret: index, kind: 'rot13', min });
    const compacted = withoutSeparators(secret);
    if (compacted !== secret && compacted.length >= SHORTEST_COMPACTED)
      this.addPattern({
        folded: foldText(compacted),
        exact: compacted,
        secret: index,
        kind: 'compacted',
        min: leakFragmentLength(compacted.length),
      });
    const hash = sha256Hex(secret);
    this.addPattern({ folded: hash, exact: hash, secret: index, kind: 'sha256', min: hash.length });
  }

  private addPattern(p: Pattern): void {
    const id = this.patterns.length;
    this.patterns.push(p);
    if (p.folded.length < WINDOW) {
      this.shortPatterns.push(id);
      return;
    }
    // Every run of `min` characters holds a window starting at one of
    // step-1, 2·step-1, … (step = min - WINDOW + 1): those windows are enough
    // to find it. Not starting at 0 keeps keys that share a prefix (kp_prod_)
    // out of each other's windows; a pattern that counts only whole (a hash)
    // is looked up by its last window.
    const whole = p.min >= p.folded.length;
    const step = p.min - WINDOW + 1;
    const first = whole ? p.folded.length - WINDOW : step - 1;
    const last = Math.min(p.folded.length - WINDOW, OFFSETS - 1);
    for (let offset = first; offset <= last; offset += whole ? OFFSETS : step) {
      let h = 0;
      for (let k = 0; k < WINDOW; k++) h = (Math.imul(h, BASE) + p.folded.charCodeAt(offset + k)) | 0;
      this.buckets.add(h, id, offset);
      const bit = h >>> (32 - BLOOM_BITS);
      this.bloom[bit >>> 5]! |= 1 << (bit & 31);
    }
  }

  /** True when the text holds any secret in any form. */
  leaks(text: string): boolean {
    return this.search(text, true).length > 0;
  }

  /** Every secret the text holds, once per secret, form and view. */
  find(text: string): LeakFinding[] {
    return this.search(text, false);
  }

  private search(text: string, firstOnly: boolean): LeakFinding[] {
    const out: LeakFinding[] = [];
    if (this.known.length === 0 || text.length === 0) return out;
    const seen = new Set<string>();
    // Each view is made only when the ones before it found nothing to stop at.
    let decoded: string | undefined;
    const decodedView = () => (decoded ??= decodeLayers(text));
    let base64: { base64: string; utf16: string } | undefined;
    const base64View = () => (base64 ??= base64Views(decodedView(), this.anyNonAscii));
    // decodeLayers joins lines but leaves a soft line break's `=`: the runs it cut, joined.
    let softJoined: string | undefined;
    const softJoinedView = () => (softJoined ??= softLineBreaksJoined(text));
    const views: (() => string)[] = [
      () => text,
      () => (decodedView() === text ? '' : decodedView()),
      () => {
        const form = this.anySpace && text.includes('+') ? decodeLayers(text, true) : '';
        return form === decodedView() ? '' : form;
      },
      // Base64 and hex runs are decoded from the decoded view: escapes undone, line breaks (MIME, PEM) removed.
      () => base64View().base64,
      () => hexDecoded(decodedView(), this.anyNonAscii),
      // Small views made only of candidate runs: each layer or spelling the redactor might miss, at little cost.
      () => base64Decoded(base64View().base64, this.anyNonAscii),
      () => base64View().utf16,
      () => separatorsRemoved(decodedView()),
      () => byteEscapesDecoded(decodedView()),
      // Added after a red-team review's leftovers (2026-11-30): longer groups, and quoted-printable wrapped at 76 columns.
      () => longGroupsJoined(decodedView()),
      () => softJoinedView(),
      () => (softJoinedView() ? byteEscapesDecoded(softJoinedView()) : ''),
    ];
    for (let v = 0; v < views.length; v++) {
      const view = views[v]!();
      if (view) this.searchView(view, v, out, seen, firstOnly);
      if (firstOnly && out.length > 0) break;
    }
    return out;
  }

  /** A secret without its separators is only a finding where the text spelled something out; elsewhere the secret's own pattern finds it. */
  private countsIn(pattern: number, view: number): boolean {
    return this.patterns[pattern]!.kind !== 'compacted' || view === SPELLED_OUT_VIEW;
  }

  private searchView(view: string, v: number, out: LeakFinding[], seen: Set<string>, firstOnly: boolean): void {
    const n = view.length;
    // Where the last match of each pattern ended, so one occurrence is not found again window by window.
    const matchedUntil = new Map<number, number>();
    const record = (id: number, start: number, end: number, from: number) => {
      const p = this.patterns[id]!;
      const known = this.known[p.secret]!;
      const length = end - start;
      const whole = length === p.folded.length;
      const caseChanged = view.slice(start, end) !== p.exact.slice(from, from + length);
      const form = [
        p.kind === 'sha256' ? `its sha256 hex${v === 0 ? '' : `, ${VIEW_LABELS[v]}`}` : VIEW_LABELS[v],
        ...(p.kind === 'reversed' || p.kind === 'rot13' ? [p.kind] : []),
        ...(caseChanged && p.kind !== 'sha256' ? ['in other letter case'] : []),
        ...(whole || p.kind === 'sha256' ? [] : [`${length} of ${known.length} characters`]),
      ].join(', ');
      const key = `${p.secret}\n${form}`;
      // The decoded views re-read the same text: a secret already found whole as is need not be found there again.
      if (seen.has(key) || (REREADS_THE_TEXT.has(v) && seen.has(`${p.secret}\n${p.kind}\nwhole as is`))) return;
      seen.add(key);
      if (v === 0 && whole) seen.add(`${p.secret}\n${p.kind}\nwhole as is`);
      out.push({ fingerprint: known.fingerprint, label: known.label, form, whole, view: v, start, end });
    };

    if (this.shortPatterns.length > 0) {
      const folded = foldText(view);
      for (const id of this.shortPatterns) {
        if (!this.countsIn(id, v)) continue;
        const at = folded.indexOf(this.patterns[id]!.folded);
        if (at >= 0) record(id, at, at + this.patterns[id]!.folded.length, 0);
        if (firstOnly && out.length > 0) return;
      }
    }
    if (n < WINDOW) return;

    // The hot loop: a rolling hash of the last WINDOW case-folded characters,
    // a bit test, and only on a hit a map lookup. Fields in locals for speed.
    const bloom = this.bloom;
    const buckets = this.buckets;
    let h = 0;
    for (let i = 0; i < WINDOW - 1; i++) h = (Math.imul(h, BASE) + fold(view.charCodeAt(i))) | 0;
    for (let i = WINDOW - 1; i < n; i++) {
      h = (Math.imul(h, BASE) + fold(view.charCodeAt(i))) | 0;
      const bit = h >>> (32 - BLOOM_BITS);
      const hit = (bloom[bit >>> 5]! & (1 << (bit & 31))) !== 0;
      const hash = h;
      // Drop the character leaving the window, ready for the next one.
      h = (h - Math.imul(fold(view.charCodeAt(i - WINDOW + 1)), WINDOW_POWER)) | 0;
      if (!hit) continue;
      const start = i - WINDOW + 1;
      for (let found = buckets.first(hash); found >= 0; found = buckets.next(found)) {
        const id = buckets.item(found);
        if ((matchedUntil.get(id) ?? -1) > start || !this.countsIn(id, v)) continue;
        const offset = buckets.offset(found);
        const p = this.patterns[id]!;
        const text = p.folded;
        let k = 0;
        while (k < WINDOW && fold(view.charCodeAt(start + k)) === text.charCodeAt(offset + k)) k++;
        if (k < WINDOW) continue;
        // Grow the match both ways as far as the text keeps following the pattern.
        let a = start;
        let b = offset;
        while (a > 0 && b > 0 && fold(view.charCodeAt(a - 1)) === text.charCodeAt(b - 1)) {
          a--;
          b--;
        }
        let e = start + WINDOW;
        let f = offset + WINDOW;
        while (e < n && f < text.length && fold(view.charCodeAt(e)) === text.charCodeAt(f)) {
          e++;
          f++;
        }
        const counts = p.min >= text.length ? b === 0 && f === text.length : e - a >= p.min;
        if (!counts) continue;
        matchedUntil.set(id, e);
        record(id, a, e, b);
        if (firstOnly) return;
      }
    }
  }
}
