// A made-up but realistically shaped RunResult for the report benchmark:
// many profiles × the catalogue's checks, a mix of verdicts, evidence with
// bodies and curl lines, revocation and burst timelines. Deterministic (a
// seeded generator), so runs compare; no secrets, only fingerprints.
import type { CheckResult, Exchange, ProfileRun, RunResult, Verdict } from './keyprobe.js';

const CHECK_IDS = [
  'auth.valid-key-accepted',
  'auth.missing-key-rejected',
  'auth.invalid-key-rejected',
  'auth.near-miss-key-rejected',
  'auth.key-in-query-rejected',
  'authz.unauthorized-resource-denied',
  'lifecycle.disabled-key-rejected',
  'lifecycle.rotated-key',
  'lifecycle.expired-key-rejected',
  'env.foreign-environment-key-rejected',
  'env.key-matches-environment',
  'rate.limit-triggered',
  'rate.limit-signalled',
  'rate.recovers',
  'rate.per-key-isolation',
  'naming.key-name-convention',
];

/** A small linear congruential generator: the same sequence every run. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function syntheticRun(checkCount: number): RunResult {
  const rand = seeded(7);
  const perProfile = CHECK_IDS.length;
  const profileCount = Math.ceil(checkCount / perProfile);
  const started = Date.parse('2026-01-15T09:00:00Z');
  const profiles: ProfileRun[] = [];
  let made = 0;
  for (let p = 0; p < profileCount; p++) {
    const system = `svc${String(p).padStart(4, '0')}`;
    const checks: CheckResult[] = [];
    for (const id of CHECK_IDS) {
      if (made === checkCount) break;
      made++;
      const r = rand();
      const verdict: Verdict = r < 0.03 ? 'fail' : r < 0.04 ? 'error' : r < 0.09 ? 'skip' : 'pass';
      checks.push(syntheticCheck(id, verdict, rand, started + p * 1000));
    }
    profiles.push({
      profile: {
        file: `/ci/profiles/${system}-prod-agent-call.yaml`,
        digest: hex(rand, 64),
        keyName: `${system}-prod-agent-call`,
        system,
        environment: 'prod',
        purpose: 'agent-call',
        owner: `${system}-team@example.com`,
        expires: '2026-09-30T00:00:00.000Z',
        keyFingerprint: `sha256:${hex(rand, 8)}`,
        targetOrigin: 'https://api.example.com',
        targetEnvironment: 'prod',
      },
      checks,
      requestsSent: 120 + Math.floor(rand() * 200),
      requestBudget: 1000,
      notes: ['Rate-limit checks ran last, so their bursts could not throttle any other check.'],
    });
  }
  const failed = profiles.some((p) => p.checks.some((c) => c.verdict === 'fail'));
  return {
    schemaVersion: 3,
    subject: { kind: 'keys' as const },
    runId: '20260115T090000Z-bench0',
    tool: { name: 'keyprobe', version: '0.0.0-bench' },
    operator: 'bench',
    suite: { name: 'prelaunch', file: '/ci/suites/prelaunch.yaml' },
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date(started + profileCount * 1000).toISOString(),
    durationMs: profileCount * 1000,
    incomplete: false,
    profiles,
    verdict: failed ? 'fail' : 'pass',
    exitCode: failed ? 1 : 0,
  };
}

function syntheticCheck(id: string, verdict: Verdict, rand: () => number, at: number): CheckResult {
  const exchanges = verdict === 'skip' ? 0 : verdict === 'pass' ? 2 : 4;
  const evidence: Exchange[] = [];
  for (let i = 0; i < exchanges; i++) evidence.push(syntheticExchange(id, i, verdict, rand));
  const message = {
    pass: `${id}: every probe answered as expected`,
    fail: `${id}: expected 403 for GET /v1/resources, got 200 OK`,
    error: `${id}: could not verify: GET /v1/agents: the target sent no complete response headers within 5000 ms (target.timeoutMs)`,
    skip: `${id}: the profile declares no data for this check`,
  }[verdict];
  const measurements: Record<string, number> = id.startsWith('rate.')
    ? { acceptedBeforeThrottle: 20, expectedLimit: 20, retryAfterSeconds: 1 }
    : {};
  const title = id.split('.')[1]!.replace(/-/g, ' ');
  const base = {
    id,
    title,
    description: `What ${id} verifies.`,
    severity: 'high' as const,
    gating: true,
    destructive: id.startsWith('lifecycle.'),
    verdict,
    message,
    findings: verdict === 'fail' || verdict === 'error' ? [{ title, message, severity: 'high' as const }] : [],
    advisories: rand() < 0.1 ? ['401 without WWW-Authenticate (RFC 9110 §15.5.2 makes it a MUST)'] : [],
    measurements,
    evidence,
    startedAt: new Date(at).toISOString(),
    durationMs: Math.round(rand() * 500 * 1000) / 1000,
  };
  if (id === 'lifecycle.disabled-key-rejected' && verdict !== 'skip') {
    const first = 20 + Math.round(rand() * 200);
    const points = Array.from({ length: 24 }, (_, i) => ({
      tMs: i * 100 + 5,
      status: i * 100 + 5 >= first ? 401 : 200,
      accepted: i * 100 + 5 < first,
    }));
    return {
      ...base,
      measurements: { revocationLatencyMs: first },
      timeline: { kind: 'revocation', budgetMs: 1000, stabilityWindowMs: 2000, firstRejectionMs: first, points },
    };
  }
  if (id === 'rate.limit-triggered' && verdict !== 'skip') {
    const points = Array.from({ length: 30 }, (_, i) => ({ tMs: i * 3, status: i < 21 ? 200 : 429, accepted: i < 21 }));
    return { ...base, timeline: { kind: 'burst', expectedLimit: 20, windowSeconds: 1, firstThrottledAtCall: 22, points } };
  }
  return base;
}

function syntheticExchange(id: string, i: number, verdict: Verdict, rand: () => number): Exchange {
  const status = verdict === 'pass' ? (id.startsWith('auth.valid') ? 200 : 401) : 200;
  const path = ['/v1/agents', '/v1/agents/agt-support', '/v1/resources', '/v1/workflows'][i % 4]!;
  return {
    label: `${id} probe ${i + 1}`,
    method: 'GET',
    path,
    origin: 'https://api.example.com',
    atMs: Math.round(rand() * 50_000) / 100,
    durationMs: Math.round(rand() * 2_000) / 100,
    status,
    requestHeaders: { authorization: `Bearer [key sha256:${hex(rand, 8)}]` },
    responseHeaders: { 'content-type': 'application/json', ratelimit: '"default";r=17;t=1', 'ratelimit-policy': '"default";q=20;w=1' },
    bodyExcerpt: JSON.stringify(
      status === 200
        ? {
            agents: [
              { id: 'agt-support', name: 'Support agent', model: 'm-1' },
              { id: 'agt-billing', name: 'Billing agent', model: 'm-1' },
            ],
          }
        : { error: { code: 'invalid_key', message: 'The API key is not valid.' } },
    ),
    bodyTruncated: false,
    curl: `curl -sS -X GET 'https://api.example.com${path}' -H "Authorization: Bearer $KEY"`,
  };
}

function hex(rand: () => number, n: number): string {
  let s = '';
  while (s.length < n) s += Math.floor(rand() * 16).toString(16);
  return s;
}
