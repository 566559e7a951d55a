// ProfileSlots: a profile waiting on a clock lends its slot, takes it back
// without queueing when the wait ends, and no more than IN_PROGRESS_PER_SLOT ×
// cap profiles are ever started and unfinished (lending without that bound
// let a thousand profiles start at once and swamp the target).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { clockWait, LEND_MIN_MS, whenAdmitted } from '../../src/clock-waits.js';
import {
  IN_PROGRESS_PER_SLOT,
  MAX_BURSTS,
  MAX_START_BUSY,
  MAX_START_LAG_MS,
  ProfileSlots,
  UNGATED_IN_PROGRESS,
} from '../../src/runner/slots.js';

/** A wait that ends when the test says so, reported as a long clock wait. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => {
    open = r;
  });
  return { open, opened };
}

const settle = () => new Promise((r) => setImmediate(r));

/** `count` profiles queued on `slots`, each held until finish(): which started, in order. */
function startHeld(slots: ProfileSlots, count: number): { started: number[]; finish: () => Promise<void> } {
  const started: number[] = [];
  const gates = Array.from({ length: count }, gate);
  const runs = gates.map((g, i) =>
    slots.run(new AbortController().signal, async () => {
      started.push(i);
      await g.opened;
    }),
  );
  return {
    started,
    finish: async () => {
      for (const g of gates) g.open();
      await Promise.all(runs);
    },
  };
}

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

describe('ProfileSlots in a big run', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('starts profiles beyond UNGATED_IN_PROGRESS only while the event loop is on time, a few per tick, and one per TRICKLE_MS regardless', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout', 'performance'] });
    let lagMs = 100;
    const cap = 100;
    const slots = new ProfileSlots(cap, { lagMs: () => lagMs, busy: () => 0 });
    const { started, finish } = startHeld(slots, UNGATED_IN_PROGRESS + 20);
    await settle();
    // The first UNGATED_IN_PROGRESS start at once, as in any small run.
    expect(started).toHaveLength(UNGATED_IN_PROGRESS);
    // The event loop is late: nothing more starts for a while, though slots are free…
    await vi.advanceTimersByTimeAsync(100);
    expect(started).toHaveLength(UNGATED_IN_PROGRESS);
    // …but one profile every TRICKLE_MS all the same.
    await vi.advanceTimersByTimeAsync(200);
    expect(started).toHaveLength(UNGATED_IN_PROGRESS + 1);
    // On time again: the rest start, two per 10 ms tick, not all at once.
    lagMs = 0;
    await vi.advanceTimersByTimeAsync(10);
    expect(started).toHaveLength(UNGATED_IN_PROGRESS + 3);
    await vi.advanceTimersByTimeAsync(100);
    expect(started).toHaveLength(UNGATED_IN_PROGRESS + 20);
    expect(lagMs).toBeLessThan(MAX_START_LAG_MS);
    await finish();
  });

  it('holds new profiles back while the event loop was busy beyond MAX_START_BUSY of late, even when on time', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout', 'performance'] });
    let busy = 0.95;
    const slots = new ProfileSlots(100, { lagMs: () => 0, busy: () => busy });
    const { started, finish } = startHeld(slots, UNGATED_IN_PROGRESS + 10);
    await settle();
    expect(started).toHaveLength(UNGATED_IN_PROGRESS);
    // On time (no lag) but busy: only the trickle gets in.
    await vi.advanceTimersByTimeAsync(100);
    expect(started).toHaveLength(UNGATED_IN_PROGRESS);
    busy = MAX_START_BUSY / 2;
    await vi.advanceTimersByTimeAsync(100);
    expect(started).toHaveLength(UNGATED_IN_PROGRESS + 10);
    await finish();
  });

  it('lets MAX_BURSTS bursts run at once, only while the event loop is on time, and starts no profile while a burst waits', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout', 'performance'] });
    let lagMs = 0;
    const slots = new ProfileSlots(100, { lagMs: () => lagMs, busy: () => 0 });
    const profiles = UNGATED_IN_PROGRESS + 10;
    const wantBursts = MAX_BURSTS + 3;
    const started: number[] = [];
    const bursting: number[] = [];
    const burstGates = Array.from({ length: wantBursts }, gate);
    const profileGates = Array.from({ length: profiles }, gate);
    const go = gate();
    const runs = profileGates.map((g, i) => {
      const signal = new AbortController().signal;
      return slots.run(signal, async () => {
        started.push(i);
        // The first few profiles burst at once, once the run is big (their windows came fresh together).
        if (i < wantBursts) {
          await go.opened;
          await whenAdmitted(signal, async () => {
            bursting.push(i);
            await burstGates[i]!.opened;
            bursting.splice(bursting.indexOf(i), 1);
          });
        }
        await g.opened;
      });
    });
    await settle();
    expect(started).toHaveLength(UNGATED_IN_PROGRESS);
    go.open();
    await settle();
    // Every slot is free, but MAX_BURSTS burst and the rest wait; no new profile starts meanwhile.
    expect(bursting).toHaveLength(MAX_BURSTS);
    await vi.advanceTimersByTimeAsync(100);
    expect(bursting).toHaveLength(MAX_BURSTS);
    expect(started).toHaveLength(UNGATED_IN_PROGRESS);
    // The event loop is late: a burst that ends makes room, but the next waits (for a trickle of one per 250 ms at most).
    lagMs = MAX_START_LAG_MS * 2;
    burstGates[0]!.open();
    await vi.advanceTimersByTimeAsync(20);
    expect(bursting).toHaveLength(MAX_BURSTS - 1);
    // On time again: the queued bursts go in, then the queued profiles start.
    lagMs = 0;
    await vi.advanceTimersByTimeAsync(20);
    expect(bursting).toHaveLength(MAX_BURSTS);
    for (const g of burstGates) g.open();
    await vi.advanceTimersByTimeAsync(100);
    expect(bursting).toHaveLength(0);
    expect(started).toHaveLength(profiles);
    for (const g of profileGates) g.open();
    await Promise.all(runs);
  });
});
