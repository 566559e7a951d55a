// At most TIMING_AT_ONCE timing files run their tests at the same moment.
// `npm test` runs the timing files beside the unit files (vitest.config.ts),
// and vitest hands a group's files to its workers without asking which
// project they belong to, so a timing file first takes one of a few slots
// shared by the run, and waits (its worker idle, no core used) until one is
// free. The unit files beside them run at a lower CPU priority
// (background-priority.ts), so what a timing file measures is not skewed by
// them, and two timing files at once is what they ran as before.
//
// A slot is a directory made with mkdir, which succeeds for exactly one
// process; it holds the owner's pid, so a slot left by a worker that died is
// taken back. The slots belong to one vitest run: its main process's pid is
// in their names.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll } from 'vitest';

export const TIMING_AT_ONCE = 2;

const slotDir = (i: number) => join(tmpdir(), `keyprobe-timing-slots-${process.ppid}`, `slot-${i}`);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tryTake(i: number): boolean {
  const dir = slotDir(i);
  try {
    mkdirSync(dir, { recursive: false });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      mkdirSync(join(dir, '..'), { recursive: true });
      return tryTake(i);
    }
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // Taken: by a live worker, or left by one that died (then free it for the next try).
    // (A slot made a moment ago may not hold its pid yet: it counts as taken.)
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

async function takeSlot(): Promise<number> {
  for (;;) {
    for (let i = 0; i < TIMING_AT_ONCE; i++) if (tryTake(i)) return i;
    await sleep(100);
  }
}

const slot = await takeSlot();
const release = () => rmSync(slotDir(slot), { recursive: true, force: true });
process.once('exit', release);
afterAll(release);
