// RunResults as test data: every shape a reporter has to handle, built the
// way the runner builds them (plain, already-redacted data).
import type {
  BurstTimeline,
  CheckResult,
  CleanupRecord,
  Exchange,
  ProfileRun,
  ProfileSource,
  RevocationTimeline,
  RunResult,
  Verdict,
} from '../../src/result.js';
import { CHECKS } from '../../src/checks/index.js';
import { RESULT_SCHEMA_VERSION } from '../../src/result.js';
import { launchVerdict } from '../../src/runner/verdict.js';

const ORIGIN = 'http://127.0.0.1:40123';

export function exchange(over: Partial<Exchange> = {}): Exchange {
  return {
    label: 'allowed: GET /v1/agents',
    method: 'GET',
    origin: ORIGIN,
    path: '/v1/agents',
    atMs: 0.4,
    durationMs: 12.25,
    status: 200,
    requestHeaders: { authorization: 'Bearer [key sha256:d640d4a0]' },
    responseHeaders: { 'content-type': 'application/json; charset=utf-8', ratelimit: '"default";r=19;t=1' },
    bodyExcerpt: '{"agents":[{"id":"agt-support"}]}',
    bodyTruncated: false,
    curl: `curl -sS -i "${ORIGIN}/v1/agents" -H "authorization: Bearer \${KEY}"`,
    ...over,
  };
}

export function check(id: string, verdict: Verdict, over: Partial<CheckResult> = {}): CheckResult {
  const messages: Record<Verdict, string> = {
    pass: 'all 3 requests were refused with 401 Unauthorized',
    fail: 'GET /v1/agents answered 200 OK without a key (expected 401)',
    error: 'could not verify: the target did not answer within 5000 ms',
    skip: 'the profile declares no lifecycle adapter, so the key cannot be disabled',
  };
  return {
    id,
    title: `Title of ${id}`,
    description: `What ${id} verifies, and how.`,
    // Made-up ids (auth.generated-00001) have no practice, as in a results.json of an unknown check.
    ...practiceFor(id),
    severity: 'high',
    gating: true,
    destructive: false,
    verdict,
    message: messages[verdict],
    findings: verdict === 'fail' || verdict === 'error' ? [{ title: `Title of ${id}`, message: messages[verdict], severity: 'high' }] : [],
    ...(verdict === 'skip'
      ? {}
      : { expected: '401 for every request without a key', observed: verdict === 'fail' ? '200 for GET /v1/agents' : '401 for all 3' }),
    advisories: verdict === 'pass' ? [] : ['401 without WWW-Authenticate: clients cannot tell which scheme to use'],
    measurements: verdict === 'skip' ? {} : { requests: 3, refused: verdict === 'pass' ? 3 : 2, firstRejectionMs: 340.5 },
    evidence:
      verdict === 'skip'
        ? []
        : [
            exchange({ status: verdict === 'fail' ? 200 : 401 }),
            exchange({ label: 'denied: POST /v1/agents', method: 'POST', status: 403, atMs: 15.1 }),
          ],
    startedAt: '2026-11-27T10:15:30.123Z',
    durationMs: 123.4567,
    ...over,
  };
}

export function revocationTimeline(over: Partial<RevocationTimeline> = {}): RevocationTimeline {
  const points = [];
  for (let t = -150; t <= 2400; t += 75) points.push({ tMs: t, status: t < 340 ? 200 : 401, accepted: t < 340 });
  return { kind: 'revocation', budgetMs: 1000, stabilityWindowMs: 1500, firstRejectionMs: 375, points, ...over };
}

export function burstTimeline(over: Partial<BurstTimeline> = {}): BurstTimeline {
  const points = [];
  for (let i = 0; i < 400; i++) points.push({ tMs: i * 5.2, status: i < 101 ? 200 : 429, accepted: i < 101 });
  return { kind: 'burst', expectedLimit: 100, windowSeconds: 60, firstThrottledAtCall: 102, points, ...over };
}

