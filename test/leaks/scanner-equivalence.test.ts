// The leak scan was made faster (issue #15, session 13) without changing what
// it finds: on any text, the scanner must give exactly the findings the
// scanner before it gave (test/leaks/scanner-before-s13.ts), the same
// secrets, forms, views and places, in the same order. Random texts here are
// report-like filler with secrets planted in every form the scanner knows
// (test/leaks/forms.ts: as is, other case, reversed, rot13, base64 at each
// alignment, hex, URL/JSON/HTML escapes, spelled out, long groups,
// quoted-printable…), whole or as partial runs, among pieces of escapes
// that decodeLayers reads or nearly reads. The secrets and texts come from a
// seed printed with the test, so a failure can be made again.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { ScanWorkers } from '../../src/leaks/scan-workers.js';
import { type LeakFinding, LeakScanner, mergeChunkFindings } from '../../src/leaks/scanner.js';
import { decodeLayers } from '../../src/leaks/views.js';
import { BASE62 } from '../helpers/random-keys.js';
import { tempDir } from '../helpers/tmp.js';
import { ECHO_FORMS } from './forms.js';
import * as before from './scanner-before-s13.js';
import { prng, type Random } from '../helpers/seeded-random.js';

const pick = <T>(rnd: Random, items: readonly T[]): T => items[rnd(items.length)]!;
const chars = (rnd: Random, alphabet: string, n: number) => Array.from({ length: n }, () => alphabet[rnd(alphabet.length)]).join('');

/** Pieces of escapes decodeLayers undoes, cut short, out of range or unknown: each side of every rule of its reading. */
const ESCAPE_PIECES = [
  '\\',
  '\\\\',
  '\\"',
  '\\/',
  '\\n',
  '\\q',
  '\\u',
  '\\u00',
  '\\u0041',
  '\\u00e9',
  '\\U0041',
  '\\x',
  '\\x4',
  '\\x41',
  '&',
  '&#',
  '&#x',
  '&#X',
  '&#x41;',
  '&#x1F600',
  '&#x1234567',
  '&#x110000;',
  '&#0;',
  '&#65',
  '&#12345678;',
  '&amp',
  '&amp;',
  '&AMP;',
  '&quot;',
  '&sol',
  // The longest names: a letter more makes a name too long to be one (up to 9 letters are read).
  '&underbar',
  '&vertbar',
  '&a;',
  '&abcdefghijk;',
  '&nbsp;',
  '%',
  '%2',
  '%25',
  '%2541',
  '%41',
  '%e6%97%a5',
  '%E6%97',
  '%ff%fe',
  ';',
  '#',
  'x',
  'X',
  'u',
  'f',
  '0',
  '9',
  'A',
  'é',
  '日',
  '+',
  ' ',
  '\n',
  '\r\n   ',
  '=\r\n',
  '=\n',
  '=3D',
];

const FILLER = [
  '{"error":"denied","detail":"',
  '","at":"2026-11-30T21:03:12.345Z"}',
  '<td class="v-pass">',
  '</td>',
  '<![CDATA[',
  ']]>',
  '\n    ',
  'the key was rejected within budget ',
  'Authorization: Bearer [key sha256:0a037e41] ',
  'lorem ipsum dolor ',
  'ABCDE-FGHIJ-KLMNO-PQ ',
  'k p _ l i v e ',
  '0123456789abcdef ',
  'these words share their sizes ',
  '\u00a0',
  '\t',
];

/** A secret of one of the shapes the scanner treats apart. */
function secret(rnd: Random, shape: number): string {
  switch (shape) {
    case 0:
      return `kp_live_${chars(rnd, BASE62, 20 + rnd(25))}`;
    case 1:
      // Every character the encodings treat differently, a space among them (the form-encoding view).
      return `kp_${chars(rnd, BASE62, 6)}/+~!'()* &<>"=${chars(rnd, BASE62, 8)}`;
    case 2:
      // Short: shorter than a window, found by a plain search.
      return chars(rnd, BASE62, 4 + rnd(4));
    case 3:
      return `${chars(rnd, BASE62, 5)}-${chars(rnd, BASE62, 5)}_${chars(rnd, BASE62, 6)}`;
    case 4:
      // Non-ASCII: the views decode every byte, and no pre-filter is in front.
      return `clé_${chars(rnd, BASE62, 10)}日本${chars(rnd, BASE62, 6)}`;
    default:
      return chars(rnd, `${BASE62}-_`, 12 + rnd(8));
  }
}

