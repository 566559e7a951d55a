// After a cleanup task ran, keyprobe looks for itself: a re-enabled key must be
// accepted again, a deleted canary refused. A management API can answer 200
// and not do it, or do it late (a cache in front of the key store), so the
// key is probed — through the run's client (origin lock, budget, redaction),
// detached from the run's abort signal like cleanup itself — until it behaves
// as restored or a bounded wait runs out. The probes are paced like every
// request of the run, and a throttled answer says nothing about the key: the
// client waits it out (the throttle rule, within the time left), never counts it.
import { classify, lifecycleProbe } from '../checks/key-probe.js';
import { softRefusal } from '../checks/soft-refusal.js';
import type { Profile } from '../config/profile-schema.js';
import { CheckError, InterruptedError } from '../errors.js';
import type { HttpClient } from '../http/client.js';
import { parseRateLimitHeaders, secondsUntilReset } from '../http/rate-limit-headers.js';
import type { RestorationVerifier } from '../lifecycle/cleanup.js';

/** Pauses between probes: quick at first (most platforms are immediate), then once a second. */
const PAUSES_MS = [0, 50, 100, 250, 500];
const STEADY_PAUSE_MS = 1000;
/** Longest wait for a throttled verification probe. */
const MAX_THROTTLE_WAIT_MS = 5000;

export function restorationVerifier(http: HttpClient, profile: Profile): RestorationVerifier {
  return async (r, timeoutMs) => {
    const client = http.fork(AbortSignal.timeout(timeoutMs));
    const probe = lifecycleProbe(profile);
    const where = `${probe.method} ${probe.path} with the key`;
    // As long as a revocation may take (5 budgets, at least 5 s), within the cleanup time.
    const withinMs = Math.min(timeoutMs - 500, Math.max(5000, 5 * (profile.lifecycle?.revocationBudgetMs ?? 1000)));
    const t0 = performance.now();
    let last = 'no answer';
    /** What the last clear answer said about the key. */
    let seen: 'accepted' | 'refused' | undefined;
    for (let i = 0; ; i++) {
      const elapsed = () => Math.round(performance.now() - t0);
      let pause = PAUSES_MS[i + 1] ?? STEADY_PAUSE_MS;
      try {
        const res = await client.send({
          label: `cleanup check: ${r.subject} after ${r.action}`,
          method: probe.method,
          path: probe.path,
          body: probe.body,
          headers: probe.headers,
          credential: { kind: 'key', secret: r.secret },
          record: false,
          throttleLimits: { until: t0 + withinMs, untilName: 'the time keyprobe gives a cleanup check' },
        });
        // A 2xx whose body reads as a refusal (soft-refusal.ts) does not show the key is back: neither accepted nor refused.
        const soft = softRefusal(res);
        const kind = soft ? 'other' : classify(profile, res.status, probe.expect);
        last = `${where} → ${res.status}${soft ? ` with a body that reads as a refusal (${http.secrets.redact(soft)})` : ''}`;
        if (r.action === 'enable' && kind === 'accepted') return { ok: true, detail: `accepted again: ${last} after ${elapsed()} ms` };
        // A deleted key answering any refusal (401, 403, 404…) is gone; a 5xx or a throttle says nothing yet.
        const refused = kind === 'rejected' || (kind === 'other' && res.status >= 400 && res.status < 500);
        if (r.action === 'delete' && refused) return { ok: true, detail: `refused: ${last} after ${elapsed()} ms` };
        if (kind === 'accepted') seen = 'accepted';
        else if (refused) seen = 'refused';
        if (kind === 'throttled') {
          const reset = secondsUntilReset(parseRateLimitHeaders(res.headers));
          pause = Math.min(MAX_THROTTLE_WAIT_MS, Math.max(100, (reset?.seconds ?? profile.rateLimit?.windowSeconds ?? 1) * 1000 + 50));
        }
      } catch (err) {
        if (!(err instanceof CheckError) && !(err instanceof InterruptedError)) throw err;
        last = err instanceof InterruptedError ? `the cleanup time (${timeoutMs} ms) ran out` : err.message;
        if (err instanceof InterruptedError || err.name === 'BudgetExceededError') break;
      }
      if (elapsed() + pause > withinMs) break;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
    const done = r.action === 'enable' ? 're-enabled' : 'deleted';
    const after = `${Math.round(performance.now() - t0)} ms later`;
    const state = seen ? `still ${seen} ${after}` : `not seen ${r.action === 'enable' ? 'accepted' : 'refused'} ${after}`;
    return { ok: false, detail: `${done} as far as the adapter could tell, but ${state} (${last})` };
  };
}