export function profileRun(keyName: string, checks: CheckResult[], over: Partial<ProfileRun['profile']> = {}): ProfileRun {
  return {
    profile: {
      file: `/work/profiles/${keyName}.yaml`,
      digest: 'a475ae6a98502f665cd9f68cfdbaeb3f8a072a87658cd4001e355841491569cf',
      keyName,
      system: keyName.split('-')[0] ?? 'crm',
      environment: 'prod',
      purpose: 'agent-call',
      owner: 'crm-platform-team@example.com',
      expires: '2027-05-26T00:00:00.000Z',
      keyFingerprint: 'sha256:d640d4a0',
      targetOrigin: ORIGIN,
      targetEnvironment: 'prod',
      ...over,
    },
    checks,
    requestsSent: checks.reduce((n, c) => n + c.evidence.length, 0),
    requestBudget: 1000,
    notes: ['Rate-limit checks ran last, so their bursts could not throttle any other check.'],
  };
}

export function runResult(profiles: ProfileRun[], over: Partial<RunResult> = {}): RunResult {
  const { verdict, exitCode } = launchVerdict(
    profiles.flatMap((p) => p.checks),
    over.incomplete ?? false,
    over.cleanup?.records ?? [],
  );
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    subject: { kind: 'keys' },
    runId: '20261127T101530Z-abc123',
    tool: { name: 'keyprobe', version: '0.1.0' },
    operator: 'qa-alice',
    suite: { name: 'prelaunch', file: '/work/suites/prelaunch.yaml' },
    startedAt: '2026-11-27T10:15:30.000Z',
    finishedAt: '2026-11-27T10:15:34.567Z',
    durationMs: 4567,
    incomplete: false,
    profiles,
    verdict,
    exitCode,
    ...over,
  };
}

/** Every check passes. */
export function allPass(): RunResult {
  return runResult([
    profileRun('crm-prod-agent-call', [
      check('auth.valid-key-accepted', 'pass'),
      check('auth.missing-key-rejected', 'pass'),
      check('naming.key-name-convention', 'pass', { evidence: [] }),
    ]),
  ]);
}

/** A fail, an error, skips, advisory checks and both timelines. */
export function mixed(): RunResult {
  return runResult([
    profileRun('crm-prod-agent-call', [
      check('auth.valid-key-accepted', 'pass', { severity: 'critical' }),
      check('auth.missing-key-rejected', 'fail', { severity: 'critical' }),
      check('authz.unauthorized-resource-denied', 'error'),
      check('env.key-matches-environment', 'skip'),
      check('naming.key-name-convention', 'fail', { gating: false, severity: 'low', evidence: [] }),
      check('privilege.least-privilege', 'pass'),
      check('governance.owner-and-expiry', 'pass', { evidence: [] }),
      check('lifecycle.disabled-key-rejected', 'pass', {
        destructive: true,
        timeline: revocationTimeline(),
        measurements: { revocationLatencyMs: 375, probes: 35 },
      }),
      check('lifecycle.rotated-key', 'skip', { destructive: true }),
      check('rate.limit-triggered', 'pass', {
        timeline: burstTimeline(),
        measurements: { acceptedBeforeThrottle: 101, expectedLimit: 100 },
      }),
    ]),
  ]);
}

/** Several profiles, including two with the same key name (their testcases must stay unique). */
export function severalProfiles(): RunResult {
  const checks = (v: Verdict) => [check('auth.valid-key-accepted', v), check('auth.missing-key-rejected', 'pass')];
  return runResult([
    profileRun('crm-prod-agent-call', checks('pass')),
    profileRun('billing-prod-export', checks('fail'), { keyFingerprint: 'sha256:0badc0de', environment: 'prod' }),
    profileRun('billing-prod-export', checks('error'), { file: '/work/profiles/billing-copy.yaml' }),
    profileRun('search-staging-index', checks('skip'), { environment: 'staging', targetEnvironment: 'staging' }),
  ]);
}

