// The console. On a TTY (without CI set) a live view: one line per running
// check with what it is doing ("burst 212/400, first 429 at 101"), redrawn in
// place, with finished checks printed above it. Elsewhere plain lines, no
// animation. Colour only on a TTY without NO_COLOR. At the end a summary
// table and a one-line explanation of the exit code.
import { basename } from 'node:path';
import {
  NOT_RUN_MALFORMED,
  NOT_RUN_UNREACHABLE,
  sentCleanups,
  unfinishedCleanups,
  type CheckResult,
  type ProfileRun,
  type ProfileSource,
  type ProfileSummary,
  type RunResult,
  type Verdict,
} from '../result.js';
import type { RunObserver } from '../runner/observer.js';
import { findingText, shownFindings } from './finding-text.js';
import type { Reporter } from './reporter.js';
import { sentHeading, sentLine } from './sent-cleanups.js';
import { joined } from './write-text.js';
import { explainExitCode, notVerifiedReasons, verdictWord } from '../runner/verdict.js';
import { forTerminal as safe } from '../terminal-text.js';

export interface ConsoleOptions {
  readonly write: (text: string) => void;
  readonly color: boolean;
  /** Redraw a live view in place (TTY, no CI). */
  readonly live?: boolean;
  /** Terminal width, for the live view (lines must not wrap, or redrawing goes wrong). */
  readonly columns?: number;
  readonly quiet?: boolean;
  readonly verbose?: boolean;
  /** For tests: the clock. */
  readonly now?: () => number;
}

export interface Stream {
  readonly isTTY?: boolean;
  readonly columns?: number;
}

const LABEL: Record<Verdict, string> = { pass: 'PASS', fail: 'FAIL', error: 'ERROR', skip: 'SKIP' };
const COLOR: Record<Verdict, number> = { pass: 32, fail: 31, error: 33, skip: 90 };
const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
/** Plain (non-live) progress lines per check are at most this often, so a burst does not flood a CI log. */
const PLAIN_PROGRESS_INTERVAL_MS = 1000;
const MAX_LIVE_LINES = 6;
const LIVE_MIN_REDRAW_MS = 80;

/** Colour on a terminal unless NO_COLOR or TERM=dumb. `env`: the environment the CLI read (io.env), never this module's own. */
export function useColor(stream: Stream, env: NodeJS.ProcessEnv): boolean {
  return Boolean(stream.isTTY) && !('NO_COLOR' in env) && env.TERM !== 'dumb';
}

/** The redrawn live view on a terminal outside CI. `env` as for useColor. */
export function useLiveView(stream: Stream, env: NodeJS.ProcessEnv): boolean {
  return Boolean(stream.isTTY) && !env.CI && env.TERM !== 'dumb';
}

export type Paint = (v: Verdict, s: string) => string;

export function painter(color: boolean): Paint {
  return (v, s) => (color ? `\x1b[${COLOR[v]}m${s}\x1b[0m` : s);
}

interface Active {
  readonly profile: ProfileSummary;
  readonly id: string;
  readonly startedAt: number;
  text: string;
  lastPlainAt: number;
}

export interface ConsoleObserver extends RunObserver {
  /** Stops the live view (idempotent); the view is also stopped when the run finishes. */
  stop(): void;
}

