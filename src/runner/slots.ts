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
//
// Within those bounds, a big run also starts profiles only while keyprobe has
// the time for them: every profile begins with its busiest stretch (the
// preflight and the request checks, dozens of requests at once), so starting
// two hundred together kept keyprobe's event loop late by hundreds of
// milliseconds, and a probe sent late reads as a slow target (a burst slower
// than its window, a re-check after the window reset: honest `error`s). So
// once more than UNGATED_IN_PROGRESS profiles are in progress, a new one
// starts only while the event loop is on time (LoopLag), at most
// STARTS_PER_TICK at a time, and at least one every TRICKLE_MS whatever the
// lag (a machine busy with other work still makes progress).
import { listenForClockWaits } from '../clock-waits.js';

/**
 * A profile of the prelaunch suite spends about two thirds of its time in
 * waits it lends (rate windows, the expiry canary's life, Retry-After), so
 * three profiles in progress per slot keep about `cap` of them working.
 */
export const IN_PROGRESS_PER_SLOT = 3;

/** Runs this small start their profiles as slots allow, without watching the event loop (tests, most CI runs). */
export const UNGATED_IN_PROGRESS = 16;
/** How often the event loop's lag is measured, and queued profiles looked at. */
const TICK_MS = 10;
/**
 * New profiles start only while the event loop's recent lag is below this.
 * 400 profiles at --concurrency 200 on a quiet machine: 20 ms held starts back
 * (checks 35.9 s), 60 ms ran as fast as no gate (24.6 s against 23.2 s), all
 * three without an error.
 */
export const MAX_START_LAG_MS = 60;
/** Profiles started per tick at most: spread out, so the lag they cause shows before more start. */
const STARTS_PER_TICK = 2;
/** However late the event loop, one queued profile starts at least this often. */
const TRICKLE_MS = 250;

/** How late keyprobe's event loop runs a timer, lately: measured on a timer of TICK_MS, decaying by half each tick. */
class LoopLag {
  recentMs = 0;
  private last = performance.now();
  private readonly timer: NodeJS.Timeout;

  constructor(onTick: () => void) {
    this.timer = setInterval(() => {
      const now = performance.now();
      const late = Math.max(0, now - this.last - TICK_MS);
      this.last = now;
      this.recentMs = Math.max(late, this.recentMs / 2);
      onTick();
    }, TICK_MS);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

export class ProfileSlots {
  /** Profiles started and not waiting on a clock. */
  private working = 0;
  /** Profiles started and not finished. */
  private inProgress = 0;
  private readonly queue: (() => void)[] = [];
  /** The most profiles that were working at one moment, and in progress at one moment. */
  peakWorking = 0;
  peakInProgress = 0;
  /** Watches the event loop while profiles are queued beyond UNGATED_IN_PROGRESS (undefined otherwise). */
  private lag?: LoopLag;
  private startsThisTick = 0;
  private lastStart = 0;

  /** `loopLagMs`, for tests: what the event loop's lag reads (default: measured). */
  constructor(
    readonly cap: number,
    private readonly loopLagMs?: () => number,
  ) {}

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
    if (this.working >= this.cap || this.inProgress >= this.cap * IN_PROGRESS_PER_SLOT) return false;
    if (this.inProgress < UNGATED_IN_PROGRESS) return true;
    this.lag ??= new LoopLag(() => this.tick());
    if (this.startsThisTick >= STARTS_PER_TICK) return false;
    const lagMs = this.loopLagMs?.() ?? this.lag.recentMs;
    return lagMs < MAX_START_LAG_MS || performance.now() - this.lastStart >= TRICKLE_MS;
  }

  private start(): void {
    this.inProgress++;
    this.peakInProgress = Math.max(this.peakInProgress, this.inProgress);
    this.startsThisTick++;
    this.lastStart = performance.now();
    this.take();
  }

  /** Every TICK_MS while the event loop is watched: the next queued profiles may start; nothing queued, stop watching. */
  private tick(): void {
    this.startsThisTick = 0;
    this.pump();
    if (this.queue.length === 0) {
      this.lag?.stop();
      this.lag = undefined;
    }
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
