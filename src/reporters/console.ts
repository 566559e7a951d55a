// The console: one line per check as it finishes, then a summary and a
// one-line explanation of the exit code. Colour only on a TTY without NO_COLOR.
import type { CheckResult, ProfileSummary, RunResult, Verdict } from '../result.js';
import type { RunObserver } from '../runner/observer.js';
import { explainExitCode } from '../runner/verdict.js';

export interface ConsoleOptions {
  readonly write: (text: string) => void;
  readonly color: boolean;
  readonly quiet?: boolean;
  readonly verbose?: boolean;
}

const LABEL: Record<Verdict, string> = { pass: 'PASS', fail: 'FAIL', error: 'ERROR', skip: 'SKIP' };
const COLOR: Record<Verdict, number> = { pass: 32, fail: 31, error: 33, skip: 90 };

export function useColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && !('NO_COLOR' in env) && env.TERM !== 'dumb';
}

export function consoleObserver(opts: ConsoleOptions): RunObserver {
  const paint = (v: Verdict, s: string) => (opts.color ? `\x1b[${COLOR[v]}m${s}\x1b[0m` : s);
  const manyProfiles = { value: false };
  return {
    runStarted(info) {
      manyProfiles.value = info.profiles.length > 1;
      if (opts.quiet) return;
      for (const p of info.profiles) opts.write(`keyprobe: ${p.keyName} (${p.keyFingerprint}) → ${p.targetOrigin}, ${info.checksPerProfile} checks\n`);
    },
    checkProgress(profile, checkId, text) {
      if (opts.verbose) opts.write(`  … ${prefix(profile, manyProfiles.value)}${checkId}: ${text}\n`);
    },
    checkFinished(profile, r) {
      if (opts.quiet && (r.verdict === 'pass' || r.verdict === 'skip')) return;
      opts.write(`  ${paint(r.verdict, LABEL[r.verdict].padEnd(5))} ${prefix(profile, manyProfiles.value)}${r.id}${r.gating ? '' : ' (advisory)'} — ${r.message}\n`);
      if (opts.verbose) for (const a of r.advisories) opts.write(`        note: ${a}\n`);
    },
    runFinished(result) {
      opts.write(summary(result, paint));
    },
  };
}

function prefix(p: ProfileSummary, many: boolean): string {
  return many ? `[${p.keyName}] ` : '';
}

export function summary(result: RunResult, paint: (v: Verdict, s: string) => string = (_v, s) => s): string {
  const all: CheckResult[] = result.profiles.flatMap((p) => p.checks);
  const count = (v: Verdict) => all.filter((c) => c.verdict === v).length;
  const lines = [
    '',
    `${count('pass')} passed, ${count('fail')} failed, ${count('error')} errors, ${count('skip')} skipped` + (result.incomplete ? ' (run interrupted: results are incomplete)' : ''),
    `Launch verdict: ${paint(result.verdict, result.verdict.toUpperCase())} — ${explainExitCode(result.exitCode)}`,
    '',
  ];
  return lines.join('\n');
}
