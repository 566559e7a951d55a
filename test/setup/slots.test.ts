import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/tmp.js';
import { takeSlot } from './slots.js';

describe('test-run slots (test/setup/slots.ts)', () => {
  it('lets at most `count` holders in at once, and every waiter in eventually', async () => {
    const folder = join(tempDir('keyprobe-slots-').dir, 'run');
    let holding = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        const slot = await takeSlot(folder, 2, { pollMs: 5 });
        holding++;
        most = Math.max(most, holding);
        await sleep(30);
        holding--;
        slot.release();
      }),
    );
    expect(most).toBe(2);
  });

  it('lets waiters of a lower rank go first', async () => {
    const folder = join(tempDir('keyprobe-slots-').dir, 'run');
    const first = await takeSlot(folder, 1, { pollMs: 5 });
    const order: number[] = [];
    const waiters = [3, 1, 2].map(async (rank) => {
      const slot = await takeSlot(folder, 1, { rank, pollMs: 5 });
      order.push(rank);
      await sleep(10);
      slot.release();
    });
    await sleep(50);
    first.release();
    await Promise.all(waiters);
    expect(order).toEqual([1, 2, 3]);
  });

  it('takes back a slot whose holder died', async () => {
    const folder = join(tempDir('keyprobe-slots-').dir, 'run');
    mkdirSync(join(folder, 'slot-0'), { recursive: true });
    // A pid no process has (above the kernel's pid_max).
    writeFileSync(join(folder, 'slot-0', 'pid'), '4194305');
    const slot = await takeSlot(folder, 1, { pollMs: 5 });
    expect(slot.index).toBe(0);
    slot.release();
  });
});
