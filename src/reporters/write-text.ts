// Writes a report as it is rendered, piece by piece, so a report of a
// thousand profiles is never one string in memory (issue #15): the pieces
// come from a generator that reads one profile at a time.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';

/**
 * How much may wait to be written before rendering waits for the disk. At the
 * stream's default (16 KiB) nearly every piece (a profile's suite, a card)
 * waited for its own write: the main thread sat idle through each, while the
 * leak scan waited on it (issue #15); a mebibyte lets it render on meanwhile.
 */
const WAITING_BYTES = 1024 * 1024;

export async function writeText(file: string, pieces: Iterable<string>): Promise<void> {
  const out = createWriteStream(file, { encoding: 'utf8', highWaterMark: WAITING_BYTES });
  const failed = once(out, 'error').then(([err]) => Promise.reject(err as Error));
  failed.catch(() => undefined);
  try {
    for (const piece of pieces) {
      if (!out.write(piece)) await Promise.race([once(out, 'drain'), failed]);
    }
  } finally {
    // Also when rendering threw: the file is closed before the reporter's failure is recorded.
    out.end();
  }
  await Promise.race([once(out, 'finish'), failed]);
}

/** Every piece of `pieces` joined: the same text as one string, for tests and small results. */
export function joined(pieces: Iterable<string>): string {
  let text = '';
  for (const piece of pieces) text += piece;
  return text;
}
