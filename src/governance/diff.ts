// What changed between two runs (results.json) or two audits (findings.json):
// verdicts that changed, findings new and resolved, keys added and removed,
// and measurements that moved beyond a threshold (revocation latency,
// accepted-before-throttle, requests used, findings per rule). Pure data in,
// a DiffDocument out; renderers for the console and Markdown beside it.
import {
  baselineItems,
  fromFindings,
  hasItem,
  profileSubjects,
  type FindingsDocLike,
  type ReportDoc,
  type ResultsDocLike,
} from './baseline.js';

/** A time measurement (…Ms) must also move by this much: loopback and network jitter are not drift. */
export const MIN_TIME_CHANGE_MS = 50;
export const DEFAULT_THRESHOLD_PERCENT = 20;

export interface VerdictChange {
  /** The key (run) or "inventory" (audit). */
  readonly subject: string;
  /** Check or rule id. */
  readonly id: string;
  /** "not run" when it was not there. */
  readonly from: string;
  readonly to: string;
}

export interface MeasurementChange {
  readonly subject: string;
  /** Check or rule id; empty for a measurement of the whole key (requests used). */
  readonly id: string;
  readonly name: string;
  readonly from: number;
  readonly to: number;
  /** (to − from) / |from|; null when from is 0. */
  readonly change: number | null;
}

export interface ItemChange {
  readonly rule: string;
  readonly id: string;
  readonly name?: string;
  readonly detail?: string;
}

export interface DiffDocument {
  readonly kind: 'run' | 'audit';
  readonly old: { readonly file: string; readonly runId: string; readonly at?: string };
  readonly new: { readonly file: string; readonly runId: string; readonly at?: string };
  readonly threshold: number;
  readonly verdict: { readonly from: string; readonly to: string };
  readonly verdicts: readonly VerdictChange[];
  /** Keys added and removed; undefined when an input does not list its keys (findings.json v1). */
  readonly keys?: { readonly added: readonly string[]; readonly removed: readonly string[] };
  readonly measurements: readonly MeasurementChange[];
  /** Audits only. */
  readonly findings?: { readonly new: readonly ItemChange[]; readonly resolved: readonly ItemChange[]; readonly persisting: number };
  readonly notVerifiable?: { readonly new: readonly ItemChange[]; readonly resolved: readonly ItemChange[] };
}

export function diffReports(a: ReportDoc, b: ReportDoc, thresholdPercent = DEFAULT_THRESHOLD_PERCENT): DiffDocument {
  if (a.kind === 'run' && b.kind === 'run') return diffRuns(a, b, thresholdPercent);
  if (a.kind === 'audit' && b.kind === 'audit') return diffAudits(a, b, thresholdPercent);
  throw new Error('diffReports: compare like with like');
}

/** Whether a measurement moved beyond the threshold (and, for times, by at least MIN_TIME_CHANGE_MS). */
function moved(name: string, from: number, to: number, threshold: number): boolean {
  if (from === to) return false;
  if (/Ms$/.test(name) && Math.abs(to - from) < MIN_TIME_CHANGE_MS) return false;
  if (from === 0) return true;
  return (Math.abs(to - from) / Math.abs(from)) * 100 > threshold;
}

function measurement(subject: string, id: string, name: string, from: number, to: number): MeasurementChange {
  return { subject, id, name, from, to, change: from === 0 ? null : (to - from) / Math.abs(from) };
}

