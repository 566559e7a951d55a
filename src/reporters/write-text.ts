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

/**
 * The longest rendering goes on without letting the event loop turn. The leak
 * scan's worker threads are handed each part of a file when they answer for
 * the last one, and the scan of an earlier report starts after an fs stat:
 * both wait for this thread's event loop. A report of a thousand profiles
 * renders for seconds between writes that wait (junit.xml's and report.html's
 * first pass over the profiles writes nothing at all), and the scan worker sat
 * idle through it (issue #15). A turn costs microseconds.
 */
const TURN_EVERY_MS = 10;

/**
 * Writes `pieces` to `file` as they come. An empty piece writes nothing: a
 * reporter yields one where it works long between pieces (a first pass over
 * the profiles), so that the event loop turns there too.
 */
export async function writeText(file: string, pieces: Iterable<string>): Promise<void> {
  const out = createWriteStream(file, { encoding: 'utf8', highWaterMark: WAITING_BYTES });
  const failed = once(out, 'error').then(([err]) => Promise.reject(err as Error));
  failed.catch(() => undefined);
  let turned = performance.now();
  try {
    for (const piece of pieces) {
      if (piece.length > 0 && !out.write(piece)) {
        await Promise.race([once(out, 'drain'), failed]);
        turned = performance.now();
      } else if (performance.now() - turned >= TURN_EVERY_MS) {
        await new Promise((turn) => setImmediate(turn));
        turned = performance.now();
      }
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
