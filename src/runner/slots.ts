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
//
// Lag alone let too much in: it only shows once the loop is already full, and
// it falls back within two ticks of a stall, so starts kept the loop at the
// limit, and the work that resumed (waits that ended together) found no room:
// a thousand profiles at --concurrency 200 ended 570 checks in `error`,
// bursts slower than their window. So a new profile also waits while the loop
// was busy (event loop utilisation) more than MAX_START_BUSY of late, and
// while a burst waits: work in progress comes before new work. And a burst
// (a rate check's, which must fit in the limiter's window) begins only while
// the loop is on time, MAX_BURSTS at a time (clock-waits.ts, whenAdmitted).
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
/** However late the event loop, one queued profile (and one queued burst) starts at least this often. */
const TRICKLE_MS = 250;
/**
 * New profiles start only while the event loop was busy less than this share
 * of the last BUSY_MEMORY_MS: the rest is room for the work in progress
 * (answers, waits that end, bursts) to run on time.
 */
export const MAX_START_BUSY = 0.8;
/** How far back the busy share looks (an average that forgets with this time constant). */
const BUSY_MEMORY_MS = 200;
/** Taken once, so that a test's fake `performance` (timers only) leaves the measure real. */
const eventLoopUtilization = performance.eventLoopUtilization.bind(performance);
/** Bursts running at once in a big run, at most (a burst on loopback lasts milliseconds: more at once only share the loop). */
export const MAX_BURSTS = 4;

/** What the scheduler reads of keyprobe's event loop: how late it runs a timer lately, and how busy it was of late (0-1). */
export interface LoopLoad {
  lagMs(): number;
  busy(): number;
}

/**
 * Measured on a timer of TICK_MS: its lateness, decaying by half each tick,
 * and the event loop's utilisation (time spent running, not waiting for
 * I/O), averaged over about BUSY_MEMORY_MS.
 */
class LoopMeter implements LoopLoad {
  private recentMs = 0;
  private recentBusy = 0;
  private last = performance.now();
  private lastUse = eventLoopUtilization();
  private readonly timer: NodeJS.Timeout;

  constructor(onTick: () => void) {
    this.timer = setInterval(() => {
      const now = performance.now();
      const late = Math.max(0, now - this.last - TICK_MS);
      const use = eventLoopUtilization();
      const share = eventLoopUtilization(use, this.lastUse).utilization;
      const weight = 1 - Math.exp(-(now - this.last) / BUSY_MEMORY_MS);
      this.recentBusy += (share - this.recentBusy) * weight;
      this.last = now;
      this.lastUse = use;
      this.recentMs = Math.max(late, this.recentMs / 2);
      onTick();
    }, TICK_MS);
  }

  lagMs(): number {
    return this.recentMs;
  }

  busy(): number {
    return this.recentBusy;
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
  /** Bursts admitted and not over; bursts waiting to begin, in order. */
  private bursts = 0;
  private readonly burstQueue: (() => void)[] = [];
  /** The most profiles that were working at one moment, and in progress at one moment. */
  peakWorking = 0;
  peakInProgress = 0;
  /** Watches the event loop while profiles or bursts are queued in a big run (undefined otherwise). */
  private meter?: LoopMeter;
  private startsThisTick = 0;
  private lastStart = 0;
  private lastBurst = 0;

  /** `load`, for tests: what the event loop's lag and busy share read (default: measured). */
  constructor(
    readonly cap: number,
    private readonly load?: LoopLoad,
  ) {}

  /** Runs `task` once a slot is free; `signal` is the task's own, so its clock waits lend the slot and its bursts ask for admission. */
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
      admitBurst: (burstSignal) => this.admitBurst(burstSignal),
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

  /** Resolves when a burst may begin (at once in a small run, or when interrupted), with its release. */
  private async admitBurst(signal: AbortSignal): Promise<() => void> {
    if (!signal.aborted && !this.mayBurst()) {
      await new Promise<void>((resolve) => {
        const admit = () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
        // Interrupted while queued: let the burst go, it sees the signal and sends nothing.
        const onAbort = () => {
          const at = this.burstQueue.indexOf(admit);
          if (at >= 0) this.burstQueue.splice(at, 1);
          this.bursts++;
          resolve();
        };
        signal.addEventListener('abort', onAbort, { once: true });
        this.burstQueue.push(admit);
      });
    } else this.bursts++;
    this.lastBurst = performance.now();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.bursts--;
      this.pump();
    };
  }

  /** In a big run, the meter that watches the event loop (started on first use). */
  private loopLoad(): LoopLoad {
    this.meter ??= new LoopMeter(() => this.tick());
    return this.load ?? this.meter;
  }

  private mayBurst(): boolean {
    if (this.inProgress < UNGATED_IN_PROGRESS) return true;
    if (this.bursts >= MAX_BURSTS) return false;
    return this.loopLoad().lagMs() < MAX_START_LAG_MS || performance.now() - this.lastBurst >= TRICKLE_MS;
  }

  private mayStart(): boolean {
    if (this.working >= this.cap || this.inProgress >= this.cap * IN_PROGRESS_PER_SLOT) return false;
    if (this.inProgress < UNGATED_IN_PROGRESS) return true;
    const load = this.loopLoad();
    if (this.startsThisTick >= STARTS_PER_TICK) return false;
    const onTime = load.lagMs() < MAX_START_LAG_MS && load.busy() < MAX_START_BUSY && this.burstQueue.length === 0;
    return onTime || performance.now() - this.lastStart >= TRICKLE_MS;
  }

  private start(): void {
    this.inProgress++;
    this.peakInProgress = Math.max(this.peakInProgress, this.inProgress);
    this.startsThisTick++;
    this.lastStart = performance.now();
    this.take();
  }

  /** Every TICK_MS while the event loop is watched: the next queued bursts and profiles may start; nothing queued, stop watching. */
  private tick(): void {
    this.startsThisTick = 0;
    this.pump();
    if (this.queue.length === 0 && this.burstQueue.length === 0) {
      this.meter?.stop();
      this.meter = undefined;
    }
  }

  private take(): void {
    this.working++;
    this.peakWorking = Math.max(this.peakWorking, this.working);
  }

  /** Admits the next bursts in line while there is room, then starts the next profiles. */
  private pump(): void {
    while (this.burstQueue.length > 0 && this.mayBurst()) {
      this.bursts++;
      this.burstQueue.shift()!();
    }
    while (this.queue.length > 0 && this.mayStart()) {
      this.start();
      this.queue.shift()!();
    }
  }
}
