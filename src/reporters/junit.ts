// junit.xml: one testsuite per profile, one testcase per check. Built with
// junit-report-builder (a profile at a time, see JunitSuites), then adjusted so it validates against Jenkins'
// junit-10.xsd (the strictest consumer): the builder puts `skipped` on
// <testsuites> (the schema has no such attribute), writes a bare <skipped/>
// (we want the reason), and closes only the first `]]>` inside CDATA.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import junitReportBuilder, { type Builder } from 'junit-report-builder';
import {
  sentCleanups,
  unfinishedCleanups,
  type CheckResult,
  type CleanupRecord,
  type ProfileRun,
  type ProfileSource,
  type RunResult,
} from '../result.js';
import { checkText } from './evidence-text.js';
import { findingText, shownFindings } from './finding-text.js';
import { sentLine } from './sent-cleanups.js';
import type { FileReporter, ProfilePass } from './reporter.js';
import { FileShelf, MemoryShelf, type TextShelf } from './text-shelf.js';
import { writeThroughPass } from './write-reports.js';
import { joined, writeText } from './write-text.js';

export const junitReporter: FileReporter = {
  name: 'junit',
  write(result, outDir) {
    return writeThroughPass(result, junitPass(result, outDir));
  },
  pass: junitPass,
};

/** junit.xml's first pass: each profile's suite waits on disk (a shelf) until the <testsuites> line with the totals is written. */
function junitPass(result: RunResult<ProfileSource>, outDir: string): ProfilePass {
  const file = join(outDir, 'junit.xml');
  const shelf = new FileShelf(join(outDir, `.junit.xml.${randomBytes(6).toString('hex')}.shelf`));
  const suites = new JunitSuites(result, shelf);
  return {
    add: (run) => suites.add(run),
    write: async () => {
      await writeText(file, suites.pieces());
      return [file];
    },
    close: () => shelf.close(),
  };
}

// The package is CommonJS (`module.exports = builder`) while its types declare
// an ES default export; under NodeNext the default import is module.exports.
const junitBuilder = junitReportBuilder as unknown as Builder;

/** junit.xml as one string (tests, small results). */
export function renderJunit(result: RunResult<ProfileSource>): string {
  const suites = new JunitSuites(result, new MemoryShelf());
  for (const run of result.profiles) suites.add(run);
  return joined(suites.pieces());
}

/**
 * junit.xml, one profile's <testsuite> at a time. The builder keeps a whole
 * document as a tree until it prints it, so each suite is built by a builder
 * of its own and cut out of the document it prints; the <testsuites> line,
 * whose totals the builder would count from that tree, is written here with
 * the builder's own attribute escaping. The totals come first, so the suites
 * wait on the shelf while they are counted: the profiles are read once (from
 * a run's spool every read parses a profile again, evidence and all).
 * The result is byte for byte what one builder for the whole run printed.
 */
class JunitSuites {
  /** Cleanups left undone (testcases of their own) and sent (in their check's system-out). */
  private readonly cleanups: { readonly left: readonly CleanupRecord[]; readonly sent: readonly CleanupRecord[] };
  private readonly totals = { tests: 0, failures: 0, errors: 0 };
  private readonly seenCases = new Set<string>();
  private readonly seenSuites = new Set<string>();
  /** Each suite's number on the shelf, in profile order. */
  private readonly suites: number[] = [];

  constructor(
    private readonly result: RunResult<ProfileSource>,
    private readonly shelf: TextShelf,
  ) {
    this.cleanups = { left: unfinishedCleanups(result), sent: sentCleanups(result) };
  }

  /** Counts the next profile's testcases and puts its suite on the shelf. */
  add(run: ProfileRun): void {
    const counts = caseCounts(run, this.cleanups.left);
    this.totals.tests += counts.tests;
    this.totals.failures += counts.failures;
    this.totals.errors += counts.errors;
    this.suites.push(this.shelf.put(suiteXml(this.result, run, this.cleanups, this.seenSuites, this.seenCases)));
  }

  /** The whole file, once every profile was added: the <testsuites> line, then the suites from the shelf. */
  *pieces(): Generator<string> {
    const { totals, suites } = this;
    const name = builderAttr(xmlSafe(`keyprobe ${this.result.suite.name} ${this.result.runId}`));
    const head = `<testsuites name="${name}" tests="${totals.tests}" failures="${totals.failures}" errors="${totals.errors}"`;
    yield '<?xml version="1.0" encoding="UTF-8"?>\n';
    if (suites.length === 0) {
      // An element without children is printed self-closed.
      yield `${head}/>`;
      return;
    }
    yield `${head}>\n`;
    for (const id of suites) yield this.shelf.get(id);
    yield '</testsuites>';
  }
}

