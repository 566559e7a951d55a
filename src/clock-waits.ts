// Waits on a clock (a revocation window, a rate window, a Retry-After, the
// pacer's settle), told to whoever schedules the work that waits.
//
// A profile that sleeps sends nothing, so the runner lends its concurrency
// slot to another profile for as long as the sleep lasts (src/runner/slots.ts).
// The waits are found by the AbortSignal they already take: the runner gives
// each profile a signal of its own and listens on it here. That keeps checks,
// the HTTP client and the pacer free of any scheduling parameter, and costs
// nothing where no one listens (tests, `keyprobe audit`, the bench's clients).
// This module imports nothing of keyprobe's, so any folder may use it.

/** Told when a wait begins and when it ends (each begin is followed by exactly one end). */
export interface ClockWaitListener {
  began(): void;
  ended(): void;
  /**
   * Resolves when a burst may begin, with what to call once it is over (see
   * whenAdmitted); absent: any time. Resolves at once on an aborted `signal`.
   */
  admitBurst?(signal: AbortSignal): Promise<() => void>;
}

const listeners = new WeakMap<AbortSignal, ClockWaitListener>();

/**
 * Shorter waits keep their slot: the polls that time a revocation and the
 * pacer's spacing between requests last milliseconds, and lending the slot
 * for each would let a profile back in over the cap every time one ends.
 */
export const LEND_MIN_MS = 250;

/** Every clockWait made with `signal` (or a signal passed down from it by reference) is told to `listener`. */
export function listenForClockWaits(signal: AbortSignal, listener: ClockWaitListener): void {
  listeners.set(signal, listener);
}

/** Awaits `wait` (a sleep of about `ms` on a timer), telling the scheduler of the work behind `signal` that it sends nothing meanwhile. */
export async function clockWait<T>(signal: AbortSignal | undefined, ms: number, wait: Promise<T>): Promise<T> {
  const listener = signal && ms >= LEND_MIN_MS ? listeners.get(signal) : undefined;
  if (!listener) return wait;
  listener.began();
  try {
    return await wait;
  } finally {
    listener.ended();
  }
}

/**
 * Runs `burst` (a rate check's burst: it must fit in the limiter's window, so
 * it needs keyprobe's event loop on time while it runs) once the scheduler of
 * the work behind `signal` admits it. Waiting before a burst is safe: it
 * starts on a window that is fresh already (the bucket's hold) and only gets
 * fresher; an event loop too busy to answer its requests on time is not.
 */
export async function whenAdmitted<T>(signal: AbortSignal | undefined, burst: () => Promise<T>): Promise<T> {
  const listener = signal ? listeners.get(signal) : undefined;
  if (!signal || !listener?.admitBurst) return burst();
  const release = await listener.admitBurst(signal);
  try {
    return await burst();
  } finally {
    release();
  }
}
