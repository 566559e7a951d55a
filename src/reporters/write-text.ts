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
 * renders for seconds between writes that wait (the first pass over the
 * profiles of junit.xml and report.html writes nothing at all: write-reports.ts),
 * and the scan worker sat idle through it (issue #15). A turn costs microseconds.
 */
const TURN_EVERY_MS = 10;

/** Lets the event loop turn where rendering has gone on for TURN_EVERY_MS without it. */
export class EventLoopTurns {
  private turned = performance.now();

  /** The event loop turned meanwhile (a write waited for the disk). */
  turnedMeanwhile(): void {
    this.turned = performance.now();
  }

  /** True when rendering has gone on for TURN_EVERY_MS since the event loop last turned. */
  due(): boolean {
    return performance.now() - this.turned >= TURN_EVERY_MS;
  }

  /** Resolves after one turn of the event loop. */
  async turn(): Promise<void> {
    await new Promise((turn) => setImmediate(turn));
    this.turned = performance.now();
  }
}

/** Writes `pieces` to `file` as they come, letting the event loop turn at least every TURN_EVERY_MS. */
export async function writeText(file: string, pieces: Iterable<string>): Promise<void> {
  const out = createWriteStream(file, { encoding: 'utf8', highWaterMark: WAITING_BYTES });
  const failed = once(out, 'error').then(([err]) => Promise.reject(err as Error));
  failed.catch(() => undefined);
  const turns = new EventLoopTurns();
  try {
    for (const piece of pieces) {
      if (!out.write(piece)) {
        await Promise.race([once(out, 'drain'), failed]);
        turns.turnedMeanwhile();
      } else if (turns.due()) await turns.turn();
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
