// The tests' own leak scanner, to prove the safety invariant: no secret in
// anything a run produced. It imports nothing of keyprobe and works its own
// way (a set of every secret piece that matters, slid over brute-force decoded
// copies of the text), so a blind spot in keyprobe's scanner or redactor is
// not shared by the test that checks them.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Every file below the dirs (recursively) and every given text that holds any secret in any form. */
export function findSecrets(secrets: readonly string[], opts: { dirs?: string[]; texts?: Record<string, string> }): string[] {
  const pieces = piecesOf(secrets);
  const hits: string[] = [];
  const check = (name: string, text: string) => {
    if (holdsPiece(text, pieces)) hits.push(name);
  };
  for (const [name, text] of Object.entries(opts.texts ?? {})) check(name, text);
  const walk = (d: string) => {
    for (const entry of readdirSync(d)) {
      const p = join(d, entry);
      if (statSync(p).isDirectory()) walk(p);
      else {
        const bytes = readFileSync(p);
        check(p, `${bytes.toString('utf8')}\u0000${bytes.toString('latin1')}`);
      }
    }
  };
  for (const d of opts.dirs ?? []) walk(d);
  return hits;
}

/** The pieces by length, and what each begins with: its first `shortest` characters, and a hash of its first four. */
interface Pieces {
  readonly byLength: Map<number, Set<string>>;
  readonly shortest: number;
  readonly starts: Set<string>;
  readonly quick: Uint8Array;
}

/** A hash of the four characters at `at` (every piece has at least four): a look at a position that allocates nothing. */
const quickHash = (s: string, at: number) =>
  (((s.charCodeAt(at) * 31 + s.charCodeAt(at + 1)) * 31 + s.charCodeAt(at + 2)) * 31 + s.charCodeAt(at + 3)) & 0xfffff;

/**
 * By length: every lower-cased run of a secret that counts as a leak
 * (forwards, backwards, in rot13, and without its separators, as a spelled-out
 * secret reads once they are removed), and its sha256.
 */
function piecesOf(secrets: readonly string[]): Pieces {
  const pieces = new Map<number, Set<string>>();
  const put = (s: string) => {
    if (!pieces.has(s.length)) pieces.set(s.length, new Set());
    pieces.get(s.length)!.add(s);
  };
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    const n = secret.length;
    // 12 characters, or 75% of a shorter secret, never fewer than 8 (a secret of 8 or fewer only whole).
    const run = n <= 8 ? n : Math.max(8, Math.min(12, Math.ceil(n * 0.75)));
    const rot13 = secret.replace(/[a-z]/gi, (c) =>
      String.fromCharCode((c.charCodeAt(0) & 96) + ((((c.charCodeAt(0) & 31) + 12) % 26) + 1)),
    );
    const compact = secret.replace(SEPARATORS, '');
    for (const s of [secret, [...secret].reverse().join(''), rot13, ...(compact.length >= 8 ? [compact] : [])].map((s) => s.toLowerCase()))
      for (let i = 0; i + Math.min(run, s.length) <= s.length; i++) put(s.slice(i, i + Math.min(run, s.length)));
    put(createHash('sha256').update(secret).digest('hex'));
  }
  const shortest = Math.min(...pieces.keys());
  const starts = new Set([...pieces.values()].flatMap((set) => [...set].map((piece) => piece.slice(0, shortest))));
  const quick = new Uint8Array(0x100000);
  for (const start of starts) quick[quickHash(start, 0)] = 1;
  return { byLength: pieces, shortest, starts, quick };
}

/**
 * Whether any piece occurs in any view. Every piece begins with one of `starts`, whose first four characters
 * hash into `quick`: a position whose hash is not there holds no piece, and a position whose start is not one of
 * `starts` holds none either. Looking up every length at every position (a sha256 is 64 characters) made this
 * search most of a test's own CPU time; the answer is the same.
 */
function holdsPiece(text: string, pieces: Pieces): boolean {
  const { byLength, shortest, starts, quick } = pieces;
  for (const view of viewsOf(text)) {
    const lower = view.toLowerCase();
    for (let i = 0; i + shortest <= lower.length; i++) {
      if (quick[quickHash(lower, i)] === 0 || !starts.has(lower.slice(i, i + shortest))) continue;
      for (const [length, set] of byLength) if (i + length <= lower.length && set.has(lower.slice(i, i + length))) return true;
    }
  }
  return false;
}

/** What joins the letters of a spelled-out secret (`k p _ l`, `kp_l-ive`): removed from the whole text in one view. */
const SEPARATORS = /[ .,:_\t\u00a0-]/g;

/**
 * The text as is, with every escape and encoding undone (three times over),
 * without separators, its octal and quoted-printable runs decoded, and its
 * base64 (as bytes, as UTF-16 either way, and again) and hex runs decoded.
 */
function viewsOf(text: string): string[] {
  // Quoted-printable soft line breaks (`=` at a line's end) join what they cut.
  let decoded = text.replace(/=\r?\n/g, '');
  for (let round = 0; round < 3; round++) {
    decoded = decoded
      // Any number of backslashes: a JSON string holding `\\u006b` escapes.
      .replace(/\\+u([0-9a-fA-F]{4})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)))
      .replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)))
      .replace(/\\([/\\"'])/g, '$1')
      .replace(/\\[nr]/g, '\n')
      .replace(/&#[xX]([0-9a-fA-F]+);?/g, (_, h: string) => String.fromCodePoint(Number.parseInt(h, 16)))
      .replace(/&#([0-9]+);?/g, (_, d: string) => String.fromCodePoint(Number.parseInt(d, 10)))
      .replace(
        /&(amp|lt|gt|quot|apos|sol|excl|lpar|rpar|ast|plus|equals|num|percnt|tilde);/gi,
        (_, name: string) => ENTITIES[name.toLowerCase()]!,
      )
      .replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
  }
  const joined = decoded.replace(/\r?\n[ \t]*/g, '');
  const views = [text, joined, joined.replace(/\+/g, ' '), joined.replace(SEPARATORS, '')];
  const bytes = (codes: string[], radix: number) => Buffer.from(codes.map((c) => Number.parseInt(c, radix))).toString('latin1');
  for (const [run] of joined.matchAll(/(?:\\[0-7]{1,3})+/g)) views.push(bytes(run.split('\\').slice(1), 8));
  for (const [run] of joined.matchAll(/(?:=[0-9a-fA-F]{2})+/g)) views.push(bytes(run.split('=').slice(1), 16));
  const base64 = (from: string) => {
    for (const [run] of from.matchAll(/[A-Za-z0-9+/_-]{12,}/g))
      for (let k = 0; k < 4; k++) {
        const decoded = Buffer.from(run.slice(k).replace(/-/g, '+').replace(/_/g, '/'), 'base64');
        views.push(decoded.toString('latin1'), decoded.toString('utf16le'), Buffer.concat([Buffer.alloc(1), decoded]).toString('utf16le'));
        if (from === joined) base64(decoded.toString('latin1'));
      }
  };
  base64(joined);
  for (const [run] of joined.matchAll(/[0-9a-fA-F]{16,}/g))
    for (let k = 0; k < 2; k++) views.push(Buffer.from(run.slice(k), 'hex').toString('latin1'));
  return views;
}

const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  sol: '/',
  excl: '!',
  lpar: '(',
  rpar: ')',
  ast: '*',
  plus: '+',
  equals: '=',
  num: '#',
  percnt: '%',
  tilde: '~',
};
