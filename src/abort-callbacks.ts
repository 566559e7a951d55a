// One 'abort' listener per signal, however many want to hear of it.
//
// The run's signal is followed by every profile in progress (hundreds in a big
// run), and a profile's by every request in flight. A listener each cost
// more than the rest of a request's bookkeeping (removing one walks the
// signal's list of listeners), and past ten on one signal Node prints a
// "possible EventTarget memory leak" warning to stderr in the middle of a
// run's output (issue #15: every run of more than ten profiles at once did).
// So each signal gets one listener, which calls everything registered on it.
const abortCallbacks = new WeakMap<AbortSignal, Set<() => void>>();

/** Calls `onAbort` when `signal` aborts (in the order they were given), until the function it returns is called. */
export function whenAborted(signal: AbortSignal, onAbort: () => void): () => void {
  const registered = abortCallbacks.get(signal) ?? listenOnce(signal);
  registered.add(onAbort);
  return () => registered.delete(onAbort);
}

/**
 * The signal's one listener and the set it calls. Made in a function of its
 * own: a listener made in whenAborted would share its closure context, which
 * holds the first caller's onAbort (and through it that caller's objects)
 * for as long as the signal lives.
 */
function listenOnce(signal: AbortSignal): Set<() => void> {
  const all = new Set<() => void>();
  signal.addEventListener(
    'abort',
    () => {
      for (const callback of all) callback();
    },
    { once: true },
  );
  abortCallbacks.set(signal, all);
  return all;
}
