// The runner: skips with the stated reason when a profile gives a check no
// data; runs several profiles in parallel (--concurrency) and one profile's
// checks in a safe order; turns the budget into an `error` naming it; maps
// verdicts to the exit codes of DESIGN.md.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCheck, type AnyCheck, type CheckContext, type CheckPhase } from '../../src/checks/check.js';
import { loadSuite, type LoadedSuite } from '../../src/checks/suite.js';
import { EXIT } from '../../src/errors.js';
import { startReferenceTarget, type ReferenceTarget } from '../../src/reference/index.js';
import { allChecks, type Verdict } from '../../src/result.js';
import { runSuite } from '../../src/runner/run.js';
import { sleep } from '../../src/checks/key-probe.js';
import { clockWait } from '../../src/clock-waits.js';
import { PRELAUNCH_SUITE } from '../detection/run-case.js';
import { loadedProfile, minimalInput } from './profiles.js';

let target: ReferenceTarget;
let secret: string;

beforeAll(async () => {
  target = await startReferenceTarget();
  secret = target.createKey({ name: 'crm-prod-agent-call', scopes: ['agents:read'], rateLimit: { limit: 1000, windowSeconds: 1 } }).secret;
});
afterAll(async () => {
  await target.close();
});

function suiteOf(checks: AnyCheck[]): LoadedSuite {
  return { name: 'test', file: '(test)', checks: checks.map((check) => ({ check, gating: true, params: {} })) };
}

describe('runner: skip with the stated reason', () => {
  it('skips every check the profile gives no data for, saying what is missing', async () => {
    const run = await runSuite({
      profiles: [loadedProfile(minimalInput(target.origin, secret))],
      suite: loadSuite(PRELAUNCH_SUITE),
      only: [
        'auth.key-in-query-rejected',
        'authz.unauthorized-resource-denied',
        'env.foreign-environment-key-rejected',
        'privilege.least-privilege',
      ],
    });
    const byId = Object.fromEntries(allChecks(run).map((c) => [c.id, c]));
    expect(Object.values(byId).map((c) => c.verdict)).toEqual(['skip', 'skip', 'skip', 'skip']);
    expect(byId['auth.key-in-query-rejected']!.message).toMatch(/no canary key: declare one under `canary:`/);
    expect(byId['authz.unauthorized-resource-denied']!.message).toMatch(/no denied resources/);
    expect(byId['env.foreign-environment-key-rejected']!.message).toMatch(/no keys of other environments/);
    expect(byId['privilege.least-privilege']!.message).toMatch(/neither the granted scopes .* nor the needed ones/);
    // Skipped checks send nothing, and a run of skips alone is not a failure — but the
    // prelaunch suite requires the authz check, so a launch without it is not verified.
    expect(run.profiles[0]!.requestsSent).toBe(0);
    expect(run.exitCode).toBe(EXIT.unverified);
    expect(byId['authz.unauthorized-resource-denied']!.required).toBe(true);
  });

  it('skips the query-key check for a query contract, naming the contract', async () => {
    const run = await runSuite({
      profiles: [loadedProfile(minimalInput(target.origin, secret, { target: { origin: target.origin, auth: { query: 'api_key' } } }))],
      suite: loadSuite(PRELAUNCH_SUITE),
      only: ['auth.key-in-query-rejected'],
    });
    expect(allChecks(run)[0]).toMatchObject({ verdict: 'skip', message: expect.stringMatching(/target\.auth\.query: api_key/) });
  });
});

describe('runner: request budget', () => {
  it('gives `error` naming the budget once it is spent, and never sends more', async () => {
    const before = target.stats().requests;
    const input = minimalInput(target.origin, secret, {
      allowed: ['GET /v1/agents', 'GET /v1/agents/agt-support', 'GET /v1/agents?page=2'],
    });
    const run = await runSuite({
      profiles: [loadedProfile(input)],
      suite: loadSuite(PRELAUNCH_SUITE),
      only: ['auth.valid-key-accepted'],
      budget: 2,
    });
    const result = allChecks(run)[0]!;
    expect(result.verdict).toBe('error');
    expect(result.message).toMatch(/request budget of 2 requests is spent/);
    expect(run.profiles[0]).toMatchObject({ requestsSent: 2, requestBudget: 2 });
    expect(target.stats().requests - before).toBe(2);
    expect(run.exitCode).toBe(EXIT.unverified);
  });
});

