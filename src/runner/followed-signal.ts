// A profile's own abort signal, following the run's (src/runner/run.ts).

/**
 * The profiles following each source signal, and the source's one 'abort'
 * listener that aborts them all. A listener per profile put a thousand on the
 * run's signal at once (runProfiles makes every profile's signal before the
 * first starts), and Node printed "MaxListenersExceededWarning: Possible
 * EventTarget memory leak detected" on stderr in every run of more than ten
 * profiles (once per shard worker with --threads).
 */
const followers = new WeakMap<AbortSignal, Followers>();

interface Followers {
  readonly controllers: Set<AbortController>;
  readonly listener: () => void;
}

/**
 * A signal that aborts when `source` does, with its reason, until release()
 * is called. Not AbortSignal.any([source]): Node keeps such a signal, and
 * all its listeners hold, for as long as it has an 'abort' listener and its
 * source lives (issue #15: the HTTP client's one listener per signal made
 * every finished profile's signal live as long as the run, ~17 KB each,
 * measured at 400 profiles). This one is let go once released, and the
 * source's listener once no profile follows it.
 */
export function followedSignal(source: AbortSignal): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  if (source.aborted) {
    controller.abort(source.reason);
    return { signal: controller.signal, release: () => undefined };
  }
  let following = followers.get(source);
  if (!following) {
    following = listenFor(source);
    followers.set(source, following);
  }
  const { controllers, listener } = following;
  controllers.add(controller);
  return {
    signal: controller.signal,
    release: () => {
      controllers.delete(controller);
      if (controllers.size > 0 || followers.get(source) !== following) return;
      source.removeEventListener('abort', listener);
      followers.delete(source);
    },
  };
}

/** The source's one listener, in a function of its own: its closure holds the set, not the first profile's controller. */
function listenFor(source: AbortSignal): Followers {
  const controllers = new Set<AbortController>();
  const listener = () => {
    for (const controller of controllers) controller.abort(source.reason);
  };
  source.addEventListener('abort', listener, { once: true });
  return { controllers, listener };
}
