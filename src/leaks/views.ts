// The leak scanner does not list the forms a secret could take; it undoes the
// encodings a server or a report can apply to the text it searches, and
// searches what comes out. Each function here turns a haystack into one more
// "view" of it: escapes and encodings decoded (layer upon layer), line breaks
// inside a value removed, base64 and hex runs decoded. A secret is then found
// in whatever mix of these layers it was wrapped in, which no list of forms
// could enumerate.
import { isUtf8 } from 'node:buffer';

/** Most layers of escaping undone (JSON in HTML in a URL…). */
const MAX_DECODE_ROUNDS = 4;

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

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f' };

const BACKSLASH = 92;
const AMPERSAND = 38;
const PERCENT = 37;
const SEMICOLON = 59;
const HASH = 35;

function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** How many characters from `from` (at most `most`) pass `test`. */
function countWhile(text: string, from: number, most: number, test: (c: number) => boolean): number {
  let k = 0;
  while (k < most && test(text.charCodeAt(from + k))) k++;
  return k;
}

/** Where the escape escapeAt found ends, and what it stands for. */
const lastEscape = { end: 0, decoded: '' };

/**
 * Whether an escape starts at `at` (a `\\`, `&` or `%`), read as the regular
 * expression `\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[\\/"'nrtbf])|&(?:#[xX]([0-9a-fA-F]{1,6})|#([0-9]{1,7})|([A-Za-z]{2,9}));?|((?:%[0-9a-fA-F]{2})+)`
 * reads it (alternatives tried in that order, each quantifier greedy): a
 * JSON/JS escape, an HTML/XML character reference, or a run of
 * percent-encoded bytes. If so, `lastEscape` holds its end and what it decodes to
 * (an unknown entity, or a code point out of range, decodes to itself).
 */
function escapeAt(text: string, at: number): boolean {
  const first = text.charCodeAt(at);
  const next = text.charCodeAt(at + 1);
  if (first === BACKSLASH) {
    if (next === 117 /* u */ && countWhile(text, at + 2, 4, isHexDigit) === 4) {
      lastEscape.end = at + 6;
      lastEscape.decoded = String.fromCharCode(Number.parseInt(text.slice(at + 2, at + 6), 16));
      return true;
    }
    if (next === 120 /* x */ && countWhile(text, at + 2, 2, isHexDigit) === 2) {
      lastEscape.end = at + 4;
      lastEscape.decoded = String.fromCharCode(Number.parseInt(text.slice(at + 2, at + 4), 16));
      return true;
    }
    const js = text.charAt(at + 1);
    if (js === '' || !'\\/"\'nrtbf'.includes(js)) return false;
    lastEscape.end = at + 2;
    lastEscape.decoded = SIMPLE_ESCAPES[js] ?? js;
    return true;
  }
  if (first === PERCENT) {
    let end = at;
    while (text.charCodeAt(end) === PERCENT && isHexDigit(text.charCodeAt(end + 1)) && isHexDigit(text.charCodeAt(end + 2))) end += 3;
    if (end === at) return false;
    const bytes = Buffer.from(text.slice(at, end).replace(/%/g, ''), 'hex');
    lastEscape.end = end;
    // UTF-8 where the bytes are UTF-8 (a non-ASCII secret), byte by byte otherwise.
    lastEscape.decoded = isUtf8(bytes) ? bytes.toString('utf8') : bytes.toString('latin1');
    return true;
  }
  // An ampersand: a hex reference, a decimal one, or a name; each may end with `;`.
  let digits = 0;
  let radix = 0;
  let name = 0;
  if (next === HASH) {
    const x = text.charCodeAt(at + 2);
    if (x === 120 || x === 88) digits = countWhile(text, at + 3, 6, isHexDigit);
    if (digits > 0) radix = 16;
    else {
      digits = countWhile(text, at + 2, 7, isDigit);
      if (digits > 0) radix = 10;
    }
  } else name = countWhile(text, at + 1, 9, isLetter);
  if (radix === 0 && name < 2) return false;
  // The digits or the name: after `&#x`, `&#` or `&`.
  const from = radix === 16 ? at + 3 : radix === 10 ? at + 2 : at + 1;
  const to = from + (radix === 0 ? name : digits);
  const end = text.charCodeAt(to) === SEMICOLON ? to + 1 : to;
  const whole = text.slice(at, end);
  lastEscape.end = end;
  if (radix === 0) lastEscape.decoded = NAMED_ENTITIES[text.slice(from, to).toLowerCase()] ?? whole;
  else {
    const code = Number.parseInt(text.slice(from, to), radix);
    lastEscape.decoded = code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  }
  return true;
}

