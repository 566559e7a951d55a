// The poll-until-refused primitive of the lifecycle checks, over loopback,
// against a key that a scripted server keeps serving for a few probes, then
// refuses: judged probes and throttled ones are counted apart (a throttled
// answer is neither a refusal nor an acceptance), the stability window counts
// an acceptance after the first refusal as a flap (marked failing evidence),
// and the lag is worded as a reviewer reads it. The assertions count probes,
// not milliseconds, so a busy machine cannot change them.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RefusalJudge } from '../../src/checks/refusal-judge.js';
import { notWatchedClosely, refusedLate, watchForRefusal } from '../../src/checks/refusal-watch.js';
import { json, startServer, type TestServer } from '../http/servers.js';
import { throttleRule } from '../../src/http/throttle.js';
import { checkContext } from './check-context.js';

const KEY = `kp_prod_${randomBytes(16).toString('hex')}`;
let server: TestServer;
/** The answers to the next probes of /ok, in order; once spent, 401. */
let script: number[] = [];
/** From this many refusals on, a 401 quotes the key (undefined: never). */
let quoteKeyAfter: number | undefined;
let refusalsSent = 0;

beforeAll(async () => {
  server = await startServer((_req, res) => {
    const status = script.shift() ?? 401;
    if (status === 401 && quoteKeyAfter !== undefined && refusalsSent++ >= quoteKeyAfter)
      return json(res, 401, { error: `key ${KEY} is disabled` });
    return json(res, status, {}, status === 429 ? { 'retry-after': '0' } : {});
  });
});
afterAll(() => server.close());

const watch = (stability?: { windowMs: number; intervalMs: number }) => {
  const ctx = checkContext(server.origin, KEY);
  return watchForRefusal(ctx, KEY, {
    t0: performance.now(),
    maxWaitMs: 10_000,
    fineUntilMs: 10_000,
    pollIntervalMs: 5,
    label: 'after the disable',
    ...(stability ? { stability } : {}),
  });
};