/** A secret, or a run of it, in a form a server or a report could give it, its letters' case sometimes changed. */
function planted(rnd: Random, secrets: readonly string[]): string {
  const whole = pick(rnd, secrets);
  let s = whole;
  if (rnd(4) === 0) {
    const from = rnd(Math.max(1, s.length >> 2));
    s = s.slice(from, s.length - rnd(Math.max(1, s.length >> 2)));
  }
  if (rnd(5) === 0) s = [...s].map((c) => (rnd(3) === 0 ? c.toUpperCase() : c)).join('');
  const made = pick(rnd, ECHO_FORMS).make(s);
  // Sometimes cut short, as a truncated body is.
  return rnd(8) === 0 ? made.slice(0, made.length - 1 - rnd(made.length >> 1)) : made;
}

function text(rnd: Random, secrets: readonly string[]): string {
  let t = '';
  const pieces = 1 + rnd(40);
  for (let i = 0; i < pieces; i++) {
    const kind = rnd(10);
    if (kind < 3) t += planted(rnd, secrets);
    else if (kind < 6) t += pick(rnd, ESCAPE_PIECES);
    else t += pick(rnd, FILLER);
  }
  return t;
}

const seed = Number.parseInt(randomBytes(4).toString('hex'), 16);
// A thousand a case keeps the file to a few seconds of `npm test`; the seed changes every run, so runs add up.
const TEXTS = 1000;

/** Both scanners with the same secrets: `count` of the given shapes, and decoys that share their prefix. */
function scanners(rnd: Random, shapes: readonly number[], count: number) {
  const secrets = Array.from({ length: count }, (_, i) => secret(rnd, shapes[i % shapes.length]!));
  const now = new LeakScanner();
  const was = new before.LeakScannerBefore();
  for (const [i, s] of secrets.entries()) {
    now.add(s, i % 2 ? 'key' : 'canary');
    was.add(s, i % 2 ? 'key' : 'canary');
  }
  return { secrets, now, was };
}

/** The findings of both, and the text in the message: a failure names what to add to this test. */
function expectSame(now: LeakScanner, was: before.LeakScannerBefore, t: string): LeakFinding[] {
  const expected = was.find(t);
  const found = now.find(t);
  if (JSON.stringify(found) !== JSON.stringify(expected)) expect({ text: t, found }).toEqual({ text: t, found: expected });
  if (now.leaks(t) !== was.leaks(t)) expect({ text: t, leaks: now.leaks(t) }).toEqual({ text: t, leaks: was.leaks(t) });
  return expected;
}

