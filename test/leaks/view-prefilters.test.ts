// The leak scan's views skip, with a cheap native regex, text that cannot give
// them anything (issue #15: most chunks of a report hold no base64 or hex run
// an ASCII secret could be encoded in). A pre-filter may only ever skip what
// gives nothing: on any text, each view must give exactly what it gave before
// (test/leaks/views-before-prefilters.ts), character for character. Random
// text here is made of the pieces the views look for (encoded ASCII, encoded
// UTF-16, hex, spelled-out and grouped keys) among report-like filler, so
// that both sides of every pre-filter are met many times.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import * as views from '../../src/leaks/views.js';
import * as before from './views-before-prefilters.js';
import { prng } from '../helpers/seeded-random.js';

const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');
const FILLER = [
  'the',
  'key',
  'was',
  'rejected',
  'within',
  'budget',
  '"auth.valid-key-accepted"',
  '<td class="v-pass">',
  '2026-11-30T21:03:12.345Z',
  'sha256:1a2b3c4d',
  'AAAA',
  'Authorization: Bearer',
  '&quot;',
  '\\u002F',
  '%2F',
  '\n    ',
  '\t',
  '\u00a0',
  '\u00c2',
  'é',
  '日本',
  'lorem ipsum dolor',
  'ABCDE-FGHIJ-KLMNO-PQ',
  'k p _ l i v e',
  '0123456789abcdef',
  '=',
  ',',
  ':',
  '.',
  '-',
  '_',
  '+',
  '/',
];

function pick<T>(rnd: (n: number) => number, items: readonly T[]): T {
  return items[rnd(items.length)]!;
}

function chars(rnd: (n: number) => number, alphabet: string, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[rnd(alphabet.length)];
  return s;
}

/** `n` bytes from the seeded generator: the text is the seed's alone. */
function bytes(rnd: (n: number) => number, n: number): Buffer {
  return Buffer.from(Array.from({ length: n }, () => rnd(256)));
}

/** One piece of text: filler, or something a view decodes (or nearly: cut, or off by a character). */
function piece(rnd: (n: number) => number): string {
  const ascii = () => chars(rnd, PRINTABLE, 1 + rnd(40));
  switch (rnd(10)) {
    case 0:
      return Buffer.from(ascii()).toString('base64');
    case 1:
      return Buffer.from(ascii()).toString('base64url').slice(rnd(4));
    case 2: {
      // UTF-16 of either byte order, at any offset from a base64 group's start.
      const utf16 = Buffer.from(ascii().slice(0, -1), 'utf16le');
      if (rnd(2)) utf16.swap16();
      return Buffer.concat([bytes(rnd, rnd(3)), utf16]).toString('base64');
    }
    case 3:
      return Buffer.from(ascii()).toString('hex').slice(rnd(2));
    case 4:
      return bytes(rnd, 4 + rnd(20)).toString(rnd(2) ? 'hex' : 'base64');
    case 5:
      // A key spelled out, or in longer groups.
      return chars(rnd, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 8 + rnd(30)).replace(
        new RegExp(`(.{${1 + rnd(11)}})`, 'g'),
        `$1${pick(rnd, [' ', '-', '.', ':', ', ', '_', '\t', '\u00a0'])}`,
      );
    case 6:
      return chars(rnd, 'Aa0+/-_ =.:,', 1 + rnd(30));
    default:
      return pick(rnd, FILLER) + (rnd(3) ? ' ' : '');
  }
}

function text(rnd: (n: number) => number): string {
  let t = '';
  const pieces = 1 + rnd(60);
  for (let i = 0; i < pieces; i++) t += piece(rnd);
  return t;
}

const TEXTS = 4000;

describe('the views with their pre-filters give exactly what they gave without them', () => {
  const seed = Number.parseInt(randomBytes(4).toString('hex'), 16);
  // `filtered`: a pre-filter is in front (only ASCII secrets searched); with a non-ASCII secret nearly every text gives something.
  const cases: { name: string; now: (t: string) => string; was: (t: string) => string; filtered?: true }[] = [
    { name: 'base64 (ASCII secrets)', now: (t) => views.base64Views(t).base64, was: (t) => before.base64Views(t).base64, filtered: true },
    {
      name: 'UTF-16 in base64 (ASCII secrets)',
      now: (t) => views.base64Views(t).utf16,
      was: (t) => before.base64Views(t).utf16,
      filtered: true,
    },
    { name: 'base64 (a non-ASCII secret)', now: (t) => views.base64Views(t, true).base64, was: (t) => before.base64Views(t, true).base64 },
    { name: 'hex (ASCII secrets)', now: (t) => views.hexDecoded(t), was: (t) => before.hexDecoded(t), filtered: true },
    { name: 'hex (a non-ASCII secret)', now: (t) => views.hexDecoded(t, true), was: (t) => before.hexDecoded(t, true) },
  ];
  for (const c of cases) {
    it(`${c.name}, on ${TEXTS} random texts (seed ${seed})`, () => {
      const rnd = prng(seed);
      let gave = 0;
      for (let i = 0; i < TEXTS; i++) {
        const t = text(rnd);
        const expected = c.was(t);
        if (expected) gave++;
        // The text itself in the message: a failure names what to add to this test.
        if (c.now(t) !== expected) expect({ text: t, view: c.now(t) }).toEqual({ text: t, view: expected });
      }
      // Both sides of the pre-filter were met: texts that give something, and texts that give nothing.
      expect(gave).toBeGreaterThan(TEXTS / 20);
      if (c.filtered) expect(gave).toBeLessThan(TEXTS - TEXTS / 20);
    });
  }
});

describe('every printable ASCII character encoded passes the pre-filters', () => {
  // A text of one character repeated: every group of its encoding is alike, so a character a pre-filter's class left out would be missed.
  it('in base64 and in UTF-16 (either byte order) in base64, at every offset from a group start, and in hex', () => {
    for (const c of PRINTABLE) {
      const word = c.repeat(12);
      const le = Buffer.from(word, 'utf16le');
      const be = Buffer.from(le).swap16();
      for (const lead of [0, 1, 2]) {
        for (const bytes of [Buffer.from(word, 'latin1'), le, be]) {
          const t = `<p>${Buffer.concat([Buffer.alloc(lead, 0x41), bytes]).toString('base64')}</p>`;
          expect(views.base64Views(t), JSON.stringify(t)).toEqual(before.base64Views(t));
          expect(before.base64Views(t).base64 + before.base64Views(t).utf16, JSON.stringify(t)).not.toBe('');
        }
      }
      const hex = `id=${Buffer.from(word).toString('hex')};`;
      expect(views.hexDecoded(hex), hex).toBe(before.hexDecoded(hex));
      expect(views.hexDecoded(hex), hex).not.toBe('');
    }
  });
});