/** Bodies and messages with everything that breaks XML and HTML. */
export const NASTY =
  'Grüße 🔑 日本語 \u0000\u0001\u0007\u0008\u000b\u000c\u001b[31m \ud800 lone \uffff end ]]> twice ]]> <script>alert(1)</script> & "quotes" \'single\' <![CDATA[ inner ]]> </system-out>';

export function nasty(): RunResult {
  const nastyExchange = exchange({
    label: NASTY,
    path: `/v1/agents?q=${encodeURIComponent('<x>')}`,
    bodyExcerpt: NASTY,
    responseHeaders: { 'x-weird': NASTY },
    curl: `curl "${ORIGIN}/v1/${NASTY}"`,
  });
  return runResult(
    [
      profileRun(
        `crm-prod-${'ü'}-agent`,
        [
          check('auth.invalid-key-rejected', 'fail', {
            title: NASTY,
            message: NASTY,
            expected: NASTY,
            observed: NASTY,
            advisories: [NASTY],
            measurements: { [NASTY]: NASTY },
            evidence: [nastyExchange],
          }),
          check('auth.near-miss-key-rejected', 'error', { message: NASTY, evidence: [nastyExchange] }),
          check('lifecycle.expired-key-rejected', 'skip', { message: NASTY }),
          check('auth.key-in-query-rejected', 'pass', { evidence: [nastyExchange] }),
          check('auth.key-in-query-rejected', 'pass'),
        ],
        { file: `/work/profiles/${NASTY}.yaml`, owner: NASTY },
      ),
    ],
    { operator: NASTY },
  );
}

/** An interrupted run with nothing in it. */
export function emptyIncomplete(): RunResult {
  return runResult([profileRun('crm-prod-agent-call', [])], { incomplete: true });
}

/** Many checks: the report must stay usable. */
export function large(n: number): RunResult {
  const checks: CheckResult[] = [];
  for (let i = 0; i < n; i++) {
    const v: Verdict = i % 1000 === 7 ? 'fail' : i % 500 === 3 ? 'error' : i % 97 === 0 ? 'skip' : 'pass';
    checks.push(check(`auth.generated-${String(i).padStart(5, '0')}`, v, { practice: 'Reverse validation' }));
  }
  return runResult([profileRun('crm-prod-agent-call', checks)]);
}

/** A cleanup that failed (the declared canary left disabled), as the runner records it. */
export function failedCleanup(over: Partial<CleanupRecord> = {}): CleanupRecord {
  return {
    profile: 'crm-prod-agent-call',
    check: 'lifecycle.disabled-key-rejected',
    key: 'crm-prod-agent-call-canary',
    keyId: 'key_c4n4ry',
    subject: 'declared canary',
    action: 'enable',
    outcome: 'failed',
    detail: 'enable request POST /admin/keys/key_c4n4ry/enable answered 429, expected a 2xx status',
    leftState: 'disabled',
    restore: `curl -sS -i -X POST '${ORIGIN}/admin/keys/key_c4n4ry/enable' -H "Authorization: Bearer $ADMIN_TOKEN"`,
    ...over,
  };
}

/** Nothing failed, but the launch is not verified: a required check skipped, and a cleanup left a key disabled. */
export function unverified(): RunResult {
  return runResult(
    [
      profileRun('crm-prod-agent-call', [
        check('auth.valid-key-accepted', 'pass', { required: true }),
        check('rate.limit-triggered', 'skip', { required: true, message: 'the profile declares no rateLimit' }),
        check('lifecycle.disabled-key-rejected', 'pass', {
          required: true,
          destructive: true,
          actedOn: 'declared canary "crm-prod-agent-call-canary"',
        }),
      ]),
    ],
    { cleanup: { complete: false, records: [failedCleanup(), failedCleanup({ outcome: 'verified', key: 'other' })] } },
  );
}