describe(`the leak scanner finds exactly what it found before it was made faster (seed ${seed})`, () => {
  for (const [name, shapes] of [
    ['ASCII secrets of every shape', [0, 1, 2, 3, 5]],
    ['ASCII keys only (the pre-filters in front)', [0, 3, 5]],
    ['a non-ASCII secret among them', [4, 0, 1, 2]],
  ] as const) {
    it(`${name}: the same findings in the same order, on ${TEXTS} random texts`, () => {
      const rnd = prng(seed + name.length);
      // Forty secrets: windows of many patterns share the index, as a big run's do.
      const { secrets, now, was } = scanners(rnd, shapes, 40);
      let withFindings = 0;
      let forms = new Set<string>();
      for (let i = 0; i < TEXTS; i++) {
        const found = expectSame(now, was, text(rnd, secrets));
        if (found.length > 0) withFindings++;
        forms = new Set([...forms, ...found.map((f) => f.form.replace(/, .*/, ''))]);
      }
      // The texts met the scanner's every view, and held a secret more often than not.
      expect(withFindings).toBeGreaterThan(TEXTS / 2);
      expect(forms.size).toBeGreaterThanOrEqual(10);
    });
  }

  it('decodeLayers gives what it gave, character for character, on 20,000 texts of escapes', () => {
    const rnd = prng(seed);
    for (let i = 0; i < 20_000; i++) {
      let t = '';
      const pieces = 1 + rnd(25);
      for (let k = 0; k < pieces; k++) t += pick(rnd, ESCAPE_PIECES);
      const plusIsSpace = rnd(4) === 0;
      const expected = before.decodeLayers(t, plusIsSpace);
      if (decodeLayers(t, plusIsSpace) !== expected)
        expect({ t, plusIsSpace, decoded: decodeLayers(t, plusIsSpace) }).toEqual({ t, plusIsSpace, decoded: expected });
    }
  });
});

/** Chunks as the scanner cuts a file (CHUNK_CHARS, CHUNK_OVERLAP in src/leaks/scanner.ts). */
const CHUNK_CHARS = 1 << 19;
const CHUNK_STEP = CHUNK_CHARS - 16 * 1024;

function chunksOf(t: string): string[] {
  const chunks: string[] = [];
  let from = 0;
  for (; from + CHUNK_CHARS < t.length; from += CHUNK_STEP) chunks.push(t.slice(from, from + CHUNK_CHARS));
  chunks.push(t.slice(from));
  return chunks;
}

const tmp = tempDir('keyprobe-scanner-equivalence-');
afterAll(() => tmp.cleanup());

describe('a file, searched in chunks on this thread and on worker threads, gives what the scanner before gave', () => {
  it('with secrets planted across chunk boundaries', async () => {
    const rnd = prng(seed + 1);
    const { secrets, now, was } = scanners(rnd, [0, 1, 3, 5], 20);
    let t = '';
    while (t.length < 1_100_000) t += rnd(50) === 0 ? planted(rnd, secrets) : pick(rnd, FILLER);
    const file = tmp.file('planted.txt', t);
    // As scanFile reads it: byte by byte (Latin-1).
    const expected = mergeChunkFindings(chunksOf(readFileSync(file, 'latin1')).map((c) => was.find(c)));
    expect(expected.length).toBeGreaterThan(20);
    expect(await now.scanFile(file)).toEqual(expected);
    const workers = new ScanWorkers(now, { partChunks: 1, threads: 2 });
    try {
      expect(await workers.scanFile(file)).toEqual(expected);
    } finally {
      await workers.close();
    }
  });
});

/**
 * The reports of a real run (KEYPROBE_SCAN_FIXTURES: a folder holding a
 * thousand profiles' results.json, junit.xml, report.html), every chunk with
 * secrets planted in it, searched by both: for a session that measures the
 * scan at scale. Hundreds of megabytes: not part of the ordinary run.
 */
describe.runIf(process.env.KEYPROBE_SCAN_FIXTURES)('the reports of a real run, chunk by chunk', () => {
  it('give the same findings', () => {
    const folder = process.env.KEYPROBE_SCAN_FIXTURES!;
    const rnd = prng(seed + 2);
    const { secrets, now, was } = scanners(rnd, [0, 1, 3, 5], 200);
    let chunks = 0;
    for (const name of readdirSync(folder).filter((f) => /\.(json|xml|html)$/.test(f))) {
      for (const chunk of chunksOf(readFileSync(join(folder, name), 'latin1'))) {
        // A few planted forms at random places; the chunk's own text everywhere else.
        let t = chunk;
        for (let k = 0; k < 3; k++) {
          const at = rnd(t.length + 1);
          t = t.slice(0, at) + planted(rnd, secrets) + t.slice(at);
        }
        expectSame(now, was, chunk);
        expectSame(now, was, t);
        chunks++;
      }
    }
    expect(chunks).toBeGreaterThan(0);
  }, 600_000);
});
