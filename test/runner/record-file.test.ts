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
});
