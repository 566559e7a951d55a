// The post-run scan reads a file as a stream of overlapping chunks, never the
// whole file at once (issue #15: a 1,000-profile run writes hundreds of
// megabytes of reports): a secret is still found in every form when the
// chunks (512 Ki characters, overlapping by 16 Ki) or the blocks the file is
// read in (64 KiB) cut it. (scan-file-blocks.test.ts: no whole-file read.)
import { afterAll, describe, expect, it } from 'vitest';
import { fileChunkCount, LeakScanner } from '../../src/leaks/scanner.js';
import { tempDir } from '../helpers/tmp.js';
import { ECHO_FORMS } from './forms.js';
import { base62 } from '../helpers/random-keys.js';

/** Where the scanner's first chunk ends (CHUNK_CHARS in src/leaks/scanner.ts), which is also the end of a read block. */
const FIRST_CHUNK_END = 1 << 19;
/** Where its second chunk ends: it starts CHUNK_OVERLAP before the first one's end. */
const SECOND_CHUNK_END = 2 * (1 << 19) - 16 * 1024;

/**
 * How long the files are: three chunks, the third 64 Ki characters past the second's end (CHUNK_OVERLAP and
 * more), so a cut at either boundary has a chunk after it that holds the whole form, as in a large report. Each
 * file is scanned once per form and cut (120 times): a longer third chunk only costs scan time.
 */
const FILE_CHARS = SECOND_CHUNK_END + 64 * 1024;

const filler = (n: number) => 'lorem ipsum dolor '.repeat(Math.ceil(n / 18)).slice(0, n);
/** `text` with `middle` placed so that `cut` falls in its middle, in a file of three chunks. */
const straddling = (middle: string, cut: number) => {
  const at = cut - Math.floor(middle.length / 2);
  return `${filler(at)}${middle}${filler(FILE_CHARS - at)}`;
};

const tmp = tempDir('keyprobe-scan-file-');
afterAll(() => tmp.cleanup());

describe('a secret cut by a chunk boundary in a large file', () => {
  const secret = `kp_live_${base62(10)}/+~!'()* &<>"=${base62(10)}`;
  const scanner = new LeakScanner([secret]);
  for (const form of ECHO_FORMS)
    it(`is found ${form.name}`, async () => {
      for (const cut of [FIRST_CHUNK_END, SECOND_CHUNK_END]) {
        const text = straddling(`"detail":"${form.make(secret)}"`, cut);
        expect(fileChunkCount(text.length)).toBe(3);
        const found = await scanner.scanFile(tmp.file('big.txt', text));
        expect(found.length, `${form.name} at ${cut}`).toBeGreaterThan(0);
        // Whole, unless the form is itself a part of the secret: the next chunk holds what the cut one lost.
        // A spelled-out key whole only of a key made of letters, digits and `_ - + /` (EchoForm.spelledOut).
        if (!/character/.test(form.name) && !form.spelledOut)
          expect(found.filter((f) => f.whole).length, `${form.name} at ${cut}`).toBeGreaterThan(0);
      }
    });

  it('is found in a UTF-8 file when it is not ASCII, its characters cut by the end of a read block and of a chunk', async () => {
    // Never more than one ASCII character in a row: no part of it reads as itself in Latin-1, so only the UTF-8 reading finds it.
    const utf8Secret = [...base62(24)].map((c, i) => `${c}${'äöü日本ßé'[i % 7]}`).join('');
    const utf8Scanner = new LeakScanner([utf8Secret]);
    // A 2-byte character across byte (and character) 524288; the filler before it is ASCII, one byte a character.
    const text = `${filler(FIRST_CHUNK_END - 2)}${utf8Secret}${filler(700_000)}`;
    expect(Buffer.byteLength(text.slice(0, FIRST_CHUNK_END + 1))).toBe(FIRST_CHUNK_END + 2);
    const found = await utf8Scanner.scanFile(tmp.file('utf8.txt', text));
    expect(found.map((f) => [f.form, f.whole])).toEqual([['as is', true]]);
    // Latin-1 bytes are not UTF-8: that file is read as Latin-1 only, where this secret is not.
    expect(await utf8Scanner.scanFile(tmp.file('latin1.txt', Buffer.from(`${text}\xff`, 'latin1').toString('latin1')))).toEqual([]);
  });
});