/** Every optional field of the contract set at least once: lifecycle actions with their tries, a delete off-switch, acceptance. */
export function everyField(): RunResult {
  return runResult(
    [
      profileRun('crm-prod-agent-call', [
        check('lifecycle.disabled-key-rejected', 'fail', {
          required: true,
          destructive: true,
          actedOn: 'declared canary "crm-prod-agent-call-canary"',
          expected: 'rejected within 5000 ms',
          observed: 'rejected only after 375 ms, then accepted again',
          timeline: revocationTimeline({ offSwitch: 'delete' }),
          lifecycleActions: [
            {
              action: 'delete',
              adapter: 'http',
              key: 'crm-prod-agent-call-canary',
              outcome: 'done',
              detail: 'DELETE /admin/keys/key_c4n4ry → 204',
              durationMs: 12,
              attempts: [{ status: 503, waitMs: 100 }, { status: 204 }],
            },
            {
              action: 'create',
              adapter: 'command',
              key: 'crm-prod-agent-call-canary',
              outcome: 'failed',
              detail: '`./create.sh` exited 1',
              output: 'boom',
              detached: true,
              attempts: [{ exitCode: 1 }],
            },
          ],
        }),
        check('naming.key-name-convention', 'pass', { basis: 'declared', evidence: [] }),
        check('authz.unauthorized-resource-denied', 'fail', {
          message: '1 of 2 denied resources was served',
          findings: [
            {
              title: 'A denied resource was served',
              message: 'POST /v1/agents answered 201 Created (expected 401 or 403)',
              severity: 'critical',
              exchange: 1,
              location: { file: 'profiles/crm-prod-agent-call.yaml', line: 17, column: 5, path: ['denied', 0] },
            },
            {
              title: 'A denied resource was served',
              message: 'the default method of a denied entry was used',
              severity: 'high',
              location: { file: 'profiles/crm-prod-agent-call.yaml', path: ['denied', 1, 'method'] },
            },
          ],
        }),
      ]),
    ],
    {
      requiredLeftOut: ['rate.limit-triggered'],
      acceptance: {
        failOn: 'new',
        baseline: { file: 'reports/last/results.json', runId: '20261120T101530Z-def456', asOf: '2026-11-20T10:15:30.000Z' },
        waivers: {
          file: 'waivers.yaml',
          inForce: 1,
          expired: ['auth.valid-key-accepted for crm-prod-agent-call (waivers.yaml:3) expired 2026-01-01'],
          unused: [],
        },
        accepted: [
          { key: 'crm-prod-agent-call', check: 'lifecycle.disabled-key-rejected', verdict: 'fail', why: 'persisting since the baseline' },
        ],
        new: [],
        resolved: [{ key: 'crm-prod-agent-call', check: 'auth.missing-key-rejected', was: 'fail' }],
      },
    },
  );
}

export const ALL_SHAPES: Record<string, () => RunResult> = {
  allPass,
  mixed,
  severalProfiles,
  nasty,
  emptyIncomplete,
  unverified,
  everyField,
};

function practiceFor(id: string): { practice?: CheckResult['practice'] } {
  const practice = CHECKS.find((c) => c.id === id)?.practice;
  return practice ? { practice } : {};
}

/** The result's profiles behind a ProfileSource that counts how many are read (from a run's spool, each read parses a profile again). */
export function countingReads(result: RunResult): { result: RunResult<ProfileSource>; reads: () => number } {
  let reads = 0;
  const profiles: ProfileSource = {
    length: result.profiles.length,
    at: (i) => result.profiles.at(i),
    *[Symbol.iterator]() {
      for (const p of result.profiles) {
        reads++;
        yield p;
      }
    },
  };
  return { result: { ...result, profiles }, reads: () => reads };
}