/**
 * Every escape of every kind undone once, left to right, each read where the
 * last one ended (escapeAt). A plain loop from one `\\`, `&` or `%` to the
 * next (issue #15): a regular expression's replace with a function made a
 * match and a call per escape, and a report's JSON holds one every ~75
 * characters (`\"`); this finds them with indexOf and copies the text
 * between as it is. test/leaks/scanner-before-s13.ts holds the regular
 * expression this replaced; scanner-equivalence.test.ts finds the same with both on random text.
 */
function decodeOnce(text: string): string {
  let out = '';
  let copied = 0;
  let backslash = text.indexOf('\\');
  let ampersand = text.indexOf('&');
  let percent = text.indexOf('%');
  for (;;) {
    let at = backslash;
    if (at < 0 || (ampersand >= 0 && ampersand < at)) at = ampersand;
    if (at < 0 || (percent >= 0 && percent < at)) at = percent;
    if (at < 0) break;
    if (!escapeAt(text, at)) {
      // Nothing starts here: look for this character's next occurrence.
      const c = text.charCodeAt(at);
      if (c === BACKSLASH) backslash = text.indexOf('\\', at + 1);
      else if (c === AMPERSAND) ampersand = text.indexOf('&', at + 1);
      else percent = text.indexOf('%', at + 1);
      continue;
    }
    const end = lastEscape.end;
    out += text.slice(copied, at) + lastEscape.decoded;
    copied = end;
    if (backslash >= 0 && backslash < end) backslash = text.indexOf('\\', end);
    if (ampersand >= 0 && ampersand < end) ampersand = text.indexOf('&', end);
    if (percent >= 0 && percent < end) percent = text.indexOf('%', end);
  }
  return copied === 0 ? text : out + text.slice(copied);
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

const HEX_RUN = /[0-9a-fA-F]{16,}/g;

/** Decoded chunks are joined with this: no secret holds it, so no match spans two chunks. */
export const CHUNK_SEPARATOR = '\u0000';

const SEXTET = new Int8Array(128).fill(-1);
for (const [i, c] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].entries()) SEXTET[c.charCodeAt(0)] = i;
SEXTET['-'.charCodeAt(0)] = 62;
SEXTET['_'.charCodeAt(0)] = 63;

/**
 * Whether the four base64 characters at `i` could encode three printable
 * ASCII bytes (0x20–0x7e): the first character then encodes 8–31, the second
 * a value whose low four bits are 2–7, the third one whose low two bits are
 * 0 or 1. Words and identifiers rarely look like that; an encoded secret
 * always does.
 */
function printableGroup(run: string, i: number): boolean {
  const a = SEXTET[run.charCodeAt(i)]!;
  const b = SEXTET[run.charCodeAt(i + 1)]! & 15;
  const c = SEXTET[run.charCodeAt(i + 2)]! & 3;
  return a >= 8 && a <= 31 && b >= 2 && b <= 7 && c <= 1;
}

/** Stretches of a run that can encode printable ASCII, from each of the four starting points, decoded. */
function decodeBase64Run(run: string, anyBytes: boolean, chunks: string[]): void {
  for (let start = 0; start < 4; start++) {
    if (anyBytes) {
      pushDecoded(Buffer.from(run.slice(start), 'base64'), chunks);
      continue;
    }
    // Three groups in a row (9 bytes) or more, with a group of margin either side for the bytes the secret shares with its neighbours.
    let from = -1;
    for (let i = start; ; i += 4) {
      const good = i + 4 <= run.length && printableGroup(run, i);
      if (good && from < 0) from = i;
      if (good) continue;
      if (from >= 0 && i - from >= 12) pushDecoded(Buffer.from(run.slice(Math.max(start, from - 4), i + 4), 'base64'), chunks);
      from = -1;
      if (i + 4 > run.length) break;
    }
  }
}

function pushDecoded(bytes: Buffer, chunks: string[]): void {
  chunks.push(bytes.toString('latin1'));
  if (!isAscii(bytes) && isUtf8(bytes)) chunks.push(bytes.toString('utf8'));
}

/**
 * Three printableGroup()s in a row, at any offset: the least a run must hold
 * for decodeBase64Run to decode a stretch of it when only ASCII secrets are
 * searched (first character a sextet of 8–31, the second one whose low four
 * bits are 2–7, the third one whose low two bits are 0 or 1, the fourth any).
 * Most chunks of a report hold none (issue #15): the regex, run natively,
 * spares them the loop over every character. test/leaks/view-prefilters.test.ts
 * holds the views as they were before it, and finds the same in random text.
 */
