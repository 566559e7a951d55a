// The leak scan on worker threads (issue #15) finds exactly what the scan on
// the main thread finds, in the same order, however a file is cut into parts
// and whichever thread searched each part; and it fails closed: a worker that
// cannot start, throws, dies mid-scan or hangs makes the file's scan fail,
// never pass. (The workers run the built dist/leaks/scan-worker.js.)
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ScanWorkers } from '../../src/leaks/scan-workers.js';
import { LeakScanner } from '../../src/leaks/scanner.js';
import { tempDir } from '../helpers/tmp.js';
import { ECHO_FORMS } from './forms.js';
import { base62 } from '../helpers/random-keys.js';

/** Where the scanner's chunks end (CHUNK_CHARS, CHUNK_OVERLAP in src/leaks/scanner.ts). */
const CHUNK_ENDS = [1 << 19, 2 * (1 << 19) - 16 * 1024, 3 * (1 << 19) - 2 * 16 * 1024];
/** Where the second and third chunks start: a cut there falls in the overlap of two chunks. */
const CHUNK_STARTS = [(1 << 19) - 16 * 1024, 2 * ((1 << 19) - 16 * 1024)];
const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'scan-workers');

const filler = (n: number) => 'lorem ipsum dolor '.repeat(Math.ceil(n / 18)).slice(0, n);
/** `middle` placed so that `cut` falls in its middle, in a file of about 1.6 MB (four chunks): for the misbehaving workers. */
const straddling = (middle: string, cut: number) => {
  const at = Math.max(0, cut - Math.floor(middle.length / 2));
  return `${filler(at)}${middle}${filler(1_600_000 - at)}`;
};

const tmp = tempDir('keyprobe-scan-workers-');
afterAll(() => tmp.cleanup());

describe('on worker threads, a file is found to hold what the main thread finds in it', () => {
  const key = `kp_live_${base62(10)}/+~!'()* &<>"=${base62(10)}`;
  const other = `kp_prod_${base62(32)}`;
  const scanner = new LeakScanner();
  scanner.add(key, 'key');
  scanner.add(other, 'canary');

  it('in every form, cut by a chunk boundary, by an overlap or by the end of a part: the same findings in the same order', async () => {
    const cuts = [...CHUNK_ENDS, ...CHUNK_STARTS].sort((a, b) => a - b);
    // Each file holds one form at every cut (five forms a file): every form is cut once, every cut several times.
    const files: string[] = [];
    for (let f = 0; f < ECHO_FORMS.length; f += cuts.length) {
      let text = '';
      for (const [c, cut] of cuts.entries()) {
        const form = ECHO_FORMS[(f + c) % ECHO_FORMS.length]!;
        const middle = `"detail":"${form.make(key)}"`;
        text += `${filler(cut - Math.floor(middle.length / 2) - text.length)}${middle}`;
      }
      // The other secret, whole, early in the file: two secrets, each found in its own place.
      files.push(tmp.file(`forms-${f}.txt`, `${text}${filler(80_000)}`.replace('ipsum', other)));
    }
    files.push(tmp.file('clean.txt', filler(600_000)), tmp.file('empty.txt', ''), tmp.file('small.txt', `x ${key} y`));
    // Parts of one chunk each, on two threads: every chunk boundary is also a part boundary.
    const workers = new ScanWorkers(scanner, { partChunks: 1, threads: 2 });
    try {
      const onWorkers = await Promise.all(files.map((f) => workers.scanFile(f)));
      for (const [i, file] of files.entries()) expect(onWorkers[i], file).toEqual(await scanner.scanFile(file));
      expect(onWorkers.filter((found) => found.length > 0).length).toBe(files.length - 2);
    } finally {
      await workers.close();
    }
  });

  it('with a secret that is not ASCII, read as UTF-8 when the Latin-1 reading finds nothing', async () => {
    const utf8Secret = [...base62(24)].map((c, i) => `${c}${'äöü日本ßé'[i % 7]}`).join('');
    const utf8Scanner = new LeakScanner([utf8Secret]);
    const utf8 = tmp.file('utf8.txt', `${filler((1 << 19) - 2)}${utf8Secret}${filler(700_000)}`);
    const latin1 = tmp.file('latin1.txt', Buffer.from(`${filler(900_000)}${utf8Secret}\xff`, 'latin1').toString('latin1'));
    const workers = new ScanWorkers(utf8Scanner, { partChunks: 1 });
    try {
      expect(await workers.scanFile(utf8)).toEqual([expect.objectContaining({ form: 'as is', whole: true })]);
      expect(await workers.scanFile(utf8)).toEqual(await utf8Scanner.scanFile(utf8));
      expect(await workers.scanFile(latin1)).toEqual([]);
    } finally {
      await workers.close();
    }
  });

  it('a file that is not there fails with ENOENT, as LeakScanner.scanFile does', async () => {
    const workers = new ScanWorkers(scanner);
    try {
      await expect(workers.scanFile(join(tmp.dir, 'missing.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await workers.close();
    }
  });
});

describe('a worker that misbehaves fails the scan of its file (fail closed)', () => {
  const key = `kp_prod_${base62(32)}`;
  const scanner = new LeakScanner([key]);
  const bigFile = () => tmp.file(`big-${base62(6)}.txt`, straddling(key, 1_000_000));

  it('a worker that cannot start', async () => {
    const workers = new ScanWorkers(scanner, { workerFile: join(FIXTURES, 'not-there.mjs') });
    try {
      await expect(workers.scanFile(bigFile())).rejects.toThrow(/worker thread failed/);
      // The next scan meets the same failure, not a hang.
      await expect(workers.scanFile(bigFile())).rejects.toThrow(/worker thread failed/);
    } finally {
      await workers.close();
    }
  });

  it('a worker that throws', async () => {
    const workers = new ScanWorkers(scanner, { workerFile: join(FIXTURES, 'throws.mjs') });
    try {
      await expect(workers.scanFile(bigFile())).rejects.toThrow(/the scan worker fell over/);
    } finally {
      await workers.close();
    }
  });

  it('a worker that dies mid-scan, after answering for the first part of the file', async () => {
    const workers = new ScanWorkers(scanner, { workerFile: join(FIXTURES, 'dies-mid-scan.mjs'), partChunks: 1, threads: 1 });
    try {
      await expect(workers.scanFile(bigFile())).rejects.toThrow(/stopped \(exit code 7\) before it answered/);
    } finally {
      await workers.close();
    }
  });

  it('a worker that never answers, within its time limit', async () => {
    const workers = new ScanWorkers(scanner, { workerFile: join(FIXTURES, 'hangs.mjs'), timeoutMs: 300 });
    const started = Date.now();
    try {
      await expect(workers.scanFile(bigFile())).rejects.toThrow(/did not answer within 0.3 s/);
      // Not a hang: given up at its limit (with room for a busy machine), not at a test timeout.
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await workers.close();
    }
  });
});
