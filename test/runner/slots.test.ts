// ProfileSlots: a profile waiting on a clock lends its slot, takes it back
// without queueing when the wait ends, and no more than IN_PROGRESS_PER_SLOT ×
// cap profiles are ever started and unfinished (lending without that bound
// let a thousand profiles start at once and swamp the target).
import { describe, expect, it } from 'vitest';
import { clockWait, LEND_MIN_MS } from '../../src/clock-waits.js';
import { IN_PROGRESS_PER_SLOT, ProfileSlots } from '../../src/runner/slots.js';

/** A wait that ends when the test says so, reported as a long clock wait. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => {
    open = r;
  });
  return { open, opened };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('ProfileSlots', () => {
  it('starts new profiles only while fewer than the cap work, and no more than IN_PROGRESS_PER_SLOT × cap in all', async () => {
    const slots = new ProfileSlots(2);
    const started: number[] = [];
    const gates = Array.from({ length: 10 }, gate);
    const runs = gates.map((g, i) => {
      const signal = new AbortController().signal;
      return slots.run(signal, async () => {
        started.push(i);
        await clockWait(signal, LEND_MIN_MS, g.opened);
      });
    });
    await settle();
    // Every started profile is waiting on a clock, so each lent its slot: the bound on profiles in progress stops the rest.
    expect(started).toEqual([0, 1, 2, 3, 4, 5].slice(0, 2 * IN_PROGRESS_PER_SLOT));
    expect(slots.peakWorking).toBeLessThanOrEqual(2);
    gates[0]!.open();
    await settle();
    expect(started).toHaveLength(2 * IN_PROGRESS_PER_SLOT + 1);
    for (const g of gates) g.open();
    await Promise.all(runs);
    expect(started.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(slots.peakInProgress).toBe(2 * IN_PROGRESS_PER_SLOT);
  });

  it('gives a profile its slot back at once when its wait ends, even with every slot taken', async () => {
    const slots = new ProfileSlots(1);
    const log: string[] = [];
    const first = gate();
    const second = gate();
    const a = new AbortController().signal;
    const b = new AbortController().signal;
    const runA = slots.run(a, async () => {
      await clockWait(a, LEND_MIN_MS, first.opened);
      log.push('a resumed');
    });
    const runB = slots.run(b, async () => {
      log.push('b started');
      await second.opened; // working, not waiting on a clock: B holds the slot
      log.push('b done');
    });
    await settle();
    first.open();
    await runA;
    // A did not queue behind B: for that moment two profiles worked under a cap of 1.
    expect(log).toEqual(['b started', 'a resumed']);
    expect(slots.peakWorking).toBe(2);
    second.open();
    await runB;
  });

  it('keeps the slot through a wait shorter than LEND_MIN_MS', async () => {
    const slots = new ProfileSlots(1);
    const started: string[] = [];
    const g = gate();
    const a = new AbortController().signal;
    const runA = slots.run(a, async () => {
      started.push('a');
      await clockWait(a, LEND_MIN_MS - 1, g.opened);
    });
    const runB = slots.run(new AbortController().signal, async () => {
      started.push('b');
    });
    await settle();
    expect(started).toEqual(['a']);
    g.open();
    await Promise.all([runA, runB]);
    expect(started).toEqual(['a', 'b']);
  });
});
