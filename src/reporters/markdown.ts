// summary.md: the run in Markdown, for a CI job's summary page. With
// `stepSummary` (the CLI hands over $GITHUB_STEP_SUMMARY) the published
// summary.md is also appended to that file, as GitHub Actions expects — after
// the leak scan, so what reaches the job page is what passed it (or its stub).
// Everything shown comes from the result, already redacted; text from the
// target is escaped so it cannot become a table cell break, a link or HTML.
import { appendFile, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { sentCleanups, unfinishedCleanups, type CheckResult, type ProfileSource, type RunResult, type Verdict } from '../result.js';
import { sentHeading, sentLine } from './sent-cleanups.js';
import { explainExitCode, notVerifiedReasons, verdictWord } from '../runner/verdict.js';
import { findingText, shownFindings } from './finding-text.js';
import type { FileReporter } from './reporter.js';
import { joined, writeText } from './write-text.js';

/** A job summary lists this many sent cleanups; results.json has every one. */
const SENT_LISTED = 20;

const SUMMARY_MD = 'summary.md';

export interface MarkdownOptions {
  /** The file GitHub Actions shows as the job summary ($GITHUB_STEP_SUMMARY), when there is one. */
  readonly stepSummary?: string;
}

export function markdownReporter(opts: MarkdownOptions = {}): FileReporter {
  return {
    name: 'markdown',
    async write(result, outDir) {
      const file = join(outDir, SUMMARY_MD);
      await writeText(file, markdownPieces(result));
      return [file];
    },
    async onPublished(result, published) {
      if (!opts.stepSummary) return;
      const ours = published.files.find((f) => basename(f) === SUMMARY_MD);
      if (!ours) return;
      const text = await readFile(ours, 'utf8');
      // The exit code can differ from the result's (a leak found while publishing is 4); the job page says the final one.
      const final =
        published.exitCode === result.exitCode
          ? ''
          : `\n**keyprobe exited ${published.exitCode}:** ${md(explainExitCode(published.exitCode))}\n`;
      await appendFile(opts.stepSummary, `${text}${final}\n`, 'utf8');
    },
  };
}

const ICON: Record<Verdict, string> = { pass: '✅ PASS', fail: '❌ FAIL', error: '⚠️ ERROR', skip: '⏭️ SKIP' };

/** summary.md as one string (tests, small results). */
export function renderMarkdown(result: RunResult<ProfileSource>): string {
  return joined(markdownPieces(result));
}

/** summary.md, a profile's section at a time: each piece is some lines, each ended by a line break. */
export function* markdownPieces(result: RunResult<ProfileSource>): Generator<string> {
  let lines: string[] = [];
  /** The lines so far, as a piece; the next ones start afresh. */
  const flush = () => {
    const piece = lines.map((l) => `${l}\n`).join('');
    lines = [];
    return piece;
  };
  lines.push(`## keyprobe: ${md(verdictWord(result.verdict))}`, '');
  lines.push(
    `${md(explainExitCode(result.exitCode))}. Run \`${code(result.runId)}\`, suite ${md(result.suite.name)}, by ${md(result.operator)}.`,
    '',
  );
  for (const reason of result.exitCode === 3 ? notVerifiedReasons(result) : []) lines.push(`- not verified: ${md(reason)}`);
  if (result.incomplete) lines.push('', '**The run was interrupted: results are incomplete.**');
  const subject = result.subject;
  for (const p of result.profiles) {
    if (subject.kind === 'inventory') {
      lines.push('', `### Inventory ${md(subject.source)}`, '');
      lines.push(`${subject.keys} keys in ${subject.rows} rows (${md(subject.format)}), as of ${md(subject.asOf)}.`, '');
    } else {
      lines.push('', `### ${md(p.profile.keyName)} → ${md(p.profile.targetOrigin)}`, '');
      lines.push(`Key ${md(p.profile.keyFingerprint)}, profile ${md(p.profile.file)}, ${p.requestsSent}/${p.requestBudget} requests.`, '');
    }
    lines.push('| verdict | check | gating | message |', '|---|---|---|---|');
    for (const c of p.checks)
      lines.push(`| ${ICON[c.verdict]} | \`${code(c.id)}\` | ${c.gating ? 'yes' : 'advisory'} | ${md(c.message)} |`);
    const failures = p.checks.filter((c) => c.verdict === 'fail' || c.verdict === 'error');
    if (failures.length > 0) lines.push('', '#### Failures', '');
    for (const c of failures) lines.push(...failureLines(c));
    yield flush();
  }
  const left = unfinishedCleanups(result);
  if (left.length > 0) {
    lines.push(
      '',
      `### ❗ CLEANUP INCOMPLETE: ${left.length === 1 ? 'a key was' : `${left.length} keys were`} left changed on the target`,
      '',
    );
    for (const r of left) {
      lines.push(
        `- **${md(r.key)}**${r.keyId ? ` (id ${md(r.keyId)})` : ''}, ${md(r.subject)} of ${md(r.profile)}, left ${md(r.leftState ?? 'changed')}: ${md(r.detail)}`,
      );
      if (r.restore) lines.push('', '  ```sh', `  ${fence(r.restore)}`, '  ```');
    }
  }
  const sent = sentCleanups(result);
  if (sent.length > 0) {
    lines.push('', `### ${md(sentHeading(sent.length))}`, '');
    for (const r of sent.slice(0, SENT_LISTED)) lines.push(`- ${md(sentLine(r))}`);
    if (sent.length > SENT_LISTED) lines.push(`- … and ${sent.length - SENT_LISTED} more in results.json's cleanup records`);
  }
  if (result.requiredLeftOut?.length)
    lines.push(
      '',
      `Required checks left out with --only/--skip, so not part of this verdict: ${result.requiredLeftOut.map((id) => `\`${code(id)}\``).join(', ')}.`,
    );
  const a = result.acceptance;
  if (a) {
    lines.push('', `### Accepted (--fail-on ${a.failOn})`, '');
    if (a.baseline) lines.push(`Baseline: run \`${code(a.baseline.runId)}\` (${md(a.baseline.file)}).`);
    if (a.waivers) lines.push(`Waivers: ${md(a.waivers.file)}, ${a.waivers.inForce} in force.`);
    for (const x of a.accepted) lines.push(`- ${md(x.key)} \`${code(x.check)}\` (${md(x.verdict)}): ${md(x.why)}`);
    for (const x of a.new) lines.push(`- new: ${md(x.key)} \`${code(x.check)}\` (${md(x.verdict)})`);
    for (const x of a.resolved) lines.push(`- resolved: ${md(x.key)} \`${code(x.check)}\` (was ${md(x.was)})`);
    for (const w of a.waivers?.expired ?? []) lines.push(`- expired waiver: ${md(w)}`);
  }
  yield flush();
}

