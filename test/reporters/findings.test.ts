// Structured findings: the runner turns a check's OutcomeFinding into a
// Finding linked to its exchange and located in the profile (file:line:column
// through the YAML source map), and every report shows that place.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProfile } from '../../src/config/load-profile.js';
import type { HttpResponse } from '../../src/http/client.js';
import { consoleObserver } from '../../src/reporters/console.js';
import { renderHtml } from '../../src/reporters/html.js';
import { renderJunit } from '../../src/reporters/junit.js';
import { renderMarkdown } from '../../src/reporters/markdown.js';
import { findingsOf } from '../../src/runner/findings.js';
import { tempDir } from '../helpers/tmp.js';
import { everyField } from './sample-results.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const PROFILE = `key:
  name: crm-prod-agent-call
  system: crm
  environment: prod
  purpose: agent-call
  owner: crm-team@example.com
  expires: 2027-03-31
  secret: \${env:CRM_KEY}
target:
  origin: http://127.0.0.1:9
allowed:
  - GET /v1/agents
denied:
  - POST /v1/agents
  - DELETE /v1/agents/1
`;

describe('the runner: OutcomeFinding → Finding', () => {
  it('links the response to its exchange and locates the path in the profile file', () => {
    const file = join(tmp.dir, 'crm.yaml');
    writeFileSync(file, PROFILE);
    const key = `kp_prod_${randomBytes(16).toString('hex')}`; // made at test time: nothing shaped like a key is committed
    const loaded = loadProfile(file, { CRM_KEY: key });
    const proof = {} as HttpResponse;
    const findings = findingsOf(
      {
        verdict: 'fail',
        message: 'a denied resource was served',
        findings: [
          {
            title: 'Served',
            message: `DELETE /v1/agents/1 answered 200 (${key})`,
            response: proof,
            path: ['denied', 1],
          },
          { title: 'Unlocated', message: 'no field', severity: 'low', response: {} as HttpResponse },
        ],
      },
      {
        check: { title: 'Denied resources are refused', severity: 'critical' },
        profile: loaded,
        http: { exchangeIndexOf: (r) => (r === proof ? 1 : undefined) },
        exchanges: 2,
        redact: (s) => s.replaceAll(key, '[redacted]'),
      },
    );
    expect(findings).toEqual([
      {
        title: 'Served',
        message: 'DELETE /v1/agents/1 answered 200 ([redacted])',
        severity: 'critical',
        exchange: 1,
        location: { file, line: 15, column: 5, path: ['denied', 1] },
      },
      { title: 'Unlocated', message: 'no field', severity: 'low' },
    ]);
  });

  it('derives one finding from a fail or an error without findings, none from a pass or a skip', () => {
    const ctx = { check: { title: 'T', severity: 'high' as const }, profile: { file: 'p.yaml' }, exchanges: 0, redact: (s: string) => s };
    expect(findingsOf({ verdict: 'fail', message: 'm' }, ctx)).toEqual([{ title: 'T', message: 'm', severity: 'high' }]);
    expect(findingsOf({ verdict: 'error', message: 'e' }, ctx)).toEqual([{ title: 'T', message: 'e', severity: 'high' }]);
    expect(findingsOf({ verdict: 'pass', message: 'ok' }, ctx)).toEqual([]);
    expect(findingsOf({ verdict: 'skip', message: 'no' }, ctx)).toEqual([]);
  });
});

describe('every report shows a finding with its file:line', () => {
  const result = everyField();
  const located = 'profiles/crm-prod-agent-call.yaml:17:5 (denied[0])';
  const unlined = 'profiles/crm-prod-agent-call.yaml (denied[1].method)';

  it('console', () => {
    let out = '';
    const observer = consoleObserver({ write: (s) => (out += s), color: false });
    const run = result.profiles[0]!;
    observer.runStarted?.({ runId: result.runId, profiles: [run.profile], checksPerProfile: run.checks.length });
    for (const c of run.checks) observer.checkFinished?.(run.profile, c);
    expect(out).toContain(
      `finding: at ${located}: A denied resource was served: POST /v1/agents answered 201 Created (expected 401 or 403) — exchange 2 "denied: POST /v1/agents"`,
    );
    expect(out).toContain(`finding: at ${unlined}:`);
  });

  it('JUnit: in the failure message', () => {
    const xml = renderJunit(result);
    // The <failure message="…"> of the testcase of that check, its attribute decoded.
    const testcase = xml.split('<testcase').find((t) => t.includes('authz.unauthorized-resource-denied'))!;
    const attr = /<failure message="([^"]*)"/.exec(testcase)![1]!;
    const failing = {
      failure: {
        message: attr
          .replace(/&quot;/g, '"')
          .replace(/&apos;/g, "'")
          .replace(/&lt;/g, '<')
          .replace(/&gt;/g, '>')
          .replace(/&amp;/g, '&'),
      },
    };
    expect(failing.failure!.message).toContain(`at ${located}`);
    expect(failing.failure!.message).toContain(`at ${unlined}`);
  });

  it('HTML: in the check card', () => {
    const html = renderHtml(result);
    expect(html).toContain(`<code class="where">${located}</code>`);
    expect(html).toContain(`<code class="where">${unlined}</code>`);
  });

  it('Markdown: under the failure', () => {
    const md = renderMarkdown(result);
    expect(md).toContain('finding: at profiles/crm-prod-agent-call.yaml:17:5 (denied\\[0\\])');
  });
});