/** The testcases a profile's suite has, by kind: one per check, one per cleanup left undone. */
function caseCounts(run: ProfileRun, left: readonly CleanupRecord[]): { tests: number; failures: number; errors: number } {
  const cleanups = left.filter((c) => c.profile === run.profile.keyName).length;
  const errors = run.checks.filter((c) => c.verdict === 'error' || (c.verdict === 'skip' && c.required)).length;
  return {
    tests: run.checks.length + cleanups,
    failures: run.checks.filter((c) => c.verdict === 'fail').length,
    errors: errors + cleanups,
  };
}

/** One profile's <testsuite> element, indented as inside <testsuites>, with the line break after it. */
function suiteXml(
  result: RunResult<ProfileSource>,
  run: ProfileRun,
  cleanups: { readonly left: readonly CleanupRecord[]; readonly sent: readonly CleanupRecord[] },
  seenSuites: Set<string>,
  seenCases: Set<string>,
): string {
  const { left } = cleanups;
  const sentHere = cleanups.sent.filter((c) => c.profile === run.profile.keyName);
  // The builder prints the markup only: each system-out's text (a check's evidence, most of the file) is a
  // placeholder while it builds, put in place afterwards (inTexts). Through the builder every text was searched
  // for characters XML forbids (xmlSafe had removed them) and copied into its document, which was then split
  // apart again (fixForSchema); a thousand profiles' evidence is tens of megabytes (issue #15).
  const placeholder = `KPTEXT${randomBytes(8).toString('hex')}_`;
  const texts: string[] = [];
  const text = (s: string) => {
    const safe = xmlSafe(s);
    // The builder leaves out a system-out whose text is empty.
    if (safe === '') return '';
    texts.push(safe);
    return `${placeholder}${texts.length - 1}_`;
  };
  const builder = junitBuilder.newBuilder();
  const skipReasons: string[] = [];
  const suiteName = unique(run.profile.keyName || run.profile.file, seenSuites);
  const suite = builder
    .testSuite()
    .name(xmlSafe(suiteName))
    .timestamp(utcTimestamp(firstStart(run) ?? result.startedAt))
    .time(seconds(run.checks.reduce((sum, c) => sum + c.durationMs, 0)));
  for (const [name, value] of suiteProperties(result, run, left)) suite.property(name, xmlSafe(value));

  const classname = xmlSafe(`keyprobe.${run.profile.keyName || 'profile'}`);
  for (const check of run.checks) {
    const tc = suite
      .testCase()
      .className(classname)
      .name(xmlSafe(unique(check.id, seenCases, classname)))
      .time(seconds(check.durationMs))
      .standardOutput(text(checkText(check, suiteName) + sentText(sentHere.filter((r) => r.check === check.id))));
    if (check.verdict === 'fail') tc.failure(xmlSafe(failureMessage(check)), failureType(check));
    else if (check.verdict === 'error') tc.error(xmlSafe(failureMessage(check)), 'not-verified');
    // A CI gate counts errors, not skips: a required check that did not run must not read as fine.
    else if (check.verdict === 'skip' && check.required)
      tc.error(xmlSafe(`required check did not run: ${check.message}`), 'required-not-run');
    else if (check.verdict === 'skip') {
      tc.skipped();
      skipReasons.push(check.message);
    }
  }
  // A key left changed on the target is an error of its own, where every CI gate looks.
  for (const r of left.filter((c) => c.profile === run.profile.keyName)) {
    suite
      .testCase()
      .className(classname)
      .name(xmlSafe(unique(`cleanup: ${r.action === 'enable' ? 're-enable' : 'delete'} ${r.subject} ${r.key}`, seenCases, classname)))
      .time(0)
      .standardOutput(text(cleanupText(r)))
      .error(xmlSafe(cleanupMessage(r)), `cleanup-${r.outcome}`);
  }
  const doc = fixForSchema(builder.build(), skipReasons);
  // The document is the XML declaration, <testsuites …>, this suite, </testsuites>: keep the suite's lines.
  const from = doc.indexOf('\n', doc.indexOf('<testsuites')) + 1;
  return inTexts(doc.slice(from, doc.lastIndexOf('</testsuites>')), placeholder, texts);
}

/**
 * The suite's markup with each placeholder replaced by its text in CDATA: a
 * `]]>` in the text ends the section and opens another (the builder closed
 * only the first), so the evidence survives whole.
 */
function inTexts(markup: string, placeholder: string, texts: readonly string[]): string {
  const parts = markup.split(placeholder);
  let xml = parts[0]!;
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i]!;
    const end = part.indexOf('_');
    const text = texts[Number(part.slice(0, end))]!;
    xml += (text.includes(']]>') ? text.split(']]>').join(']]]]><![CDATA[>') : text) + part.slice(end + 1);
  }
  return xml;
}