const PRINTABLE_GROUPS = /(?:[I-Za-f][C-HS-Xi-ny-z0-3][ABEFIJMNQRUVYZcdghklopstwx014589][A-Za-z0-9+/_-]){3}/;
/**
 * A base64 group that encodes a zero byte, a printable ASCII byte and a zero
 * byte: the least a run must hold for decodeUtf16Run to find eight printable
 * UTF-16 characters in it (either byte order) when only ASCII secrets are
 * searched. Those are at least 15 bytes alternating zero and printable, so
 * four whole groups of three bytes, every other one of them zero-printable-zero.
 */
const PRINTABLE_UTF16_GROUP = /A[C-H][AEIMQUYcgkosw048]A/;

/**
 * Every base64 or base64url run of the text, decoded from each of its four
 * possible starting points (a run may begin with characters that are not part
 * of the encoded value). With only ASCII secrets to find (`anyBytes` false)
 * only the stretches that can encode printable ASCII are decoded: the rest
 * cannot hold such a secret.
 */
export function base64Decoded(text: string, anyBytes = false): string {
  return base64Views(text, anyBytes).base64;
}

/**
 * The base64 view (base64Decoded) and, from the same runs, the UTF-16 text
 * (either byte order) some of them encode: their printable ASCII stretches, or
 * all of it with a non-ASCII secret to find. Only runs where 'A' (a zero
 * sextet) is frequent are read as UTF-16: every ASCII character there has a
 * zero byte, which puts two 'A's in every eight base64 characters.
 */
export function base64Views(text: string, anyBytes = false): { base64: string; utf16: string } {
  if (!anyBytes && !PRINTABLE_GROUPS.test(text) && !PRINTABLE_UTF16_GROUP.test(text)) return { base64: '', utf16: '' };
  const chunks: string[] = [];
  const utf16: string[] = [];
  // A plain loop over the characters: a regex over megabytes of report makes a match object per word.
  let from = 0;
  let zeroSextets = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0;
    if (c < 128 && SEXTET[c]! >= 0) {
      if (c === 65) zeroSextets++;
      continue;
    }
    if (i - from >= 12) decodeBase64Run(text.slice(from, i), anyBytes, chunks);
    if (i - from >= 16 && zeroSextets * 5 >= i - from) decodeUtf16Run(text.slice(from, i), anyBytes, utf16);
    from = i + 1;
    zeroSextets = 0;
  }
  return { base64: chunks.join(CHUNK_SEPARATOR), utf16: utf16.join(CHUNK_SEPARATOR) };
}

/** A zero byte after the last: big-endian text reads as little-endian from byte 1, up to its last character. */
const ZERO_BYTE = Buffer.alloc(1);

function decodeUtf16Run(run: string, anyBytes: boolean, chunks: string[]): void {
  for (let start = 0; start < 4; start++) {
    const bytes = Buffer.concat([Buffer.from(run.slice(start), 'base64'), ZERO_BYTE]);
    for (const odd of [0, 1]) {
      const decoded = bytes.subarray(odd).toString('utf16le');
      if (anyBytes) chunks.push(decoded);
      else chunks.push(...(decoded.match(/[\x20-\x7e]{8,}/g) ?? []));
    }
  }
}

/** A character of a group of a spelled-out secret (GROUP) or of what joins the groups (SEPARATOR). */
const GROUP = 1;
const SEPARATOR = 2;
const SPELLING = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') SPELLING[c.charCodeAt(0)] = GROUP;
for (const c of ' .,:_-\t') SPELLING[c.charCodeAt(0)] = SEPARATOR;
/** A no-break space (U+00A0), as a page that keeps a key's groups on one line joins them; read byte by byte (Latin-1), its UTF-8 is `Â` then U+00A0. */
const NO_BREAK_SPACE = 0xa0;
const NO_BREAK_SPACE_LEAD = 0xc2;
/** A spelled-out secret's groups have at most this many characters, its separators at most MAX_SEPARATORS (`, _, `). */
const MAX_GROUP = 4;
const MAX_SEPARATORS = 5;
/** Fewer characters than this once compacted cannot hold a run of a secret that counts (SHORT_SECRET_FLOOR). */
export const SHORTEST_COMPACTED = 8;

/** The text without the characters that join a spelled-out secret's groups. */
export function withoutSeparators(text: string): string {
  return text.replace(/[ .,:_\t\u00a0\u00c2-]/g, '');
}

