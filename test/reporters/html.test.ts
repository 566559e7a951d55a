// report.html as text: self-contained (no URL it could load), everything
// escaped, failures first, the checklist mapped to the checks behind it.
import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/reporters/html.js';
import { practiceRows } from '../../src/reporters/practices.js';
import { allChecks, type ProfileRun, type ProfileSource } from '../../src/result.js';
import { checkText } from '../../src/reporters/evidence-text.js';
import { revocationChart } from '../../src/reporters/html-charts.js';
import { ALL_SHAPES, check, exchange, large, mixed, NASTY, nasty, profileRun, revocationTimeline, runResult } from './sample-results.js';

describe('report.html', () => {
  for (const [name, make] of Object.entries(ALL_SHAPES)) {
    it(`loads nothing from anywhere: ${name}`, () => {
      const html = renderHtml(make());
      // Every src/href/action/… attribute is an in-page fragment; no CSS url() or @import.
      for (const m of html.matchAll(/\s(src|href|action|poster|data|srcset|xlink:href|formaction)\s*=\s*"([^"]*)"/gi))
        expect(m[2], m[0]).toMatch(/^#/);
      expect(html).not.toMatch(/url\s*\(|@import|<link\b|<iframe\b|<object\b|<embed\b|<img\b/i);
      expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;;`);
      expect(html.match(/<script>/g)).toHaveLength(1);
    });
  }

  it('lists what the lifecycle adapter did for a check, cleanup included, in the card and in the JUnit text', () => {
    const disabled = check('lifecycle.disabled-key-rejected', 'pass', {
      destructive: true,
      lifecycleActions: [
        {
          action: 'disable',
          adapter: 'http',
          key: 'crm-prod-agent-call-canary',
          outcome: 'done',
          detail: 'POST /admin/keys/key_1/disable → 200',
          durationMs: 0.84,
        },
        {
          action: 'enable',
          adapter: 'http',
          key: 'crm-prod-agent-call-canary',
          outcome: 'done',
          detail: 'POST /admin/keys/key_1/enable → 200',
          durationMs: 0.61,
          detached: true,
        },
      ],
    });
    const html = renderHtml(runResult([profileRun('crm-prod-agent-call', [disabled])]));
    expect(html).toContain('Lifecycle actions (2)');
    expect(html).toContain('disable crm-prod-agent-call-canary via http: done in 0.8 ms — POST /admin/keys/key_1/disable → 200');
    expect(html).toContain('enable crm-prod-agent-call-canary via http (cleanup): done in 0.6 ms');
    expect(checkText(disabled, 'crm-prod-agent-call')).toContain('lifecycle actions:\n  disable crm-prod-agent-call-canary via http: done');
  });

  it('escapes everything that came from a profile or a target', () => {
    const html = renderHtml(nasty());
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('Grüße 🔑 日本語');
    expect(html).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
    expect(NASTY).toContain('"quotes"');
    expect(html).toContain('&quot;quotes&quot;');
  });

  it('puts failures first, then errors, skips and passes; failures open, passes collapsed', () => {
    const html = renderHtml(mixed());
    const cards = [...html.matchAll(/<details class="card v-(\w+)" id="[^"]*"( open)?>/g)].map((m) => `${m[1]}${m[2] ? '+open' : ''}`);
    expect(cards).toEqual(['fail+open', 'fail+open', 'error+open', 'skip', 'skip', 'pass', 'pass', 'pass', 'pass', 'pass']);
    // The gating critical failure comes before the advisory one.
    expect(html.indexOf('auth.missing-key-rejected</code>')).toBeLessThan(html.indexOf('naming.key-name-convention</code>'));
  });

  it('shows who, when, what: operator, UTC time, tool version, profile digest, origin, key name and fingerprint', () => {
    const html = renderHtml(mixed());
    for (const s of [
      'qa-alice',
      '2026-11-27 10:15:30 UTC',
      'keyprobe 0.1.0',
      'sha256:a475ae6a98502f665cd9f68cfdbaeb3f8a072a87658cd4001e355841491569cf',
      'http://127.0.0.1:40123',
      'crm-prod-agent-call',
      'sha256:d640d4a0',
      'Prepared by',
      'Reviewed by',
    ])
      expect(html).toContain(s);
    expect(html).toContain('Do not launch: FAIL');
    expect(html).toContain('curl -sS -i &quot;http://127.0.0.1:40123/v1/agents&quot; -H &quot;authorization: Bearer ${KEY}&quot;');
  });

  it('maps the key practices to the checks behind them', () => {
    const rows = practiceRows(allChecks(mixed()));
    const byName = Object.fromEntries(rows.map((r) => [r.practice.name, { status: r.status, ids: r.checks.map((c) => c.id) }]));
    expect(byName).toEqual({
      Naming: { status: 'not met', ids: ['naming.key-name-convention'] },
      'Per-environment keys': { status: 'not verified', ids: ['env.key-matches-environment'] },
      'Least privilege': { status: 'met', ids: ['privilege.least-privilege'] },
      'Reverse validation': {
        status: 'not met',
        ids: [
          'auth.valid-key-accepted',
          'auth.missing-key-rejected',
          'authz.unauthorized-resource-denied',
          'lifecycle.disabled-key-rejected',
          'rate.limit-triggered',
        ],
      },
      // The rotation check was skipped: nothing proved rotation, so the practice is not "met".
      'Rotation and reclamation': { status: 'not verified', ids: ['governance.owner-and-expiry', 'lifecycle.rotated-key'] },
    });
    expect(practiceRows([check('auth.x', 'pass')]).find((r) => r.practice.name === 'Naming')?.status).toBe('not covered');
  });

  it('draws the charts only for checks with a timeline, and says what they show', () => {
    const html = renderHtml(mixed());
    expect(html.match(/<svg class="chart"/g)).toHaveLength(2);
    expect(html).toContain('Revocation timeline: 35 probes, 5 accepted after the disable, first rejection at 375 ms (budget 1000 ms)');
    expect(html).toContain(
      'Rate-limit burst: 400 calls, 101 accepted, 299 throttled; expected limit 100 per 60 s; first throttled at call 102',
    );
    expect(renderHtml(ALL_SHAPES.allPass!())).not.toContain('<svg');
  });

  it('says the off switch was a delete on a platform without a disable', () => {
    const chart = revocationChart(revocationTimeline({ offSwitch: 'delete' }));
    expect(chart).toContain('accepted after the delete, first rejection at 375 ms');
    expect(chart).toContain('key deleted (0 ms)');
    expect(chart).toContain('milliseconds since the key was deleted');
    expect(revocationChart(revocationTimeline())).toContain('key disabled (0 ms)');
  });

  it('stays small enough to open with 10,000 checks', () => {
    // How fast it renders is a figure of `npm run bench` (Reports at scale), not a timed assertion here.
    const html = renderHtml(large(10_000));
    expect(Buffer.byteLength(html)).toBeLessThan(15_000_000);
    expect(html).toContain('passed and skipped checks list their exchanges one line each');
    expect(html).toMatch(/and [\d,]+ more that passed or were skipped/);
  });
});

describe('report.html from a run of many profiles', () => {
  /** `count` profiles of 10 checks each (one failing), behind a ProfileSource that counts every profile read (from a run's spool, each read parses a profile again). */
  function counted(count: number): { profiles: ProfileRun[]; source: ProfileSource; reads: () => number } {
    const profiles = Array.from({ length: count }, (_, p) =>
      profileRun(
        `crm-prod-agent-${p}`,
        Array.from({ length: 10 }, (_, c) => check(`auth.generated-${c}`, c === 3 ? 'fail' : 'pass', { evidence: [exchange()] })),
      ),
    );
    let reads = 0;
    const source: ProfileSource = {
      length: profiles.length,
      at: (i) => {
        reads++;
        return profiles.at(i);
      },
      *[Symbol.iterator]() {
        for (const p of profiles) {
          reads++;
          yield p;
        }
      },
    };
    return { profiles, source, reads: () => reads };
  }

  it('reads each profile once when the run has few checks', () => {
    const run = counted(3);
    const html = renderHtml({ ...runResult(run.profiles), profiles: run.source });
    expect(run.reads()).toBe(3);
    expect(html).toBe(renderHtml(runResult(run.profiles)));
  });

  it('reads again only the profiles whose cards were drawn in full before the run passed 500 checks', () => {
    const run = counted(60);
    const html = renderHtml({ ...runResult(run.profiles), profiles: run.source });
    // The 51st profile takes the run past 500 checks: the 50 before it are read a second time, to draw their cards compact.
    expect(run.reads()).toBe(60 + 50);
    expect(html).toBe(renderHtml(runResult(run.profiles)));
    expect(html).toContain('passed and skipped checks list their exchanges one line each');
  });
});