function suiteProperties(result: RunResult<ProfileSource>, run: ProfileRun, left: readonly CleanupRecord[]): [string, string][] {
  const p = run.profile;
  return [
    ['profile.file', p.file],
    ['profile.digest', `sha256:${p.digest}`],
    ['environment', p.environment],
    ['target.environment', p.targetEnvironment],
    ['key.name', p.keyName],
    ['key.fingerprint', p.keyFingerprint],
    ['target.origin', p.targetOrigin],
    ['tool.version', `${result.tool.name} ${result.tool.version}`],
    ['suite', result.suite.name],
    ['run.id', result.runId],
    ['operator', result.operator],
    ['requests', `${run.requestsSent}/${run.requestBudget}`],
    ['launch.verdict', result.verdict],
    ...(left.some((c) => c.profile === run.profile.keyName) ? ([['cleanup', 'incomplete']] as [string, string][]) : []),
    ...(result.incomplete ? ([['incomplete', 'true']] as [string, string][]) : []),
  ];
}

/**
 * A check's cleanups that were sent but that no probe can verify, in its
 * system-out: not an error (nothing is known to be left changed, and the
 * launch is not gated on them), but never silent either.
 */
function sentText(sent: readonly CleanupRecord[]): string {
  return sent.map((r) => `\ncleanup sent, not verifiable by probing (does not gate): ${sentLine(r)}`).join('');
}

/** One sentence a CI summary shows: which key, its id, its state. */
export function cleanupMessage(r: CleanupRecord): string {
  return `cleanup ${r.outcome === 'failed' ? 'failed' : 'not verified'}: ${r.subject} "${r.key}"${r.keyId ? ` (id ${r.keyId})` : ''} left ${r.leftState ?? 'changed'} after ${r.check}`;
}

function cleanupText(r: CleanupRecord): string {
  return [
    cleanupMessage(r),
    `what happened: ${r.detail}`,
    `restore with: ${r.restore ?? 'your key management console'}`,
    ...(r.restore?.includes('$ADMIN_TOKEN')
      ? ['($ADMIN_TOKEN: the management credential the profile references in lifecycle.http.credential.secret)']
      : []),
  ].join('\n');
}

/** The check's message, then each finding with its file:line: what a CI server shows in its test list. */
function failureMessage(c: CheckResult): string {
  return [c.message, ...shownFindings(c).map((f) => findingText(f, c))].join(' · ');
}

function failureType(c: CheckResult): string {
  return c.gating ? `${c.severity}` : `${c.severity} (advisory)`;
}

/** GitLab drops testcases whose classname + name repeat; so do we, by numbering them. */
function unique(name: string, seen: Set<string>, scope = ''): string {
  let candidate = name;
  for (let n = 2; seen.has(`${scope}\n${candidate}`); n++) candidate = `${name} (${n})`;
  seen.add(`${scope}\n${candidate}`);
  return candidate;
}

function firstStart(run: ProfileRun): string | undefined {
  return run.checks.map((c) => c.startedAt).sort()[0];
}

/** `2026-11-27T00:05:42Z`: UTC, and without milliseconds, which some readers reject. */
export function utcTimestamp(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? new Date(0).toISOString().replace(/\.\d+Z$/, 'Z') : d.toISOString().replace(/\.\d+Z$/, 'Z');
}

/** Seconds with at most 3 decimals; never negative or NaN (Azure rejects both). */
export function seconds(ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? Math.round(ms) / 1000 : 0;
}

/** Every code unit that can be part of what xmlSafe removes (a surrogate may also be half of a pair, which stays). */
const MAYBE_NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\uD800-\uDFFF\uFFFE\uFFFF]/;

/** Removes what XML 1.0 forbids: control characters other than tab/LF/CR, lone surrogates, U+FFFE/U+FFFF. */
export function xmlSafe(s: string): string {
  // Nearly every text holds none of these code units, and so nothing to remove: a plain search for them is many
  // times cheaper than the search by code point (a JUnit report passes every check's evidence through here).
  if (!MAYBE_NOT_XML.test(s)) return s;
  return s.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '');
}

function fixForSchema(xml: string, skipReasons: readonly string[]): string {
  let skipIndex = 0;
  // The texts are not in the document yet (suiteXml): all of it is markup.
  return xml
    .replace(/<testsuites\b[^>]*>/, (tag) => tag.replace(/\sskipped="[^"]*"/, ''))
    .replace(/<skipped\/>/g, () => `<skipped message="${attr(xmlSafe(skipReasons[skipIndex++] ?? 'not applicable'))}"/>`);
}

/** An attribute value as junit-report-builder's XML writer (xmlbuilder) escapes it. */
function builderAttr(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/"/g, '&quot;')
    .replace(/\t/g, '&#x9;')
    .replace(/\n/g, '&#xA;')
    .replace(/\r/g, '&#xD;');
}

function attr(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
}