/**
 * A secret spelled out: single characters or short groups joined by
 * separators (`k p _ l i v e`, `kp_l-ive_-abcd`, `k.p.l`, `k:p`, `k, p`, a
 * tab, a no-break space).
 * Every run of groups of at most MAX_GROUP characters ([A-Za-z0-9+/]) joined
 * by at most MAX_SEPARATORS separators is kept, without its separators: the
 * scanner looks there for the secret without its own separators. Prose with
 * short words and dates make such runs too, but the view stays a few percent
 * of the text. A plain loop, as in base64Views: a regex costs several times more.
 */
export function separatorsRemoved(text: string): string {
  const chunks: string[] = [];
  let start = -1; // where the current run began, -1 outside one
  let end = -1; // where its last group ended
  let endBefore = -1; // where the group before the one being read ended
  let group = 0; // characters in the group being read
  let separators = 0; // separators since the last group
  let longWord = false; // inside a word too long to be a group: no run until it ends
  let kept = 0; // the run's characters that are not separators
  const close = () => {
    if (start >= 0 && kept >= SHORTEST_COMPACTED) chunks.push(withoutSeparators(text.slice(start, end)));
    start = -1;
    kept = 0;
  };
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0;
    const kind = c < 128 ? SPELLING[c]! : c === NO_BREAK_SPACE || c === NO_BREAK_SPACE_LEAD ? SEPARATOR : 0;
    if (kind === GROUP) {
      if (longWord) continue;
      if (group === 0) endBefore = end;
      if (++group > MAX_GROUP) {
        // The run ends with the group before this word.
        end = endBefore;
        kept -= MAX_GROUP;
        close();
        longWord = true;
        continue;
      }
      if (start < 0) start = i;
      separators = 0;
      kept++;
      end = i + 1;
      continue;
    }
    group = 0;
    longWord = false;
    if (kind === SEPARATOR && start >= 0 && ++separators <= MAX_SEPARATORS) continue;
    close();
  }
  return chunks.join(CHUNK_SEPARATOR);
}

/** A character of a group of a key printed in longer groups (its own `_` stays in its group: LONG_GROUP), or of what joins them (LONG_SEPARATOR). */
const LONG_GROUP = 1;
const LONG_SEPARATOR = 2;
const IN_LONG_GROUPS = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_') IN_LONG_GROUPS[c.charCodeAt(0)] = LONG_GROUP;
for (const c of ' .,:-\t\u00a0') IN_LONG_GROUPS[c.charCodeAt(0)] = LONG_SEPARATOR;
/** Groups of up to MAX_GROUP characters are separatorsRemoved's; a group of 12 or more holds a run that counts as it is. */
const MIN_LONG_GROUP = MAX_GROUP + 1;
const MAX_LONG_GROUP = 11;
/** At least this many groups: two words of one length are common in prose, and a key of 12+ characters in groups of 5+ makes three. */
const MIN_LONG_GROUPS = 3;
/**
 * At most this many (a key of 264 characters in groups of 11): a longer run is
 * text made of words of one length (`lorem ipsum dolor …`, a column of
 * fixed-width codes), and kept whole it would make the view as long as the text.
 */
const MAX_LONG_GROUPS = 24;

/**
 * A secret printed in longer groups, as licence keys and recovery codes are
 * (`kp_li-ve_Q8-fTz3L-…`, `kp_live_ Q8fTz3Lm Wc1Rv9Xy …`): runs of groups of
 * one length from MIN_LONG_GROUP to MAX_LONG_GROUP, joined by one separator
 * character, the same throughout, the last group no longer than the others,
 * kept without the separators. Words of prose seldom share a length three
 * times running, so the view stays small. A plain loop with no calls in it,
 * as separatorsRemoved: it reads every character of every text scanned.
 */