function diffRuns(a: ReportDoc & { kind: 'run' }, b: ReportDoc & { kind: 'run' }, threshold: number): DiffDocument {
  const index = (doc: ResultsDocLike) => {
    const subjects = profileSubjects(doc.profiles);
    return new Map(doc.profiles.map((p, i) => [subjects[i]!, p] as const));
  };
  const before = index(a.doc);
  const after = index(b.doc);
  const verdicts: VerdictChange[] = [];
  const measurements: MeasurementChange[] = [];
  for (const [subject, p] of after) {
    const old = before.get(subject);
    if (!old) continue;
    const oldChecks = new Map(old.checks.map((c) => [c.id, c] as const));
    const newIds = new Set(p.checks.map((c) => c.id));
    for (const c of p.checks) {
      const o = oldChecks.get(c.id);
      if (!o || o.verdict !== c.verdict) verdicts.push({ subject, id: c.id, from: o?.verdict ?? 'not run', to: c.verdict });
      if (!o) continue;
      for (const [name, value] of Object.entries(c.measurements ?? {})) {
        const was = o.measurements?.[name];
        if (typeof value === 'number' && typeof was === 'number' && moved(name, was, value, threshold))
          measurements.push(measurement(subject, c.id, name, was, value));
      }
    }
    for (const o of old.checks) if (!newIds.has(o.id)) verdicts.push({ subject, id: o.id, from: o.verdict, to: 'not run' });
    if (
      typeof old.requestsSent === 'number' &&
      typeof p.requestsSent === 'number' &&
      moved('requests', old.requestsSent, p.requestsSent, threshold)
    )
      measurements.push(measurement(subject, '', 'requests used', old.requestsSent, p.requestsSent));
  }
  return {
    kind: 'run',
    old: { file: a.file, runId: a.doc.runId, ...(a.doc.startedAt ? { at: a.doc.startedAt } : {}) },
    new: { file: b.file, runId: b.doc.runId, ...(b.doc.startedAt ? { at: b.doc.startedAt } : {}) },
    threshold,
    verdict: { from: a.doc.verdict ?? '?', to: b.doc.verdict ?? '?' },
    verdicts,
    keys: { added: [...after.keys()].filter((k) => !before.has(k)), removed: [...before.keys()].filter((k) => !after.has(k)) },
    measurements,
  };
}

/** An audit's verdict from its rules: a gating rule broken fails it; one that could not judge every key leaves it unverified. */
function auditVerdict(doc: FindingsDocLike): string {
  const gates = (r: NonNullable<FindingsDocLike['rules']>[number]) => r.gatingNow ?? r.gating ?? true;
  const rules = doc.rules ?? [];
  if (rules.some((r) => gates(r) && r.verdict === 'fail')) return 'fail';
  if (rules.some((r) => gates(r) && r.verdict === 'error')) return 'error';
  return 'pass';
}

function label(id: string, name: string | undefined): string {
  return name !== undefined ? `${name} (${id})` : id;
}

function diffAudits(a: ReportDoc & { kind: 'audit' }, b: ReportDoc & { kind: 'audit' }, threshold: number): DiffDocument {
  const oldRules = new Map((a.doc.rules ?? []).map((r) => [r.id, r] as const));
  const verdicts: VerdictChange[] = [];
  const measurements: MeasurementChange[] = [];
  for (const r of b.doc.rules ?? []) {
    const o = oldRules.get(r.id);
    if (!o || o.verdict !== r.verdict)
      verdicts.push({ subject: 'inventory', id: r.id, from: o?.verdict ?? 'not run', to: r.verdict ?? '?' });
    if (o && typeof o.findings === 'number' && typeof r.findings === 'number' && moved('findings', o.findings, r.findings, threshold))
      measurements.push(measurement('inventory', r.id, 'findings', o.findings, r.findings));
    if (
      o &&
      typeof o.notVerifiable === 'number' &&
      typeof r.notVerifiable === 'number' &&
      moved('notVerifiable', o.notVerifiable, r.notVerifiable, threshold)
    )
      measurements.push(measurement('inventory', r.id, 'notVerifiable', o.notVerifiable, r.notVerifiable));
  }
  for (const name of ['rows', 'keys', 'enabled'] as const) {
    const from = a.doc.inventory?.[name];
    const to = b.doc.inventory?.[name];
    if (typeof from === 'number' && typeof to === 'number' && moved(name, from, to, threshold))
      measurements.push(measurement('inventory', '', name, from, to));
  }
  const before = fromFindings(a.doc, a.file);
  const after = fromFindings(b.doc, b.file);
  const change = (kind: 'finding' | 'notVerifiable') => {
    const added: ItemChange[] = [];
    const resolved: ItemChange[] = [];
    let persisting = 0;
    for (const item of baselineItems(after)) {
      if (item.kind !== kind) continue;
      if (hasItem(before, item)) persisting++;
      else added.push(toChange(item));
    }
    for (const item of baselineItems(before)) if (item.kind === kind && !hasItem(after, item)) resolved.push(toChange(item));
    return { new: added, resolved, persisting };
  };
  const findings = change('finding');
  const unjudged = change('notVerifiable');
  const keys =
    before.keys && after.keys
      ? {
          added: [...after.keys].filter(([id]) => !before.keys!.has(id)).map(([id, name]) => label(id, name)),
          removed: [...before.keys].filter(([id]) => !after.keys!.has(id)).map(([id, name]) => label(id, name)),
        }
      : undefined;
  return {
    kind: 'audit',
    old: { file: a.file, runId: a.doc.runId, ...(a.doc.asOf ? { at: a.doc.asOf } : {}) },
    new: { file: b.file, runId: b.doc.runId, ...(b.doc.asOf ? { at: b.doc.asOf } : {}) },
    threshold,
    verdict: { from: auditVerdict(a.doc), to: auditVerdict(b.doc) },
    verdicts,
    ...(keys ? { keys } : {}),
    measurements,
    findings,
    notVerifiable: { new: unjudged.new, resolved: unjudged.resolved },
  };
}

