// The run's concurrency slots (--concurrency): how many profiles work at once.
//
// A profile that waits on a clock (src/clock-waits.ts) sends nothing, so it
// lends its slot to the next profile for as long as the wait lasts: a run of
// many profiles then overlaps their rate windows, expiries and Retry-After
// waits instead of holding slots idle through them. When the wait ends the
// profile takes its slot back at once, without queueing: the probe after a
// wait is often the one that times an expiry or a grace period, and it must
// not be sent late because other profiles were busy. So the cap decides when
// a new profile may start (only while fewer than the cap are working); after
// several waits end together, more than the cap may work for a while, never
// because a new profile started. And at most IN_PROGRESS_PER_SLOT × cap
// profiles are started and unfinished at once: lending without that bound
// started all of a thousand profiles within seconds, and when their waits
// ended together the target (and keyprobe's own event loop) fell behind so
// far that probes timed out and grace periods were missed.
import { listenForClockWaits } from '../clock-waits.js';

/**
 * A profile of the prelaunch suite spends about two thirds of its time in
 * waits it lends (rate windows, the expiry canary's life, Retry-After), so
 * three profiles in progress per slot keep about `cap` of them working.
 */
export const IN_PROGRESS_PER_SLOT = 3;

export class ProfileSlots {
  /** Profiles started and not waiting on a clock. */
  private working = 0;
  /** Profiles started and not finished. */
  private inProgress = 0;
  private readonly queue: (() => void)[] = [];
  /** The most profiles that were working at one moment, and in progress at one moment. */
  peakWorking = 0;
  peakInProgress = 0;

  constructor(readonly cap: number) {}

  /** Runs `task` once a slot is free; `signal` is the task's own, so its clock waits lend the slot. */
  async run<T>(signal: AbortSignal, task: () => Promise<T>): Promise<T> {
    if (this.mayStart()) this.start();
    // pump() starts the profile on its behalf before it lets it go.
    else await new Promise<void>((resolve) => this.queue.push(resolve));
    let waits = 0;
    let finished = false;
    listenForClockWaits(signal, {
      // Concurrent waits of one profile (its request-phase checks) lend the slot once, from the first to begin to the last to end.
      began: () => {
        if (!finished && waits++ === 0) {
          this.working--;
          this.pump();
        }
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
      if (waits === 0) this.working--;
      this.inProgress--;
      this.pump();
    }
  }

  private mayStart(): boolean {
    return this.working < this.cap && this.inProgress < this.cap * IN_PROGRESS_PER_SLOT;
  }

  private start(): void {
    this.inProgress++;
    this.peakInProgress = Math.max(this.peakInProgress, this.inProgress);
    this.take();
  }

  private take(): void {
    this.working++;
    this.peakWorking = Math.max(this.peakWorking, this.working);
  }

  /** Starts the next profiles in line while there is room. */
  private pump(): void {
    while (this.queue.length > 0 && this.mayStart()) {
      this.start();
      this.queue.shift()!();
    }
  }
}
