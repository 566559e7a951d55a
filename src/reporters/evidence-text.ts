// A check's result as plain text: what JUnit's system-out carries and what a
// CI log shows. Everything here is already redacted by the runner.
import type { CheckResult, Exchange, LifecycleActionRecord, Timeline } from '../result.js';
import { findingText, shownFindings } from './finding-text.js';

/** Keeps one testcase's text well below what CI servers accept per file (GitLab: 30 MB). */
export const MAX_EVIDENCE_TEXT = 64 * 1024;

export function checkText(r: CheckResult, profileName: string): string {
  const lines: string[] = [
    `${r.id} — ${r.title}`,
    `profile: ${profileName}`,
    `verdict: ${r.verdict} · severity: ${r.severity} · ${r.gating ? 'gating' : 'advisory (does not gate the launch)'}${r.destructive ? ' · destructive' : ''}`,
    `message: ${r.message}`,
  ];
  if (r.expected !== undefined) lines.push(`expected: ${r.expected}`);
  if (r.observed !== undefined) lines.push(`observed: ${r.observed}`);
  for (const f of shownFindings(r)) lines.push(`finding: ${findingText(f, r)}`);
  for (const a of r.advisories) lines.push(`advisory: ${a}`);
  const measured = Object.entries(r.measurements);
  if (measured.length) lines.push('measurements:', ...measured.map(([k, v]) => `  ${k}: ${String(v)}`));
  if (r.timeline) lines.push(timelineText(r.timeline));
  if (r.lifecycleActions?.length) lines.push('lifecycle actions:', ...r.lifecycleActions.map((a) => `  ${lifecycleActionText(a)}`));
  for (const [i, e] of r.evidence.entries()) lines.push('', `exchange ${i + 1}/${r.evidence.length}: ${e.label}`, ...exchangeText(e));
  const text = lines.join('\n');
  if (text.length <= MAX_EVIDENCE_TEXT) return text;
  return `${text.slice(0, MAX_EVIDENCE_TEXT)}\n… cut at ${MAX_EVIDENCE_TEXT} characters; the full evidence is in results.json and report.html`;
}

export function exchangeText(e: Exchange): string[] {
  const out = [
    `  ${e.method} ${e.origin}${e.path} → ${e.status ?? `no response (${e.error ?? 'unknown error'})`} in ${e.durationMs} ms (at +${e.atMs} ms)`,
  ];
  for (const [k, v] of Object.entries(e.requestHeaders)) out.push(`  > ${k}: ${v}`);
  for (const [k, v] of Object.entries(e.responseHeaders)) out.push(`  < ${k}: ${v}`);
  if (e.bodyExcerpt) out.push(`  body${e.bodyTruncated ? ' (excerpt)' : ''}: ${e.bodyExcerpt}`);
  out.push(`  reproduce: ${e.curl}`);
  return out;
}

/** One line per lifecycle action: what was done to which key, how, and how it went. */
export function lifecycleActionText(a: LifecycleActionRecord): string {
  const took = a.durationMs === undefined ? '' : ` in ${Math.round(a.durationMs * 10) / 10} ms`;
  return `${a.action} ${a.key} via ${a.adapter}${a.detached ? ' (cleanup)' : ''}: ${a.outcome}${took} — ${a.detail}`;
}

function timelineText(t: Timeline): string {
  const accepted = t.points.filter((p) => p.accepted).length;
  if (t.kind === 'revocation') {
    return `revocation timeline: ${t.points.length} probes (${accepted} accepted), budget ${t.budgetMs} ms, stability window ${t.stabilityWindowMs} ms, first rejection ${t.firstRejectionMs === undefined ? 'never' : `at ${t.firstRejectionMs} ms`}`;
  }
  return `burst: ${t.points.length} calls (${accepted} accepted, ${t.points.length - accepted} throttled), expected limit ${t.expectedLimit} per ${t.windowSeconds} s, first throttled ${t.firstThrottledAtCall === undefined ? 'never' : `at call ${t.firstThrottledAtCall}`}`;
}