describe('runner: several profiles in parallel', () => {
  // A target that holds each request until `want` are in flight at once (or
  // holdMs passes), and records the most it ever saw in flight.
  async function gate(want: number, holdMs: number) {
    let inFlight = 0;
    let max = 0;
    const waiting: (() => void)[] = [];
    const server = createServer((req, res) => {
      inFlight++;
      max = Math.max(max, inFlight);
      const answer = () => {
        inFlight--;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      };
      if (inFlight >= want) {
        answer();
        for (const release of waiting.splice(0)) release();
      } else {
        const timer = setTimeout(() => {
          waiting.splice(waiting.indexOf(release), 1);
          answer();
        }, holdMs);
        const release = () => {
          clearTimeout(timer);
          answer();
        };
        waiting.push(release);
      }
      req.resume();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
      origin,
      max: () => max,
      close: () =>
        new Promise<void>((r) => {
          server.close(() => r());
          server.closeAllConnections();
        }),
    };
  }

  const profilesFor = (origin: string, n: number) =>
    Array.from({ length: n }, (_, i) => loadedProfile(minimalInput(origin, `kp_prod_${randomBytes(16).toString('hex')}`), `p${i}.yaml`));
  const validOnly = () => loadSuite(PRELAUNCH_SUITE);

  it('runs profiles at the same time with --concurrency 2', async () => {
    const g = await gate(2, 5000);
    try {
      const run = await runSuite({
        profiles: profilesFor(g.origin, 2),
        suite: validOnly(),
        only: ['auth.valid-key-accepted'],
        concurrency: 2,
      });
      expect(allChecks(run).map((c) => c.verdict)).toEqual(['pass', 'pass']);
      expect(g.max()).toBe(2);
      expect(run.profiles.map((p) => p.profile.file)).toEqual(['p0.yaml', 'p1.yaml']);
    } finally {
      await g.close();
    }
  });

  it('runs them one after the other with --concurrency 1', async () => {
    const g = await gate(2, 150);
    try {
      const run = await runSuite({
        profiles: profilesFor(g.origin, 2),
        suite: validOnly(),
        only: ['auth.valid-key-accepted'],
        concurrency: 1,
      });
      expect(allChecks(run).map((c) => c.verdict)).toEqual(['pass', 'pass']);
      expect(g.max()).toBe(1);
    } finally {
      await g.close();
    }
  });
});

describe('runner: a profile waiting on a clock lends its slot', () => {
  /** A lifecycle-phase test check that runs `run` and passes. */
  const lifecycleCheck = (id: string, description: string, run: (ctx: CheckContext) => Promise<void>) =>
    defineCheck({
      id,
      title: description,
      description,
      practice: 'Rotation and reclamation',
      severity: 'low',
      destructive: false,
      phase: 'lifecycle',
      params: z.strictObject({}),
      async run(ctx) {
        await run(ctx);
        return { verdict: 'pass' as Verdict, message: 'ok' };
      },
    }) as unknown as AnyCheck;
  // Each profile's one check sleeps (as a revocation or rate check does),
  // logging when it starts and ends; the profiles' keys differ.
  const sleeper = (log: string[], sleepMs: number) =>
    lifecycleCheck('test.sleeps', 'sleeps', async (ctx) => {
      log.push(`start ${ctx.profile.key.secret.slice(-4)}`);
      await sleep(sleepMs, ctx.signal);
      log.push(`end ${ctx.profile.key.secret.slice(-4)}`);
    });
  // The first profile's check waits on a clock (so lends its slot) until the
  // second profile's check has started, for at most WAIT_BOUND_MS: a runner that
  // kept the slot would start the second one only afterwards. An event, not a
  // sleep, so a slow start of the second profile (its preflight on a busy
  // machine) cannot outlast the wait.
  const WAIT_BOUND_MS = 10_000;
  const waitsForTheOther = (log: string[]) => {
    let otherStarted = () => {};
    const started = new Promise<void>((resolve) => {
      otherStarted = resolve;
    });
    return lifecycleCheck('test.waits', 'waits on a clock until the other profile has started', async (ctx) => {
      const tail = ctx.profile.key.secret.slice(-4);
      log.push(`start ${tail}`);
      if (log.length === 1) {
        let timer: NodeJS.Timeout | undefined;
        const bound = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, WAIT_BOUND_MS);
        });
        await clockWait(ctx.signal, WAIT_BOUND_MS, Promise.race([started, bound]));
        clearTimeout(timer);
      } else otherStarted();
      log.push(`end ${tail}`);
    });
  };
  const twoProfiles = () =>
    ['aaaa', 'bbbb'].map((tail, i) =>
      loadedProfile(minimalInput(target.origin, `kp_prod_${randomBytes(12).toString('hex')}${tail}`), `p${i}.yaml`),
    );

  it('starts the next profile while the first waits on a clock, with --concurrency 1', async () => {
    const log: string[] = [];
    const run = await runSuite({ profiles: twoProfiles(), suite: suiteOf([waitsForTheOther(log)]), concurrency: 1 });
    expect(allChecks(run).map((c) => c.verdict)).toEqual(['pass', 'pass']);
    expect(log).toEqual(['start aaaa', 'start bbbb', 'end bbbb', 'end aaaa']);
  });

  it('keeps its slot through a short wait (a poll), so --concurrency 1 runs the profiles one after the other', async () => {
    const log: string[] = [];
    await runSuite({ profiles: twoProfiles(), suite: suiteOf([sleeper(log, 20)]), concurrency: 1 });
    expect(log).toEqual(['start aaaa', 'end aaaa', 'start bbbb', 'end bbbb']);
  });
});

