import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RecordFile } from '../../src/record-file.js';

const dir = mkdtempSync(join(tmpdir(), 'keyprobe-record-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('RecordFile', () => {
  it('gathers small appends and writes them in one go: when one is read back, when enough have gathered, or at close', () => {
    const file = join(dir, 'small.jsonl');
    const records = new RecordFile(file);
    const texts = Array.from({ length: 50 }, (_, i) => `{"check":${i},"note":"délai ✓"}\n`);
    const spans = texts.map((t) => records.append(t));
    // Nothing written yet: fifty appends are not fifty writes.
    expect(statSync(file).size).toBe(0);
    // Reading one back writes what waits first; offsets count bytes.
    expect(records.read(spans[49]!, 'the last')).toBe(texts[49]);
    expect(statSync(file).size).toBe(Buffer.byteLength(texts.join('')));
    const later = records.append('{"check":"later"}\n');
    records.close();
    expect(readFileSync(file, 'utf8')).toBe(`${texts.join('')}{"check":"later"}\n`);
    expect(later.offset).toBe(Buffer.byteLength(texts.join('')));
  });

  it('writes once about a quarter megabyte has gathered, and reads every text back where it was put', () => {
    const file = join(dir, 'big.jsonl');
    const records = new RecordFile(file);
    const texts = Array.from({ length: 40 }, (_, i) => `${String(i).padStart(4, '0')}${'x'.repeat(10_000)}\n`);
    const spans = texts.map((t) => records.append(t));
    // Written before anything was read back: whole records, the rest still waiting.
    const total = Buffer.byteLength(texts.join(''));
    expect(statSync(file).size).toBeGreaterThan(200 * 1024);
    expect(statSync(file).size).toBeLessThan(total);
    for (const [i, span] of spans.entries()) expect(records.read(span, `text ${i}`)).toBe(texts[i]);
    // Longer than the buffer appends gather in, and than the one reads go through: written and read as they are.
    const huge = `${'é'.repeat(300_000)}\n`;
    const at = records.append(huge);
    expect(records.read(at, 'the huge one')).toBe(huge);
    expect(records.read(spans[3]!, 'text 3')).toBe(texts[3]);
    records.close();
    expect(readFileSync(file, 'utf8')).toBe(`${texts.join('')}${huge}`);
  });

  it('puts each text where its bytes are, for any mix of 1- to 4-byte characters, however long', () => {
    const file = join(dir, 'mixed.txt');
    const records = new RecordFile(file);
    // ASCII, 2-, 3- and 4-byte characters (a surrogate pair), and lone surrogates (written as U+FFFD).
    const pieces = ['a', 'é', '→', '🔑', '\ud800', '\udc00'];
    let seed = 7;
    const next = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    // Lengths around a quarter megabyte and a third of it (where a text may or may not be gathered with others).
    const lengths = [1, 10, 87_000, 87_500, 88_000, 90_000, 3, 260_000, 5, 86_000, 300_000, 2];
    const texts = lengths.map((length) => {
      let text = '';
      while (text.length < length) text += pieces[next(pieces.length)];
      return text;
    });
    // And texts of 3-byte characters only (the most bytes a UTF-16 unit can take), around a third of the buffer.
    texts.push('→'.repeat(85_000), 'x', '→'.repeat(87_382), '→'.repeat(100_000), '🔑'.repeat(40_000));
    const spans = texts.map((t) => records.append(t));
    for (const [i, span] of spans.entries()) {
      expect(span.length).toBe(Buffer.byteLength(texts[i]!));
      expect(records.read(span, `text ${i}`)).toBe(Buffer.from(texts[i]!).toString());
    }
    records.close();
    // (Buffer.equals: a deep comparison of two megabytes byte by byte takes seconds.)
    expect(readFileSync(file).equals(Buffer.from(texts.join('')))).toBe(true);
  });
});
