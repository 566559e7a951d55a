// Preflight: before any check of a profile, one request without a credential
// (can the target be reached at all?) and one with the key on an allowed
// resource (is the key accepted?). A target that gives no HTTP answer, or one
// keyprobe cannot parse, stops the profile there: every check is "not run:
// target unreachable" (or "…answered with malformed HTTP"), in well
// under the time one check would take to find out, and with one message
// instead of the same network error once per check. A key that is refused
// does not stop the run: auth.valid-key-accepted judges that, with evidence.
// Both go through the run's client, so they are paced like every other
// request, and a throttled answer is waited out (the throttle rule): a target
// that keeps saying "slow down" is reachable, never "unreachable".
import { probeResource } from '../checks/credentials.js';
import { asList, matchesExpected, statusText } from '../checks/describe.js';
import { throttleStatuses } from '../checks/key-probe.js';
import type { Profile } from '../config/profile-schema.js';
import { NoAnswerError, ThrottledError } from '../errors.js';
import type { Credential, HttpClient } from '../http/client.js';
import type { Preflight } from '../result.js';

export async function preflight(client: HttpClient, profile: Profile): Promise<Preflight> {
  const http = client.fork();
  const r = probeResource(profile);
  const send = (label: string, credential?: Credential) =>
    http.send({ label, method: r.method, path: r.path, body: r.body, headers: r.headers, ...(credential ? { credential } : {}) });
  const evidence = () => http.evidence().exchanges;
  const where = `${r.method} ${r.path}`;
  const throttled = (who: string, why: string): Preflight => ({
    reachable: true,
    message: `reachable; ${who} was throttled on ${where} (${why}), so not judged`,
    evidence: evidence(),
  });
  // An answer undici could not parse (not HTTP at all, a bad chunk size, a Content-Length sent twice) came from a
  // target that is there, so not "cannot be reached"; but a target whose answers keyprobe cannot read cannot be
  // tested, and the lifecycle checks would make, disable and delete keys on the management API against it.
  // It stops the profile as "unreachable" does, in its own words.
  const malformed = (err: NoAnswerError): Preflight => ({
    reachable: false,
    malformed: true,
    message: `${profile.target.origin} answered, but keyprobe cannot test it: ${err.message}`,
    evidence: evidence(),
  });
  try {
    await send('preflight: reachability (no credential)', { kind: 'none' });
  } catch (err) {
    // Throttled is an answer: the target is there. Only no answer at all means "unreachable";
    // the budget, an interruption or a bug is not preflight's to judge.
    if (err instanceof ThrottledError) return throttled('a request without a credential', err.detail);
    if (!(err instanceof NoAnswerError)) throw err;
    if (err.malformed) return malformed(err);
    return { reachable: false, message: `${profile.target.origin} cannot be reached: ${err.message}`, evidence: evidence() };
  }
  try {
    const res = await send('preflight: the key on an allowed resource');
    if (throttleStatuses(profile).includes(res.status)) return throttled('the key', statusText(res.status));
    const accepted = matchesExpected(res.status, asList(r.expect));
    return {
      reachable: true,
      keyAccepted: accepted,
      message: `reachable; the key ${accepted ? 'was accepted' : 'was NOT accepted'} on ${where} (${statusText(res.status)})`,
      evidence: evidence(),
    };
  } catch (err) {
    if (err instanceof ThrottledError) return throttled('the key', err.detail);
    if (!(err instanceof NoAnswerError)) throw err;
    if (err.malformed) return malformed(err);
    return { reachable: false, message: `${profile.target.origin} cannot be reached: ${err.message}`, evidence: evidence() };
  }
}
