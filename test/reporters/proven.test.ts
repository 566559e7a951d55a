// Reports say exactly what was proven, over real runs on loopback:
// - a practice is "met" only when every check behind it passed on observed
//   behaviour; a skipped or erroring check makes it "not verified", a verdict
//   judged from declarations alone "declared, not observed";
// - every Reproduce line reproduces: run with the real curl binary, the
//   secrets supplied as shell variables, it gets the recorded status;
// - failing exchanges are open in report.html, passing ones collapsed;
// - the destructive badge names the key that was acted on;
// - evidence keeps every response header, redacted.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadProfile } from '../../src/config/load-profile.js';
import { loadSuite } from '../../src/checks/suite.js';
import { startDemo } from '../../src/demo/seed.js';
import { DEMO_PROFILE } from '../../src/paths.js';
import { renderHtml } from '../../src/reporters/html.js';
import { practiceRows } from '../../src/reporters/practices.js';
import { allChecks, type RunResult } from '../../src/result.js';
import { runSuite } from '../../src/runner/run.js';
import { SecretRegistry } from '../../src/secrets.js';
import { PRELAUNCH_SUITE } from '../detection/run-case.js';
import { check } from './sample-results.js';

// Async: the reference target answers from this very process, so a blocking child would deadlock it.
const run = promisify(execFile);

async function demoRun(
  only: readonly string[],
  faults: string[] = [],
): Promise<{ result: RunResult; secrets: SecretRegistry; key: string }> {
  const demo = await startDemo(faults);
  try {
    const secrets = new SecretRegistry();
    const loaded = loadProfile(DEMO_PROFILE, { ...process.env, ...demo.env });
    const result = await runSuite({ profiles: [loaded], suite: loadSuite(PRELAUNCH_SUITE), only, secrets });
    return { result, secrets, key: demo.env.KEYPROBE_DEMO_KEY };
  } finally {
    await demo.target.close();
  }
}

describe('practices: met only on observed passes', () => {
  const statusOf = (name: string, checks: ReturnType<typeof check>[]) => practiceRows(checks).find((r) => r.practice.name === name)!.status;

  it('a skipped check behind a practice makes it "not verified", never "met"', () => {
    expect(
      statusOf('Rotation and reclamation', [check('governance.owner-and-expiry', 'pass'), check('lifecycle.rotated-key', 'skip')]),
    ).toBe('not verified');
    expect(
      statusOf('Per-environment keys', [
        check('env.key-matches-environment', 'pass'),
        check('env.foreign-environment-key-rejected', 'skip'),
      ]),
    ).toBe('not verified');
  });

  it('least privilege judged from the declared scopes only is "declared, not observed"; from introspection it is "met"', async () => {
    // The demo profile introspects GET /v1/keys/self; without it only key.scopes is known.
    const demo = await startDemo();
    try {
      const env = { ...process.env, ...demo.env };
      const withIntrospection = loadProfile(DEMO_PROFILE, env);
      const declaredOnly = {
        ...withIntrospection,
        profile: { ...withIntrospection.profile, target: { ...withIntrospection.profile.target } },
      };
      delete (declaredOnly.profile.target as { introspection?: unknown }).introspection;
      const suite = loadSuite(PRELAUNCH_SUITE);
      const only = ['privilege.least-privilege'];
      const observed = await runSuite({ profiles: [withIntrospection], suite, only });
      const declared = await runSuite({ profiles: [declaredOnly], suite, only });
      expect(allChecks(declared)[0]).toMatchObject({ verdict: 'pass', basis: 'declared' });
      expect(statusOf('Least privilege', allChecks(declared))).toBe('declared, not observed');
      expect(statusOf('Least privilege', allChecks(observed))).toBe('met');
      expect(renderHtml(declared)).toContain('<span class="badge s-declared-not-observed">declared, not observed</span>');
    } finally {
      await demo.target.close();
    }
  });
});