describe("runner: order of one profile's checks", () => {
  it('finishes every request check before a lifecycle check starts, and runs lifecycle and rate checks one at a time', async () => {
    const log: string[] = [];
    let active = 0;
    let maxActiveStateful = 0;
    const probe = (id: string, phase: CheckPhase) =>
      defineCheck({
        id,
        title: id,
        description: id,
        severity: 'low',
        practice: 'Reverse validation',
        destructive: false,
        phase,
        params: z.strictObject({}),
        async run() {
          log.push(`start ${id}`);
          active++;
          if (phase !== 'request') maxActiveStateful = Math.max(maxActiveStateful, active);
          await new Promise((r) => setImmediate(r));
          active--;
          log.push(`end ${id}`);
          return { verdict: 'pass' as Verdict, message: 'ok' };
        },
      }) as unknown as AnyCheck;
    // Listed in the "wrong" order on purpose: the runner orders by phase.
    const suite = suiteOf([
      probe('rate.a', 'rate'),
      probe('life.a', 'lifecycle'),
      probe('req.a', 'request'),
      probe('life.b', 'lifecycle'),
      probe('req.b', 'request'),
    ]);
    const run = await runSuite({ profiles: [loadedProfile(minimalInput(target.origin, secret))], suite });
    const lastRequestEnd = Math.max(log.indexOf('end req.a'), log.indexOf('end req.b'));
    expect(lastRequestEnd).toBeLessThan(log.indexOf('start life.a'));
    expect(log.indexOf('end life.b')).toBeLessThan(log.indexOf('start rate.a'));
    expect(maxActiveStateful).toBe(1);
    // Results keep the suite's order.
    expect(allChecks(run).map((c) => c.id)).toEqual(['rate.a', 'life.a', 'req.a', 'life.b', 'req.b']);
  });
});

describe('runner: exit codes', () => {
  const fixed = (id: string, verdict: Verdict, throws?: Error) =>
    defineCheck({
      id,
      title: id,
      description: id,
      severity: 'low',
      practice: 'Reverse validation',
      destructive: false,
      phase: 'request',
      params: z.strictObject({}),
      async run() {
        if (throws) throw throws;
        return { verdict, message: verdict };
      },
    }) as unknown as AnyCheck;

  async function exitFor(checks: { check: AnyCheck; gating: boolean }[]) {
    const suite: LoadedSuite = { name: 't', file: '(t)', checks: checks.map((c) => ({ ...c, params: {} })) };
    return (await runSuite({ profiles: [loadedProfile(minimalInput(target.origin, secret))], suite })).exitCode;
  }

  it('follows DESIGN.md: 0 all gating pass, 1 a gating fail, 3 a gating error without failure', async () => {
    expect(
      await exitFor([
        { check: fixed('a', 'pass'), gating: true },
        { check: fixed('b', 'skip'), gating: true },
      ]),
    ).toBe(EXIT.pass);
    expect(
      await exitFor([
        { check: fixed('a', 'pass'), gating: true },
        { check: fixed('b', 'fail'), gating: true },
        { check: fixed('c', 'error'), gating: true },
      ]),
    ).toBe(EXIT.fail);
    expect(
      await exitFor([
        { check: fixed('a', 'pass'), gating: true },
        { check: fixed('c', 'error'), gating: true },
      ]),
    ).toBe(EXIT.unverified);
    // A check that throws is that check's error, not the run's crash.
    expect(await exitFor([{ check: fixed('t', 'pass', new Error('boom')), gating: true }])).toBe(EXIT.unverified);
    // Non-gating checks are reported but do not decide the launch.
    expect(
      await exitFor([
        { check: fixed('a', 'pass'), gating: true },
        { check: fixed('b', 'fail'), gating: false },
        { check: fixed('c', 'error'), gating: false },
      ]),
    ).toBe(EXIT.pass);
  });
});
