// The console. On a TTY (without CI set) a live view: one line per running
// check with what it is doing ("burst 212/400, first 429 at 101"), redrawn in
// place, with finished checks printed above it. Elsewhere plain lines, no
// animation. Colour only on a TTY without NO_COLOR. At the end a summary
// table and a one-line explanation of the exit code.
import type { CheckResult, ProfileSummary, RunResult, Verdict } from '../result.js';
import type { RunObserver } from '../runner/observer.js';
import { explainExitCode } from '../runner/verdict.js';
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

export function useColor(stream: Stream, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && !('NO_COLOR' in env) && env.TERM !== 'dumb';
}

export function useLiveView(stream: Stream, env: NodeJS.ProcessEnv = process.env): boolean {
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
      print(finishedLines(r, profile, many, paint, opts.verbose ?? false));
    },
    runFinished() {
      stop();
    },
  };
}

function finishedLines(r: CheckResult, profile: ProfileSummary, many: boolean, paint: Paint, verbose: boolean): string {
  const lines = [
    `  ${paint(r.verdict, LABEL[r.verdict].padEnd(5))} ${prefix(profile, many)}${safe(r.id)}${r.gating ? '' : ' (advisory)'} — ${safe(r.message)}`,
  ];
  const detail = verbose || r.verdict === 'fail' || r.verdict === 'error';
  if (detail && r.expected !== undefined) lines.push(`        expected: ${safe(r.expected)}`);
  if (detail && r.observed !== undefined) lines.push(`        observed: ${safe(r.observed)}`);
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
 */
export function summary(result: RunResult, exitCode: number = result.exitCode, paint: Paint = (_v, s) => s): string {
  const rows: string[][] = [['profile', 'pass', 'fail', 'error', 'skip', 'requests']];
  const count = (checks: readonly CheckResult[], v: Verdict) => String(checks.filter((c) => c.verdict === v).length);
  for (const p of result.profiles)
    rows.push([
      safe(p.profile.keyName),
      count(p.checks, 'pass'),
      count(p.checks, 'fail'),
      count(p.checks, 'error'),
      count(p.checks, 'skip'),
      `${p.requestsSent}/${p.requestBudget}`,
    ]);
  const all = result.profiles.flatMap((p) => p.checks);
  if (result.profiles.length > 1)
    rows.push([
      'total',
      count(all, 'pass'),
      count(all, 'fail'),
      count(all, 'error'),
      count(all, 'skip'),
      String(result.profiles.reduce((n, p) => n + p.requestsSent, 0)),
    ]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => [...r[i]!].length)));
  const table = rows.map((r) =>
    r
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
  const attention = result.profiles.flatMap((p) =>
    p.checks
      .filter((c) => c.gating && (c.verdict === 'fail' || c.verdict === 'error'))
      .map(
        (c) =>
          `  ${paint(c.verdict, LABEL[c.verdict].padEnd(5))} ${result.profiles.length > 1 ? `[${safe(p.profile.keyName)}] ` : ''}${safe(c.id)} — ${safe(c.message)}`,
      ),
  );
  const verdictWord = exitCode === 4 ? 'SECRET LEAK' : result.verdict.toUpperCase();
  const verdictPaint: Verdict = exitCode === 0 ? 'pass' : exitCode === 3 ? 'error' : 'fail';
  return [
    '',
    ...table,
    ...(attention.length ? ['', 'Gating checks that need attention:', ...attention] : []),
    ...(result.incomplete ? ['', 'The run was interrupted: results are incomplete.'] : []),
    '',
    `Launch verdict: ${paint(verdictPaint, verdictWord)} — ${explainExitCode(exitCode)}`,
    '',
  ].join('\n');
}
