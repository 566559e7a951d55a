// A profile's own abort signal, following the run's (src/runner/run.ts).
import { whenAborted } from '../abort-callbacks.js';

/**
 * A signal that aborts when `source` does, with its reason, until release()
 * is called. Not AbortSignal.any([source]): Node keeps such a signal, and
 * all its listeners hold, for as long as it has an 'abort' listener and its
 * source lives (issue #15: the HTTP client's one listener per signal made
 * every finished profile's signal live as long as the run, ~17 KB each,
 * measured at 400 profiles). This one is let go once released, and the
 * source's listener once no profile follows it. Every
 * profile in progress follows the run's signal through its one listener
 * (src/abort-callbacks.ts), not a listener each.
 */
export function followedSignal(source: AbortSignal): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  if (source.aborted) {
    controller.abort(source.reason);
    return { signal: controller.signal, release: () => undefined };
  }
  const release = whenAborted(source, () => controller.abort(source.reason));
  return { signal: controller.signal, release };
}
