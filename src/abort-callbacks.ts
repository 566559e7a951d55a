// One 'abort' listener per signal, however many want to hear of it.
//
// The run's signal is followed by every profile in progress (hundreds in a big
// run), and a profile's by every request in flight. A listener each cost
// more than the rest of a request's bookkeeping (removing one walks the
// signal's list of listeners), and past ten on one signal Node prints a
// "possible EventTarget memory leak" warning to stderr in the middle of a
// run's output (issue #15: every run of more than ten profiles at once did).
// So each signal gets one listener, which calls everything registered on it,
// and it goes with the last of them: Node holds a timeout signal (a
// cleanup's, AbortSignal.timeout) that has an 'abort' listener, and all the
// listener holds, until its timer fires, so every cleanup of a big run held
// its client and first request for 10 s after it was done (some 1,000
// signals and 9-11 MB in each worker of a two-thread run; bench/memory.md,
// "Session 13").
interface AbortCallbacks {
  readonly all: Set<() => void>;
  readonly listener: () => void;
}

const abortCallbacks = new WeakMap<AbortSignal, AbortCallbacks>();

/** Calls `onAbort` when `signal` aborts (in the order they were given), until the function it returns is called. */
export function whenAborted(signal: AbortSignal, onAbort: () => void): () => void {
  let callbacks = abortCallbacks.get(signal);
  if (!callbacks) {
    callbacks = listenOnce(signal);
    abortCallbacks.set(signal, callbacks);
  }
  const registered = callbacks;
  const { all, listener } = registered;
  all.add(onAbort);
  return () => {
    all.delete(onAbort);
    if (all.size > 0 || abortCallbacks.get(signal) !== registered) return;
    signal.removeEventListener('abort', listener);
    abortCallbacks.delete(signal);
  };
}

/**
 * The signal's one listener and the set it calls. Made in a function of its
 * own: a listener made in whenAborted would share its closure context, which
 * holds the first caller's onAbort (and through it that caller's objects)
 * for as long as the signal lives.
 */
function listenOnce(signal: AbortSignal): AbortCallbacks {
  const all = new Set<() => void>();
  const listener = () => {
    for (const callback of all) callback();
  };
  signal.addEventListener('abort', listener, { once: true });
  return { all, listener };
}
