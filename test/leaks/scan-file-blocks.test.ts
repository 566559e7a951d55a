// The scan of a file never holds the whole file: here reading a file whole
// fails, and the scanner still finds a secret at the end of a 3 MB file,
// having read it in blocks of at most 64 KiB. (A 1,000-profile run's reports
// are hundreds of megabytes; a file over 512 MiB cannot even be one string.)
import type { FileHandle } from 'node:fs/promises';
import { afterAll, expect, it, vi } from 'vitest';
import { LeakScanner } from '../../src/leaks/scanner.js';
import { tempDir } from '../helpers/tmp.js';

const reads = vi.hoisted(() => ({ largest: 0, count: 0 }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...real,
    readFile: () => Promise.reject(new Error('read a whole file')),
    open: async (...args: Parameters<typeof real.open>) => {
      const handle: FileHandle = await real.open(...args);
      const read = handle.read.bind(handle) as (...a: unknown[]) => Promise<{ bytesRead: number }>;
      // Counts what each read asked for and got.
      (handle as unknown as { read: typeof read }).read = async (...a: unknown[]) => {
        const got = await read(...a);
        reads.count++;
        reads.largest = Math.max(reads.largest, got.bytesRead);
        return got;
      };
      return handle;
    },
  };
});

const tmp = tempDir('keyprobe-scan-blocks-');
afterAll(() => tmp.cleanup());

it('reads a file in blocks, never whole', async () => {
  const secret = `kp_live_${'Zq8'.repeat(11)}`;
  const file = tmp.file('big.txt', `${'lorem ipsum dolor '.repeat(170_000)}"key":"${secret}"\n`);
  expect(await new LeakScanner([secret]).scanFile(file)).toMatchObject([{ form: 'as is', whole: true }]);
  expect(reads.count).toBeGreaterThan(40);
  expect(reads.largest).toBeLessThanOrEqual(64 * 1024);
});