describe('every Reproduce line reproduces', () => {
  it('runs each recorded curl line of a real run with the real curl binary and gets the recorded status', async () => {
    const requestPhase = [
      'auth.valid-key-accepted',
      'auth.missing-key-rejected',
      'auth.invalid-key-rejected',
      'auth.near-miss-key-rejected',
      'auth.key-in-query-rejected',
      'authz.unauthorized-resource-denied',
      'env.foreign-environment-key-rejected',
      'privilege.least-privilege',
    ];
    const demo = await startDemo();
    try {
      const secrets = new SecretRegistry();
      const loaded = loadProfile(DEMO_PROFILE, { ...process.env, ...demo.env });
      const result = await runSuite({ profiles: [loaded], suite: loadSuite(PRELAUNCH_SUITE), only: requestPhase, secrets });
      // The variables a reviewer sets: the key as KEY, every other secret under the name its curl lines use.
      const vars: NodeJS.ProcessEnv = { PATH: process.env.PATH, ...secrets.shellVariables(demo.env.KEYPROBE_DEMO_KEY) };
      expect(vars.KEY).toBe(demo.env.KEYPROBE_DEMO_KEY);
      const exchanges = allChecks(result).flatMap((c) => c.evidence.map((e) => ({ id: c.id, e })));
      expect(exchanges.length).toBeGreaterThan(30);
      // The extended near miss is the key plus one character: ${KEY}x, never the literal text $KEYx.
      const nearMiss = allChecks(result).find((c) => c.id === 'auth.near-miss-key-rejected')!;
      expect(nearMiss.evidence.some((e) => /\$\{KEY\}[xy]"/.test(e.curl))).toBe(true);
      // auth.key-in-query-rejected creates its canary through the demo's management API and deletes it
      // afterwards: its lines still run, but the key they carry is gone, so the target now refuses it.
      const declaredCanary = secrets.shellVariable(demo.env.KEYPROBE_DEMO_CANARY_KEY, demo.env.KEYPROBE_DEMO_KEY);
      const deleted = Object.keys(vars).filter((v) => v.startsWith('CANARY_') && v !== declaredCanary);
      expect(deleted.length).toBe(1);
      const carriesDeleted = (curl: string) => deleted.some((v) => curl.includes(`\${${v}}`));
      expect(exchanges.filter(({ e }) => carriesDeleted(e.curl)).length).toBeGreaterThan(0);
      for (const { id, e } of exchanges) {
        expect(e.curl, `${id}: ${e.label}`).not.toMatch(/\[[a-z-]+ sha256:[0-9a-f]{8}\]|\\\$KEY/);
        let status = 0;
        // A 429 says nothing about the request: wait the window out and send again.
        for (let attempt = 0; attempt < 4; attempt++) {
          const { stdout: out } = await run('sh', ['-c', e.curl], { env: vars, encoding: 'latin1', maxBuffer: 1 << 22 });
          status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(out)?.[1]);
          if (status !== 429) break;
          await new Promise((r) => setTimeout(r, 1100));
        }
        expect(status, `${id}: ${e.label}\n${e.curl}`).toBe(carriesDeleted(e.curl) ? 401 : e.status);
      }
    } finally {
      await demo.target.close();
    }
  }, 60_000);
});

describe('report.html: failing exchanges open, passing ones collapsed', () => {
  it('a denied resource that is served (scope-bypass) is open; the refused ones are collapsed', async () => {
    const { result } = await demoRun(['authz.unauthorized-resource-denied', 'auth.valid-key-accepted'], ['scope-bypass=/v1/resources']);
    const authz = allChecks(result).find((c) => c.id === 'authz.unauthorized-resource-denied')!;
    expect(authz.verdict).toBe('fail');
    // Exactly the denied resources that were served are the failing exchanges.
    expect(authz.evidence.filter((e) => e.failing).map((e) => `${e.method} ${e.path}`)).toContain('GET /v1/resources');
    for (const e of authz.evidence) expect(e.failing === true, `${e.method} ${e.path} → ${e.status}`).toBe(e.status! < 300);
    expect(authz.evidence.some((e) => !e.failing)).toBe(true);
    const html = renderHtml(result);
    const card = html.slice(html.indexOf('authz.unauthorized-resource-denied</code>'));
    const exchanges = [...card.slice(0, card.indexOf('</div>\n</details>')).matchAll(/<details class="exchange( failing)?"( open)?>/g)];
    expect(exchanges.map((m) => `${m[1] ? 'failing' : 'ok'}${m[2] ? '+open' : ''}`)).toEqual(
      authz.evidence.map((e) => (e.failing ? 'failing+open' : 'ok')),
    );
    // A passing card keeps every exchange collapsed.
    const valid = html.slice(html.indexOf('auth.valid-key-accepted</code>'));
    expect(valid.slice(0, valid.indexOf('</div>\n</details>'))).not.toMatch(/<details class="exchange[^"]*" open>/);
  });
});

describe('the destructive badge names the key acted on', () => {
  it('declared canary for the disable check, a created canary for rotation', async () => {
    const { result } = await demoRun(['lifecycle.disabled-key-rejected', 'lifecycle.rotated-key']);
    const [disabled, rotated] = allChecks(result);
    expect(disabled!.actedOn).toBe('declared canary "crm-prod-agent-call-canary"');
    expect(rotated!.actedOn).toMatch(/^created canary "keyprobe-canary-[0-9a-f]{8}"$/);
    const html = renderHtml(result);
    expect(html).toContain('destructive — acted on the declared canary &quot;crm-prod-agent-call-canary&quot;');
    expect(html).toMatch(/destructive — acted on the created canary &quot;keyprobe-canary-[0-9a-f]{8}&quot;/);
    expect(html).not.toContain('destructive (canary key)');
  });
});

describe('evidence keeps every response header, redacted', () => {
  it('headers the target sends are all there, not a chosen few', async () => {
    const { result } = await demoRun(['auth.missing-key-rejected']);
    const e = allChecks(result)[0]!.evidence[0]!;
    expect(Object.keys(e.responseHeaders)).toEqual(
      expect.arrayContaining(['content-type', 'www-authenticate', 'cache-control', 'content-length', 'date']),
    );
  });
});