export function consoleObserver(opts: ConsoleOptions): ConsoleObserver {
  const paint = painter(opts.color);
  const now = opts.now ?? (() => performance.now());
  const live = Boolean(opts.live) && !opts.quiet;
  const active = new Map<string, Active>();
  let many = false;
  let total = 0;
  let done = 0;
  let drawn = 0;
  let frame = 0;
  let lastDrawAt = -Infinity;
  let timer: NodeJS.Timeout | undefined;

  const width = () => Math.max(40, (opts.columns ?? 100) - 1);
  const clear = () => {
    if (drawn > 0) opts.write(`\x1b[${drawn}F\x1b[J`);
    drawn = 0;
  };
  const draw = () => {
    if (!live) return;
    const lines = [`${SPINNER[frame % SPINNER.length]} ${done}/${total} checks done`];
    for (const a of [...active.values()].slice(0, MAX_LIVE_LINES)) {
      const secs = ((now() - a.startedAt) / 1000).toFixed(1);
      lines.push(`  ${prefix(a.profile, many)}${a.id}${a.text ? ` — ${a.text}` : ''} (${secs} s)`);
    }
    if (active.size > MAX_LIVE_LINES) lines.push(`  … and ${active.size - MAX_LIVE_LINES} more`);
    clear();
    opts.write(lines.map((l) => `${truncate(l, width())}\n`).join(''));
    drawn = lines.length;
    lastDrawAt = now();
  };
  /** Writes lines that stay, above the live view. */
  const print = (text: string) => {
    clear();
    opts.write(text);
    draw();
  };
  const stop = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
    clear();
  };
  const key = (p: ProfileSummary, id: string) => `${p.file}\n${p.keyName}\n${id}`;
  /** Profiles whose preflight found the target unreachable: their checks' lines point up to that message. */
  const unreachable = new Set<string>();
  /** Error messages already printed, per profile, so an error repeated across checks is printed once. */
  const printedErrors = new Map<string, string>();

  return {
    stop,
    runStarted(info) {
      many = info.profiles.length > 1;
      total = info.profiles.length * info.checksPerProfile;
      if (!opts.quiet) {
        for (const p of info.profiles)
          print(`keyprobe: ${safe(p.keyName)} (${p.keyFingerprint}) → ${safe(p.targetOrigin)}, ${info.checksPerProfile} checks\n`);
      }
      if (live) {
        timer = setInterval(() => {
          frame++;
          draw();
        }, 120);
        timer.unref();
      }
    },
    preflightFinished(profile, pre) {
      unreachable.add(key(profile, ''));
      print(`  ${paint('error', 'ERROR'.padEnd(5))} ${prefix(profile, many)}${safe(pre.message)} — none of its checks was run\n`);
    },
    checkStarted(profile, check) {
      active.set(key(profile, check.id), { profile, id: check.id, startedAt: now(), text: '', lastPlainAt: -Infinity });
      if (live) draw();
      else if (opts.verbose) print(`  …     ${prefix(profile, many)}${check.id}: started\n`);
    },
    checkProgress(profile, checkId, text) {
      const a = active.get(key(profile, checkId));
      // Progress text can quote what the target said.
      const line = safe(text);
      if (a) a.text = line;
      if (live) {
        // Redraw now unless the last frame is fresh; the timer catches up otherwise.
        if (now() - lastDrawAt >= LIVE_MIN_REDRAW_MS) draw();
        return;
      }
      if (!opts.verbose) return;
      const t = now();
      if (a && t - a.lastPlainAt < PLAIN_PROGRESS_INTERVAL_MS) return;
      if (a) a.lastPlainAt = t;
      print(`  …     ${prefix(profile, many)}${safe(checkId)}: ${line}\n`);
    },
    checkFinished(profile, r) {
      active.delete(key(profile, r.id));
      done++;
      if (opts.quiet && (r.verdict === 'pass' || r.verdict === 'skip')) {
        if (live) draw();
        return;
      }
      // The same error for many checks (a target that went away) is printed in full once.
      let shown = r;
      if (r.verdict === 'error') {
        const seen = printedErrors.get(key(profile, r.message));
        const stoppedBy = [NOT_RUN_UNREACHABLE, NOT_RUN_MALFORMED].find((words) => r.message.startsWith(words));
        if (unreachable.has(key(profile, '')) && stoppedBy) shown = { ...r, message: `${stoppedBy} (see above)` };
        else if (seen) shown = { ...r, message: `the same error as ${seen}` };
        else printedErrors.set(key(profile, r.message), r.id);
      }
      print(finishedLines(shown, profile, many, paint, opts.verbose ?? false, r));
    },
    runFinished() {
      stop();
    },
  };
}

/**
 * The console as an ordinary reporter: the live view (or plain lines) while
 * the run goes, then "Reports: …", what a baseline or waivers did, the summary
 * and the CLEANUP INCOMPLETE block once the reports are published and the exit
 * code is final. What it writes goes through the CLI's OutputGuard (a line
 * holding a secret is withheld) and `forTerminal()` escaping.
 */
export function consoleReporter(opts: ConsoleOptions): Reporter {
  const live = consoleObserver(opts);
  return {
    name: 'console',
    printsToStdio: () => true,
    onRunBegin: (info) => live.runStarted?.(info),
    onPreflightEnd: (profile, preflight) => live.preflightFinished?.(profile, preflight),
    onCheckBegin: (profile, check) => live.checkStarted?.(profile, check),
    onCheckProgress: (profile, id, text) => live.checkProgress?.(profile, id, text),
    onCheckEnd: (profile, result) => live.checkFinished?.(profile, result),
    onRunEnd: () => live.stop(),
    onPublished(result, published) {
      if (!opts.quiet) {
        const pdf = published.files.some((f) => basename(f) === 'report.pdf');
        opts.write(`Reports: ${safe(published.outDir)}${pdf ? ' (with report.pdf)' : ''}\n`);
      }
      for (const line of published.explanation ?? []) opts.write(`${safe(line)}\n`);
      for (const piece of summaryPieces(result, published.exitCode, painter(opts.color), published.verdictNote || undefined))
        opts.write(piece);
    },
  };
}

