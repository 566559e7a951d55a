// junit.xml must validate against Jenkins' junit-10.xsd for every shape of
// result keyprobe can produce, and carry what GitLab, GitHub and Azure read.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateXML } from 'xmllint-wasm';
import { allChecks, unfinishedCleanups, type RunResult } from '../../src/result.js';
import { checkText } from '../../src/reporters/evidence-text.js';
import { junitReporter, renderJunit, xmlSafe } from '../../src/reporters/junit.js';
import { tempDir } from '../helpers/tmp.js';
import { ALL_SHAPES, countingReads, large, NASTY } from './sample-results.js';

const XSD = readFileSync(new URL('../fixtures/junit-10.xsd', import.meta.url), 'utf8');

async function validate(xml: string) {
  return validateXML({ xml: [{ fileName: 'junit.xml', contents: xml }], schema: [XSD], maxMemoryPages: 1024 });
}

/** The text of each testcase's system-out, CDATA sections joined again. */
function systemOuts(xml: string): string[] {
  return [...xml.matchAll(/<system-out>((?:<!\[CDATA\[[\s\S]*?\]\]>)*)<\/system-out>/g)].map((m) =>
    [...m[1]!.matchAll(/<!\[CDATA\[([\s\S]*?)\]\]>/g)].map((c) => c[1]).join(''),
  );
}

describe('junit.xml', () => {
  for (const [name, make] of Object.entries(ALL_SHAPES)) {
    it(`validates against junit-10.xsd: ${name}`, async () => {
      const result = make();
      const xml = renderJunit(result);
      const v = await validate(xml);
      expect(v.errors.map((e) => e.rawMessage)).toEqual([]);
      expect(v.valid).toBe(true);

      const checks = allChecks(result);
      // A key left changed is a testcase of its own; a required check that skipped is an error, not a skip.
      const cleanups = unfinishedCleanups(result).length;
      const requiredSkips = checks.filter((c) => c.verdict === 'skip' && c.required).length;
      expect(xml.match(/<testcase /g)?.length ?? 0).toBe(checks.length + cleanups);
      expect(xml.match(/<failure /g)?.length ?? 0).toBe(checks.filter((c) => c.verdict === 'fail').length);
      expect(xml.match(/<error /g)?.length ?? 0).toBe(checks.filter((c) => c.verdict === 'error').length + requiredSkips + cleanups);
      expect(xml.match(/<skipped message="/g)?.length ?? 0).toBe(checks.filter((c) => c.verdict === 'skip').length - requiredSkips);
      expect(xml).not.toMatch(/<testsuites[^>]*skipped=/);
      expect(xml.match(/<testsuite /g)?.length).toBe(result.profiles.length);
      for (const m of xml.matchAll(/ time="([^"]*)"/g)) expect(m[1]).toMatch(/^\d+(\.\d{1,3})?$/);
      for (const m of xml.matchAll(/ timestamp="([^"]*)"/g)) expect(m[1]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

      // classname + name is unique (GitLab drops duplicates) and every case has both.
      const ids = [...xml.matchAll(/<testcase classname="([^"]*)" name="([^"]*)"/g)].map((m) => `${m[1]}::${m[2]}`);
      expect(ids).toHaveLength(checks.length + cleanups);
      expect(new Set(ids).size).toBe(ids.length);

      // The evidence survives intact (minus what XML cannot carry), including every `]]>`.
      const expected = result.profiles.flatMap((p, i) => p.checks.map((c) => xmlSafe(checkText(c, uniqueSuiteNames(result)[i]!))));
      // (A cleanup testcase carries the cleanup's own text.)
      expect(systemOuts(xml).filter((s) => !/^cleanup (failed|not verified): /.test(s))).toEqual(expected);
    });
  }

  it('puts the profile, environment, key, origin and tool version in suite properties', () => {
    const xml = renderJunit(ALL_SHAPES.mixed!());
    for (const [name, value] of [
      ['profile.file', '/work/profiles/crm-prod-agent-call.yaml'],
      ['environment', 'prod'],
      ['key.name', 'crm-prod-agent-call'],
      ['key.fingerprint', 'sha256:d640d4a0'],
      ['target.origin', 'http://127.0.0.1:40123'],
      ['tool.version', 'keyprobe 0.1.0'],
      ['suite', 'prelaunch'],
      ['run.id', '20261127T101530Z-abc123'],
    ])
      expect(xml).toContain(`<property name="${name}" value="${value}"/>`);
  });

  it('makes a required check that did not run, and a key left changed, errors a CI gate counts', () => {
    const xml = renderJunit(ALL_SHAPES.unverified!());
    expect(xml).toMatch(
      /<testcase classname="keyprobe\.crm-prod-agent-call" name="rate\.limit-triggered"[^>]*>\s*<error message="required check did not run: the profile declares no rateLimit" type="required-not-run"\/>/,
    );
    expect(xml).toMatch(
      /<testcase classname="keyprobe\.crm-prod-agent-call" name="cleanup: re-enable declared canary crm-prod-agent-call-canary" time="0">\s*<error message="cleanup failed: declared canary &quot;crm-prod-agent-call-canary&quot; \(id key_c4n4ry\) left disabled after lifecycle\.disabled-key-rejected" type="cleanup-failed"\/>/,
    );
    expect(xml).toContain('restore with: curl -sS -i -X POST');
    expect(xml).toContain('<property name="cleanup" value="incomplete"/>');
    expect(xml).toMatch(/<testsuite [^>]*errors="2"/);
  });

  it('keeps the skip reason and the failure message', () => {
    const xml = renderJunit(ALL_SHAPES.mixed!());
    expect(xml).toContain('<skipped message="the profile declares no lifecycle adapter, so the key cannot be disabled"/>');
    expect(xml).toContain('<failure message="GET /v1/agents answered 200 OK without a key (expected 401)" type="critical"/>');
    expect(xml).toContain('<failure message="GET /v1/agents answered 200 OK without a key (expected 401)" type="low (advisory)"/>');
  });

  it('strips characters XML forbids but keeps unicode', () => {
    const xml = renderJunit(ALL_SHAPES.nasty!());
    expect(xml).toContain('Grüße 🔑 日本語');
    expect(xml).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\uffff]/);
    expect(NASTY).toContain(']]>');
  });

  it("stays valid and within GitLab's 30 MB with 10,000 checks", async () => {
    const xml = renderJunit(large(10_000));
    expect(Buffer.byteLength(xml)).toBeLessThan(30 * 1024 * 1024);
    const v = await validate(xml);
    expect(v.valid).toBe(true);
  });
});

