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

/** By length: every lower-cased run of a secret (forwards and backwards) that counts as a leak, and its sha256. */
function piecesOf(secrets: readonly string[]): Map<number, Set<string>> {
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
    for (const s of [secret.toLowerCase(), [...secret].reverse().join('').toLowerCase()])
      for (let i = 0; i + run <= s.length; i++) put(s.slice(i, i + run));
    put(createHash('sha256').update(secret).digest('hex'));
  }
  return pieces;
}

function holdsPiece(text: string, pieces: Map<number, Set<string>>): boolean {
  for (const view of viewsOf(text)) {
    const lower = view.toLowerCase();
    for (const [length, set] of pieces)
      for (let i = 0; i + length <= lower.length; i++) if (set.has(lower.slice(i, i + length))) return true;
  }
  return false;
}

/** The text as is, with every escape and encoding undone (three times over), and its base64 and hex runs decoded. */
function viewsOf(text: string): string[] {
  let decoded = text;
  for (let round = 0; round < 3; round++) {
    decoded = decoded
      .replace(/\\u([0-9a-fA-F]{4})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)))
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
  const views = [text, joined, joined.replace(/\+/g, ' ')];
  for (const [run] of joined.matchAll(/[A-Za-z0-9+/_-]{12,}/g))
    for (let k = 0; k < 4; k++) views.push(Buffer.from(run.slice(k).replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('latin1'));
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