describe('watchForRefusal', () => {
  it("a refusal that first says too much in the stability window is kept as the finding's evidence, as one in the poll is", async () => {
    // The poll's refusal is clean and not recorded; the window's next refusal quotes the key.
    script = [];
    quoteKeyAfter = 1;
    refusalsSent = 0;
    const ctx = checkContext(server.origin, KEY);
    const refusals = new RefusalJudge(ctx);
    refusals.about({ secret: KEY, name: 'the key' }, ['key']);
    await watchForRefusal(ctx, KEY, {
      t0: performance.now(),
      maxWaitMs: 10_000,
      fineUntilMs: 10_000,
      pollIntervalMs: 5,
      label: 'after the disable',
      stability: { windowMs: 300, intervalMs: 20 },
      refusals,
    });
    quoteKeyAfter = undefined;
    const o = refusals.outcome({ verdict: 'pass', message: 'refused in time' });
    expect(o.verdict).toBe('fail');
    expect(o.message).toMatch(/^the refusal of the key said too much: 401 Unauthorized, its body reveals the key itself/);
    const evidence = o.findings![0]!.response!;
    expect(ctx.http.exchangeIndexOf(evidence)).toBeDefined();
  });

  it('counts accepted and throttled probes apart until the first refusal', async () => {
    script = [200, 200, 429, 200, 401];
    const w = await watch();
    expect(w.stoppedBy).toBe('rejected');
    expect(w.accepted).toBe(3);
    expect(w.throttled).toBe(1);
    expect(w.points.map((p) => [p.status, p.accepted])).toEqual([
      [200, true],
      [200, true],
      [429, false],
      [200, true],
      [401, false],
    ]);
    expect(w.firstRejectionMs).toBeGreaterThanOrEqual(w.lastAcceptedMs!);
    expect(w.stability).toBeUndefined();
  });

  it('a key that is only ever throttled is never judged refused', async () => {
    script = Array(400).fill(429);
    const ctx = checkContext(server.origin, KEY);
    const w = await watchForRefusal(ctx, KEY, { t0: performance.now(), maxWaitMs: 300, fineUntilMs: 300, pollIntervalMs: 5, label: 'x' });
    expect(w.stoppedBy).toBe('wait ran out');
    expect(w.firstRejectionMs).toBeUndefined();
    expect(w.accepted).toBe(0);
    expect(w.throttled).toBe(w.points.length);
    script = [];
  });

  it('the stability window counts an acceptance after the first refusal as a flap, and a throttled probe apart', async () => {
    script = [200, 401, 401, 200, 429, 401];
    const w = await watch({ windowMs: 1000, intervalMs: 20 });
    expect(w.stoppedBy).toBe('rejected');
    expect(w.accepted).toBe(1);
    expect(w.stability).toBeDefined();
    expect(w.stability!.flaps).toBe(1);
    expect(w.stability!.throttled).toBe(1);
    // Every probe of the window after the script ran out was refused: judged, no flap.
    expect(w.stability!.probes).toBeGreaterThanOrEqual(3);
    expect(w.points.filter((p) => p.accepted)).toHaveLength(2);
  });

  it('a declared throttling status that is also a refusal is a throttle when it says when to come back (the throttle rule), not the refusal', async () => {
    // Tyk-like: 403 refuses a key, and 403 with Retry-After throttles it. The probes observe throttles,
    // so they must judge them by the client's rule: a throttled 403 taken for the refusal would time a
    // revocation that had not happened.
    const answers: [number, Record<string, string>][] = [
      [200, {}],
      [403, { 'retry-after': '1' }],
      [200, {}],
      [403, {}],
    ];
    const tyk = await startServer((_req, res) => {
      const [status, headers] = answers.shift() ?? [403, {}];
      json(res, status, {}, headers);
    });
    try {
      const profile = {
        rejection: { statuses: [401, 403] },
        rateLimit: { limit: 100, windowSeconds: 1, probe: 'GET /ok', statuses: [403] },
      };
      const rule = throttleRule({ declaredStatuses: [403], refusalStatuses: [401, 403], windowSeconds: 1 });
      const ctx = checkContext(tyk.origin, KEY, profile, 100, rule);
      const w = await watchForRefusal(ctx, KEY, {
        t0: performance.now(),
        maxWaitMs: 10_000,
        fineUntilMs: 10_000,
        pollIntervalMs: 5,
        label: 'x',
      });
      expect(w.points.map((p) => p.status)).toEqual([200, 403, 200, 403]);
      expect(w.throttled).toBe(1);
      expect(w.accepted).toBe(2);
      expect(w.stoppedBy).toBe('rejected');
    } finally {
      await tyk.close();
    }
  });

  it('a stability window judged on too few probes is not judged: mostly throttled, it says so', async () => {
    // A window of 1 s watched every 20 ms may leave 250 ms unwatched: it takes at least 4 judged probes.
    script = [401, 401, ...Array(300).fill(429)];
    const w = await watch({ windowMs: 1000, intervalMs: 20 });
    script = [];
    expect(w.stability!.probes).toBe(1);
    expect(w.stability!.allowedGapMs).toBe(250);
    expect(notWatchedClosely(w.stability!)).toMatch(
      /^throttled: could not judge the 1 s stability window: only 1 of its \d+ probes got a judged answer \(the rest were throttled\), and it takes at least 4 to watch it every 250 ms$/,
    );
    // The same window with every probe judged: closely watched, unless this process stalled (not asserted: a busy machine may).
    const judged = await watch({ windowMs: 1000, intervalMs: 20 });
    expect(judged.stability!.probes).toBeGreaterThanOrEqual(4);
    expect(judged.stability!.throttled).toBe(0);
  });

  it('words the lag as measured', () => {
    expect(refusedLate('the canary', 37_140, 'the delete', 1000)).toBe('the canary was refused 37.1 s after the delete; budget 1 s');
    expect(refusedLate('the key', 312.44, 'the disable', 250)).toBe('the key was refused 312.4 ms after the disable; budget 250 ms');
  });
});
