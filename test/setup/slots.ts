// Slots shared by the processes of one test run: at most `count` holders at
// a time. A slot is a directory made with mkdir, which succeeds for exactly
// one process; it holds the owner's pid, so a slot left by a process that died
// is taken back. A waiter with a rank lets every live waiter of a lower rank
// go first (a file `waiting-<rank>-<pid>` says it waits).
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Slot {
  readonly index: number;
  release(): void;
}

/** Waits for one of `count` slots under `folder` (after every waiter of a lower rank), polling every `pollMs`. */
export async function takeSlot(folder: string, count: number, options: { rank?: number; pollMs?: number } = {}): Promise<Slot> {
  const { rank = Number.MAX_SAFE_INTEGER, pollMs = 100 } = options;
  mkdirSync(folder, { recursive: true });
  const waiting = join(folder, `waiting-${rank}-${process.pid}`);
  writeFileSync(waiting, '');
  try {
    for (;;) {
      if (!lowerRankWaits(folder, rank))
        for (let index = 0; index < count; index++) {
          const dir = join(folder, `slot-${index}`);
          if (tryTake(dir)) return { index, release: () => rmSync(dir, { recursive: true, force: true }) };
        }
      await sleep(pollMs);
    }
  } finally {
    rmSync(waiting, { force: true });
  }
}

function lowerRankWaits(folder: string, rank: number): boolean {
  for (const name of readdirSync(folder)) {
    const m = /^waiting-(\d+)-(\d+)$/.exec(name);
    if (!m || Number(m[1]) >= rank) continue;
    if (alive(Number(m[2]))) return true;
    rmSync(join(folder, name), { force: true });
  }
  return false;
}

function tryTake(dir: string): boolean {
  try {
    mkdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // Taken: by a live process, or left by one that died (then freed for the next try).
    // A slot made a moment ago may not hold its pid yet: it counts as taken.
    const owner = Number.parseInt(readPid(dir), 10);
    if (owner > 0 && !alive(owner)) rmSync(dir, { recursive: true, force: true });
    return false;
  }
  writeFileSync(join(dir, 'pid'), String(process.pid));
  return true;
}

function readPid(dir: string): string {
  try {
    return readFileSync(join(dir, 'pid'), 'utf8');
  } catch {
    return '';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
