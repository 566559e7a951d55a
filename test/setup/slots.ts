// Slots shared by the processes of one test run: at most `count` holders at
// a time. A slot is a directory made with mkdir, which succeeds for exactly
// one process; it holds the owner's pid, so a slot left by a process that died
// is taken back.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Slot {
  readonly index: number;
  release(): void;
}

/** Waits for one of `count` slots under `folder`, polling every `pollMs`. */
export async function takeSlot(folder: string, count: number, pollMs = 100): Promise<Slot> {
  mkdirSync(folder, { recursive: true });
  for (;;) {
    for (let index = 0; index < count; index++) {
      const dir = join(folder, `slot-${index}`);
      if (tryTake(dir)) return { index, release: () => rmSync(dir, { recursive: true, force: true }) };
    }
    await sleep(pollMs);
  }
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