/** `original`: the result before an error repeated across checks was shortened to "see above" (its findings repeat that error too). */
function finishedLines(r: CheckResult, profile: ProfileSummary, many: boolean, paint: Paint, verbose: boolean, original = r): string {
  const lines = [
    `  ${paint(r.verdict, LABEL[r.verdict].padEnd(5))} ${prefix(profile, many)}${safe(r.id)}${r.gating ? '' : ' (advisory)'} — ${safe(r.message)}`,
  ];
  const detail = verbose || r.verdict === 'fail' || r.verdict === 'error';
  if (detail && r.expected !== undefined) lines.push(`        expected: ${safe(r.expected)}`);
  if (detail && r.observed !== undefined) lines.push(`        observed: ${safe(r.observed)}`);
  if (detail && original === r) for (const f of shownFindings(r)) lines.push(`        finding: ${safe(findingText(f, r))}`);
  if (verbose) {
    for (const a of r.advisories) lines.push(`        note: ${safe(a)}`);
    for (const [k, v] of Object.entries(r.measurements)) lines.push(`        ${safe(k)}: ${safe(String(v))}`);
  }
  return `${lines.join('\n')}\n`;
}

function prefix(p: ProfileSummary, many: boolean): string {
  return many ? `[${safe(p.keyName)}] ` : '';
}

