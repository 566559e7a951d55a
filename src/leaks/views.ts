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

const JSON_ESCAPE = /\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[\\/"'nrtbf])/g;
const ENTITY = /&(?:#[xX]([0-9a-fA-F]{1,6})|#([0-9]{1,7})|([A-Za-z]{2,9}));?/g;
const PERCENT_RUN = /(?:%[0-9a-fA-F]{2})+/g;

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f' };

function unescapeJson(text: string): string {
  if (!text.includes('\\')) return text;
  return text.replace(JSON_ESCAPE, (_whole, e: string) => {
    if (e[0] === 'u' || e[0] === 'x') return String.fromCharCode(Number.parseInt(e.slice(1), 16));
    return SIMPLE_ESCAPES[e] ?? e;
  });
}

function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(ENTITY, (whole, hex: string | undefined, dec: string | undefined, name: string | undefined) => {
    if (name !== undefined) return NAMED_ENTITIES[name.toLowerCase()] ?? whole;
    const code = Number.parseInt(hex ?? dec ?? '', hex !== undefined ? 16 : 10);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

function decodePercent(text: string, plusIsSpace: boolean): string {
  const spaced = plusIsSpace ? text.replace(/\+/g, ' ') : text;
  if (!spaced.includes('%')) return spaced;
  return spaced.replace(PERCENT_RUN, (run) => {
    const bytes = Buffer.from(run.replace(/%/g, ''), 'hex');
    // UTF-8 where the bytes are UTF-8 (a non-ASCII secret), byte by byte otherwise.
    return isUtf8(bytes) ? bytes.toString('utf8') : bytes.toString('latin1');
  });
}

/**
 * The text with every layer of JSON/JavaScript escapes (`\u002F`, `\/`),
 * HTML/XML character references (named, decimal, hex) and percent-encoding
 * (any case, doubly encoded…) undone, and line breaks (with the indentation
 * after them) removed, so a value split over two lines reads as one.
 * `plusIsSpace` also reads `+` as a space, as form encoding writes it.
 */
export function decodeLayers(text: string, plusIsSpace = false): string {
  let out = text;
  for (let round = 0; round < MAX_DECODE_ROUNDS; round++) {
    const next = decodePercent(decodeEntities(unescapeJson(out)), plusIsSpace && round === 0);
    if (next === out) break;
    out = next;
  }
  return out.replace(/[\r\n]+[ \t]*/g, '');
}

/** Runs long enough to hold an encoded fragment of a secret (12 bytes are 16 base64 characters). */
const BASE64_RUN = /[A-Za-z0-9+/_-]{16,}/g;
const HEX_RUN = /[0-9a-fA-F]{16,}/g;

/** Decoded chunks are joined with this: no secret holds it, so no match spans two chunks. */
export const CHUNK_SEPARATOR = '\u0000';

/**
 * Every base64 or base64url run of the text, decoded from each of its four
 * possible starting points (a run may begin with characters that are not part
 * of the encoded value), as Latin-1 and, where valid, as UTF-8.
 */
export function base64Decoded(text: string): string {
  const chunks: string[] = [];
  for (const [run] of text.matchAll(BASE64_RUN)) {
    for (let start = 0; start < 4; start++) {
      const bytes = Buffer.from(run.slice(start), 'base64');
      chunks.push(bytes.toString('latin1'));
      if (!isAscii(bytes) && isUtf8(bytes)) chunks.push(bytes.toString('utf8'));
    }
  }
  return chunks.join(CHUNK_SEPARATOR);
}

/** Every run of hex digits, decoded from both possible starting points. */
export function hexDecoded(text: string): string {
  const chunks: string[] = [];
  for (const [run] of text.matchAll(HEX_RUN)) {
    for (let start = 0; start < 2; start++) {
      const digits = run.slice(start, start + ((run.length - start) & ~1));
      const bytes = Buffer.from(digits, 'hex');
      chunks.push(bytes.toString('latin1'));
      if (!isAscii(bytes) && isUtf8(bytes)) chunks.push(bytes.toString('utf8'));
    }
  }
  return chunks.join(CHUNK_SEPARATOR);
}

function isAscii(bytes: Buffer): boolean {
  for (const b of bytes) if (b > 0x7f) return false;
  return true;
}
