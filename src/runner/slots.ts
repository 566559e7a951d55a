// The run's concurrency slots (--concurrency): how many profiles work at once.
//
// A profile that waits on a clock (src/clock-waits.ts) sends nothing, so it
// lends its slot to the next profile for as long as the wait lasts: a run of
// many profiles then overlaps their revocation windows, rate windows and
// Retry-After waits instead of holding slots idle through them. When the wait
// ends the profile takes its slot back at once, without queueing: the probe
// after a wait is often the one that times a revocation or a grace period,
// and it must not be sent late because other profiles were busy. So the cap
// decides when a new profile may start (only while fewer than the cap are
// working); for a moment after several waits end together, more than the cap
// may be working, never because a new profile started.
import { listenForClockWaits } from '../clock-waits.js';

export class ProfileSlots {
  /** Profiles started and not waiting on a clock. */
  private working = 0;
  private readonly queue: (() => void)[] = [];
  /** The most profiles that were working at one moment, for the report. */
  peakWorking = 0;

  constructor(readonly cap: number) {}

  /** Runs `task` once a slot is free; `signal` is the task's own, so its clock waits lend the slot. */
  async run<T>(signal: AbortSignal, task: () => Promise<T>): Promise<T> {
    if (this.working < this.cap) this.take();
    // give() takes the slot on this profile's behalf before it lets it start.
    else await new Promise<void>((resolve) => this.queue.push(resolve));
    let waits = 0;
    let finished = false;
    listenForClockWaits(signal, {
      // Concurrent waits of one profile (its request-phase checks) lend the slot once, from the first to begin to the last to end.
      began: () => {
        if (!finished && waits++ === 0) this.give();
      },
      ended: () => {
        if (!finished && --waits === 0) this.take();
      },
    });
    try {
      return await task();
    } finally {
      // A wait still open here was never awaited by the task: its slot is already lent.
      finished = true;
      if (waits === 0) this.give();
    }
  }

  private take(): void {
    this.working++;
    this.peakWorking = Math.max(this.peakWorking, this.working);
  }

  /** A slot is free again: the next profiles in line start while fewer than the cap are working. */
  private give(): void {
    this.working--;
    while (this.working < this.cap && this.queue.length > 0) {
      this.take();
      this.queue.shift()!();
    }
  }
}