function truncate(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`;
}

/**
 * The end of a run: a table per profile (pass/fail/error/skip, requests), what
 * needs attention, and the launch verdict with the exit code in one line.
 * `exitCode` is the final one (a secret found after the run makes it 4).
 * `verdictNote` goes right under the verdict line (governance: what it left
 * out), before any cleanup block, which ends the output.
 */
export function summary(
  result: RunResult<ProfileSource>,
  exitCode: number = result.exitCode,
  paint: Paint = (_v, s) => s,
  verdictNote?: string,
): string {
  return joined(summaryPieces(result, exitCode, paint, verdictNote));
}

/**
 * The summary a piece at a time (a table row per profile). The profiles are
 * read once: at a thousand profiles each one read is a spool record parsed
 * again, evidence and all, for a few counts. The rows wait as short cells
 * until the column widths are known: a thousand rows are never one string.
 */
export function* summaryPieces(
  result: RunResult<ProfileSource>,
  exitCode: number = result.exitCode,
  paint: Paint = (_v, s) => s,
  verdictNote?: string,
): Generator<string> {
  const header = ['profile', 'pass', 'fail', 'error', 'skip', 'requests'];
  const count = (checks: readonly CheckResult[], v: Verdict) => checks.filter((c) => c.verdict === v).length;
  const rowOf = (p: ProfileRun) => [
    safe(p.profile.keyName),
    String(count(p.checks, 'pass')),
    String(count(p.checks, 'fail')),
    String(count(p.checks, 'error')),
    String(count(p.checks, 'skip')),
    `${p.requestsSent}/${p.requestBudget}`,
  ];
  const widths = header.map((cell) => [...cell].length);
  const widen = (row: readonly string[]) => {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i]!, [...cell].length);
  };
  const many = result.profiles.length > 1;
  const totals = { pass: 0, fail: 0, error: 0, skip: 0, requests: 0 };
  const rows: string[][] = [];
  const attention = new AttentionGroups(many);
  for (const p of result.profiles) {
    const row = rowOf(p);
    widen(row);
    rows.push(row);
    for (const v of ['pass', 'fail', 'error', 'skip'] as const) totals[v] += count(p.checks, v);
    totals.requests += p.requestsSent;
    attention.add(p);
  }
  const totalRow = ['total', ...[totals.pass, totals.fail, totals.error, totals.skip, totals.requests].map(String)];
  if (many) widen(totalRow);
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  // Every line after the first (empty) one starts with its line break.
  yield `\n${line(header)}`;
  for (const row of rows) yield `\n${line(row)}`;
  if (many) yield `\n${line(totalRow)}`;
  const attentionLines = attention.lines(paint);
  // (An interrupted run says so on a line of its own, whatever the verdict.)
  const reasons = exitCode === 3 ? notVerifiedReasons({ ...result, incomplete: false }) : [];
  const word = exitCode === 4 ? 'SECRET LEAK' : verdictWord(result.verdict);
  const verdictPaint: Verdict = exitCode === 0 ? 'pass' : exitCode === 3 ? 'error' : 'fail';
  const rest = [
    ...(attentionLines.length ? ['', 'Gating checks that need attention:', ...attentionLines] : []),
    ...(reasons.length ? ['', 'Not verified because:', ...reasons.map((r) => `  ${safe(r)}`)] : []),
    ...(result.incomplete ? ['', 'The run was interrupted: results are incomplete.'] : []),
    ...(result.requiredLeftOut?.length
      ? [
          '',
          `Left out with --only/--skip, so not part of this verdict: required check${result.requiredLeftOut.length === 1 ? '' : 's'} ${safe(result.requiredLeftOut.join(', '))}.`,
        ]
      : []),
    ...sentBlock(result),
    '',
    `Launch verdict: ${paint(verdictPaint, word)} — ${explainExitCode(exitCode)}`,
    ...(verdictNote ? [verdictNote] : []),
    '',
    ...cleanupBlock(result, paint),
  ];
  yield rest.map((l) => `\n${l}`).join('');
}

/**
 * Gating checks that failed or errored, one line each; checks that failed the
 * same way (every check of a target that went away) share one line that names them all.
 */
class AttentionGroups {
  private readonly groups = new Map<string, { verdict: Verdict; who: string; message: string; ids: string[] }>();

  constructor(private readonly many: boolean) {}

  add(p: ProfileRun): void {
    for (const c of p.checks) {
      if (!c.gating || (c.verdict !== 'fail' && c.verdict !== 'error')) continue;
      const who = this.many ? `[${safe(p.profile.keyName)}] ` : '';
      const k = `${c.verdict}\n${who}\n${c.message}`;
      const g = this.groups.get(k) ?? { verdict: c.verdict, who, message: c.message, ids: [] };
      g.ids.push(c.id);
      this.groups.set(k, g);
    }
  }

  lines(paint: Paint): string[] {
    return [...this.groups.values()].flatMap((g) => {
      const label = `  ${paint(g.verdict, LABEL[g.verdict].padEnd(5))} ${g.who}`;
      return g.ids.length === 1
        ? [`${label}${safe(g.ids[0]!)} — ${safe(g.message)}`]
        : [`${label}${safe(g.message)}`, `        stopped ${g.ids.length} checks: ${safe(g.ids.join(', '))}`];
    });
  }
}

/** At most this many sent cleanups are listed one by one; more are counted per check (results.json lists each). */
const SENT_LISTED = 5;

/** Cleanups sent but not verifiable by probing: named, so none reads as verified, but not as a failure. */
function sentBlock(result: Pick<RunResult, 'cleanup'>): string[] {
  const sent = sentCleanups(result);
  if (sent.length === 0) return [];
  if (sent.length <= SENT_LISTED) return ['', `${sentHeading(sent.length)}:`, ...sent.map((r) => safe(`  ${sentLine(r)}`))];
  const byCheck = new Map<string, number>();
  for (const r of sent) byCheck.set(r.check, (byCheck.get(r.check) ?? 0) + 1);
  return [
    '',
    `${sentHeading(sent.length)}; each is in results.json's cleanup records:`,
    ...[...byCheck].map(([check, n]) => safe(`  ${n} after ${check}`)),
  ];
}

/**
 * The last thing a run prints when it left the target changed: which key, its
 * id, the state it is in, and the exact action that restores it.
 */
export function cleanupBlock(result: Pick<RunResult, 'cleanup'>, paint: Paint = (_v, s) => s): string[] {
  const left = unfinishedCleanups(result);
  if (left.length === 0) return [];
  const lines = [
    paint(
      'fail',
      `CLEANUP INCOMPLETE — keyprobe left ${left.length === 1 ? 'a key' : `${left.length} keys`} changed on the target; restore by hand:`,
    ),
  ];
  for (const r of left) {
    lines.push(
      '',
      safe(`  ${r.key}${r.keyId ? ` (id ${r.keyId})` : ''} — ${r.subject} of ${r.profile}, left ${r.leftState ?? 'changed'}`),
      safe(
        `    ${r.check}: ${r.action === 'enable' ? 're-enable' : 'delete'} ${r.outcome === 'failed' ? 'failed' : 'not verified'}: ${r.detail}`,
      ),
      '    restore with:',
      safe(`      ${r.restore ?? `${r.action === 'enable' ? 're-enable' : 'delete'} it in your key management console`}`),
    );
  }
  if (left.some((r) => r.restore?.includes('$ADMIN_TOKEN')))
    lines.push('', '  ($ADMIN_TOKEN: the management credential the profile references in lifecycle.http.credential.secret)');
  lines.push('');
  return lines;
}