function uniqueSuiteNames(result: RunResult): string[] {
  const seen = new Map<string, number>();
  return result.profiles.map((p) => {
    const n = (seen.get(p.profile.keyName) ?? 0) + 1;
    seen.set(p.profile.keyName, n);
    return n === 1 ? p.profile.keyName : `${p.profile.keyName} (${n})`;
  });
}

describe('junit.xml from a run of many profiles', () => {
  it('reads each profile once (from the spool, every read parses a profile again) and leaves only junit.xml behind', async () => {
    const counted = countingReads(ALL_SHAPES.severalProfiles!());
    const tmp = tempDir('keyprobe-junit-');
    try {
      expect(await junitReporter.write(counted.result, tmp.dir)).toEqual([`${tmp.dir}/junit.xml`]);
      expect(counted.reads()).toBe(counted.result.profiles.length);
      expect(readFileSync(`${tmp.dir}/junit.xml`, 'utf8')).toBe(renderJunit(ALL_SHAPES.severalProfiles!()));
      expect(readdirSync(tmp.dir)).toEqual(['junit.xml']);
    } finally {
      tmp.cleanup();
    }
  });
});

describe('why junit.ts post-processes', () => {
  it('junit-report-builder on its own writes XML that junit-10.xsd rejects', async () => {
    const { default: raw } = await import('junit-report-builder');
    const builder = (raw as unknown as { newBuilder(): import('junit-report-builder').Builder }).newBuilder();
    const suite = builder.testSuite().name('s');
    suite.testCase().className('c').name('skipped one').skipped();
    suite.testCase().className('c').name('body').standardOutput('a ]]> b ]]> c');
    const v = await validate(builder.build());
    expect(v.valid).toBe(false);
  });
});