function toChange(item: { rule: string; id: string; name?: string; detail?: string }): ItemChange {
  return {
    rule: item.rule,
    id: item.id,
    ...(item.name !== undefined ? { name: item.name } : {}),
    ...(item.detail !== undefined ? { detail: item.detail } : {}),
  };
}

/** "+140%", "−3%", "from 0". */
export function percent(c: MeasurementChange): string {
  if (c.change === null) return 'from 0';
  const p = Math.round(c.change * 100);
  return p > 0 ? `+${p}%` : p < 0 ? `−${-p}%` : '±0%';
}

/** The plain-text summary `keyprobe diff` prints. */
export function diffText(d: DiffDocument): string {
  const lines: string[] = [];
  const what = d.kind === 'run' ? 'run' : 'audit';
  lines.push(`keyprobe diff: ${what} ${d.old.runId} → ${what} ${d.new.runId} (threshold ${d.threshold}%)`);
  lines.push(`${d.kind === 'run' ? 'Launch' : 'Audit'} verdict: ${d.verdict.from} → ${d.verdict.to}`);
  lines.push(
    ...table(
      `Verdicts that changed`,
      d.verdicts.map((v) => (d.kind === 'run' ? [v.subject, v.id, `${v.from} → ${v.to}`] : [v.id, `${v.from} → ${v.to}`])),
    ),
  );
  if (d.findings) {
    lines.push(
      ...table(
        'New findings',
        d.findings.new.map((f) => [f.rule, `${label(f.id, f.name)}${f.detail ? `: ${f.detail}` : ''}`]),
      ),
    );
    lines.push(
      ...table(
        'Resolved findings',
        d.findings.resolved.map((f) => [f.rule, `${label(f.id, f.name)}${f.detail ? `: ${f.detail}` : ''}`]),
      ),
    );
    lines.push(`Persisting findings: ${d.findings.persisting}`);
  }
  if (d.notVerifiable && (d.notVerifiable.new.length || d.notVerifiable.resolved.length)) {
    lines.push(
      ...table(
        'Newly not verifiable',
        d.notVerifiable.new.map((f) => [f.rule, `${label(f.id, f.name)}: ${f.detail ?? ''}`]),
      ),
    );
    lines.push(
      ...table(
        'Now verifiable again',
        d.notVerifiable.resolved.map((f) => [f.rule, label(f.id, f.name)]),
      ),
    );
  }
  if (d.keys) {
    lines.push(d.keys.added.length ? `Keys added (${d.keys.added.length}): ${d.keys.added.join(', ')}` : 'Keys added: none');
    lines.push(d.keys.removed.length ? `Keys removed (${d.keys.removed.length}): ${d.keys.removed.join(', ')}` : 'Keys removed: none');
  } else lines.push('Keys added and removed: not known (an input is a findings.json without its key list)');
  lines.push(
    ...table(
      `Measurements beyond ${d.threshold}%`,
      d.measurements.map((m) => [m.subject, m.id, m.name, `${m.from} → ${m.to} (${percent(m)})`]),
    ),
  );
  return `${lines.join('\n')}\n`;
}