export function longGroupsJoined(text: string): string {
  const chunks: string[] = [];
  const n = text.length;
  // The run being read: where it starts, its groups' size and separator, how many groups so far (0: none).
  let from = 0;
  let size = 0;
  let separator = -1;
  let groups = 0;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c > 255 || IN_LONG_GROUPS[c] !== LONG_GROUP) {
      i++;
      continue;
    }
    const start = i;
    while (i < n) {
      const d = text.charCodeAt(i);
      if (d > 255 || IN_LONG_GROUPS[d] !== LONG_GROUP) break;
      i++;
    }
    const length = i - start;
    // The group goes on to another only through one separator character followed by a group character.
    let next = -1;
    if (i + 1 < n) {
      const d = text.charCodeAt(i);
      const e = text.charCodeAt(i + 1);
      if (d <= 255 && IN_LONG_GROUPS[d] === LONG_SEPARATOR && e <= 255 && IN_LONG_GROUPS[e] === LONG_GROUP) next = d;
    }
    if (groups > 0 && length === size && next === separator) {
      groups++;
      continue;
    }
    if (groups > 0 && length <= size && groups + 1 >= MIN_LONG_GROUPS) {
      // The last group: it may be shorter than the others.
      if (groups < MAX_LONG_GROUPS) chunks.push(text.slice(from, i).replaceAll(String.fromCharCode(separator), ''));
      groups = 0;
      continue;
    }
    // Too few groups, or a longer one: the run (if long enough) ends before this group, which may start the next.
    if (groups >= MIN_LONG_GROUPS && groups <= MAX_LONG_GROUPS)
      chunks.push(text.slice(from, start - 1).replaceAll(String.fromCharCode(separator), ''));
    groups = 0;
    if (length >= MIN_LONG_GROUP && length <= MAX_LONG_GROUP && next >= 0) {
      from = start;
      size = length;
      separator = next;
      groups = 1;
    }
  }
  if (groups >= MIN_LONG_GROUPS && groups <= MAX_LONG_GROUPS) chunks.push(text.slice(from).replaceAll(String.fromCharCode(separator), ''));
  return chunks.join(CHUNK_SEPARATOR);
}

/**
 * The runs a quoted-printable soft line break (`=` at a line's end, which
 * the decoder removes with the line break: RFC 2045 §6.7) cut, joined again
 * and decoded (decodeLayers): a value a mail or multipart dump wrapped at 76
 * columns reads whole again. Only those runs (non-space characters either
 * side of each break), not the whole text: keyprobe's own reports end many
 * lines with `=` (`?api_key=`), and a second copy of each would cost a whole view.
 */
export function softLineBreaksJoined(text: string): string {
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

/** Runs of C-style octal escapes (`\153\160`) and of quoted-printable bytes (`=6B=70`), four or more. */
const BYTE_ESCAPES = /(?:\\[0-7]{1,3}){4,}|(?:=[0-9A-Fa-f]{2}){4,}/g;

/** Every run of octal escapes or quoted-printable bytes, decoded (escapes of other kinds are undone by decodeLayers). */
export function byteEscapesDecoded(text: string): string {
  const chunks: string[] = [];
  for (const [run] of text.matchAll(BYTE_ESCAPES)) {
    const octal = run.startsWith('\\');
    const codes = run
      .split(octal ? '\\' : '=')
      .slice(1)
      .map((code) => Number.parseInt(code, octal ? 8 : 16) & 0xff);
    pushDecoded(Buffer.from(codes), chunks);
  }
  return chunks.join(CHUNK_SEPARATOR);
}

/**
 * Eight bytes of printable ASCII in hex (each byte's first digit 2–7): the
 * least a run of hex digits must hold for hexDecoded to decode a stretch of it
 * when only ASCII secrets are searched. Few chunks of a report hold one; a
 * native regex rules the others out at a fraction of the cost of finding every
 * run of hex digits.
 */
const PRINTABLE_HEX = /(?:[2-7][0-9a-fA-F]){8}/;

/**
 * Every run of hex digits, decoded from both possible starting points. With
 * only ASCII secrets, only stretches whose every byte starts with a nibble of
 * 2–7 (printable ASCII) are decoded.
 */
export function hexDecoded(text: string, anyBytes = false): string {
  if (!anyBytes && !PRINTABLE_HEX.test(text)) return '';
  const chunks: string[] = [];
  for (const [run] of text.matchAll(HEX_RUN)) {
    for (let start = 0; start < 2; start++) {
      if (anyBytes) {
        pushDecoded(Buffer.from(run.slice(start, start + ((run.length - start) & ~1)), 'hex'), chunks);
        continue;
      }
      let from = -1;
      for (let i = start; ; i += 2) {
        const c = i + 2 <= run.length ? run.charCodeAt(i) : 0;
        const good = c >= 0x32 && c <= 0x37;
        if (good && from < 0) from = i;
        if (good) continue;
        if (from >= 0 && i - from >= 16) pushDecoded(Buffer.from(run.slice(from, i), 'hex'), chunks);
        from = -1;
        if (i + 2 > run.length) break;
      }
    }
  }
  return chunks.join(CHUNK_SEPARATOR);
}

function isAscii(bytes: Buffer): boolean {
  for (const b of bytes) if (b > 0x7f) return false;
  return true;
}