/** A failed check: expected/observed and the exchange that proved it, as a curl line to reproduce it. */
function failureLines(c: CheckResult): string[] {
  const lines = [`- **\`${code(c.id)}\`** ${ICON[c.verdict]}: ${md(c.message)}`];
  if (c.expected !== undefined) lines.push(`  - expected: ${md(c.expected)}`);
  if (c.observed !== undefined) lines.push(`  - observed: ${md(c.observed)}`);
  for (const f of shownFindings(c)) lines.push(`  - finding: ${md(findingText(f, c))}`);
  const proof = c.evidence.find((e) => e.failing) ?? c.evidence.at(-1);
  if (proof) {
    lines.push(
      `  - evidence: ${md(proof.label)}: ${md(proof.method)} ${md(proof.path)} → ${proof.status ?? md(proof.error ?? 'no answer')}`,
    );
    lines.push('', '    ```sh', `    ${fence(proof.curl)}`, '    ```');
  }
  return lines;
}

/** Text in Markdown prose or a table cell: no HTML, no cell breaks, no links or emphasis made of the target's words. */
function md(text: string): string {
  return oneLine(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|#~!])/g, '\\$1');
}

/** Text inside backticks: a backtick would end the span. */
function code(text: string): string {
  return oneLine(text).replace(/`/g, "'");
}

/** One line inside a fenced block: a fence cannot be closed from inside it. */
function fence(text: string): string {
  return oneLine(text).replace(/```/g, "'''");
}

/** Line breaks become spaces; other control characters (an escape sequence, a NUL) become U+FFFD. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/[\u0000-\u001f\u007f]/g, '\ufffd');
}