/** "Title (n):" and aligned rows, or "Title: none". */
function table(title: string, rows: string[][]): string[] {
  if (rows.length === 0) return [`${title}: none`];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return [
    `${title} (${rows.length}):`,
    ...rows.map((r) => `  ${r.map((cell, i) => (i < r.length - 1 ? cell.padEnd(widths[i]!) : cell)).join('  ')}`),
  ];
}

/** diff.md: the same, as Markdown tables, for a pull request or a ticket. */
export function diffMarkdown(d: DiffDocument): string {
  const cell = (s: string | number) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const mdTable = (head: string[], rows: (string | number)[][]) =>
    rows.length === 0
      ? ['None.', '']
      : [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`), ''];
  const out: string[] = ['# keyprobe diff', ''];
  const what = d.kind === 'run' ? 'Run' : 'Audit';
  out.push(`- Old: ${what.toLowerCase()} \`${d.old.runId}\`${d.old.at ? ` (${d.old.at})` : ''}, ${cell(d.old.file)}`);
  out.push(`- New: ${what.toLowerCase()} \`${d.new.runId}\`${d.new.at ? ` (${d.new.at})` : ''}, ${cell(d.new.file)}`);
  out.push(`- ${d.kind === 'run' ? 'Launch' : 'Audit'} verdict: **${d.verdict.from} → ${d.verdict.to}**`);
  out.push(`- Measurements are listed when they moved by more than ${d.threshold}% (times also by at least ${MIN_TIME_CHANGE_MS} ms).`, '');
  out.push(`## Verdicts that changed (${d.verdicts.length})`, '');
  out.push(
    ...(d.kind === 'run'
      ? mdTable(
          ['key', 'check', 'from', 'to'],
          d.verdicts.map((v) => [v.subject, v.id, v.from, v.to]),
        )
      : mdTable(
          ['rule', 'from', 'to'],
          d.verdicts.map((v) => [v.id, v.from, v.to]),
        )),
  );
  if (d.findings) {
    out.push(`## New findings (${d.findings.new.length})`, '');
    out.push(
      ...mdTable(
        ['rule', 'key', 'id', 'finding'],
        d.findings.new.map((f) => [f.rule, f.name ?? '', f.id, f.detail ?? '']),
      ),
    );
    out.push(`## Resolved findings (${d.findings.resolved.length})`, '');
    out.push(
      ...mdTable(
        ['rule', 'key', 'id', 'was'],
        d.findings.resolved.map((f) => [f.rule, f.name ?? '', f.id, f.detail ?? '']),
      ),
    );
    out.push(`Persisting findings: ${d.findings.persisting}.`, '');
  }
  if (d.notVerifiable && (d.notVerifiable.new.length || d.notVerifiable.resolved.length)) {
    out.push(`## Newly not verifiable (${d.notVerifiable.new.length})`, '');
    out.push(
      ...mdTable(
        ['rule', 'key', 'id', 'why'],
        d.notVerifiable.new.map((f) => [f.rule, f.name ?? '', f.id, f.detail ?? '']),
      ),
    );
    out.push(`## Verifiable again (${d.notVerifiable.resolved.length})`, '');
    out.push(
      ...mdTable(
        ['rule', 'key', 'id'],
        d.notVerifiable.resolved.map((f) => [f.rule, f.name ?? '', f.id]),
      ),
    );
  }
  out.push('## Keys', '');
  if (d.keys) {
    out.push(`Added (${d.keys.added.length}): ${d.keys.added.length ? d.keys.added.map(cell).join(', ') : 'none'}`, '');
    out.push(`Removed (${d.keys.removed.length}): ${d.keys.removed.length ? d.keys.removed.map(cell).join(', ') : 'none'}`, '');
  } else out.push('Not known: an input is a findings.json without its key list.', '');
  out.push(`## Measurements beyond ${d.threshold}% (${d.measurements.length})`, '');
  out.push(
    ...mdTable(
      ['key', 'check', 'measurement', 'from', 'to', 'change'],
      d.measurements.map((m) => [m.subject, m.id, m.name, m.from, m.to, percent(m)]),
    ),
  );
  return `${out.join('\n')}`;
}
